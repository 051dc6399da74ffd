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

// Quitting never abandons an apply: q or ctrl+c waits for its verdict; a
// second ctrl+c stops it the safe way (the engine rolls back); the session
// is reported failed unless every apply ended verified.

// quits reports whether cmd (drained) ends the program.
func quits(a *App, cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	var quit bool
	var walk func(tea.Cmd)
	walk = func(c tea.Cmd) {
		if c == nil {
			return
		}
		switch msg := c().(type) {
		case tea.QuitMsg:
			quit = true
		case tea.BatchMsg:
			for _, c := range msg {
				walk(c)
			}
		default:
			_, next := a.Update(msg)
			walk(next)
		}
	}
	walk(cmd)
	return quit
}

// stoppableApply waits at gate, or for its context to end: then it "rolls
// back" and fails, as model.Apply does.
func stoppableApply(gate chan struct{}, stopped *bool) func(*Options) {
	return func(o *Options) {
		o.NewPlanID = func() string { return "p-test" }
		o.Apply = func(ctx context.Context, p *model.RotationPlan, _ model.ApplyOptions, progress func(model.Step)) (*model.ApplyResult, error) {
			select {
			case <-gate:
				progress(model.Step{Plan: p.ID, Service: "api", Action: "verified", Result: "ok", Running: 1, Desired: 1})
				return &model.ApplyResult{Summary: "plan " + p.ID + " applied"}, nil
			case <-ctx.Done():
				*stopped = true
				progress(model.Step{Plan: p.ID, Service: "api", Action: "rollback", Result: "ok"})
				return nil, errors.New("stopped by the operator; plan p-test failed and was undone")
			case <-time.After(10 * time.Second): // never stopped: fail the test, do not hang it
				return nil, errors.New("the apply was never stopped")
			}
		}
	}
}

func TestQuitWaitsForTheApplysVerdict(t *testing.T) {
	for _, k := range []tea.KeyPressMsg{tuitest.Keys("q")[0], {Code: 'c', Mod: tea.ModCtrl}} {
		gate, stopped := make(chan struct{}), false
		a, _ := newTestApp(t, 80, 24, stoppableApply(gate, &stopped))
		press(a, ":", "drift", "enter", "down", "space", "p", "a")
		_, wait := a.Update(tuitest.Keys("y")[0])
		_, cmd := a.Update(k)
		if quits(a, cmd) || !a.Applying() {
			t.Fatalf("%s during an apply quit at once", k)
		}
		if s := screen(a); !strings.Contains(s, "quits when the apply has finished") {
			t.Fatalf("%s: the screen says what happens:\n%s", k, s)
		}
		close(gate)
		if !quits(a, wait) {
			t.Fatalf("%s: the program quits at the verdict", k)
		}
		if stopped || a.Failed() {
			t.Fatalf("%s: the apply ran to its verdict (stopped %v, failed %v)", k, stopped, a.Failed())
		}
	}
}

func TestSecondInterruptStopsTheApplySafely(t *testing.T) {
	gate, stopped := make(chan struct{}), false
	defer close(gate)
	a, _ := newTestApp(t, 80, 24, stoppableApply(gate, &stopped))
	press(a, ":", "drift", "enter", "down", "space", "p", "a")
	_, wait := a.Update(tuitest.Keys("y")[0])
	ctrlC := tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	_, cmd := a.Update(ctrlC)
	if quits(a, cmd) {
		t.Fatal("the first ctrl+c quit")
	}
	_, cmd = a.Update(InterruptMsg{}) // a SIGINT counts as the second
	if quits(a, cmd) {
		t.Fatal("the second interrupt quit before the rollback ended")
	}
	if s := screen(a); !strings.Contains(s, "stopping the apply: rolling back") {
		t.Fatalf("the screen says the apply is being stopped:\n%s", s)
	}
	if !quits(a, wait) || !stopped {
		t.Fatalf("the apply's context was cancelled (stopped %v) and the program quits after its verdict", stopped)
	}
	if !a.Failed() {
		t.Fatal("a stopped apply makes the session fail (exit 1)")
	}
}

func TestQuitWithoutAnApplyQuits(t *testing.T) {
	a, _ := newTestApp(t, 80, 24)
	_, cmd := a.Update(tuitest.Keys("q")[0])
	if !quits(a, cmd) || a.Failed() {
		t.Fatal("q quits when no apply runs, and the session did not fail")
	}
}

// A program that ends anyway (killed) still lets the apply finish before
// the process exits.
func TestWaitLetsARunningApplyFinish(t *testing.T) {
	gate, stopped := make(chan struct{}), false
	a, _ := newTestApp(t, 80, 24, stoppableApply(gate, &stopped))
	press(a, ":", "drift", "enter", "down", "space", "p", "a")
	a.Update(tuitest.Keys("y")[0])
	done := make(chan struct{})
	go func() { a.Wait(); close(done) }()
	select {
	case <-done:
		t.Fatal("Wait returned while the apply runs")
	default:
	}
	close(gate)
	<-done
	if a.Applying() || a.Failed() {
		t.Fatalf("after Wait: applying %v, failed %v", a.Applying(), a.Failed())
	}
}
