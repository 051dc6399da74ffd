package tui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"

	"github.com/secretdeck/secretdeck/tui/common"
)

// helpGap is the space between two columns of the help.
const helpGap = 3

// offered drops the keys this session forbids, so that no footer or help
// offers what would only be refused: apply, resume and revert under
// --read-only, reveal under --no-reveal.
func (a *App) offered(bs []key.Binding) []key.Binding {
	k := a.c.Keys
	var forbidden []key.Binding
	if a.opts.ReadOnly {
		forbidden = append(forbidden, k.Apply, k.Resume, k.Revert)
	}
	if a.opts.NoReveal {
		forbidden = append(forbidden, k.Reveal)
	}
	out := make([]key.Binding, 0, len(bs))
next:
	for _, b := range bs {
		for _, f := range forbidden {
			if sameKeys(b, f) {
				continue next
			}
		}
		out = append(out, b)
	}
	return out
}

func sameKeys(a, b key.Binding) bool { return slices.Equal(a.Keys(), b.Keys()) }

// helpGroups is every key of the focused pane, its own first, then the
// workbench's.
func (a *App) helpGroups() []common.KeyGroup {
	k := a.c.Keys
	groups := a.pane().HelpGroups()
	groups = append(groups, common.KeyGroup{Title: "workbench", Keys: []key.Binding{
		k.NextPane, k.PrevPane, k.Jump, k.Preview, k.SwitchEnv, k.Refresh, k.Help, k.Quit,
	}})
	var listed []key.Binding // a key shows once, in the first group that has it
	for i := range groups {
		groups[i].Keys = slices.DeleteFunc(a.offered(groups[i].Keys), func(b key.Binding) bool {
			return slices.ContainsFunc(listed, func(l key.Binding) bool { return sameKeys(l, b) })
		})
		listed = append(listed, groups[i].Keys...)
	}
	return groups
}

// helpView lays the groups out in columns, as many side by side as the
// width holds, the next ones below: nothing is cut at 80 columns.
func (a *App) helpView() string {
	st := a.c.Styles
	var blocks [][]string
	for _, g := range a.helpGroups() {
		if len(g.Keys) == 0 {
			continue
		}
		keyW := 0
		for _, b := range g.Keys {
			keyW = max(keyW, ansi.StringWidth(b.Help().Key))
		}
		lines := []string{st.Detail.Section.Render(g.Title)}
		for _, b := range g.Keys {
			lines = append(lines, fmt.Sprintf("%-*s  %s", keyW, b.Help().Key, st.Help.Render(b.Help().Desc)))
		}
		blocks = append(blocks, lines)
	}
	var b strings.Builder
	b.WriteString(st.Detail.Title.Render("Keys of the "+a.pane().Name()+" pane") + "\n\n")
	for len(blocks) > 0 {
		row, width := 0, 0
		for row < len(blocks) {
			w := blockWidth(blocks[row])
			if row > 0 && width+helpGap+w > a.c.Width {
				break
			}
			if row > 0 {
				width += helpGap
			}
			width += w
			row++
		}
		b.WriteString(sideBySide(blocks[:row]) + "\n")
		blocks = blocks[row:]
	}
	reveal := fmt.Sprintf("Values are masked: x reveals one for %s and records it in the audit log (never the value).", a.c.RevealFor)
	if a.opts.NoReveal {
		reveal = "Values are masked; revealing them is disabled (--no-reveal)."
	}
	b.WriteString(st.Help.Render(wrap(reveal+" Press ? or esc to close.", a.c.Width)))
	return b.String()
}

func blockWidth(lines []string) int {
	w := 0
	for _, l := range lines {
		w = max(w, ansi.StringWidth(l))
	}
	return w
}

// sideBySide joins blocks of lines into columns.
func sideBySide(blocks [][]string) string {
	height := 0
	for _, bl := range blocks {
		height = max(height, len(bl))
	}
	var b strings.Builder
	for i := 0; i < height; i++ {
		var line strings.Builder
		for j, bl := range blocks {
			cell := ""
			if i < len(bl) {
				cell = bl[i]
			}
			if j < len(blocks)-1 {
				cell += strings.Repeat(" ", blockWidth(bl)-ansi.StringWidth(cell)+helpGap)
			}
			line.WriteString(cell)
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	return b.String()
}
