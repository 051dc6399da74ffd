// Package plan is the Plan pane: the staged changes compiled into a plan by
// the engine, shown as `secretdeck plan` shows it; then, once applied, the
// rollout of every service, the step log and the verdict. It holds no logic
// of its own: the app compiles and applies through the engine.
package plan

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/internal/report"
	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
)

// Name is the pane's name in tabs and in `:` jumps.
const Name = "plan"

// Pane is the Plan pane.
type Pane struct {
	c        *common.Common
	detail   common.Detail
	width    int
	plan     *model.RotationPlan
	planErr  error
	halfDone []string // ids of plans left half-done

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

// SetData implements common.Pane: it notes plans left half-done.
func (p *Pane) SetData(d *common.Data) {
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

// SetPlan shows a freshly compiled plan (or why there is none).
func (p *Pane) SetPlan(pl *model.RotationPlan, err error) {
	p.plan, p.planErr = pl, err
	if !p.applying {
		p.applied, p.result, p.err, p.log, p.latest = nil, nil, nil, nil, nil
	}
	p.detail.Reset()
	p.render()
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

// Start shows the apply of pl beginning.
func (p *Pane) Start(pl *model.RotationPlan) {
	p.applying, p.applied, p.result, p.err = true, pl, nil, nil
	p.latest, p.log = map[string]model.Step{}, nil
	p.render()
}

// Step records one step of the apply.
func (p *Pane) Step(s model.Step) {
	if s.Service != "" {
		p.latest[s.Service] = s
	}
	line := fmt.Sprintf("%s %-8s %s %s", p.c.Now().Format("15:04:05"), s.Action, s.Service+s.Secret, s.Result)
	if s.Desired > 0 {
		line += fmt.Sprintf(" (%d/%d running)", s.Running, s.Desired)
	}
	p.log = append(p.log, line)
	p.render()
}

// Done records the end of the apply.
func (p *Pane) Done(r *model.ApplyResult, err error) {
	p.applying, p.result, p.err = false, r, err
	p.plan = nil
	p.render()
}

func (p *Pane) render() {
	var b strings.Builder
	switch {
	case p.applied != nil:
		p.renderApply(&b)
	case p.plan != nil:
		_ = report.Plan(&b, p.plan)
		b.WriteString("\na apply · u unstage all · tab other panes\n")
	default:
		if p.planErr != nil {
			fmt.Fprintf(&b, "No plan: %s\n\n", p.planErr)
		}
		b.WriteString("Nothing staged. Press space on a finding (Drift), a secret (Secrets) or a\nservice (Services) to stage it, then p to preview the plan here.\n")
		if id := p.HalfDone(); id != "" {
			fmt.Fprintf(&b, "\nPlan %s was left half-done (drift shows it as lagging):\nR resume it · V revert it\n", id)
		}
	}
	p.detail.SetContent(b.String())
}

func (p *Pane) renderApply(b *strings.Builder) {
	switch {
	case p.applying:
		fmt.Fprintf(b, "APPLYING plan %s (esc leaves this view; the apply goes on)\n\n", p.applied.ID)
	case p.err != nil:
		fmt.Fprintf(b, "FAILED plan %s\n\n", p.applied.ID)
	default:
		fmt.Fprintf(b, "APPLIED plan %s\n\n", p.applied.ID)
	}
	for _, sc := range p.applied.Services {
		s, ok := p.latest[sc.Service]
		state := "waiting"
		if ok {
			state = s.Action + " " + s.Result
		}
		fmt.Fprintf(b, "  %-24s %-26s %s\n", sc.Service, state, bar(s.Running, s.Desired))
	}
	b.WriteString("\n")
	switch {
	case p.err != nil:
		var ae *model.ApplyError
		if errors.As(p.err, &ae) {
			fmt.Fprintf(b, "Failed: %s\n\nNow: %s\n", ae.Err, ae.Result.Summary)
		} else {
			fmt.Fprintf(b, "Failed before changing anything: %s\n", p.err)
		}
	case p.result != nil:
		fmt.Fprintf(b, "%s\n", p.result.Summary)
	}
	b.WriteString("\nSTEPS\n")
	for _, l := range p.log[max(len(p.log)-200, 0):] {
		b.WriteString("  " + l + "\n")
	}
}

// bar is a small progress bar of running over desired tasks.
func bar(running, desired int) string {
	if desired <= 0 {
		return ""
	}
	const width = 10
	full := min(running*width/desired, width)
	return "[" + strings.Repeat("#", full) + strings.Repeat("-", width-full) + fmt.Sprintf("] %d/%d", running, desired)
}

// SetSize implements common.Pane.
func (p *Pane) SetSize(w, h int) {
	p.width = w
	p.detail.SetSize(w, h)
	p.render()
}

// SetFilter implements common.Pane (a plan is not filtered).
func (p *Pane) SetFilter(string) {}

// Update implements common.Pane: scrolling.
func (p *Pane) Update(msg tea.Msg) (common.Pane, tea.Cmd) {
	if km, ok := msg.(tea.KeyPressMsg); ok {
		p.detail.ScrollKey(p.c.Keys, km)
	}
	return p, nil
}

// View implements common.Pane.
func (p *Pane) View() string { return p.detail.View() }

// Focus implements common.Pane.
func (p *Pane) Focus(string) bool { return false }

// InDetail implements common.Pane.
func (p *Pane) InDetail() bool { return false }

// ShortHelp implements help.KeyMap.
func (p *Pane) ShortHelp() []key.Binding {
	k := p.c.Keys
	if p.plan != nil && !p.applying {
		return []key.Binding{k.Apply, k.Unstage, k.Down, k.NextPane, k.Help}
	}
	if p.HalfDone() != "" {
		return []key.Binding{k.Resume, k.Revert, k.NextPane, k.Help}
	}
	return []key.Binding{k.Down, k.NextPane, k.Help, k.Quit}
}

// FullHelp implements help.KeyMap.
func (p *Pane) FullHelp() [][]key.Binding {
	k := p.c.Keys
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown}, {k.Apply, k.Unstage, k.Resume, k.Revert}, {k.NextPane, k.PrevPane, k.Jump, k.Help, k.Quit}}
}
