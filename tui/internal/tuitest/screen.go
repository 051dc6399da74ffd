package tuitest

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/secretdeck/secretdeck/tui/common"
)

// Screen is p's view without colour, as with NO_COLOR.
func Screen(p common.Pane) string { return ansi.Strip(p.View()) }

// Rows are the lines of a screen with runs of spaces collapsed and the
// selection marker dropped, so that a test compares what a row says, not
// how wide its columns are: "api_db_pass_v1 api_db_pass 1 DIFFERS 1 3d high".
func Rows(screen string) []string {
	lines := strings.Split(screen, "\n")
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, strings.Join(strings.Fields(strings.TrimPrefix(l, "›")), " "))
	}
	return out
}

// Row is the row of Rows(screen) whose first cell is name, a staging mark
// ("+ ") kept; "" when there is none.
func Row(screen, name string) string {
	for _, r := range Rows(screen) {
		if first, _, _ := strings.Cut(strings.TrimPrefix(r, "+ "), " "); first == name {
			return r
		}
	}
	return ""
}

// AssertRows checks that each row of want is on screen as written; the row
// is found by its first cell, as Row finds it.
func AssertRows(t testing.TB, screen string, want ...string) {
	t.Helper()
	for _, w := range want {
		name, _, _ := strings.Cut(w, " ")
		if got := Row(screen, name); got != w {
			t.Errorf("row %s:\n got %q\nwant %q\n%s", name, got, w, screen)
		}
	}
}

// Selected is the row under the selection marker, as Rows shows it; ""
// when no row is selected.
func Selected(screen string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(l, "›") {
			return Rows(l)[0]
		}
	}
	return ""
}
