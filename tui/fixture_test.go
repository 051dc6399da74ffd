package tui

import (
	"context"
	"sync"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/internal/tuitest"
)

// fakeLoader serves fixed data, or an error, and records the envs asked for.
type fakeLoader struct {
	data *common.Data
	err  error
	envs []string
}

func (f *fakeLoader) Load(_ context.Context, env string) (*common.Data, error) {
	f.envs = append(f.envs, env)
	return f.data, f.err
}

func (f *fakeLoader) Watch(context.Context) <-chan error { return nil }

// clocks holds, per app, the timers started and not fired yet.
var clocks sync.Map // *App → *tuitest.Timers

func timers(a *App) *tuitest.Timers {
	v, _ := clocks.LoadOrStore(a, &tuitest.Timers{})
	return v.(*tuitest.Timers)
}

// register makes ts the clock of a for the harness, until the test ends.
func register(t testing.TB, a *App, ts *tuitest.Timers) {
	clocks.Store(a, ts)
	t.Cleanup(func() { clocks.Delete(a) })
}

// fireTimers fires every pending timer of a and returns how many fired;
// timers they start stay pending.
func fireTimers(a *App) int {
	due := timers(a).Fire()
	for _, m := range due {
		a.run(m)
	}
	return len(due)
}

// newTestApp returns an app of size w×h with the fixture loaded.
func newTestApp(t testing.TB, w, h int, opts ...func(*Options)) (*App, *tuitest.AuditLog) {
	t.Helper()
	log := &tuitest.AuditLog{}
	ts := &tuitest.Timers{}
	o := Options{
		Loader: &fakeLoader{data: tuitest.Data()}, Env: "prod", Now: tuitest.Now, Tick: ts.Tick,
		Audit:     log.Record,
		NewPlanID: func() string { return "p-golden" },
		// The report key's prompt and help as a build with a writer shows
		// them; the Nodes pane's tests check what it writes.
		WriteReport: func(string, *common.Data) error { return nil },
	}
	for _, f := range opts {
		f(&o)
	}
	a := New(o)
	register(t, a, ts)
	a.Update(tea.WindowSizeMsg{Width: w, Height: h})
	a.Update(a.load()())
	return a, log
}

// press sends keys: single characters, or names like "tab", "enter", "esc".
func press(a *App, keys ...string) {
	for _, k := range tuitest.Keys(keys...) {
		a.run(k)
	}
}

// run updates with msg and runs the commands it returns; timers wait for
// fireTimers.
func (a *App) run(msg tea.Msg) {
	_, cmd := a.Update(msg)
	a.drain(cmd)
}

func (a *App) drain(cmd tea.Cmd) { timers(a).Drain(cmd, a.run) }

func screen(a *App) string { return ansi.Strip(a.render()) }
