// Package keys holds the TUI's key bindings, grouped by purpose.
package keys

import "charm.land/bubbles/v2/key"

// KeyMap is every binding; panes pick (and may relabel) the ones they show.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Open, Back                              key.Binding
	NextPane, PrevPane, Jump                key.Binding
	Filter, Help, Refresh, Quit             key.Binding
	// ForceQuit quits from anywhere, a detail view or a prompt included.
	ForceQuit                      key.Binding
	Reveal, SwitchEnv, GoTo        key.Binding
	Stage, Unstage, Preview, Apply key.Binding
	Resume, Revert                 key.Binding
	AllSwarms                      key.Binding
	// Report writes the incident report to a file (Nodes pane).
	Report key.Binding
	// Answers to a prompt or a dialog: Confirm (y) and Deny (n) answer a
	// question, Submit (enter) takes what was typed, Cancel (esc) closes it.
	Confirm, Deny, Submit, Cancel key.Binding
}

// Default returns the bindings.
func Default() *KeyMap {
	return &KeyMap{
		Up:        key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:      key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:    key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown:  key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
		Top:       key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "top")),
		Bottom:    key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "bottom")),
		Open:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		NextPane:  key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane")),
		PrevPane:  key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous pane")),
		Jump:      key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "go to pane")),
		Filter:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Refresh:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Quit:      key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Reveal:    key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "reveal 10s")),
		SwitchEnv: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "switch env")),
		GoTo:      key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "open subject")),
		Stage:     key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "stage")),
		Unstage:   key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "unstage")),
		Preview:   key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "preview plan")),
		Apply:     key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "apply")),
		Resume:    key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "resume half-done plan")),
		Revert:    key.NewBinding(key.WithKeys("V"), key.WithHelp("V", "revert half-done plan")),
		AllSwarms: key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "all swarms / this one")),
		Report:    key.NewBinding(key.WithKeys("W"), key.WithHelp("W", "write incident report")),
		Confirm:   key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes")),
		Deny:      key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "no")),
		Submit:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "ok")),
		Cancel:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}
