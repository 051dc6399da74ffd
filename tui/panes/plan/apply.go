package plan

import (
	"context"
	"errors"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
)

// verdictHold is how long an apply's verdict stays on the status line
// against the reloads that follow it.
const verdictHold = 30 * time.Second

var errNoSource = errors.New("start secretdeck with --source to plan rotations")

// Messages of a running apply, read from its channel by a Cmd that re-arms
// itself; run names the apply they belong to.
type (
	applyStepMsg struct {
		run  int
		step model.Step
	}
	applyDoneMsg struct {
		run int
		res *model.ApplyResult
		err error
	}
)

func status(text string, isErr bool) tea.Cmd {
	return func() tea.Msg { return common.StatusMsg{Text: text, Error: isErr} }
}

// stage records m (the Plan pane owns what the next plan is made of) and
// compiles again.
func (p *Pane) stage(m common.StageMsg) tea.Cmd {
	p.c.Staging.Apply(m)
	p.compile()
	return status(fmt.Sprintf("%d staged · p previews the plan · u unstages", p.c.Staging.Count()), false)
}

// compile turns what is staged into a plan, with the engine.
func (p *Pane) compile() {
	switch {
	case p.data == nil || p.data.Drift == nil:
		p.setPlan(nil, errNoSource)
	case p.c.Staging.Empty():
		p.setPlan(nil, nil)
	default:
		p.setPlan(p.c.Engine.Plan(p.data, p.c.Staging.Selects))
	}
}

// resume plans the end of plan id, left half-done.
func (p *Pane) resume(id string) tea.Cmd {
	pl, err := p.c.Engine.Resume(p.data, id)
	p.setPlan(pl, err)
	if err != nil {
		return status("cannot resume "+id+": "+common.OneLine(err.Error()), true)
	}
	return status("resume of "+id+" planned: a to apply", false)
}

// revert plans the undoing of plan id, left half-done.
func (p *Pane) revert(id string) tea.Cmd {
	pl, err := p.c.Engine.Revert(p.data, id)
	p.setPlan(pl, err)
	if err != nil {
		return status("cannot revert "+id+": "+common.OneLine(err.Error()), true)
	}
	return status("revert of "+id+" planned: a to apply", false)
}

// askApply opens the confirmation for the plan on screen, or says why not.
func (p *Pane) askApply() tea.Cmd {
	switch {
	case p.c.ReadOnly:
		return status("read-only: nothing is applied (started with --read-only)", true)
	case p.applying:
		return status("an apply is running", true)
	case p.plan == nil:
		return status("no plan to apply: stage something first (space)", true)
	}
	p.confirm = newConfirmation(p.c, p.plan, p.data.Swarm, p.width, p.height)
	return nil
}

// startApply runs pl in the background; its steps come back as messages so
// that the UI never waits on Docker. The goroutine gets copies, never the
// pane.
func (p *Pane) startApply(pl *model.RotationPlan) tea.Cmd {
	p.begin(pl)
	p.run++
	ch := make(chan tea.Msg, 256)
	// The apply's own context: quitting never cancels it; Stop does, and
	// the engine then rolls back what it started.
	ctx, cancel := context.WithCancel(context.WithoutCancel(p.c.Ctx))
	p.cancel = cancel
	run, engine := p.run, p.c.Engine
	go func() {
		defer cancel()
		defer close(ch)
		res, err := engine.Apply(ctx, pl, func(s model.Step) { ch <- applyStepMsg{run: run, step: s} })
		ch <- applyDoneMsg{run: run, res: res, err: err}
	}()
	p.steps = ch
	return tea.Batch(status("applying plan "+pl.ID+"…", false), wait(ch))
}

// wait reads the next message of an apply; stepped re-arms it.
func wait(ch <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		msg, ok := <-ch
		if !ok {
			return nil
		}
		return msg
	}
}

func (p *Pane) stepped(m applyStepMsg) tea.Cmd {
	if m.run != p.run || p.steps == nil {
		return nil // an apply this pane no longer shows
	}
	p.step(m.step)
	return wait(p.steps)
}

// finished shows the verdict, clears the staging (it is applied) and asks
// the app for a reload: fixed findings go away, staged marks with them.
func (p *Pane) finished(m applyDoneMsg) tea.Cmd {
	if m.run != p.run || p.steps == nil {
		return nil
	}
	p.steps = nil
	p.cancel = nil
	p.failed = p.failed || m.err != nil
	p.finish(m.res, m.err)
	// Cleared here, not through a StageMsg: that would compile again and
	// replace the verdict with "Nothing staged".
	p.c.Staging.Clear()
	verdict := common.StatusMsg{Hold: verdictHold}
	switch {
	case m.err != nil:
		verdict.Text, verdict.Error = "apply failed: "+common.OneLine(m.err.Error()), true
	case m.res != nil:
		verdict.Text = m.res.Summary
	}
	return tea.Batch(func() tea.Msg { return verdict }, func() tea.Msg { return common.ReloadMsg{} })
}

// setPlan shows a freshly compiled plan (or why there is none).
func (p *Pane) setPlan(pl *model.RotationPlan, err error) {
	p.plan, p.planErr = pl, err
	if !p.applying {
		p.applied, p.result, p.err, p.log, p.latest = nil, nil, nil, nil, nil
	}
	p.detail.Reset()
	p.render()
}

// begin shows the apply of pl beginning.
func (p *Pane) begin(pl *model.RotationPlan) {
	p.applying, p.applied, p.result, p.err = true, pl, nil, nil
	p.latest, p.log = map[string]model.Step{}, nil
	p.render()
}

// step records one step of the apply.
func (p *Pane) step(s model.Step) {
	if s.Service != "" {
		p.latest[s.Service] = s
	}
	line := fmt.Sprintf("%s %-8s %s %s", p.c.Now().Format("15:04:05"), s.Action, s.Subject(), s.Result)
	if s.Desired > 0 {
		line += fmt.Sprintf(" (%d/%d running)", s.Running, s.Desired)
	}
	if s.Detail != "" && s.Result != "ok" {
		line += ": " + model.Printable(s.Detail)
	}
	p.log = append(p.log, line)
	p.render()
}

// finish records the end of the apply.
func (p *Pane) finish(r *model.ApplyResult, err error) {
	p.applying, p.result, p.err = false, r, err
	p.plan = nil
	p.render()
}

// Stop asks the running apply to stop the safe way: the engine rolls back
// the services it updated and removes the secrets it created; the verdict
// comes as usual. False when no apply runs.
func (p *Pane) Stop() bool {
	if p.cancel == nil {
		return false
	}
	p.cancel()
	return true
}

// Failed reports whether an apply of this session ended in a failure (rolled
// back, or left something to undo).
func (p *Pane) Failed() bool { return p.failed }

// Wait blocks until the running apply, if any, has ended, and records its
// outcome: for a program that ends while an apply runs (killed), so that the
// process never exits in the middle of a rollout.
func (p *Pane) Wait() {
	for p.steps != nil {
		msg, ok := <-p.steps
		if !ok {
			p.failed, p.steps = true, nil // closed without a verdict
			return
		}
		if done, isDone := msg.(applyDoneMsg); isDone && done.run == p.run {
			p.finished(done)
		}
	}
}
