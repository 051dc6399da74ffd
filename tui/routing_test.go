package tui

import (
	"context"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/internal/tuitest"
)

// The app routes: staging and an apply's messages reach the Plan pane
// whatever pane is focused; a dialog takes every key.

func TestStagingReachesThePlanPaneFromAnyPane(t *testing.T) {
	a, _ := newTestApp(t, 80, 24, withApply(&fakeApply{}))
	press(a, ":", "drift", "enter", "down", "space")
	if s := screen(a); !strings.Contains(s, "› + high") {
		t.Fatalf("the staged finding is marked:\n%s", s)
	}
	press(a, ":", "plan", "enter") // no p: the stage alone compiled
	if s := screen(a); !strings.Contains(s, "PLAN p-test") {
		t.Fatalf("the Plan pane compiled on the stage:\n%s", s)
	}
	press(a, "u", ":", "drift", "enter")
	if s := screen(a); strings.Contains(s, "+ high") {
		t.Fatalf("u in the Plan pane unmarks the Drift rows:\n%s", s)
	}
}

// gatedApply holds the apply until the test closes gate.
func gatedApply(gate chan struct{}) func(*Options) {
	return func(o *Options) {
		o.NewPlanID = func() string { return "p-test" }
		o.Apply = func(ctx context.Context, p *model.RotationPlan, _ model.ApplyOptions, progress func(model.Step)) (*model.ApplyResult, error) {
			<-gate
			progress(model.Step{Plan: p.ID, Service: "api", Action: "verified", Result: "ok", Running: 1, Desired: 1})
			return &model.ApplyResult{Summary: "plan " + p.ID + " applied: 1 services updated and verified"}, nil
		}
	}
}

func TestApplyFinishesWhileAnotherPaneIsFocused(t *testing.T) {
	gate := make(chan struct{})
	a, _ := newTestApp(t, 80, 24, gatedApply(gate))
	press(a, ":", "drift", "enter", "down", "space", "p", "a")
	_, cmd := a.Update(tuitest.Keys("y")[0]) // the apply waits at the gate
	if !a.Applying() {
		t.Fatal("Applying: the apply has started")
	}
	press(a, "tab") // to Audit
	loads := len(a.opts.Loader.(*fakeLoader).envs)
	close(gate)
	a.drain(cmd)
	if a.Applying() {
		t.Fatal("Applying after the verdict")
	}
	s := screen(a)
	lines := strings.Split(s, "\n")
	if !strings.Contains(s, "[Audit]") || !strings.Contains(lines[len(lines)-2], "plan p-test applied") {
		t.Fatalf("Audit still focused, the verdict on the status line despite the reload:\n%s", s)
	}
	if got := len(a.opts.Loader.(*fakeLoader).envs); got != loads+1 {
		t.Fatalf("the app reloads once after the apply: %d loads", got-loads)
	}
	press(a, ":", "plan", "enter")
	if s := screen(a); !strings.Contains(s, "APPLIED plan p-test") || !strings.Contains(s, "verified ok") {
		t.Fatalf("the Plan pane got every step:\n%s", s)
	}
}

func TestDialogTakesEveryKey(t *testing.T) {
	a, _ := newTestApp(t, 80, 24, withApply(&fakeApply{}))
	press(a, ":", "drift", "enter", "down", "space", "p", "a")
	for _, k := range []string{"tab", "?", ":", "/", "r", "q"} {
		_, cmd := a.Update(tuitest.Keys(k)[0])
		if cmd != nil {
			if _, quit := cmd().(tea.QuitMsg); quit {
				t.Fatalf("%s under the dialog quits", k)
			}
		}
		if s := screen(a); !strings.Contains(s, "Apply plan p-test?") || !strings.Contains(s, "[Plan") {
			t.Fatalf("%s under the dialog:\n%s", k, s)
		}
	}
}

func TestQuitInADetailGoesBack(t *testing.T) {
	a, _ := newTestApp(t, 80, 24)
	press(a, "enter")
	_, cmd := a.Update(tuitest.Keys("q")[0])
	if cmd != nil {
		if _, quit := cmd().(tea.QuitMsg); quit {
			t.Fatal("q in a detail quits")
		}
	}
	if s := screen(a); !strings.Contains(s, "› api_db_pass_v1") {
		t.Fatalf("q goes back to the list:\n%s", s)
	}
	press(a, "enter")
	_, cmd = a.Update(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	if cmd == nil {
		t.Fatal("ctrl+c in a detail quits")
	}
	if _, quit := cmd().(tea.QuitMsg); !quit {
		t.Fatal("ctrl+c in a detail quits")
	}
}
