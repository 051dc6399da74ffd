package tui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"

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
	// The environment first, as a badge: every plan is about it. A protected
	// one says so in words too, for terminals without colour (NO_COLOR).
	env := ""
	var parts []string
	if d := a.data; d != nil && d.Swarm != nil {
		if d.Source != nil {
			if d.Source.Manifest.Protected(d.Source.Env) {
				env = st.Protected.Render(" env " + d.Source.Env + " · PROTECTED ")
			} else {
				env = st.Env.Render(" env " + d.Source.Env + " ")
			}
			parts = append(parts, d.Source.URI)
		} else if a.stream.sourceBusy { // tui/stream.go
			parts = append(parts, "source loading…")
		} else {
			parts = append(parts, "no --source")
		}
		ep := d.Swarm.Endpoint
		// Most telling first: a narrow terminal cuts the endpoint, not the role.
		parts = append(parts, d.Swarm.NodeRole, "ctx "+ep.Context, "swarm "+short(d.Swarm.ClusterID, 8), ep.Host)
	}
	var badges []string
	if d := a.data; d != nil && d.Swarm != nil && d.Source != nil {
		if d.Source.Manifest.CheckSwarm(d.Source.Env, d.Swarm.ClusterID) != nil {
			badges = append(badges, st.Badge.Render(" WRONG SWARM "))
		}
	}
	if a.data != nil && a.data.Lock != "" { // the status line says whose
		badges = append(badges, st.Badge.Render(" LOCKED "))
	}
	if a.opts.ReadOnly {
		badges = append(badges, st.Badge.Render(" READ-ONLY "))
	}
	if a.opts.NoReveal {
		badges = append(badges, st.Badge.Render(" NO-REVEAL "))
	}
	right := strings.Join(badges, " ")
	left := st.Header.Render("secretdeck")
	if env != "" {
		left += " " + env
	}
	room := a.c.Width - ansi.StringWidth(left) - ansi.StringWidth(right) - 2
	text := ansi.Truncate(strings.Join(parts, " │ "), max(room, 0), "…")
	line := left + " " + st.Header.Render(text)
	return line + strings.Repeat(" ", max(a.c.Width-ansi.StringWidth(line)-ansi.StringWidth(right), 0)) + right
}

func (a *App) tabs() string {
	if s := a.tabLine(true); ansi.StringWidth(s) <= a.c.Width {
		return s
	}
	// Too wide (80 columns, thousands of rows): the counts of the other
	// panes go first, so that every pane's name stays on screen.
	return ansi.Truncate(a.tabLine(false), a.c.Width, "…")
}

func (a *App) tabLine(counts bool) string {
	st := a.c.Styles
	var b strings.Builder
	for i, p := range a.panes {
		if i > 0 {
			b.WriteString(st.Tab.Render(" · "))
		}
		label := strings.ToUpper(p.Name()[:1]) + p.Name()[1:]
		if n := a.count(p.Name()); n != "" && (counts || i == a.active) {
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
	return b.String()
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
	case "configs":
		return fmt.Sprint(len(d.Swarm.Configs))
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
	case a.picker != nil:
		content = a.picker.view(a)
	case a.fullHelp:
		content = a.helpView()
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
	if text == "" && !a.loadedAt.IsZero() {
		text = "loaded at " + a.loadedAt.Format("15:04:05")
	}
	if a.status == "" && a.data != nil && a.data.Lock != "" {
		text = "source locked by " + a.data.Lock + " · " + text
	}
	if p := a.sourceProgress(); p != "" && a.data != nil { // tui/stream.go
		text = a.spinner.View() + " " + p + " " + text
	} else if a.loading && a.data != nil {
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

// helpLine is the pane's main keys, then ? and q, which are never cut: a
// narrow terminal drops the pane's least used keys instead.
func (a *App) helpLine() string {
	if a.picker != nil {
		return ansi.Truncate(a.help.ShortHelpView(a.picker.help(a.c.Keys)), a.c.Width, "…")
	}
	k := a.c.Keys
	if a.fullHelp {
		closeHelp := k.Back
		closeHelp.SetHelp("?/esc", "close help")
		return a.help.ShortHelpView([]key.Binding{closeHelp})
	}
	items := a.offered(a.pane().ShortHelp())
	var tail []key.Binding
	if !a.pane().Capturing() {
		items = slices.DeleteFunc(items, func(b key.Binding) bool { return sameKeys(b, k.Help) || sameKeys(b, k.Quit) })
		tail = []key.Binding{k.Help, k.Quit}
		if a.pane().InDetail() {
			tail = []key.Binding{k.Help}
		}
	}
	for n := len(items); n >= 0; n-- {
		line := a.help.ShortHelpView(append(slices.Clone(items[:n]), tail...))
		if ansi.StringWidth(line) <= a.c.Width {
			return line
		}
	}
	return ansi.Truncate(a.help.ShortHelpView(tail), a.c.Width, "…")
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
