package tui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/internal/tuitest"
)

// fakeApply records what it is asked and plays scripted steps.
type fakeApply struct {
	plans []*model.RotationPlan
	opts  []model.ApplyOptions
	steps []model.Step
	err   error
}

func (f *fakeApply) apply(_ context.Context, p *model.RotationPlan, o model.ApplyOptions, progress func(model.Step)) (*model.ApplyResult, error) {
	f.plans = append(f.plans, p)
	f.opts = append(f.opts, o)
	for _, s := range f.steps {
		progress(s)
	}
	if f.err != nil {
		return nil, f.err
	}
	return &model.ApplyResult{Summary: "plan " + p.ID + " applied: 1 secrets created, 1 services updated and verified"}, nil
}

func withApply(f *fakeApply) func(*Options) {
	return func(o *Options) {
		o.Apply = f.apply
		o.NewPlanID = func() string { return "p-test" }
	}
}

func TestStageFromDriftAndPreview(t *testing.T) {
	a, _ := newTestApp(t, 80, 24, withApply(&fakeApply{}))
	press(a, ":", "drift", "enter", "down", "space")
	s := screen(a)
	if !strings.Contains(s, "› + high   stale") || !strings.Contains(s, "1 staged") {
		t.Fatalf("the staged finding is marked:\n%s", s)
	}
	press(a, ":", "secrets", "enter")
	if !strings.Contains(screen(a), "+ api_db_pass_v1") {
		t.Fatalf("marked everywhere it appears? the finding is staged, its secret row shows it via the logical:\n%s", screen(a))
	}
	press(a, "p")
	s = screen(a)
	for _, w := range []string{"[Plan", "PLAN p-test", "+ api_db_pass_v2", "- api_db_pass_v1 → db_pass", "$ docker service update \\", "    --secret-rm api_db_pass_v1 \\"} {
		if !strings.Contains(s, w) {
			t.Errorf("plan view lacks %q:\n%s", w, s)
		}
	}
	tuitest.AssertNoValues(t, s)
	press(a, "u")
	if s := screen(a); !strings.Contains(s, "Nothing staged") {
		t.Fatalf("u in the plan clears the staging:\n%s", s)
	}
}

func TestStageServiceAndUnstage(t *testing.T) {
	a, _ := newTestApp(t, 80, 24, withApply(&fakeApply{}))
	press(a, "tab", "space")
	if !strings.Contains(screen(a), "› + api") {
		t.Fatalf("service staged:\n%s", screen(a))
	}
	press(a, "u")
	if strings.Contains(screen(a), "+ api") {
		t.Fatalf("u unstages:\n%s", screen(a))
	}
}

func TestConfirmApplyAndProgress(t *testing.T) {
	f := &fakeApply{steps: []model.Step{
		{Plan: "p-test", Secret: "api_db_pass_v2", Action: "create", Result: "ok"},
		{Plan: "p-test", Service: "api", Action: "watch", Result: "updating", Running: 0, Desired: 1},
		{Plan: "p-test", Service: "api", Action: "verified", Result: "ok", Running: 1, Desired: 1},
	}}
	a, _ := newTestApp(t, 80, 24, withApply(f))
	press(a, ":", "drift", "enter", "down", "space", "p", "a")
	if s := screen(a); !strings.Contains(s, "Apply plan p-test?") || !strings.Contains(s, "create 1 secret") {
		t.Fatalf("the dialog states the change:\n%s", s)
	}
	press(a, "esc")
	if len(f.plans) != 0 || strings.Contains(screen(a), "Apply plan p-test?") {
		t.Fatal("esc cancels")
	}
	press(a, "a", "y")
	if len(f.plans) != 1 || f.plans[0].ID != "p-test" {
		t.Fatalf("y applies: %+v", f.plans)
	}
	s := screen(a)
	for _, w := range []string{"APPLIED plan p-test", "verified ok", "[##########] 1/1", "applied: 1 secrets created"} {
		if !strings.Contains(s, w) {
			t.Errorf("apply view lacks %q:\n%s", w, s)
		}
	}
}

func TestProtectedEnvironmentNeedsItsNameTyped(t *testing.T) {
	f := &fakeApply{}
	a, _ := newTestApp(t, 80, 24, withApply(f), func(o *Options) {
		d := tuitest.Data()
		d.Source.Manifest = &model.Manifest{Environments: map[string]model.EnvironmentPolicy{"prod": {Protected: true}}}
		o.Loader = &fakeLoader{data: d}
	})
	press(a, ":", "drift", "enter", "down", "space", "p", "a")
	if !strings.Contains(screen(a), "type prod to apply") {
		t.Fatalf("a protected env asks for its name:\n%s", screen(a))
	}
	press(a, "y", "enter")
	if len(f.plans) != 0 || !strings.Contains(screen(a), `not applied: "y" is not "prod"`) {
		t.Fatalf("y is not enough:\n%s", screen(a))
	}
	press(a, "a", "prod", "enter")
	if len(f.plans) != 1 {
		t.Fatal("typing prod applies")
	}
}

func TestFailedApplyShowsTheRollbackAndTheState(t *testing.T) {
	f := &fakeApply{
		steps: []model.Step{{Plan: "p-test", Service: "api", Action: "rollback", Result: "ok"}},
		err: &model.ApplyError{Err: errors.New("service api: rollout rollback_completed: task failed"),
			Result: &model.ApplyResult{Summary: "plan p-test failed and was undone: services: api rolled-back; secrets created then removed: 1"}},
	}
	a, _ := newTestApp(t, 80, 24, withApply(f))
	press(a, ":", "drift", "enter", "down", "space", "p", "a", "y")
	s := screen(a)
	for _, w := range []string{"FAILED plan p-test", "rollback ok", "api rolled-back", "removed: 1"} {
		if !strings.Contains(s, w) {
			t.Errorf("failure view lacks %q:\n%s", w, s)
		}
	}
}

func TestReadOnlyRefusesToApply(t *testing.T) {
	f := &fakeApply{}
	a, _ := newTestApp(t, 80, 24, withApply(f), func(o *Options) { o.ReadOnly = true })
	press(a, ":", "drift", "enter", "down", "space", "p", "a")
	if len(f.plans) != 0 || !strings.Contains(screen(a), "read-only: nothing is applied") {
		t.Fatalf("refused:\n%s", screen(a))
	}
}

func TestHalfDonePlanOffersResumeAndRevert(t *testing.T) {
	d := tuitest.Data()
	// v2 of api_db_pass made by plan p-old, but api still mounts v1.
	v2 := d.Swarm.Secrets[0]
	v2.ID, v2.Name = "s9", "api_db_pass_v2"
	v2.Labels = map[string]string{model.LabelLogical: "api_db_pass", model.LabelVersion: "2", model.LabelPlan: "p-old",
		model.LabelFingerprint: string(d.Source.Key.Fingerprint("api_db_pass", model.NewValueString("hunter2-db-pass")))}
	d.Swarm.Secrets = append(d.Swarm.Secrets, v2)
	d.Drift = model.Drift(model.DriftInput{Swarm: d.Swarm, Source: d.Source, Key: d.Source.Key})
	f := &fakeApply{}
	a, _ := newTestApp(t, 80, 24, withApply(f), func(o *Options) { o.Loader = &fakeLoader{data: d} })
	press(a, ":", "plan", "enter")
	if s := screen(a); !strings.Contains(s, "Plan p-old was left half-done") || !strings.Contains(s, "R resume") {
		t.Fatalf("half-done plan offered:\n%s", s)
	}
	press(a, "R")
	if s := screen(a); !strings.Contains(s, "api_db_pass_v2 → db_pass") || strings.Contains(s, "Create 1") {
		t.Fatalf("resume mounts the plan's v2, creating nothing:\n%s", s)
	}
	press(a, "u", "V")
	if s := screen(a); !strings.Contains(s, "Update 0 service") {
		t.Fatalf("revert: nothing mounts v2, so no update:\n%s", s)
	}
	press(a, "a", "y")
	if len(f.plans) != 1 || len(f.plans[0].Removes) != 1 || f.plans[0].Removes[0] != (model.SecretRemoval{ID: "s9", Name: "api_db_pass_v2", Logical: "api_db_pass", Why: model.RemoveRevert, Plan: "p-old"}) {
		t.Fatalf("the revert plan removes the plan's secret as its last step: %+v", f.plans)
	}
	_ = tea.KeyPressMsg{}
}

// The options the workbench is started with (secretdeck --parallel 8
// --timeout 7m --keep 0) are shown in the Plan pane, shape the plan's prune
// steps and reach the apply.
func TestApplyOptionsReachTheApply(t *testing.T) {
	f := &fakeApply{}
	o := model.ApplyOptions{Parallel: 8, Timeout: 7 * time.Minute, Poll: time.Second, Keep: 0}
	a, _ := newTestApp(t, 120, 40, withApply(f), func(opts *Options) { opts.ApplyOptions = o })
	press(a, ":", "drift", "enter", "down", "space", "p")
	if s := screen(a); !strings.Contains(s, "parallel 8 · timeout 7m0s · keep 0 previous") {
		t.Fatalf("the Plan pane shows the options:\n%s", s)
	}
	press(a, "a", "y")
	if len(f.opts) != 1 || f.opts[0] != o {
		t.Fatalf("the apply ran with %+v, want %+v", f.opts, o)
	}
}
