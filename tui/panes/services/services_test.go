package services_test

import (
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/internal/tuitest"
	"github.com/secretdeck/secretdeck/tui/list"
	"github.com/secretdeck/secretdeck/tui/panes/services"
)

// newPane returns the Services pane of 120×30 showing d.
func newPane(d *common.Data) (*list.Pane, *common.Common, *tuitest.Timers) {
	c, ts, _ := tuitest.NewCommon(120, 30)
	p := services.New(c)
	p.SetSize(c.Width, c.Height)
	p.SetData(d)
	return p, c, ts
}

// withLogLevel adds a harmless env var to proxy, next to its leaked password.
func withLogLevel(d *common.Data) {
	svc := &d.Swarm.Services[3]
	svc.Spec.Env = append(svc.Spec.Env, model.EnvVar{Name: "LOG_LEVEL", Value: model.NewValueString("debug")})
}

func TestRows(t *testing.T) {
	cases := []struct {
		name   string
		change func(d *common.Data)
		want   []string // NAME STACK TASKS UPDATE SECRETS DRIFT
	}{
		{
			name: "fixture",
			want: []string{
				"api - 1/1 - 1 high",
				"billing - 0/0 - 1 high",
				"checkout shop 0/0 - 1 medium",
				"proxy - 0/0 - 0 high", // a password in its env
			},
		},
		{
			name: "a rollout under way",
			change: func(d *common.Data) {
				d.Swarm.Services[0].UpdateStatus = &model.UpdateStatus{State: "updating"}
				d.Swarm.Services[1].UpdateStatus = &model.UpdateStatus{} // no state yet
				d.Swarm.Tasks = append(d.Swarm.Tasks, model.Task{ID: "t2", ServiceID: "a", DesiredState: "running", State: "starting"})
			},
			want: []string{"api - 1/2 updating 1 high", "billing - 0/0 - 1 high"},
		},
		{
			name:   "no source",
			change: func(d *common.Data) { d.Source, d.Drift = nil, nil },
			want:   []string{"api - 1/1 - 1 -", "checkout shop 0/0 - 1 -"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := tuitest.Data()
			if tc.change != nil {
				tc.change(d)
			}
			p, _, _ := newPane(d)
			s := tuitest.Screen(p)
			tuitest.AssertRows(t, s, tc.want...)
			tuitest.AssertNoValues(t, s)
		})
	}
}

func TestEmpty(t *testing.T) {
	d := tuitest.Data()
	d.Swarm.Services = nil
	p, _, _ := newPane(d)
	if s := tuitest.Screen(p); !strings.Contains(s, "no services in this swarm") {
		t.Fatalf("an empty swarm says so:\n%s", s)
	}
}

func TestDetail(t *testing.T) {
	cases := []struct {
		name   string
		change func(d *common.Data)
		keys   []string
		want   []string
		absent []string
	}{
		{
			name: "exposed env var flagged, values never shown",
			keys: []string{"end", "enter"}, change: withLogLevel,
			want: []string{
				"Service   proxy (d)", "ENV (values never shown)", "STATS_PASS (15 bytes)  ← EXPOSED: see findings",
				"  LOG_LEVEL (5 bytes)\n", "high   env-exposure",
			},
			absent: []string{"debug", "LOG_LEVEL (5 bytes)  ← EXPOSED"},
		},
		{
			name:   "secrets and tasks",
			keys:   []string{"enter"},
			want:   []string{"Service   api (a)", "Tasks     1/1 running (replicated)", "api_db_pass_v1  db_pass  0:0      0400", "high   stale"},
			absent: []string{"PREVIOUS SPEC"},
		},
		{
			name: "previous spec: what a rollback restores",
			keys: []string{"down", "enter"},
			change: func(d *common.Data) {
				d.Swarm.Services[1].Previous = &model.ServiceSpec{Secrets: []model.FileRef{{ID: "s4", Name: "legacy_token", Target: "payment_key", UID: "0", GID: "0", Mode: 0o400}}}
			},
			want: []string{"Service   billing (b)", "SECRETS OF THE PREVIOUS SPEC (what a rollback restores)", "legacy_token  payment_key  0:0      0400"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := tuitest.Data()
			if tc.change != nil {
				tc.change(d)
				tuitest.Redrift(d)
			}
			p, _, ts := newPane(d)
			tuitest.Press(p, ts, tc.keys...)
			s := tuitest.Screen(p)
			for _, w := range tc.want {
				if !strings.Contains(s, w) {
					t.Errorf("detail lacks %q:\n%s", w, s)
				}
			}
			for _, w := range tc.absent {
				if strings.Contains(s, w) {
					t.Errorf("detail shows %q:\n%s", w, s)
				}
			}
			tuitest.AssertNoValues(t, s)
		})
	}
}

func TestDetailOfARemovedService(t *testing.T) {
	p, _, ts := newPane(tuitest.Data())
	tuitest.Press(p, ts, "end", "enter")
	d := tuitest.Data()
	d.Swarm.Services = d.Swarm.Services[:3] // proxy was removed meanwhile
	p.SetData(tuitest.Redrift(d))
	if s := tuitest.Screen(p); !strings.Contains(s, `no service named "proxy"`) || !strings.Contains(s, "(it was removed: press esc)") {
		t.Fatalf("the detail says the service is gone:\n%s", s)
	}
}

func TestFilter(t *testing.T) {
	p, _, _ := newPane(tuitest.Data())
	p.SetFilter("shop")
	s := tuitest.Screen(p)
	if tuitest.Row(s, "checkout") == "" || tuitest.Row(s, "api") != "" || !strings.Contains(s, "1/1 (filtered from 4)") {
		t.Fatalf("filter shop keeps the stack's services:\n%s", s)
	}
}

func TestStageKeys(t *testing.T) {
	cases := []struct {
		keys []string
		want []tea.Msg
	}{
		{[]string{"space"}, []tea.Msg{common.StageMsg{Kind: common.StageService, Key: "api", On: true}}},
		{[]string{"u"}, []tea.Msg{common.StageMsg{Kind: common.StageService, Key: "api", On: false}}},
		{[]string{"end", "space"}, []tea.Msg{common.StageMsg{Kind: common.StageService, Key: "proxy", On: true}}},
		{[]string{"enter", "space"}, nil}, // not in a detail
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.keys, ","), func(t *testing.T) {
			p, _, ts := newPane(tuitest.Data())
			if got := tuitest.Press(p, ts, tc.keys...); !slices.Equal(got, tc.want) {
				t.Fatalf("%v sends %v, want %v", tc.keys, got, tc.want)
			}
		})
	}
}

func TestStagedRowsAreMarked(t *testing.T) {
	cases := []struct {
		name   string
		stage  common.StageMsg
		marked []string
	}{
		{"service", common.StageMsg{Kind: common.StageService, Key: "proxy", On: true}, []string{"proxy"}},
		{"logical mounted by two services", common.StageMsg{Kind: common.StageLogical, Key: "payment_key", On: true}, []string{"billing", "checkout"}},
		{"finding", common.StageMsg{Kind: common.StageFinding, Key: tuitest.Stale(tuitest.Data()).ID(), On: true}, []string{"api"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := tuitest.Data()
			p, c, _ := newPane(d)
			c.Staging.Apply(tc.stage)
			p.SetData(d)
			s := tuitest.Screen(p)
			for _, n := range []string{"api", "billing", "checkout", "proxy"} {
				want := slices.Contains(tc.marked, n)
				if got := strings.HasPrefix(tuitest.Row(s, n), "+ "); got != want {
					t.Errorf("%s marked %v, want %v:\n%s", n, got, want, s)
				}
			}
		})
	}
}
