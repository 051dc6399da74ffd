// Package tui is secretdeck's terminal workbench (Bubble Tea v2). The root
// model here routes: it owns loading, the header, tabs, filter, help and
// status line; the panes under tui/panes handle their own keys.
package tui

import (
	"context"
	"errors"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/keys"
	"github.com/secretdeck/secretdeck/tui/panes/audit"
	"github.com/secretdeck/secretdeck/tui/panes/configs"
	"github.com/secretdeck/secretdeck/tui/panes/drift"
	"github.com/secretdeck/secretdeck/tui/panes/nodes"
	"github.com/secretdeck/secretdeck/tui/panes/plan"
	"github.com/secretdeck/secretdeck/tui/panes/properties"
	"github.com/secretdeck/secretdeck/tui/panes/secrets"
	"github.com/secretdeck/secretdeck/tui/panes/services"
	"github.com/secretdeck/secretdeck/tui/styles"
)

// Minimum terminal size; below it the app shows a one-line notice.
const (
	MinWidth  = 80
	MinHeight = 24
	// chrome is the lines around a pane: header, tabs, status, help.
	chrome = 4
	// debounce groups a burst of swarm events into one reload.
	debounce    = 500 * time.Millisecond
	loadTimeout = 30 * time.Second
)

// Loader reads the world; the TUI calls it from commands, never from View.
type Loader interface {
	// Load reads the swarm and the source's environment env ("": the default).
	Load(ctx context.Context, env string) (*common.Data, error)
	// Watch sends nil on each change in the swarm (secret, service, config,
	// node events) and an error when the stream breaks, then closes.
	Watch(ctx context.Context) <-chan error
}

// Options configure the app.
type Options struct {
	Loader   Loader
	Env      string
	ReadOnly bool
	NoReveal bool
	Audit    func(action, subject string) error
	Now      func() time.Time // nil: time.Now
	// Tick starts every timer of the TUI (nil: tea.Tick).
	Tick func(time.Duration, func(time.Time) tea.Msg) tea.Cmd
	// RevealFor is how long a revealed value stays on screen (default 10s).
	RevealFor time.Duration
	Ctx       context.Context // ends the event stream; nil: background
	// Apply runs a confirmed plan (nil: the TUI cannot apply).
	Apply ApplyFunc
	// ApplyOptions are the options Apply runs with (zero: the defaults);
	// Keep also sets the plans' prune steps. The Plan pane shows them.
	ApplyOptions model.ApplyOptions
	// AcceptExposedValue lets plans move a credential with the value that
	// was visible in a service's env (--accept-exposed-value).
	AcceptExposedValue bool
	// NewPlanID names a plan (nil: a time-based id).
	NewPlanID func() string
	// WriteReport writes the incident report to a file (nil: the Nodes
	// pane's report key says it cannot).
	WriteReport func(path string, d *common.Data) error
}

// App is the root model.
type App struct {
	quitting bool // asked to quit while an apply runs: quits at its verdict
	c        *common.Common
	opts     Options
	panes    []common.Pane
	active   int

	data    *common.Data
	env     string
	seq     int // of the latest load asked for; older results are dropped
	loading bool
	events  <-chan error
	gen     int    // debounce generation
	stream  stream // the loads of a StreamLoader (tui/stream.go)

	spinner  spinner.Model
	help     help.Model
	fullHelp bool
	input    textinput.Model
	mode     inputMode
	filters  map[string]string

	planPane *plan.Pane // also in panes: the app forwards it staging and previews
	picker   *envPicker // open while choosing an environment (e)
	back     *int       // the pane a jump (o) came from, while its detail is open

	status      string
	statusErr   bool
	statusUntil time.Time // a verdict stays on the status line until then
	loadedAt    time.Time // of the data shown: the status line when it has nothing else
	loadErr     string    // the last load's error, shown whole when nothing is loaded
}

type inputMode int

const (
	modeNone inputMode = iota
	modeFilter
	modeJump
)

// Messages of the app.
type (
	loadedMsg struct {
		seq  int
		data *common.Data
		err  error
	}
	changeMsg   struct{ err error }
	debounceMsg struct{ gen int }
)

// New returns the app.
func New(o Options) *App {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Tick == nil {
		o.Tick = tea.Tick
	}
	if o.Ctx == nil {
		o.Ctx = context.Background()
	}
	if o.RevealFor == 0 {
		o.RevealFor = 10 * time.Second
	}
	if o.Audit == nil {
		o.Audit = func(string, string) error { return nil }
	}
	if o.ApplyOptions == (model.ApplyOptions{}) {
		o.ApplyOptions = model.DefaultApplyOptions()
	}
	if o.NewPlanID == nil {
		o.NewPlanID = func() string { return "p-" + time.Now().UTC().Format("20060102-150405") }
	}
	if o.Apply == nil {
		o.Apply = func(context.Context, *model.RotationPlan, model.ApplyOptions, func(model.Step)) (*model.ApplyResult, error) {
			return nil, errors.New("this build cannot apply plans")
		}
	}
	keyMap := keys.Default()
	keyMap.Reveal.SetHelp("x", "reveal "+o.RevealFor.String())
	c := &common.Common{Styles: styles.Default(), Keys: keyMap, Now: o.Now, Tick: o.Tick, Audit: o.Audit, NoReveal: o.NoReveal,
		RevealFor: o.RevealFor, Staging: common.NewStaging(), ApplyOptions: o.ApplyOptions, ReadOnly: o.ReadOnly, Ctx: o.Ctx, WriteReport: o.WriteReport}
	c.Engine = engine{apply: o.Apply, options: o.ApplyOptions, acceptExposed: o.AcceptExposedValue, newID: o.NewPlanID, now: o.Now, staging: c.Staging}
	planPane := plan.New(c)
	a := &App{
		c: c, opts: o, env: o.Env, filters: map[string]string{},
		panes:    []common.Pane{secrets.New(c), services.New(c), configs.New(c), properties.New(c), drift.New(c), planPane, audit.New(c), nodes.New(c)},
		planPane: planPane,
		spinner:  spinner.New(spinner.WithSpinner(spinner.MiniDot)),
		help:     help.New(),
		input:    common.NewInput("/"),
		loading:  true, // Init starts the first load
	}
	return a
}

// Init starts the first load and the event stream.
func (a *App) Init() tea.Cmd {
	a.events = a.opts.Loader.Watch(a.opts.Ctx)
	return tea.Batch(a.spinner.Tick, a.load(), a.waitEvent())
}

// load asks for a reload; the Cmd copies what it needs.
func (a *App) load() tea.Cmd {
	a.seq++
	a.loading = true
	if l, ok := a.opts.Loader.(StreamLoader); ok { // the swarm first, the source streaming in (tui/stream.go)
		if s := a.stream.source; s != nil && s.Env != a.env {
			a.stream.source = nil // another environment's
		}
		return a.loadStream(l, true)
	}
	seq, env, loader, parent := a.seq, a.env, a.opts.Loader, a.opts.Ctx
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, loadTimeout)
		defer cancel()
		d, err := loader.Load(ctx, env)
		return loadedMsg{seq: seq, data: d, err: err}
	}
}

func (a *App) waitEvent() tea.Cmd {
	ch := a.events
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		err, ok := <-ch
		if !ok {
			return nil
		}
		return changeMsg{err: err}
	}
}

func (a *App) setStatus(text string, isErr bool) {
	a.status, a.statusErr = text, isErr
}

func (a *App) pane() common.Pane { return a.panes[a.active] }

// Applying reports whether an apply started from the workbench runs.
func (a *App) Applying() bool { return a.planPane.Applying() }

// Failed reports whether an apply of this session ended in a failure: the
// process then exits 1, as `secretdeck apply` would.
func (a *App) Failed() bool { return a.planPane.Failed() }

// Wait blocks until an apply still running has ended: for a program that
// ended anyway (killed), so that the process never exits mid-rollout.
func (a *App) Wait() { a.planPane.Wait() }

func (a *App) resize() {
	for _, p := range a.panes {
		p.SetSize(a.c.Width, max(a.c.Height-chrome, 1))
	}
	// The help line is fitted by helpLine, whole keys at a time.
	a.help.SetWidth(0)
	a.input.SetWidth(max(a.c.Width/2, 20))
}
