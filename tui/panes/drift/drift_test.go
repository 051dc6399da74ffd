package drift_test

import (
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/internal/tuitest"
	"github.com/secretdeck/secretdeck/tui/list"
	"github.com/secretdeck/secretdeck/tui/panes/drift"
)

// newPane returns the Drift pane of 160×20 showing d.
func newPane(d *common.Data) (*list.Pane, *common.Common, *tuitest.Timers) {
	c, ts, _ := tuitest.NewCommon(160, 20)
	p := drift.New(c)
	p.SetSize(c.Width, c.Height)
	p.SetData(d)
	return p, c, ts
}

// fixed is the fixture once api runs the source's db_pass: no stale finding.
func fixed() *common.Data {
	d := tuitest.Data()
	d.Swarm.Secrets[0].Labels[model.LabelFingerprint] = string(d.Source.Key.Fingerprint("api_db_pass", model.NewValueString("hunter2-db-pass")))
	return tuitest.Redrift(d)
}

func TestRowsMostSevereFirst(t *testing.T) {
	p, _, _ := newPane(tuitest.Data())
	s := tuitest.Screen(p)
	want := []string{
		"SEVERITY KIND SUBJECT ACTION",
		"high env-exposure proxy · STATS_PASS move-to-secret",
		"high stale api · api_db_pass_v1 · api.json.prod · db_pass rotate",
		"high lagging billing · payment_key_v1 · shared.yaml.prod · payment_key finish|revert",
		"medium unverifiable billing · payment_key_v1 · shared.yaml.prod · payment_key rotate",
		"medium unverifiable checkout · payment_key_v2 · shared.yaml.prod · payment_key rotate",
		"medium unparsable billing · billing.yaml.prod fix-source-file",
		"low orphan legacy_token prune",
		"low unknown-service redis · redis.env.prod report",
		"info stack-owned checkout update-stack-file",
		"info open-grant shared.yaml.prod · payment_key declare-services",
		"",
	}
	if got := tuitest.Rows(s)[:len(want)]; !slices.Equal(got, want) {
		t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(s, "1/10") {
		t.Errorf("position 1/10:\n%s", s)
	}
	tuitest.AssertNoValues(t, s)
}

func TestEmpty(t *testing.T) {
	d := tuitest.Data()
	d.Source, d.Drift = nil, nil
	p, _, _ := newPane(d)
	if s := tuitest.Screen(p); !strings.Contains(s, "no drift (or no --source to compare with)") {
		t.Fatalf("no findings is said:\n%s", s)
	}
}

// down returns the keys that select row i of the list.
func down(i int) []string {
	keys := make([]string, i)
	for j := range keys {
		keys[j] = "down"
	}
	return keys
}

func TestOpenSubject(t *testing.T) {
	jump := func(pane, key string) tea.Msg { return common.JumpMsg{Ref: common.Ref{Pane: pane, Key: key}} }
	cases := []struct {
		row        int
		want       tea.Msg
		detailHint string
	}{
		{1, jump("secrets", "api_db_pass_v1"), "Press o to open the secret api_db_pass_v1."},
		{0, jump("services", "proxy"), "Press o to open the service proxy."},     // env-exposure: no secret
		{5, jump("services", "billing"), "Press o to open the service billing."}, // unparsable file of a running service
		{6, jump("secrets", "legacy_token"), "Press o to open the secret legacy_token."},
		// The swarm runs no redis: its file is what there is to open.
		{7, jump("properties", "redis.env.prod"), "Press o to open the property file redis.env.prod."},
		{8, jump("services", "checkout"), "Press o to open the service checkout."},
	}
	for _, tc := range cases {
		t.Run(tc.detailHint, func(t *testing.T) {
			p, _, ts := newPane(tuitest.Data())
			if got := tuitest.Press(p, ts, append(down(tc.row), "o")...); !slices.Equal(got, []tea.Msg{tc.want}) {
				t.Errorf("o on the list sends %v, want %v", got, tc.want)
			}
			tuitest.Press(p, ts, "enter")
			if s := tuitest.Screen(p); !strings.Contains(s, tc.detailHint) {
				t.Errorf("the detail says what o opens (%q):\n%s", tc.detailHint, s)
			}
			if got := tuitest.Press(p, ts, "o"); !slices.Equal(got, []tea.Msg{tc.want}) {
				t.Errorf("o in the detail sends %v, want %v", got, tc.want)
			}
		})
	}
}

func TestOpenSubjectOfAFindingAboutNothing(t *testing.T) {
	d := tuitest.Data()
	d.Drift.Findings = []model.Finding{{Kind: model.KindOrphan, Severity: model.SeverityLow, Explanation: "something"}}
	p, _, ts := newPane(d)
	want := []tea.Msg{common.StatusMsg{Text: "this finding names nothing to open"}}
	if got := tuitest.Press(p, ts, "o"); !slices.Equal(got, want) {
		t.Fatalf("o sends %v, want %v", got, want)
	}
	tuitest.Press(p, ts, "enter")
	if s := tuitest.Screen(p); strings.Contains(s, "Press o") {
		t.Fatalf("the detail offers nothing to open:\n%s", s)
	}
}

func TestDetail(t *testing.T) {
	cases := []struct {
		name string
		row  int
		want []string
	}{
		{"stale", 1, []string{"HIGH  stale", "Service   api", "Secret    api_db_pass_v1", "Logical   api_db_pass", "File      api.json.prod", "Key       db_pass",
			`service api mounts api_db_pass_v1, whose fingerprint differs from key "db_pass" in api.json.prod`, "Action: rotate"}},
		{"lagging", 2, []string{"HIGH  lagging", "Action: finish or revert"}},
		{"env-exposure", 0, []string{"HIGH  env-exposure", "Key       STATS_PASS", "Action: move-to-secret", "$ docker service update --env-rm STATS_PASS proxy"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, _, ts := newPane(tuitest.Data())
			tuitest.Press(p, ts, append(down(tc.row), "enter")...)
			s := tuitest.Screen(p)
			for _, w := range tc.want {
				if !strings.Contains(s, w) {
					t.Errorf("detail lacks %q:\n%s", w, s)
				}
			}
			tuitest.AssertNoValues(t, s)
		})
	}
}

// A long explanation wraps at the pane's width instead of losing its end.
func TestDetailWrapsTheExplanation(t *testing.T) {
	c, ts, _ := tuitest.NewCommon(40, 30)
	p := drift.New(c)
	p.SetSize(c.Width, c.Height)
	p.SetData(tuitest.Data())
	tuitest.Press(p, ts, "down", "enter")
	s := tuitest.Screen(p)
	for _, l := range strings.Split(s, "\n") {
		if ansi.StringWidth(l) > 40 {
			t.Errorf("a line wider than the pane: %q", l)
		}
	}
	if !strings.Contains(strings.Join(tuitest.Rows(s), " "), "the value changed in the source") {
		t.Errorf("the end of the explanation is shown:\n%s", s)
	}
}

// The detail follows its finding across a refresh that removes another
// finding before it in the list.
func TestDetailSurvivesARefresh(t *testing.T) {
	p, _, ts := newPane(tuitest.Data())
	tuitest.Press(p, ts, "down", "down", "enter") // lagging billing
	p.SetData(fixed())                            // the stale finding above it is gone
	s := tuitest.Screen(p)
	if !strings.Contains(s, "HIGH  lagging") {
		t.Fatalf("the open finding is still there:\n%s", s)
	}
	tuitest.Press(p, ts, "esc")
	if got := tuitest.Selected(tuitest.Screen(p)); got != "high lagging billing · payment_key_v1 · shared.yaml.prod · payment_key finish|revert" {
		t.Fatalf("the selection stays on it: %q\n%s", got, tuitest.Screen(p))
	}
}

func TestDetailOfAFixedFinding(t *testing.T) {
	p, _, ts := newPane(tuitest.Data())
	tuitest.Press(p, ts, "down", "enter") // stale api
	p.SetData(fixed())
	if s := tuitest.Screen(p); !strings.Contains(s, "this finding is gone after the last refresh: press esc") {
		t.Fatalf("a fixed finding's detail says so:\n%s", s)
	}
	if got := tuitest.Press(p, ts, "o"); len(got) != 0 {
		t.Fatalf("o opens nothing: %v", got)
	}
}

func TestStageKeys(t *testing.T) {
	fs := tuitest.Data().Findings()
	nothing := common.StatusMsg{Text: "nothing a plan can fix here: enter shows the command that does", Error: true}
	cases := []struct {
		keys []string
		want tea.Msg
	}{
		{[]string{"down", "space"}, common.StageMsg{Kind: common.StageFinding, Key: fs[1].ID(), On: true}},
		{[]string{"down", "u"}, common.StageMsg{Kind: common.StageFinding, Key: fs[1].ID(), On: false}},
		{append(down(3), "space"), common.StageMsg{Kind: common.StageFinding, Key: fs[3].ID(), On: true}}, // unverifiable
		{[]string{"space"}, nothing},        // env-exposure: moved by hand
		{append(down(6), "space"), nothing}, // orphan: pruned, not planned
		{[]string{"enter", "space"}, nil},   // not in a detail
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.keys, ","), func(t *testing.T) {
			p, _, ts := newPane(tuitest.Data())
			got := tuitest.Press(p, ts, tc.keys...)
			var want []tea.Msg
			if tc.want != nil {
				want = []tea.Msg{tc.want}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%v sends %v, want %v", tc.keys, got, want)
			}
		})
	}
}

func TestStagedFindingsAreMarked(t *testing.T) {
	d := tuitest.Data()
	p, c, _ := newPane(d)
	c.Staging.Apply(common.StageMsg{Kind: common.StageLogical, Key: "payment_key", On: true})
	p.SetData(d)
	rows := tuitest.Rows(tuitest.Screen(p))
	var marked []string
	for _, r := range rows {
		if strings.HasPrefix(r, "+ ") {
			marked = append(marked, r)
		}
	}
	want := []string{
		"+ high lagging billing · payment_key_v1 · shared.yaml.prod · payment_key finish|revert",
		"+ medium unverifiable billing · payment_key_v1 · shared.yaml.prod · payment_key rotate",
		"+ medium unverifiable checkout · payment_key_v2 · shared.yaml.prod · payment_key rotate",
	}
	if !slices.Equal(marked, want) {
		t.Fatalf("marked rows:\n%s\nwant:\n%s", strings.Join(marked, "\n"), strings.Join(want, "\n"))
	}
}

// TestConfigStaleDetail: a stale config's detail shows its diff, masked,
// and opens the config.
func TestConfigStaleDetail(t *testing.T) {
	d := tuitest.Data()
	d.Swarm.Configs = []model.Config{{ID: "c1", Name: "api_conf", Data: []byte("listen 80;\npassword hunter2-db-pass;\n")}}
	d.Swarm.Services[0].Spec.Configs = []model.FileRef{{ID: "c1", Name: "api_conf", Target: "/api.conf", UID: "0", GID: "0", Mode: 0o444}}
	d.Source.Configs = []model.ConfigFile{{Key: "configs/prod/api/api.conf", Service: "api", Env: "prod", Data: []byte("listen 81;\npassword hunter2-db-pass;\n")}}
	c, ts, _ := tuitest.NewCommon(100, 40)
	p := drift.New(c)
	p.SetSize(c.Width, c.Height)
	p.SetData(tuitest.Redrift(d))
	p.SetFilter("config-stale")
	tuitest.Press(p, ts, "enter")
	s := tuitest.Screen(p)
	for _, want := range []string{"HIGH  config-stale", "Config    api_conf", "  -listen 80;", "  +listen 81;", "   password " + model.Mask + ";", "Press o to open the config api_conf."} {
		if !strings.Contains(s, want) {
			t.Errorf("the detail lacks %q:\n%s", want, s)
		}
	}
	tuitest.AssertNoValues(t, s)
}
