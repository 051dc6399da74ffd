package tui

import (
	"context"
	"errors"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/internal/tuitest"
)

// fakeApply records what it is asked and plays scripted steps.
type fakeApply struct {
	reqs  []ApplyRequest
	steps []model.Step
	err   error
}

func (f *fakeApply) apply(_ context.Context, req ApplyRequest, progress func(model.Step)) (*model.ApplyResult, error) {
	f.reqs = append(f.reqs, req)
	for _, s := range f.steps {
		progress(s)
	}
	if f.err != nil {
		return nil, f.err
	}
	return &model.ApplyResult{Summary: "plan " + req.Plan.ID + " applied: 1 secrets created, 1 services updated and verified"}, nil
}

func withApply(f *fakeApply) func(*Options) {
	return func(o *Options) {
		o.Apply = f.apply
		o.NewPlanID = func() string { return "p-test" }
	}
}

func TestStageFromDriftAndPreview(t *testing.T) {
	a, _ := newTestApp(t, 80, 24, withApply(&fakeApply{}))
	press(a, ":", "drift", "enter", "space")
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
	for _, w := range []string{"[Plan", "PLAN p-test", "+ api_db_pass_v2", "- api_db_pass_v1 → db_pass", "$ docker service update --secret-rm api_db_pass_v1"} {
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
	press(a, ":", "drift", "enter", "space", "p", "a")
	if s := screen(a); !strings.Contains(s, "Apply plan p-test?") || !strings.Contains(s, "create 1 secret") {
		t.Fatalf("the dialog states the change:\n%s", s)
	}
	press(a, "esc")
	if len(f.reqs) != 0 || strings.Contains(screen(a), "Apply plan p-test?") {
		t.Fatal("esc cancels")
	}
	press(a, "a", "y")
	if len(f.reqs) != 1 || f.reqs[0].Plan.ID != "p-test" {
		t.Fatalf("y applies: %+v", f.reqs)
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
	press(a, ":", "drift", "enter", "space", "p", "a")
	if !strings.Contains(screen(a), "type prod to apply") {
		t.Fatalf("a protected env asks for its name:\n%s", screen(a))
	}
	press(a, "y", "enter")
	if len(f.reqs) != 0 || !strings.Contains(screen(a), `not applied: "y" is not "prod"`) {
		t.Fatalf("y is not enough:\n%s", screen(a))
	}
	press(a, "a", "prod", "enter")
	if len(f.reqs) != 1 {
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
	press(a, ":", "drift", "enter", "space", "p", "a", "y")
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
	press(a, ":", "drift", "enter", "space", "p", "a")
	if len(f.reqs) != 0 || !strings.Contains(screen(a), "read-only: nothing is applied") {
		t.Fatalf("refused:\n%s", screen(a))
	}
}

func TestHalfDonePlanOffersResumeAndRevert(t *testing.T) {
	d := tuitest.Data()
	// v2 of api_db_pass made by plan p-old, but api still mounts v1.
	v2 := d.Swarm.Secrets[0]
	v2.ID, v2.Name = "s9", "api_db_pass_v2"
	v2.Labels = map[string]string{model.LabelLogical: "api_db_pass", model.LabelVersion: "2", model.LabelPlan: "p-old",
		model.LabelFingerprint: string(d.Source.Key.Fingerprint(model.NewValueString("hunter2-db-pass")))}
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
	if len(f.reqs) != 1 || f.reqs[0].Undo["s9"] != "api_db_pass_v2" {
		t.Fatalf("the revert removes the plan's secret: %+v", f.reqs)
	}
	_ = tea.KeyPressMsg{}
}
