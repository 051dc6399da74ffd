// Package leak checks, in tests, that no secret value reached some text
// (output, an error, a screen, a log) — and reports a leak without printing
// the value or the text around it: a failing test must not leak either.
package leak

import (
	"fmt"
	"strings"
	"testing"
)

// Find returns, for each value found in text, a line saying which value (by
// its position in values and its length) and where (line and column of the
// first occurrence). Empty values are ignored.
func Find(text string, values ...string) []string {
	var found []string
	for i, v := range values {
		if v == "" {
			continue
		}
		at := strings.Index(text, v)
		if at < 0 {
			continue
		}
		line := strings.Count(text[:at], "\n") + 1
		col := at - strings.LastIndex(text[:at], "\n")
		found = append(found, fmt.Sprintf("value #%d (%d bytes) at line %d, column %d", i+1, len(v), line, col))
	}
	return found
}

// Check fails t for every value of values found in text, naming where (what
// the text is: "stdout of drift", "the screen after p") and never the value.
func Check(t testing.TB, where, text string, values ...string) {
	t.Helper()
	for _, f := range Find(text, values...) {
		t.Errorf("a secret value leaked into %s: %s (%d bytes of text; not printed)", where, f, len(text))
	}
}
