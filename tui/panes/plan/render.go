package plan

import (
	"errors"
	"fmt"
	"strings"

	"github.com/secretdeck/secretdeck/internal/report"
	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
)

// render puts what the pane shows now in its detail: the apply (running or
// finished), else the plan, else what to do to get one.
func (p *Pane) render() {
	var b strings.Builder
	switch {
	case p.applied != nil:
		p.renderApply(&b)
	case p.plan != nil:
		_ = report.Plan(&b, p.plan)
		fmt.Fprintf(&b, "\nApplied with %s\n", p.c.ApplyOptions)
		if p.c.ReadOnly {
			b.WriteString("read-only: this plan is a preview · u unstage all · tab other panes\n")
		} else {
			b.WriteString("a apply · u unstage all · tab other panes\n")
		}
	default:
		switch n := p.c.Staging.Count(); {
		case p.planErr != nil && n > 0:
			fmt.Fprintf(&b, "%s staged, but no plan: %s\n\nu unstages; space on a row stages or unstages it.\n", common.Plural(n, "item"), p.planErr)
		case p.planErr != nil:
			fmt.Fprintf(&b, "No plan: %s\n\n", p.planErr)
			fallthrough
		default:
			b.WriteString("Nothing staged. Press space on a finding (Drift), a secret (Secrets) or a\nservice (Services) to stage it, then p to preview the plan here.\n")
		}
		if id := p.HalfDone(); id != "" {
			fmt.Fprintf(&b, "\nPlan %s was left half-done (drift shows it as lagging):\nR resume it · V revert it\n", id)
		}
	}
	p.detail.SetContent(b.String())
}

func (p *Pane) renderApply(b *strings.Builder) {
	switch {
	case p.applying:
		fmt.Fprintf(b, "APPLYING plan %s (tab shows other panes, the apply goes on; q quits after its verdict)\n\n", p.applied.ID)
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
