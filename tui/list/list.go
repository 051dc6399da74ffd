// Package list is the shape every pane shares: a table of rows that opens a
// scrollable detail. A pane supplies its columns, how to build rows and the
// detail from the data, and any keys of its own.
package list

import (
	"fmt"
	"slices"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/table"
)

// Spec says what a pane shows.
type Spec struct {
	Name    string
	Columns []table.Column
	// Rows builds the table from the data (nil data: nothing loaded yet),
	// when the pane is next drawn or used after the data came: it may
	// never be called for a pane never looked at.
	Rows func(*common.Data) []table.Row
	// Loaded, when set, sees each new data as it comes (what the pane
	// shows outside its rows, such as its help).
	Loaded func(*common.Data)
	// Detail renders the row with key; width is the pane's.
	Detail func(d *common.Data, key string, width int) string
	// Handle sees every message first (the pane's own keys, its timers);
	// handled=false passes a key on to the list.
	Handle func(p *Pane, msg tea.Msg) (handled bool, cmd tea.Cmd)
	// Help lists the pane's own bindings for ? and the help line, the most
	// used first; DetailHelp those that work in its detail view.
	Help       []key.Binding
	DetailHelp []key.Binding
	// Empty is shown when there is no row at all.
	Empty string
	// Overlay, when it returns text, is shown instead of the list or the
	// detail (a revealed value), and the pane takes every key meanwhile.
	Overlay func(width, height int) string
}

// Pane is a list pane; it implements common.Pane.
type Pane struct {
	c         *common.Common
	spec      Spec
	table     table.Model
	stale     bool // the rows are made again when the pane is next used (rows)
	detail    common.Detail
	data      *common.Data
	inDetail  bool
	detailKey string
	width     int
	height    int
}

// New returns a pane for spec.
func New(c *common.Common, spec Spec) *Pane {
	return &Pane{c: c, spec: spec, table: table.New(spec.Columns, &c.Styles.Table)}
}

// Name implements common.Pane.
func (p *Pane) Name() string { return p.spec.Name }

// Data is the data the pane shows.
func (p *Pane) Data() *common.Data { return p.data }

// SetData implements common.Pane.
func (p *Pane) SetData(d *common.Data) {
	p.data = d
	if p.spec.Loaded != nil {
		p.spec.Loaded(d)
	}
	p.Rebuild()
}

// Rebuild recomputes rows and detail from the current data (after a reload,
// or after pane state such as a reveal changed). The rows are made when
// the pane is next drawn or used (rows): a load of 10,000 secrets makes
// the rows of the pane on screen, not of all seven.
func (p *Pane) Rebuild() {
	p.stale = true
	if p.inDetail {
		p.detail.SetContent(p.spec.Detail(p.data, p.detailKey, p.width))
	}
}

// rows is the table, its rows made from the current data if they are
// stale (SetRows keeps the selection on the same key).
func (p *Pane) rows() *table.Model {
	if p.stale {
		p.stale = false
		p.table.SetRows(p.spec.Rows(p.data))
	}
	return &p.table
}

// SetSize implements common.Pane.
func (p *Pane) SetSize(w, h int) {
	p.width, p.height = w, h
	p.table.SetSize(w, h-1) // one line for the position and filter
	p.detail.SetSize(w, h)
	if p.inDetail {
		p.detail.SetContent(p.spec.Detail(p.data, p.detailKey, w))
	}
}

// SetFilter implements common.Pane.
func (p *Pane) SetFilter(f string) { p.rows().SetFilter(f) }

// Selected is the key of the selected row ("" when none).
func (p *Pane) Selected() string {
	r, ok := p.rows().Selected()
	if !ok {
		return ""
	}
	return r.Key
}

// InDetail implements common.Pane.
func (p *Pane) InDetail() bool { return p.inDetail }

// Capturing implements common.Pane: while its overlay shows.
func (p *Pane) Capturing() bool { return p.overlay() != "" }

func (p *Pane) overlay() string {
	if p.spec.Overlay == nil {
		return ""
	}
	return p.spec.Overlay(p.width, p.height)
}

// DetailKey is the key of the row whose detail is open.
func (p *Pane) DetailKey() string { return p.detailKey }

// Focus implements common.Pane.
func (p *Pane) Focus(key string) bool {
	p.rows().SetFilter("")
	if !p.rows().Select(key) {
		return false
	}
	p.open(key)
	return true
}

func (p *Pane) open(key string) {
	p.inDetail, p.detailKey = true, key
	p.detail.Reset()
	p.detail.SetContent(p.spec.Detail(p.data, key, p.width))
}

// Update implements common.Pane.
func (p *Pane) Update(msg tea.Msg) (common.Pane, tea.Cmd) {
	if p.spec.Handle != nil {
		if handled, cmd := p.spec.Handle(p, msg); handled {
			return p, cmd
		}
	}
	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return p, nil
	}
	k := p.c.Keys
	if p.inDetail {
		// q leaves a detail view rather than the program, as in k9s.
		if key.Matches(km, k.Back, k.Quit) {
			p.inDetail = false
		} else {
			p.detail.ScrollKey(k, km)
		}
		return p, nil
	}
	switch {
	case key.Matches(km, k.Up):
		p.rows().Move(-1)
	case key.Matches(km, k.Down):
		p.rows().Move(1)
	case key.Matches(km, k.PageUp):
		p.rows().Move(-p.rows().PageSize())
	case key.Matches(km, k.PageDown):
		p.rows().Move(p.rows().PageSize())
	case key.Matches(km, k.Top):
		p.rows().Top()
	case key.Matches(km, k.Bottom):
		p.rows().Bottom()
	case key.Matches(km, k.Open):
		if sel := p.Selected(); sel != "" {
			p.open(sel)
		}
	}
	return p, nil
}

// View implements common.Pane.
func (p *Pane) View() string {
	if o := p.overlay(); o != "" {
		return o
	}
	if p.inDetail {
		return p.detail.View()
	}
	t := p.rows()
	pos := fmt.Sprintf("%d/%d", min(p.cursorPos(), t.Len()), t.Len())
	if t.Len() != t.Total() {
		pos += fmt.Sprintf(" (filtered from %d)", t.Total())
	}
	if t.Total() == 0 && p.spec.Empty != "" {
		pos = p.spec.Empty
	}
	return t.View() + "\n" + p.c.Styles.Status.Render(pos)
}

func (p *Pane) cursorPos() int {
	if p.rows().Len() == 0 {
		return 0
	}
	return p.rows().Cursor() + 1
}

// ShortHelp implements common.Pane: the pane's own keys first.
func (p *Pane) ShortHelp() []key.Binding {
	k := p.c.Keys
	if p.inDetail {
		return append(slices.Clone(p.spec.DetailHelp), k.Back, k.Up, k.Down)
	}
	return append(slices.Clone(p.spec.Help), k.Open, k.Filter, k.NextPane, k.Help, k.Quit)
}

// HelpGroups implements common.Pane.
func (p *Pane) HelpGroups() []common.KeyGroup {
	k := p.c.Keys
	return []common.KeyGroup{
		{Title: p.spec.Name + " pane", Keys: append(slices.Clone(p.spec.Help), k.Open, k.Back, k.Filter)},
		{Title: "move", Keys: []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}},
	}
}

// StageKeys handles space (stage) and u (unstage) for a pane whose rows map
// to a staging item of kind, and item gives the item for a row key, or ""
// and what to do instead when the row cannot be staged ("" : a plain no).
func StageKeys(c *common.Common, p *Pane, msg tea.Msg, kind common.StageKind, item func(rowKey string) (key, instead string)) (bool, tea.Cmd) {
	km, ok := msg.(tea.KeyPressMsg)
	if !ok || p.InDetail() {
		return false, nil
	}
	on := key.Matches(km, c.Keys.Stage)
	if !on && !key.Matches(km, c.Keys.Unstage) {
		return false, nil
	}
	k, instead := item(p.Selected())
	if k == "" {
		text := "nothing a plan can fix here"
		if instead != "" {
			text += ": " + instead
		}
		return true, func() tea.Msg { return common.StatusMsg{Text: text, Error: true} }
	}
	return true, func() tea.Msg { return common.StageMsg{Kind: kind, Key: k, On: on} }
}
