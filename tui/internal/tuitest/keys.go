package tuitest

import tea "charm.land/bubbletea/v2"

// namedKeys are the keys Keys knows by name.
var namedKeys = map[string]tea.KeyPressMsg{
	"tab":       {Code: tea.KeyTab},
	"shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift},
	"enter":     {Code: tea.KeyEnter},
	"esc":       {Code: tea.KeyEscape},
	"down":      {Code: tea.KeyDown},
	"up":        {Code: tea.KeyUp},
	"pgdown":    {Code: tea.KeyPgDown},
	"pgup":      {Code: tea.KeyPgUp},
	"home":      {Code: tea.KeyHome},
	"end":       {Code: tea.KeyEnd},
	"space":     {Code: tea.KeySpace, Text: " "},
}

// Keys turns key names ("tab", "enter", "esc", "down", "space"…) into key
// presses; any other string is typed one character at a time.
func Keys(names ...string) []tea.KeyPressMsg {
	var out []tea.KeyPressMsg
	for _, k := range names {
		if m, ok := namedKeys[k]; ok {
			out = append(out, m)
			continue
		}
		for _, r := range k {
			out = append(out, tea.KeyPressMsg{Code: r, Text: string(r)})
		}
	}
	return out
}
