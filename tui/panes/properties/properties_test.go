package properties_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/internal/testcert"
	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/internal/tuitest"
	"github.com/secretdeck/secretdeck/tui/list"
	"github.com/secretdeck/secretdeck/tui/panes/properties"
)

// rig is the Properties pane of 120×20 with its fakes.
type rig struct {
	p     *list.Pane
	c     *common.Common
	ts    *tuitest.Timers
	audit *tuitest.AuditLog
}

func newRig(d *common.Data, opts ...func(*common.Common)) rig {
	c, ts, audit := tuitest.NewCommon(120, 20)
	for _, o := range opts {
		o(c)
	}
	p := properties.New(c)
	p.SetSize(c.Width, c.Height)
	p.SetData(d)
	return rig{p, c, ts, audit}
}

func (r rig) press(keys ...string) []tea.Msg { return tuitest.Press(r.p, r.ts, keys...) }
func (r rig) screen() string                 { return tuitest.Screen(r.p) }

const dbPass = "api.json.prod#db_pass"

func TestRows(t *testing.T) {
	cases := []struct {
		name   string
		change func(d *common.Data)
		want   []string // FILE / KEY, VALUE, BYTES, STATE
	}{
		{
			name: "fixture",
			want: []string{
				"api.json.prod api · json 30 1 key",
				"db_pass •••••••• 15 stale",
				"redis.env.prod redis · env 20 1 key",
				"my_secret_data •••••••• 14 no such servi…",
				"shared.yaml.prod shared · yaml 20 1 key",
				"payment_key •••••••• 15 lagging,unver…",
				"billing.yaml.prod billing.yaml.prod:2: syntax error 9 UNPARSABLE",
			},
		},
		{
			name: "swarm runs the source's value",
			change: func(d *common.Data) {
				d.Swarm.Secrets[0].Labels[model.LabelFingerprint] = string(d.Source.Key.Fingerprint("api_db_pass", model.NewValueString("hunter2-db-pass")))
			},
			want: []string{"db_pass •••••••• 15 in sync"},
		},
		{
			name: "key excluded by the manifest",
			change: func(d *common.Data) {
				f := &d.Source.Files[0]
				f.Entries = append(f.Entries, model.Entry{Key: "log_level", Value: model.NewValueString("debug")})
				d.Source.Manifest = &model.Manifest{Services: map[string]model.ServicePolicy{"api": {Exclude: []string{"log_*"}}}}
			},
			want: []string{"api.json.prod api · json 30 2 keys", "log_level •••••••• 5 not a secret"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := tuitest.Data()
			if tc.change != nil {
				tc.change(d)
				tuitest.Redrift(d)
			}
			r := newRig(d)
			s := r.screen()
			tuitest.AssertRows(t, s, tc.want...)
			tuitest.AssertNoValues(t, s)
		})
	}
}

func TestWithoutSource(t *testing.T) {
	d := tuitest.Data()
	d.Source, d.Drift = nil, nil
	r := newRig(d)
	if s := r.screen(); !strings.Contains(s, "no property files (start secretdeck with --source and --env)") {
		t.Fatalf("without a source, the pane says how to get one:\n%s", s)
	}
}

// x shows the selected value, whole, in a view of its own that counts
// down and masks it again; the list never shows a value.
func TestRevealShowsTheValueUntilItsTimerFires(t *testing.T) {
	r := newRig(tuitest.Data())
	r.press("down")
	tuitest.AssertNoValues(t, r.screen())
	got := r.press("x")
	s := r.screen()
	for _, w := range []string{"REVEALED db_pass  api.json.prod · recorded in the audit log", "masked again in 10s · esc masks it now", "15 bytes:", "hunter2-db-pass"} {
		if !strings.Contains(s, w) {
			t.Fatalf("x reveals the selected value in its own view, lacks %q:\n%s", w, s)
		}
	}
	for _, v := range tuitest.KnownValues {
		if v != "hunter2-db-pass" && strings.Contains(s, v) {
			t.Errorf("x reveals the selected value only, and shows %q:\n%s", v, s)
		}
	}
	if !r.p.Capturing() {
		t.Error("the reveal takes every key: tab or : must not leave it on screen behind another pane")
	}
	if want := []tuitest.AuditCall{{Action: "reveal", Subject: dbPass}}; !slices.Equal(r.audit.Calls, want) {
		t.Errorf("audit log: %v, want %v", r.audit.Calls, want)
	}
	if want := (common.StatusMsg{Text: dbPass + " revealed (recorded in the audit log)"}); len(got) != 1 || got[0] != want {
		t.Errorf("status: %v, want %v", got, want)
	}
	for left := 9; left >= 1; left-- {
		if n := tuitest.FireTimers(r.p, r.ts); n != 1 {
			t.Fatalf("one timer at a time, %d fired", n)
		}
		if s := r.screen(); !strings.Contains(s, fmt.Sprintf("masked again in %ds", left)) || !strings.Contains(s, "hunter2-db-pass") {
			t.Fatalf("%ds left:\n%s", left, s)
		}
	}
	masked := tuitest.FireTimers(r.p, r.ts)
	s = r.screen()
	tuitest.AssertNoValues(t, s)
	if row := tuitest.Row(s, "db_pass"); masked != 1 || row != "db_pass •••••••• 15 stale" || r.ts.Pending() != 0 || r.p.Capturing() {
		t.Fatalf("masked again after 10s, no timer left (%d): %q", r.ts.Pending(), row)
	}
}

func TestRevealEndsWithEscAndShowsControlCharacters(t *testing.T) {
	d := tuitest.Data()
	d.Source.Files[0].Entries[0].Value = model.NewValueString("line1\x1b]0;PWNED\x07\nline2\tend")
	r := newRig(d)
	r.press("down", "x")
	s := r.screen()
	if !strings.Contains(s, `line1\x1b]0;PWNED\a`) || !strings.Contains(s, `line2\tend`) || strings.Contains(s, "\x1b]") {
		t.Fatalf("control characters are shown escaped, lines kept:\n%q", s)
	}
	msgs := r.press("esc")
	if strings.Contains(r.screen(), "line1") || r.p.Capturing() || len(msgs) != 1 || msgs[0] != (common.StatusMsg{Text: "value masked again"}) {
		t.Fatalf("esc masks at once (%v):\n%s", msgs, r.screen())
	}
	tuitest.FireTimers(r.p, r.ts) // the old countdown's tick: ignored
	if strings.Contains(r.screen(), "line1") {
		t.Fatal("a stale tick shows nothing again")
	}
}

func TestRevealRefused(t *testing.T) {
	cases := []struct {
		name   string
		opt    func(*common.Common)
		failed error // of the audit log
		keys   []string
		want   []tea.Msg
	}{
		{name: "a file row", keys: []string{"x"},
			want: []tea.Msg{common.StatusMsg{Text: "select a key (not a file) to reveal its value", Error: true}}},
		{name: "--no-reveal", opt: func(c *common.Common) { c.NoReveal = true }, keys: []string{"down", "x"},
			want: []tea.Msg{common.StatusMsg{Text: "revealing values is disabled (--no-reveal)", Error: true}}},
		{name: "audit log not writable", failed: errors.New("open /var/log/secretdeck/audit.log: permission denied"), keys: []string{"down", "x"},
			want: []tea.Msg{common.StatusMsg{Text: "not revealed: the audit log cannot be written: open /var/log/secretdeck/audit.log: permission denied", Error: true}}},
		{name: "in a detail view", keys: []string{"down", "enter", "x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var opts []func(*common.Common)
			if tc.opt != nil {
				opts = append(opts, tc.opt)
			}
			r := newRig(tuitest.Data(), opts...)
			r.audit.Err = tc.failed
			got := r.press(tc.keys...)
			if !slices.Equal(got, tc.want) {
				t.Errorf("messages: %v, want %v", got, tc.want)
			}
			tuitest.AssertNoValues(t, r.screen())
			if len(r.audit.Calls) != 0 || r.ts.Pending() != 0 {
				t.Errorf("a refused reveal records nothing (%v) and starts no timer (%d)", r.audit.Calls, r.ts.Pending())
			}
		})
	}
}

// A value revealed twice stays for the whole second reveal: the timer of the
// first one must not mask it.
func TestStaleTimerDoesNotMaskANewerReveal(t *testing.T) {
	r := newRig(tuitest.Data())
	r.press("down", "x")
	first := r.ts.Fire() // its time came, but its message is not delivered yet
	r.press("esc", "x")
	for range 20 {
		tuitest.Send(r.p, r.ts, first...) // the first countdown, long over
	}
	if !strings.Contains(r.screen(), "hunter2-db-pass") || !strings.Contains(r.screen(), "masked again in 10s") {
		t.Fatalf("the first reveal's timer counted the second reveal down:\n%s", r.screen())
	}
	for range 10 {
		tuitest.FireTimers(r.p, r.ts)
	}
	tuitest.AssertNoValues(t, r.screen())
	if len(r.audit.Calls) != 2 {
		t.Fatalf("each reveal is audited: %v", r.audit.Calls)
	}
}

func TestDetailNeverShowsAValue(t *testing.T) {
	cases := []struct {
		keys []string
		want []string
	}{
		{[]string{"down", "enter"}, []string{ // an entry opens its file
			"File api.json.prod", "Service api", "Format json", "Env prod", "Version -", "Size 30 bytes",
			"KEYS (values masked; select one in the list and press x to reveal it for 10s)", "db_pass 15 bytes",
			"high stale: service api mounts api_db_pass_v1",
		}},
		{[]string{"end", "enter"}, []string{"File billing.yaml.prod", "UNPARSABLE billing.yaml.prod:2: syntax error",
			"medium unparsable: billing.yaml.prod cannot be used"}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.keys, ","), func(t *testing.T) {
			r := newRig(tuitest.Data())
			r.press(tc.keys...)
			s := strings.Join(tuitest.Rows(r.screen()), "\n")
			for _, w := range tc.want {
				if !strings.Contains(s, w) {
					t.Errorf("detail lacks %q:\n%s", w, s)
				}
			}
			tuitest.AssertNoValues(t, s)
		})
	}
}

// Values of the old environment must not stay on screen: not while the new
// one loads, not if it fails to load, not when it is shown.
func TestSwitchEnvironmentForgetsRevealedValues(t *testing.T) {
	r := newRig(tuitest.Data())
	r.press("down", "x")
	if !strings.Contains(r.screen(), "hunter2-db-pass") {
		t.Fatal("revealed")
	}
	r.p.Update(common.EnvSwitchMsg{Env: "dev"})
	tuitest.AssertNoValues(t, r.screen())
	tuitest.FireTimers(r.p, r.ts) // the reveal's timer fires during the load
	tuitest.AssertNoValues(t, r.screen())
	dev := tuitest.Data()
	dev.Source.Env = "dev"
	r.p.SetData(dev)
	tuitest.AssertNoValues(t, r.screen())
}

// TestFileSecretShowsItsKindNotItsBytes: a certificate under secrets/ is
// listed with its size and kind; its detail gives the certificate's subject
// and expiry date, never the key.
func TestFileSecretShowsItsKindNotItsBytes(t *testing.T) {
	d := tuitest.Data()
	cert, key := testcert.PEM(t, "api.example", time.Date(2027, 3, 4, 0, 0, 0, 0, time.UTC))
	data := append(cert, key...)
	d.Source.Files = append([]model.PropertyFile{{Key: "secrets/prod/api/tls.pem", Service: "api", Format: model.FormatFile, Env: "prod",
		Raw: model.NewValue(data), Size: int64(len(data))}}, d.Source.Files...)
	tuitest.Redrift(d)
	r := newRig(d)
	s := r.screen()
	if !strings.Contains(s, "secrets/prod/api/tls.pem") || !strings.Contains(s, "PEM cert+key") {
		t.Fatalf("row:\n%s", s)
	}
	r.press("enter")
	s = strings.Join(tuitest.Rows(r.screen()), "\n")
	for _, w := range []string{"Type PEM certificate + private key (a file secret", "Cert CN=api.example · expires 2027-03-04"} {
		if !strings.Contains(s, w) {
			t.Errorf("detail lacks %q:\n%s", w, s)
		}
	}
	if strings.Contains(s, "PRIVATE KEY-----") || strings.Contains(s, string(key[40:70])) {
		t.Errorf("key material on screen:\n%s", s)
	}
}
