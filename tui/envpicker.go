package tui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/keys"
)

// envPicker chooses the environment the workbench reads and plans for. It
// takes two deliberate steps — pick, then confirm — because everything on
// screen afterwards, and every plan, is about the environment chosen here.
type envPicker struct {
	envs       []string
	current    string
	protected  map[string]bool
	cursor     int
	confirming bool
	staged     int // items staged now: switching unstages them
}

func newEnvPicker(d *common.Data, staged int) *envPicker {
	p := &envPicker{envs: d.Source.Envs, current: d.Source.Env, protected: map[string]bool{}, staged: staged}
	for _, e := range p.envs {
		p.protected[e] = d.Source.Manifest.Protected(e)
	}
	p.cursor = max(slices.Index(p.envs, p.current), 0)
	return p
}

func (p *envPicker) chosen() string { return p.envs[p.cursor] }

// openEnvPicker answers e: the picker, or why there is nothing to pick.
func (a *App) openEnvPicker() tea.Cmd {
	d := a.data
	switch {
	case d == nil || d.Source == nil:
		a.setStatus("no environments: start secretdeck with --source", true)
	case a.planPane.Applying():
		a.setStatus("an apply is running: switch the environment after its verdict", true)
	case len(d.Source.Envs) < 2:
		a.setStatus("the source holds one environment only: "+d.Source.Env, false)
	default:
		a.picker = newEnvPicker(d, a.c.Staging.Count())
	}
	return nil
}

// pickerKey handles a key while the picker is open.
func (a *App) pickerKey(msg tea.KeyPressMsg) tea.Cmd {
	p, k := a.picker, a.c.Keys
	if p.confirming {
		switch {
		case key.Matches(msg, k.Confirm):
			a.picker = nil
			return a.switchEnv(p.chosen())
		case key.Matches(msg, k.Deny, k.Cancel):
			p.confirming = false
		}
		return nil
	}
	switch {
	case key.Matches(msg, k.Cancel, k.SwitchEnv):
		a.picker = nil
	case key.Matches(msg, k.Up):
		p.cursor = max(p.cursor-1, 0)
	case key.Matches(msg, k.Down):
		p.cursor = min(p.cursor+1, len(p.envs)-1)
	case key.Matches(msg, k.Submit):
		if p.chosen() == p.current {
			a.picker = nil
			a.setStatus("still environment "+p.current, false)
			return nil
		}
		p.confirming = true
	}
	return nil
}

// switchEnv loads env. What was staged was staged for the old environment:
// it is unstaged, and every pane forgets what it revealed.
func (a *App) switchEnv(env string) tea.Cmd {
	a.env = env
	a.c.Staging.Clear()
	cmd := a.updatePlan(common.StageMsg{Kind: common.StageClear})
	a.remark()
	for i, p := range a.panes {
		a.panes[i], _ = p.Update(common.EnvSwitchMsg{Env: env})
	}
	a.setStatus("loading environment "+env+"…", false)
	return tea.Batch(cmd, a.load(), a.spinner.Tick)
}

// view renders the picker, or its confirmation.
func (p *envPicker) view(a *App) string {
	st, k := a.c.Styles, a.c.Keys
	var b strings.Builder
	b.WriteString(st.Detail.Title.Render("Environment") + "\n\n")
	if p.confirming {
		to := p.chosen()
		fmt.Fprintf(&b, "Switch from %s to %s?\n\n", envLabel(p.current, p.protected[p.current]), envLabel(to, p.protected[to]))
		b.WriteString("Every pane then shows " + to + "'s property files and drift, and plans\ntake their new values from " + to + ".\n")
		if p.staged > 0 {
			fmt.Fprintf(&b, "The %s staged now %s unstaged.\n", common.Plural(p.staged, "item"), map[bool]string{true: "is", false: "are"}[p.staged == 1])
		}
		fmt.Fprintf(&b, "\n%s switch · %s or %s stay in %s\n", k.Confirm.Help().Key, k.Deny.Help().Key, k.Cancel.Help().Key, p.current)
		return b.String()
	}
	for i, e := range p.envs {
		mark := "  "
		if i == p.cursor {
			mark = "› "
		}
		line := mark + envLabel(e, p.protected[e])
		if e == p.current {
			line += "  (current)"
		}
		if i == p.cursor {
			line = st.Table.Selected.Render(line)
		}
		b.WriteString(line + "\n")
	}
	fmt.Fprintf(&b, "\n%s choose · %s pick · %s cancel\n", "↑/↓", k.Submit.Help().Key, k.Cancel.Help().Key)
	return b.String()
}

// envLabel names an environment, saying so when it is protected.
func envLabel(env string, protected bool) string {
	if protected {
		return env + " (PROTECTED)"
	}
	return env
}

// help is the picker's keys for the help line.
func (p *envPicker) help(k *keys.KeyMap) []key.Binding {
	if p.confirming {
		yes, no := k.Confirm, k.Deny
		yes.SetHelp(k.Confirm.Help().Key, "switch")
		no.SetHelp(k.Deny.Help().Key+"/"+k.Cancel.Help().Key, "stay")
		return []key.Binding{yes, no}
	}
	pick, cancel := k.Submit, k.Cancel
	pick.SetHelp(k.Submit.Help().Key, "pick")
	cancel.SetHelp(k.Cancel.Help().Key, "cancel")
	return []key.Binding{k.Up, k.Down, pick, cancel}
}
