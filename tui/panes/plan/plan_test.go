package plan_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/internal/tuitest"
	"github.com/secretdeck/secretdeck/tui/panes/plan"
)

func newPane(t *testing.T, w, h int) (*plan.Pane, *common.Common, *tuitest.Timers) {
	t.Helper()
	c, ts, _ := tuitest.NewCommon(w, h)
	p := plan.New(c)
	p.SetSize(c.Width, c.Height)
	p.SetData(tuitest.Data())
	return p, c, ts
}

// rotation is the plan that fixes the fixture's stale api_db_pass.
func rotation(t *testing.T) *model.RotationPlan {
	t.Helper()
	d := tuitest.Data()
	stale := tuitest.Stale(d).ID()
	p, err := model.NewPlan(model.PlanInput{Drift: d.Drift, Swarm: d.Swarm, Source: d.Source,
		Select: func(f model.Finding) bool { return f.ID() == stale }, ID: "p-test", Now: tuitest.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// halfDone is the fixture after plan p-old created api_db_pass_v2 but
// stopped before api mounted it.
func halfDone() *common.Data {
	d := tuitest.Data()
	v2 := d.Swarm.Secrets[0]
	v2.ID, v2.Name = "s9", "api_db_pass_v2"
	v2.Labels = map[string]string{model.LabelLogical: "api_db_pass", model.LabelVersion: "2", model.LabelPlan: "p-old",
		model.LabelFingerprint: string(d.Source.Key.Fingerprint("api_db_pass", model.NewValueString("hunter2-db-pass")))}
	d.Swarm.Secrets = append(d.Swarm.Secrets, v2)
	return tuitest.Redrift(d)
}

func helpKeys(bs []key.Binding) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Help().Key)
	}
	return out
}

func TestStates(t *testing.T) {
	cases := []struct {
		name   string
		set    func(t *testing.T, p *plan.Pane)
		want   []string
		absent []string
		help   []string
		plan   bool // Plan() returns one
	}{
		{
			name:   "nothing staged",
			set:    func(*testing.T, *plan.Pane) {},
			want:   []string{"Nothing staged. Press space on a finding (Drift), a secret (Secrets) or a"},
			absent: []string{"No plan", "half-done"},
			help:   []string{"↓/j", "tab", "?", "q"},
		},
		{
			name: "no plan, and why",
			set: func(_ *testing.T, p *plan.Pane) {
				p.SetPlan(nil, errors.New("start secretdeck with --source to plan rotations"))
			},
			want: []string{"No plan: start secretdeck with --source to plan rotations", "Nothing staged."},
			help: []string{"↓/j", "tab", "?", "q"},
		},
		{
			name: "a plan",
			set:  func(t *testing.T, p *plan.Pane) { p.SetPlan(rotation(t), nil) },
			want: []string{
				"PLAN p-test · env prod · s3://ops-config/services · swarm 6x4ge8l9tfoj30nql22qhl3b1",
				"+ api_db_pass_v2", "- api_db_pass_v1 → db_pass", "a apply · u unstage all · tab other panes",
			},
			absent: []string{"Nothing staged"},
			help:   []string{"a", "u", "↓/j", "tab", "?"},
			plan:   true,
		},
		{
			name: "a half-done plan",
			set:  func(_ *testing.T, p *plan.Pane) { p.SetData(halfDone()) },
			want: []string{"Nothing staged.", "Plan p-old was left half-done (drift shows it as lagging):", "R resume it · V revert it"},
			help: []string{"R", "V", "tab", "?"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, _, _ := newPane(t, 120, 30)
			tc.set(t, p)
			s := tuitest.Screen(p)
			for _, w := range tc.want {
				if !strings.Contains(s, w) {
					t.Errorf("lacks %q:\n%s", w, s)
				}
			}
			for _, w := range tc.absent {
				if strings.Contains(s, w) {
					t.Errorf("shows %q:\n%s", w, s)
				}
			}
			if got := helpKeys(p.ShortHelp()); !slices.Equal(got, tc.help) {
				t.Errorf("help keys %v, want %v", got, tc.help)
			}
			if got := p.Plan() != nil; got != tc.plan {
				t.Errorf("Plan() returns a plan: %v, want %v", got, tc.plan)
			}
			tuitest.AssertNoValues(t, s)
		})
	}
}

func TestHalfDone(t *testing.T) {
	p, _, _ := newPane(t, 120, 30)
	if id := p.HalfDone(); id != "" {
		t.Fatalf("the fixture has no half-done plan, got %q", id)
	}
	p.SetData(halfDone())
	if id := p.HalfDone(); id != "p-old" {
		t.Fatalf("HalfDone: %q", id)
	}
	p.SetData(tuitest.Data()) // resumed or reverted since
	if id := p.HalfDone(); id != "" || strings.Contains(tuitest.Screen(p), "half-done") {
		t.Fatalf("a finished plan is forgotten: %q\n%s", id, tuitest.Screen(p))
	}
}

func TestApplyProgress(t *testing.T) {
	steps := []struct {
		step model.Step
		want []string // rows on screen after it
	}{
		{model.Step{Plan: "p-test", Secret: "api_db_pass_v2", Action: "create", Result: "ok"},
			[]string{"api waiting", "15:00:00 create api_db_pass_v2 ok"}},
		{model.Step{Plan: "p-test", Service: "api", Action: "update", Result: "ok"},
			[]string{"api update ok", "15:00:00 update api ok"}},
		{model.Step{Plan: "p-test", Service: "api", Action: "watch", Result: "updating", Running: 0, Desired: 3},
			[]string{"api watch updating [----------] 0/3", "15:00:00 watch api updating (0/3 running)"}},
		{model.Step{Plan: "p-test", Service: "api", Action: "watch", Result: "updating", Running: 1, Desired: 3},
			[]string{"api watch updating [###-------] 1/3", "15:00:00 watch api updating (1/3 running)"}},
		{model.Step{Plan: "p-test", Service: "api", Action: "verified", Result: "ok", Running: 3, Desired: 3},
			[]string{"api verified ok [##########] 3/3", "15:00:00 verified api ok (3/3 running)"}},
	}
	p, _, _ := newPane(t, 120, 30)
	pl := rotation(t)
	p.SetPlan(pl, nil)
	p.Start(pl)
	s := tuitest.Screen(p)
	if !strings.Contains(s, "APPLYING plan p-test (tab shows other panes, the apply goes on; q quits after its verdict)") || !p.Applying() || p.Plan() != nil {
		t.Fatalf("applying: %v, plan %v:\n%s", p.Applying(), p.Plan(), s)
	}
	for _, st := range steps {
		p.Step(st.step)
		s := tuitest.Screen(p)
		for _, w := range st.want {
			if !slices.Contains(tuitest.Rows(s), w) {
				t.Errorf("after %s %s: lacks %q:\n%s", st.step.Action, st.step.Result, w, s)
			}
		}
	}
	// A stage while applying compiles a new plan: it must not hide the apply.
	p.SetPlan(rotation(t), nil)
	if s := tuitest.Screen(p); !strings.Contains(s, "APPLYING plan p-test") || !strings.Contains(s, "[##########] 3/3") {
		t.Fatalf("the apply stays on screen:\n%s", s)
	}
	p.Done(&model.ApplyResult{Summary: "plan p-test applied: 1 secrets created, 1 services updated and verified"}, nil)
	s = tuitest.Screen(p)
	for _, w := range []string{"APPLIED plan p-test", "plan p-test applied: 1 secrets created", "STEPS"} {
		if !strings.Contains(s, w) {
			t.Errorf("done: lacks %q:\n%s", w, s)
		}
	}
	if p.Applying() || p.Plan() != nil {
		t.Errorf("after the apply: applying %v, plan %v", p.Applying(), p.Plan())
	}
	tuitest.AssertNoValues(t, s)
	p.SetPlan(nil, nil) // staging cleared, next plan
	if s := tuitest.Screen(p); !strings.Contains(s, "Nothing staged") || strings.Contains(s, "APPLIED") {
		t.Fatalf("the next plan replaces the verdict:\n%s", s)
	}
}

func TestApplyFailure(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want []string
	}{
		{"rolled back", &model.ApplyError{Err: errors.New("service api: rollout rollback_completed: task failed"),
			Result: &model.ApplyResult{Summary: "plan p-test failed and was undone: services: api rolled-back"}},
			[]string{"FAILED plan p-test", "Failed: service api: rollout rollback_completed: task failed", "Now: plan p-test failed and was undone"}},
		{"refused before any change", errors.New("plan p-test is for swarm x, but this is swarm y: make a plan against this swarm"),
			[]string{"FAILED plan p-test", "Failed before changing anything: plan p-test is for swarm x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, _, _ := newPane(t, 120, 30)
			pl := rotation(t)
			p.Start(pl)
			p.Step(model.Step{Plan: "p-test", Service: "api", Action: "rollback", Result: "ok"})
			p.Done(nil, tc.err)
			s := tuitest.Screen(p)
			for _, w := range tc.want {
				if !strings.Contains(s, w) {
					t.Errorf("lacks %q:\n%s", w, s)
				}
			}
		})
	}
}

// The step log scrolls, and keeps the last 200 steps only.
func TestLongApplyScrolls(t *testing.T) {
	p, _, ts := newPane(t, 100, 10)
	p.Start(rotation(t))
	for i := range 250 {
		p.Step(model.Step{Plan: "p-test", Secret: fmt.Sprintf("key_%03d_v2", i), Action: "create", Result: "ok"})
	}
	s := tuitest.Screen(p)
	if !strings.HasPrefix(s, "APPLYING plan p-test") || !strings.Contains(s, "create   key_050_v2 ok") || strings.Contains(s, "key_049_v2") {
		t.Fatalf("the top of the view, then the log from the 200th last step:\n%s", s)
	}
	tuitest.Press(p, ts, "down")
	if s := tuitest.Screen(p); strings.HasPrefix(s, "APPLYING") {
		t.Fatalf("down scrolls:\n%s", s)
	}
	for range 30 {
		tuitest.Press(p, ts, "pgdown")
	}
	if s := tuitest.Screen(p); !strings.Contains(s, "key_249_v2") || strings.Contains(s, "key_050_v2") {
		t.Fatalf("the bottom shows the last steps:\n%s", s)
	}
}
