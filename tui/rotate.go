package tui

import (
	"context"
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/panes/plan"
)

// ApplyRequest is a confirmed plan handed to the engine.
type ApplyRequest struct {
	Plan *model.RotationPlan
	// Undo lists the secrets (ID → name) to remove after a revert plan.
	Undo map[string]string
}

// ApplyFunc runs a plan through the same code path as `secretdeck apply`;
// progress is called for every step (never with a value).
type ApplyFunc func(ctx context.Context, req ApplyRequest, progress func(model.Step)) (*model.ApplyResult, error)

// Messages of a running apply, read from a channel by a re-arming Cmd.
type (
	applyStepMsg struct{ step model.Step }
	applyDoneMsg struct {
		res *model.ApplyResult
		err error
	}
)

// compile turns what is staged into a plan, with the engine.
func (a *App) compile() {
	d := a.data
	if d == nil || d.Drift == nil {
		a.planPane.SetPlan(nil, fmt.Errorf("start secretdeck with --source to plan rotations"))
		return
	}
	if a.c.Staging.Empty() {
		a.planPane.SetPlan(nil, nil)
		return
	}
	a.undo = nil
	p, err := model.NewPlan(model.PlanInput{Drift: d.Drift, Swarm: d.Swarm, Source: d.Source,
		Select: a.c.Staging.Selects, ID: a.opts.NewPlanID(), Now: a.c.Now()})
	a.planPane.SetPlan(p, err)
}

func (a *App) showPlan() {
	for i, p := range a.panes {
		if p.Name() == plan.Name {
			a.active = i
		}
	}
}

func (a *App) stage(m common.StageMsg) {
	a.c.Staging.Apply(m)
	for _, p := range a.panes {
		if p.Name() != plan.Name && a.data != nil {
			p.SetData(a.data) // re-mark staged rows
		}
	}
	a.compile()
	a.setStatus(fmt.Sprintf("%d staged · p previews the plan · u unstages", a.c.Staging.Count()), false)
}

// planKey handles the keys of the Plan pane that need the app: apply,
// clear, resume and revert.
func (a *App) planKey(msg tea.KeyPressMsg) (bool, tea.Cmd) {
	k := a.c.Keys
	switch {
	case key.Matches(msg, k.Apply):
		switch {
		case a.opts.ReadOnly:
			a.setStatus("read-only: nothing is applied (started with --read-only)", true)
		case a.planPane.Applying():
			a.setStatus("an apply is running", true)
		case a.planPane.Plan() == nil:
			a.setStatus("no plan to apply: stage something first (space)", true)
		default:
			a.askConfirm(a.planPane.Plan())
		}
		return true, nil
	case key.Matches(msg, k.Unstage):
		a.c.Staging.Clear()
		a.stage(common.StageMsg{Kind: "all", Key: "", On: false})
		return true, nil
	case key.Matches(msg, k.Resume) && a.planPane.HalfDone() != "":
		id := a.planPane.HalfDone()
		for _, l := range a.data.Swarm.PlanLogicals(id) {
			a.c.Staging.Apply(common.StageMsg{Kind: "logical", Key: l, On: true})
		}
		a.stage(common.StageMsg{Kind: "plan", Key: id, On: true})
		return true, nil
	case key.Matches(msg, k.Revert) && a.planPane.HalfDone() != "":
		id := a.planPane.HalfDone()
		p, err := model.NewRevertPlan(a.data.Swarm, a.data.Source, id, a.opts.NewPlanID(), a.c.Now())
		a.planPane.SetPlan(p, err)
		a.undo = a.data.Swarm.PlanSecrets(id)
		a.setStatus("revert of "+id+" planned: a to apply", false)
		return true, nil
	}
	return false, nil
}

func (a *App) askConfirm(p *model.RotationPlan) {
	a.confirm = p
	if p.Protected {
		a.startInput(modeConfirm, "type "+p.Env+" to apply: ", "")
	}
}

// confirmKey handles the confirmation dialog.
func (a *App) confirmKey(msg tea.KeyPressMsg) tea.Cmd {
	p := a.confirm
	if msg.String() == "esc" || (!p.Protected && msg.String() == "n") {
		a.confirm = nil
		a.mode = modeNone
		a.setStatus("not applied", false)
		return nil
	}
	if p.Protected {
		if msg.String() != "enter" {
			var cmd tea.Cmd
			a.input, cmd = a.input.Update(msg)
			return cmd
		}
		typed := a.input.Value()
		a.mode = modeNone
		a.confirm = nil
		if typed != p.Env {
			a.setStatus(fmt.Sprintf("not applied: %q is not %q", typed, p.Env), true)
			return nil
		}
		return a.startApply(p)
	}
	if key.Matches(msg, a.c.Keys.Confirm) {
		a.confirm = nil
		return a.startApply(p)
	}
	return nil
}

// startApply runs the plan in the background; its steps come back as
// messages so the UI never waits on Docker.
func (a *App) startApply(p *model.RotationPlan) tea.Cmd {
	a.planPane.Start(p)
	a.showPlan()
	a.setStatus("applying plan "+p.ID+"…", false)
	ch := make(chan tea.Msg, 256)
	req, apply, ctx := ApplyRequest{Plan: p, Undo: a.undo}, a.opts.Apply, a.opts.Ctx
	go func() {
		res, err := apply(ctx, req, func(s model.Step) { ch <- applyStepMsg{s} })
		ch <- applyDoneMsg{res, err}
		close(ch)
	}()
	a.applyCh = ch
	return a.waitApply()
}

func (a *App) waitApply() tea.Cmd {
	ch := a.applyCh
	return func() tea.Msg {
		msg, ok := <-ch
		if !ok {
			return nil
		}
		return msg
	}
}

func (a *App) applyDone(m applyDoneMsg) tea.Cmd {
	a.planPane.Done(m.res, m.err)
	a.applyCh, a.undo = nil, nil
	a.c.Staging.Clear()
	if m.err != nil {
		a.setStatus("apply failed: "+oneLine(m.err.Error()), true)
	} else {
		a.setStatus(m.res.Summary, false)
	}
	a.statusUntil = a.c.Now().Add(30 * time.Second) // reloads must not hide the verdict
	return a.load()                                 // the panes refresh: fixed findings go away
}
