// Package table is a list that renders only its visible rows, so that ten
// thousand secrets scroll as fast as ten.
package table

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/secretdeck/secretdeck/tui/styles"
)

// Column is a column's title and minimum width. Flex columns share what is
// left in proportion to their Flex weight. Middle truncates a long cell in the
// middle, keeping its end: a secret name's version suffix matters most.
type Column struct {
	Title  string
	Width  int
	Flex   int
	Middle bool
}

// Row is one line of the table. Key identifies it across reloads; Styles,
// when set, styles the cells one by one (a severity badge).
type Row struct {
	Key    string
	Cells  []string
	Styles []*lipgloss.Style
	// Make, when set and Cells is nil, makes the cells and their styles
	// when the row is drawn or filtered, and nothing keeps them: ten
	// thousand rows off screen hold no text.
	Make func() ([]string, []*lipgloss.Style)
}

// cells returns the row's cells and styles, made now if they are made
// on demand.
func (r *Row) cells() ([]string, []*lipgloss.Style) {
	if r.Cells == nil && r.Make != nil {
		return r.Make()
	}
	return r.Cells, r.Styles
}

// Model is the table's state.
type Model struct {
	cols    []Column
	rows    []Row
	visible []int // indexes into rows that pass the filter
	cursor  int   // index into visible
	offset  int   // first visible row shown
	width   int
	height  int // rows shown, header excluded
	filter  string
	styles  *styles.TableStyles
}

// New returns a table with these columns.
func New(cols []Column, st *styles.TableStyles) Model {
	return Model{cols: cols, styles: st}
}

// SetSize sets the width and the height, header included.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, max(h-1, 1)
	m.clamp()
}

// SetRows replaces the rows, keeping the cursor on the same key if it is
// still there (a refresh must not move the operator's selection).
func (m *Model) SetRows(rows []Row) {
	selected := ""
	if r, ok := m.Selected(); ok {
		selected = r.Key
	}
	m.rows = rows
	m.applyFilter()
	if selected != "" {
		m.Select(selected)
	}
}

// SetFilter keeps only rows with a cell containing f (case-insensitive).
func (m *Model) SetFilter(f string) {
	m.filter = strings.ToLower(f)
	m.applyFilter()
}

func (m *Model) applyFilter() {
	m.visible = m.visible[:0]
	for i, r := range m.rows {
		if m.filter == "" || matches(r, m.filter) {
			m.visible = append(m.visible, i)
		}
	}
	m.clamp()
}

func matches(r Row, f string) bool {
	cells, _ := r.cells()
	for _, c := range cells {
		if strings.Contains(strings.ToLower(c), f) {
			return true
		}
	}
	return strings.Contains(strings.ToLower(r.Key), f)
}

// Len is the number of rows that pass the filter.
func (m *Model) Len() int { return len(m.visible) }

// Cursor is the position of the cursor among the filtered rows.
func (m *Model) Cursor() int { return m.cursor }

// Total is the number of rows.
func (m *Model) Total() int { return len(m.rows) }

// Selected returns the row under the cursor.
func (m *Model) Selected() (Row, bool) {
	if m.cursor < 0 || m.cursor >= len(m.visible) {
		return Row{}, false
	}
	return m.rows[m.visible[m.cursor]], true
}

// Select moves the cursor to the row with key; false if it is filtered out
// or absent.
func (m *Model) Select(key string) bool {
	for i, idx := range m.visible {
		if m.rows[idx].Key == key {
			m.cursor = i
			m.clamp()
			return true
		}
	}
	return false
}

// Move moves the cursor by n rows (negative: up).
func (m *Model) Move(n int) {
	m.cursor += n
	m.clamp()
}

// Top and Bottom jump to the ends.
func (m *Model) Top()    { m.cursor = 0; m.clamp() }
func (m *Model) Bottom() { m.cursor = len(m.visible) - 1; m.clamp() }

// PageSize is how many rows one screen shows.
func (m *Model) PageSize() int { return m.height }

func (m *Model) clamp() {
	m.cursor = min(max(m.cursor, 0), max(len(m.visible)-1, 0))
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+m.height {
		m.offset = m.cursor - m.height + 1
	}
	m.offset = max(min(m.offset, len(m.visible)-m.height), 0)
}

// widths resolves flex columns against the table's width.
func (m *Model) widths() []int {
	ws := make([]int, len(m.cols))
	fixed, flex := 0, 0
	for i, c := range m.cols {
		ws[i] = c.Width
		fixed += c.Width + 1
		flex += c.Flex
	}
	if flex > 0 {
		extra := max(m.width-gutter-fixed, 0)
		for i, c := range m.cols {
			ws[i] += extra * c.Flex / flex
		}
	}
	return ws
}

// View renders the header and the visible rows only.
func (m *Model) View() string {
	ws := m.widths()
	var b strings.Builder
	titles := make([]string, len(m.cols))
	for i, c := range m.cols {
		titles[i] = c.Title
	}
	b.WriteString(m.styles.Header.Render("  " + m.line(titles, nil, ws)))
	end := min(m.offset+m.height, len(m.visible))
	for i := m.offset; i < end; i++ {
		cells, st := m.rows[m.visible[i]].cells()
		b.WriteByte('\n')
		// The marker keeps the selection visible without colour (NO_COLOR,
		// a screen reader, a copy of the screen).
		if i == m.cursor {
			b.WriteString("› " + m.styles.Selected.Render(m.line(cells, nil, ws)))
		} else {
			b.WriteString("  " + m.line(cells, st, ws))
		}
	}
	for i := end - m.offset; i < m.height; i++ {
		b.WriteByte('\n')
	}
	return b.String()
}

func (m *Model) line(cells []string, st []*lipgloss.Style, ws []int) string {
	var b strings.Builder
	for i, w := range ws {
		if i > 0 {
			b.WriteByte(' ')
		}
		c := ""
		if i < len(cells) {
			c = cells[i]
		}
		c = fit(c, w, m.cols[i].Middle)
		if i < len(st) && st[i] != nil {
			c = st[i].Render(c)
		}
		b.WriteString(c)
	}
	return ansi.Truncate(b.String(), m.width-gutter, "")
}

// gutter is the width of the selection marker.
const gutter = 2

// fit pads or truncates s to exactly w cells.
func fit(s string, w int, middle bool) string {
	if n := ansi.StringWidth(s); n > w {
		if middle && w > 8 {
			head := (w - 1) / 2
			return ansi.Truncate(s, head, "") + "…" + ansi.TruncateLeft(s, n-(w-1-head), "")
		}
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-ansi.StringWidth(s))
}
