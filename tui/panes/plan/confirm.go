package plan

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
)

// confirmation is the dialog before an apply: y for an ordinary
// environment; for a protected one, its name typed and enter, so that a
// reflex cannot change production. A plan that replaces secrets labelled
// for another environment asks for that environment's name.
type confirmation struct {
	c       *common.Common
	plan    *model.RotationPlan
	foreign []string        // environments whose secrets the plan replaces
	word    string          // to type; "" when y will do
	typed   textinput.Model // when a word is asked for
	detail  common.Detail
}

func newConfirmation(c *common.Common, pl *model.RotationPlan, swarm *model.SwarmSnapshot, w, h int) *confirmation {
	d := &confirmation{c: c, plan: pl, foreign: pl.ForeignEnvs(swarm)}
	switch {
	case len(d.foreign) > 0:
		d.word = strings.Join(d.foreign, ",")
	case pl.Protected:
		d.word = pl.Env
	}
	if d.word != "" {
		d.typed = common.NewInput("type " + d.word + " to apply: ")
		d.typed.SetWidth(max(len(d.word)+8, 20))
		_ = d.typed.Focus() // a steady cursor: no blink command to run
	}
	d.setSize(w, h)
	return d
}

func (d *confirmation) setSize(w, h int) {
	d.detail.SetSize(w, h)
	d.render()
}

func (d *confirmation) view() string { return d.detail.View() }

// confirmKey answers the dialog: esc (or n, when y would do) cancels.
func (p *Pane) confirmKey(msg tea.KeyPressMsg) tea.Cmd {
	d, k := p.confirm, p.c.Keys
	switch {
	case key.Matches(msg, k.Cancel), d.word == "" && key.Matches(msg, k.Deny):
		p.confirm = nil
		return status("not applied", false)
	case d.word == "":
		if key.Matches(msg, k.Confirm) {
			p.confirm = nil
			return p.startApply(d.plan)
		}
		return nil
	case key.Matches(msg, k.Submit):
		p.confirm = nil
		if typed := d.typed.Value(); typed != d.word {
			return status(fmt.Sprintf("not applied: %q is not %q", typed, d.word), true)
		}
		return p.startApply(d.plan)
	}
	var cmd tea.Cmd
	d.typed, cmd = d.typed.Update(msg)
	d.render()
	return cmd
}

// help is the dialog's keys, relabelled for what they do here.
func (d *confirmation) help() []key.Binding {
	k := d.c.Keys
	cancel := k.Cancel
	cancel.SetHelp(k.Cancel.Help().Key, "cancel")
	if d.word != "" {
		submit := k.Submit
		submit.SetHelp(k.Submit.Help().Key, "apply")
		return []key.Binding{submit, cancel}
	}
	yes, no := k.Confirm, k.Deny
	yes.SetHelp(k.Confirm.Help().Key, "apply")
	// n and esc do the same here: one entry, as the dialog says it.
	no.SetHelp(k.Deny.Help().Key+"/"+k.Cancel.Help().Key, "cancel")
	return []key.Binding{yes, no}
}

// render states what the apply will change before it is confirmed.
func (d *confirmation) render() {
	p := d.plan
	var b strings.Builder
	b.WriteString(d.c.Styles.Detail.Title.Render("Apply plan "+p.ID+"?") + "\n\n")
	watched := "watched until every running task mounts the new secrets"
	for _, sc := range p.Services {
		if sc.Restart != "" {
			watched = "watched until every running task mounts the new secrets\nand, where it restarts, started after the restart"
		}
	}
	fmt.Fprintf(&b, "This will create %s and update %s (one update each,\n%s) in\nenvironment %s of swarm %s.\n",
		common.Plural(len(p.Creates), "secret"), common.Plural(len(p.Services), "service"), watched, p.Env, short(p.ClusterID, 12))
	restarts := 0
	for _, s := range p.Services {
		restarts += s.Restarts
	}
	fmt.Fprintf(&b, "%s restart. On failure the services are rolled back and\nthe new secrets removed.\n", common.Plural(restarts, "running task"))
	var moved, revoked []string
	purges := 0
	for _, s := range p.Services {
		for _, e := range s.EnvRemove {
			moved = append(moved, e+" of "+s.Service)
		}
		for _, r := range s.Revoke {
			revoked = append(revoked, r+" from "+s.Service)
		}
		if s.Purge != "" {
			purges++
		}
	}
	if len(moved) > 0 {
		fmt.Fprintf(&b, "Env vars removed, moved into secrets: %s.\n", strings.Join(moved, ", "))
	}
	if len(revoked) > 0 {
		fmt.Fprintf(&b, "Mounts revoked (never granted): %s.\n", strings.Join(revoked, ", "))
	}
	if purges > 0 {
		fmt.Fprintf(&b, "Once every service is verified, the previous spec of %s is\nflushed (an update with no change: no restart).\n", common.Plural(purges, "service"))
	}
	if n := len(p.Removes); n > 0 {
		fmt.Fprintf(&b, "Once every service is verified, %s removed (%s).\n", common.Plural(n, "old secret")+map[bool]string{true: " is", false: " are"}[n == 1], removalWhy(p))
	}
	b.WriteString("\n")
	k := d.c.Keys
	switch {
	case len(d.foreign) > 0:
		fmt.Fprintf(&b, "WARNING: the new values come from environment %s, but the secrets\nthis replaces are labelled for %s. If that is meant, type %s\nbelow and press %s.\n\n%s\n",
			p.Env, strings.Join(d.foreign, ", "), d.word, k.Submit.Help().Key, d.typed.View())
	case p.Protected:
		fmt.Fprintf(&b, "%s is PROTECTED: type its name below and press %s.\n\n%s\n", p.Env, k.Submit.Help().Key, d.typed.View())
	default:
		fmt.Fprintf(&b, "%s apply · %s or %s cancel\n", k.Confirm.Help().Key, k.Deny.Help().Key, k.Cancel.Help().Key)
	}
	d.detail.SetContent(b.String())
}

// removalWhy says why a plan removes secrets: old versions beyond --keep,
// or the secrets of a plan it reverts.
func removalWhy(p *model.RotationPlan) string {
	var whys []string
	for _, r := range p.Removes {
		w := r.Why
		if !slices.Contains(whys, w) {
			whys = append(whys, w)
		}
	}
	return strings.Join(whys, ", ")
}

func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
