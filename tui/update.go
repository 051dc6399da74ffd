package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/panes/plan"
)

// Update routes messages: app-level ones here, keys to the input, the app's
// keys or the focused pane, staging to the Plan pane whatever is focused,
// everything else to every pane (their timers, the Plan pane's apply).
func (a *App) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if cmd, ok := a.updateStream(msg); ok { // a StreamLoader's loads (tui/stream.go)
		return a, cmd
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		a.c.Width, a.c.Height = msg.Width, msg.Height
		a.resize()
		return a, nil
	case loadedMsg:
		return a, a.loaded(msg)
	case changeMsg:
		if msg.err != nil {
			a.events = nil // re-opened by the next good load
			a.setStatus("live updates stopped ("+common.OneLine(msg.err.Error())+"); press r to refresh", true)
			return a, nil
		}
		a.gen++
		gen := a.gen
		return a, tea.Batch(a.waitEvent(), a.c.Tick(debounce, func(time.Time) tea.Msg { return debounceMsg{gen: gen} }))
	case debounceMsg:
		if msg.gen != a.gen {
			return a, nil
		}
		if l, ok := a.opts.Loader.(StreamLoader); ok {
			return a, a.loadStream(l, false) // a swarm event: the swarm side only (tui/stream.go)
		}
		return a, a.load()
	case spinner.TickMsg:
		if !a.loading {
			return a, nil
		}
		// The spinner's own command is a tea.Tick: the next frame goes
		// through the app's clock instead, with the tag the spinner expects.
		a.spinner, _ = a.spinner.Update(msg)
		next := a.spinner
		return a, a.c.Tick(next.Spinner.FPS, func(time.Time) tea.Msg { return next.Tick() })
	case common.StatusMsg:
		a.setStatus(msg.Text, msg.Error)
		if msg.Hold > 0 {
			a.statusUntil = a.c.Now().Add(msg.Hold)
		}
		return a, nil
	case common.ReloadMsg: // an apply ended (its verdict is on the status line)
		if a.quitting && !a.planPane.Applying() {
			return a, tea.Quit
		}
		return a, a.load()
	case InterruptMsg:
		return a, a.quit(true)
	case common.JumpMsg:
		a.jump(msg.Ref)
		return a, nil
	case common.StageMsg:
		// The Plan pane records it and compiles; the others re-mark rows.
		cmd := a.updatePlan(msg)
		a.remark()
		return a, cmd
	case tea.KeyPressMsg:
		return a, a.key(msg)
	}
	var cmds []tea.Cmd
	for i, p := range a.panes {
		var cmd tea.Cmd
		a.panes[i], cmd = p.Update(msg)
		cmds = append(cmds, cmd)
	}
	return a, tea.Batch(cmds...)
}

func (a *App) loaded(msg loadedMsg) tea.Cmd {
	if msg.seq != a.seq {
		return nil // an older load finished after a newer one was asked for
	}
	a.loading = false
	a.loadErr = ""
	if msg.err != nil {
		a.loadErr = common.OneLine(msg.err.Error())
		what := "cannot load"
		if a.data != nil {
			what = "refresh failed, showing the last good data"
		}
		a.setStatus(fmt.Sprintf("%s: %s (press r to retry)", what, common.OneLine(msg.err.Error())), true)
		return nil
	}
	a.data = msg.data
	if a.data.Source != nil {
		a.env = a.data.Source.Env
	}
	for _, p := range a.panes {
		p.SetData(a.data)
	}
	a.loadedAt = a.c.Now()
	if a.c.Now().After(a.statusUntil) {
		a.setStatus("", false) // the status line says when it was loaded
	}
	if a.events == nil { // the event stream broke: the engine is back, re-open it
		a.events = a.opts.Loader.Watch(a.opts.Ctx)
		return a.waitEvent()
	}
	return nil
}

func (a *App) key(msg tea.KeyPressMsg) tea.Cmd {
	k := a.c.Keys
	if key.Matches(msg, k.ForceQuit) { // from anywhere, a dialog included
		return a.quit(true)
	}
	if a.pane().Capturing() {
		return a.updatePane(msg)
	}
	if a.mode != modeNone {
		return a.inputKey(msg)
	}
	if a.picker != nil {
		return a.pickerKey(msg)
	}
	if a.fullHelp {
		if key.Matches(msg, k.Help, k.Back, k.Quit) {
			a.fullHelp = false
		}
		return nil
	}
	switch {
	case key.Matches(msg, k.Quit) && !a.pane().InDetail():
		return a.quit(false)
	case key.Matches(msg, k.Help):
		a.fullHelp = true
	case key.Matches(msg, k.Preview) && !a.pane().InDetail():
		a.showPlan()
		return a.updatePlan(plan.PreviewMsg{})
	case key.Matches(msg, k.NextPane):
		a.show((a.active + 1) % len(a.panes))
	case key.Matches(msg, k.PrevPane):
		a.show((a.active + len(a.panes) - 1) % len(a.panes))
	case key.Matches(msg, k.SwitchEnv) && !a.pane().InDetail():
		return a.openEnvPicker()
	case key.Matches(msg, k.Refresh):
		a.setStatus("refreshing…", false)
		return tea.Batch(a.load(), a.spinner.Tick)
	case key.Matches(msg, k.Filter) && !a.pane().InDetail():
		a.startInput(modeFilter, "/", a.filters[a.pane().Name()])
	case key.Matches(msg, k.Jump):
		a.startInput(modeJump, ":", "")
	case key.Matches(msg, k.Back) && !a.pane().InDetail() && a.filters[a.pane().Name()] != "":
		a.setFilter("")
	case key.Matches(msg, k.Back) && a.pane().InDetail() && a.back != nil:
		// Opened from another pane (o): esc closes it and goes back there.
		cmd := a.updatePane(msg)
		a.show(*a.back)
		return cmd
	default: // the pane's own keys; q in a detail view goes back there
		return a.updatePane(msg)
	}
	return nil
}

func (a *App) updatePane(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	a.panes[a.active], cmd = a.pane().Update(msg)
	return cmd
}

func (a *App) updatePlan(msg tea.Msg) tea.Cmd {
	_, cmd := a.planPane.Update(msg)
	return cmd
}

// remark rebuilds the rows of every pane but the Plan pane, whose marks of
// staged rows may have changed.
func (a *App) remark() {
	if a.data == nil {
		return
	}
	for _, p := range a.panes {
		if p.Name() != plan.Name {
			p.SetData(a.data)
		}
	}
}

func (a *App) showPlan() {
	for i, p := range a.panes {
		if p.Name() == plan.Name {
			a.show(i)
		}
	}
}

func (a *App) startInput(m inputMode, prompt, value string) {
	a.mode = m
	a.input.Prompt = prompt
	a.input.SetValue(value)
	a.input.CursorEnd()
	a.input.Focus()
}

func (a *App) setFilter(f string) {
	a.filters[a.pane().Name()] = f
	a.pane().SetFilter(f)
}

// inputKey handles keys while the filter or the jump prompt is open.
func (a *App) inputKey(msg tea.KeyPressMsg) tea.Cmd {
	k := a.c.Keys
	switch {
	case key.Matches(msg, k.Cancel):
		if a.mode == modeFilter {
			a.setFilter("")
		}
		a.mode = modeNone
		a.input.Blur()
		return nil
	case key.Matches(msg, k.Submit):
		if a.mode == modeJump {
			a.jumpTo(strings.TrimSpace(a.input.Value()))
		}
		a.mode = modeNone
		a.input.Blur()
		return nil
	}
	var cmd tea.Cmd
	a.input, cmd = a.input.Update(msg)
	if a.mode == modeFilter {
		a.setFilter(a.input.Value()) // live, as in k9s
	}
	return cmd
}

// jumpTo switches to the pane whose name starts with what was typed.
func (a *App) jumpTo(name string) {
	name = strings.ToLower(strings.TrimPrefix(name, ":"))
	if name == "props" {
		name = "properties"
	}
	for i, p := range a.panes {
		if name != "" && strings.HasPrefix(p.Name(), name) {
			a.show(i)
			return
		}
	}
	a.setStatus(fmt.Sprintf("no pane %q: try secrets, services, properties, drift, plan or audit", name), true)
}

// jump shows ref's detail in its pane.
func (a *App) jump(ref common.Ref) {
	for i, p := range a.panes {
		if p.Name() != ref.Pane {
			continue
		}
		a.filters[p.Name()] = ""
		if p.Focus(ref.Key) {
			from := a.active
			a.show(i)
			a.back = &from // esc in the detail returns there
			return
		}
	}
	a.setStatus(fmt.Sprintf("%s %s is not in the %s pane", common.Singular(ref.Pane), ref.Key, ref.Pane), true)
}

// show focuses pane i. A message on the status line belongs to the pane
// that was focused when it came: it goes with it, unless it is held (an
// apply's verdict, a warning) for a while.
func (a *App) show(i int) {
	if i == a.active {
		return
	}
	a.active, a.back = i, nil
	if a.c.Now().After(a.statusUntil) && !a.quitting {
		a.status, a.statusErr = "", false
	}
}

// InterruptMsg is ctrl+c from outside the terminal (SIGINT, SIGTERM): the
// program treats it as the key.
type InterruptMsg struct{}

// quit ends the program, never in the middle of an apply: the first request
// waits for the apply's verdict (verified, or rolled back); an interrupt
// after that stops the apply the safe way — the engine rolls back what it
// started and removes its secrets — and the program ends after that verdict.
func (a *App) quit(interrupt bool) tea.Cmd {
	if !a.planPane.Applying() {
		return tea.Quit
	}
	if a.quitting && interrupt {
		if a.planPane.Stop() {
			a.setStatus("stopping the apply: rolling back what it started, removing its secrets; quits when done", true)
		}
		return nil
	}
	a.quitting = true
	a.setStatus("quits when the apply has finished (verified or rolled back) · ctrl+c again: stop it now and roll back", true)
	return nil
}
