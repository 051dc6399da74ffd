package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// View renders the screen: header, tabs, the focused pane (or help), the
// status line and the pane's key help. It does no I/O.
func (a *App) View() tea.View {
	v := tea.NewView(a.render())
	v.AltScreen = true
	v.WindowTitle = "secretdeck"
	return v
}

func (a *App) render() string {
	w, h := a.c.Width, a.c.Height
	if w == 0 {
		return "secretdeck: starting…"
	}
	if w < MinWidth || h < MinHeight {
		return ansi.Truncate(fmt.Sprintf("secretdeck needs at least %d×%d (this terminal is %d×%d): enlarge it", MinWidth, MinHeight, w, h), w, "…")
	}
	lines := []string{a.header(), a.tabs()}
	body := a.body()
	lines = append(lines, body, a.statusLine(), a.helpLine())
	return strings.Join(lines, "\n")
}

func (a *App) header() string {
	st := a.c.Styles
	parts := []string{"secretdeck"}
	if d := a.data; d != nil && d.Swarm != nil {
		// Most telling first: a narrow terminal cuts the endpoint, not the env.
		if d.Source != nil {
			parts = append(parts, "env "+d.Source.Env, d.Source.URI)
		} else {
			parts = append(parts, "no --source")
		}
		ep := d.Swarm.Endpoint
		parts = append(parts, d.Swarm.NodeRole, "ctx "+ep.Context, "swarm "+short(d.Swarm.ClusterID, 8), ep.Host)
	}
	badge := ""
	if a.opts.ReadOnly {
		badge = st.Badge.Render(" READ-ONLY ")
	}
	text := strings.Join(parts, " │ ")
	room := a.c.Width - ansi.StringWidth(badge) - 1
	return st.Header.Render(ansi.Truncate(text, room, "…")) + strings.Repeat(" ", max(room-ansi.StringWidth(text), 0)+1) + badge
}

func (a *App) tabs() string {
	st := a.c.Styles
	var b strings.Builder
	for i, p := range a.panes {
		if i > 0 {
			b.WriteString(st.Tab.Render(" · "))
		}
		label := strings.ToUpper(p.Name()[:1]) + p.Name()[1:]
		if n := a.count(p.Name()); n != "" {
			label += " " + n
		}
		if f := a.filters[p.Name()]; f != "" {
			label += " /" + f
		}
		if i == a.active {
			b.WriteString(st.ActiveTab.Render("[" + label + "]"))
		} else {
			b.WriteString(st.Tab.Render(label))
		}
	}
	return ansi.Truncate(b.String(), a.c.Width, "…")
}

// count is the number shown next to a tab's name.
func (a *App) count(pane string) string {
	d := a.data
	if d == nil || d.Swarm == nil {
		return ""
	}
	switch pane {
	case "secrets":
		return fmt.Sprint(len(d.Swarm.Secrets))
	case "services":
		return fmt.Sprint(len(d.Swarm.Services))
	case "properties":
		if d.Source != nil {
			return fmt.Sprint(len(d.Source.Files))
		}
	case "drift":
		if d.Drift != nil {
			return fmt.Sprint(len(d.Drift.Findings))
		}
	}
	return ""
}

func (a *App) body() string {
	h := max(a.c.Height-chrome, 1)
	var content string
	switch {
	case a.fullHelp:
		content = a.c.Styles.Detail.Title.Render("Keys of the "+a.pane().Name()+" pane") + "\n\n" + a.help.FullHelpView(a.pane().FullHelp()) +
			"\n\n" + a.c.Styles.Help.Render(fmt.Sprintf("Values are masked: x reveals one for %s and records it in the\naudit log (never the value). Press ? or esc to close.", a.c.RevealFor))
	case a.data == nil:
		what := "Loading the swarm"
		if a.loading {
			what = a.spinner.View() + " " + what + " and the property source…"
		} else {
			what = "Cannot load:\n\n" + wrap(a.loadErr, a.c.Width) + "\n\nPress r to retry, q to quit."
		}
		content = what
	default:
		content = a.pane().View()
	}
	return fitLines(content, a.c.Width, h)
}

func (a *App) statusLine() string {
	st := a.c.Styles
	text := a.status
	if a.loading && a.data != nil {
		text = a.spinner.View() + " refreshing… " + text
	}
	switch a.mode {
	case modeFilter:
		return ansi.Truncate(a.input.View()+st.Help.Render("  enter keep · esc clear"), a.c.Width, "…")
	case modeJump:
		return ansi.Truncate(a.input.View()+st.Help.Render("  secrets · services · properties · drift · plan · audit"), a.c.Width, "…")
	}
	if a.statusErr {
		return st.Error.Render(ansi.Truncate(text, a.c.Width, "…"))
	}
	return st.Status.Render(ansi.Truncate(text, a.c.Width, "…"))
}

func (a *App) helpLine() string {
	return ansi.Truncate(a.help.ShortHelpView(a.pane().ShortHelp()), a.c.Width, "…")
}

// fitLines pads or cuts s to exactly h lines of at most w cells.
func fitLines(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, w, "")
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// wrap breaks s into lines of at most width cells, at spaces.
func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(s) {
		if i > 0 && n+1+ansi.StringWidth(w) > width {
			b.WriteByte('\n')
			n = 0
		} else if i > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += ansi.StringWidth(w)
	}
	return b.String()
}
