// Package plan is the Plan pane: it compiles what is staged into a plan
// through the engine (common.Common.Engine), shows it as `secretdeck plan`
// shows it, asks for the confirmation, runs the apply in the background and
// shows the rollout of every service, the step log and the verdict. It
// decides nothing a plan contains: the engine does.
package plan

import (
	"context"
	"slices"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
)

// Name is the pane's name in tabs and in `:` jumps.
const Name = "plan"

// PreviewMsg asks the pane to compile what is staged now, against the
// data it has now (p, from any pane).
type PreviewMsg struct{}

// Pane is the Plan pane.
type Pane struct {
	c        *common.Common
	detail   common.Detail
	width    int
	height   int
	data     *common.Data
	plan     *model.RotationPlan
	planErr  error
	halfDone []string // ids of plans left half-done

	confirm *confirmation // the open dialog, nil when none

	run      int                // of the latest apply; its messages carry it
	steps    chan tea.Msg       // of the running apply
	cancel   context.CancelFunc // stops the running apply the safe way
	failed   bool               // an apply of this session failed
	applying bool
	applied  *model.RotationPlan
	latest   map[string]model.Step // per service: its last step
	log      []string
	result   *model.ApplyResult
	err      error
}

// New returns the Plan pane.
func New(c *common.Common) *Pane { return &Pane{c: c} }

// Name implements common.Pane.
func (p *Pane) Name() string { return Name }

// SetData implements common.Pane: it keeps the data to compile against and
// notes plans left half-done. The plan on screen stays as it was compiled:
// a reload must not replace it under the operator's eyes, nor hide a verdict.
func (p *Pane) SetData(d *common.Data) {
	p.data = d
	p.halfDone = nil
	for _, f := range d.Findings() {
		if f.Kind == model.KindLagging && f.Plan != "" && !slices.Contains(p.halfDone, f.Plan) {
			p.halfDone = append(p.halfDone, f.Plan)
		}
	}
	p.render()
}

// HalfDone is the first plan left half-done, if any.
func (p *Pane) HalfDone() string {
	if len(p.halfDone) == 0 {
		return ""
	}
	return p.halfDone[0]
}

// Plan is the plan on screen, nil while applying or when there is none.
func (p *Pane) Plan() *model.RotationPlan {
	if p.applying {
		return nil
	}
	return p.plan
}

// Applying reports whether an apply runs.
func (p *Pane) Applying() bool { return p.applying }

// Update implements common.Pane. Besides keys it takes, whatever pane is
// focused: StageMsg and PreviewMsg (compile again) and the messages of its
// own running apply.
func (p *Pane) Update(msg tea.Msg) (common.Pane, tea.Cmd) {
	switch msg := msg.(type) {
	case common.StageMsg:
		return p, p.stage(msg)
	case PreviewMsg:
		p.compile()
		return p, nil
	case applyStepMsg:
		return p, p.stepped(msg)
	case applyDoneMsg:
		return p, p.finished(msg)
	case tea.KeyPressMsg:
		if p.confirm != nil {
			return p, p.confirmKey(msg)
		}
		return p, p.key(msg)
	}
	return p, nil
}

// key handles the pane's keys outside the dialog.
func (p *Pane) key(msg tea.KeyPressMsg) tea.Cmd {
	k := p.c.Keys
	switch {
	case key.Matches(msg, k.Apply):
		return p.askApply()
	case key.Matches(msg, k.Unstage):
		// Through the app, so that the other panes re-mark their rows.
		return func() tea.Msg { return common.StageMsg{Kind: common.StageClear} }
	case key.Matches(msg, k.Resume) && p.HalfDone() != "":
		return p.resume(p.HalfDone())
	case key.Matches(msg, k.Revert) && p.HalfDone() != "":
		return p.revert(p.HalfDone())
	}
	p.detail.ScrollKey(k, msg)
	return nil
}

// SetSize implements common.Pane.
func (p *Pane) SetSize(w, h int) {
	p.width, p.height = w, h
	p.detail.SetSize(w, h)
	if p.confirm != nil {
		p.confirm.setSize(w, h)
	}
	p.render()
}

// SetFilter implements common.Pane (a plan is not filtered).
func (p *Pane) SetFilter(string) {}

// View implements common.Pane.
func (p *Pane) View() string {
	if p.confirm != nil {
		return p.confirm.view()
	}
	return p.detail.View()
}

// Focus implements common.Pane.
func (p *Pane) Focus(string) bool { return false }

// InDetail implements common.Pane.
func (p *Pane) InDetail() bool { return false }

// Capturing implements common.Pane: the confirmation takes every key.
func (p *Pane) Capturing() bool { return p.confirm != nil }

// ShortHelp implements help.KeyMap.
func (p *Pane) ShortHelp() []key.Binding {
	k := p.c.Keys
	switch {
	case p.confirm != nil:
		return p.confirm.help()
	case p.plan != nil && !p.applying:
		return []key.Binding{k.Apply, k.Unstage, k.Down, k.NextPane, k.Help}
	case p.HalfDone() != "":
		return []key.Binding{k.Resume, k.Revert, k.NextPane, k.Help}
	}
	return []key.Binding{k.Down, k.NextPane, k.Help, k.Quit}
}

// HelpGroups implements common.Pane.
func (p *Pane) HelpGroups() []common.KeyGroup {
	k := p.c.Keys
	return []common.KeyGroup{
		{Title: "plan pane", Keys: []key.Binding{k.Apply, k.Unstage, k.Resume, k.Revert}},
		{Title: "move", Keys: []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown}},
	}
}
