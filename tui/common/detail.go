package common

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/charmbracelet/x/ansi"

	"github.com/secretdeck/secretdeck/tui/keys"
)

// Detail is a scrollable page of text lines, for detail views.
type Detail struct {
	text          string
	lines         []string
	offset        int
	width, height int
}

// SetContent replaces the text, keeping the scroll position if it fits.
// Lines wider than the pane wrap at spaces rather than lose their end: an
// explanation cut in half is no explanation.
func (d *Detail) SetContent(s string) {
	d.text = s
	d.lines = d.lines[:0]
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if d.width > 0 && ansi.StringWidth(l) > d.width {
			l = ansi.Wrap(l, d.width, " ")
		}
		d.lines = append(d.lines, strings.Split(l, "\n")...)
	}
	d.Scroll(0)
}

// SetSize sets the visible area.
func (d *Detail) SetSize(w, h int) {
	d.width, d.height = w, h
	d.SetContent(d.text)
}

// Scroll moves by n lines.
func (d *Detail) Scroll(n int) {
	d.offset = min(max(d.offset+n, 0), max(len(d.lines)-d.height, 0))
}

// Reset scrolls to the top.
func (d *Detail) Reset() { d.offset = 0 }

// Height is the number of visible lines.
func (d *Detail) Height() int { return d.height }

// View renders the visible lines, each cut to the width.
func (d *Detail) View() string {
	end := min(d.offset+d.height, len(d.lines))
	out := make([]string, 0, d.height)
	for _, l := range d.lines[d.offset:end] {
		out = append(out, ansi.Truncate(l, d.width, "…"))
	}
	for len(out) < d.height {
		out = append(out, "")
	}
	return strings.Join(out, "\n")
}

// ScrollKey scrolls for the up/down/page keys of k; false for any other key.
func (d *Detail) ScrollKey(k *keys.KeyMap, msg tea.KeyPressMsg) bool {
	switch {
	case key.Matches(msg, k.Up):
		d.Scroll(-1)
	case key.Matches(msg, k.Down):
		d.Scroll(1)
	case key.Matches(msg, k.PageUp):
		d.Scroll(-d.height)
	case key.Matches(msg, k.PageDown):
		d.Scroll(d.height)
	default:
		return false
	}
	return true
}
