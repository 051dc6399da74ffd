package common

import "charm.land/bubbles/v2/textinput"

// NewInput returns a one-line text input with prompt: the app's filter and
// jump prompt, the Plan pane's typed confirmation.
func NewInput(prompt string) textinput.Model {
	in := textinput.New()
	in.Prompt = prompt
	// A steady cursor: a blinking one redraws the line twice a second over
	// SSH, and its timer is the only one that would bypass Common.Tick.
	st := in.Styles()
	st.Cursor.Blink = false
	in.SetStyles(st)
	return in
}
