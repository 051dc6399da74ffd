package common

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/table"
)

// Age is a short age like docker's: 45s, 12m, 3h, 20d, 2y.
func Age(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(int(d.Seconds()), 0))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	case d < 2*365*24*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
	return fmt.Sprintf("%dy", int(d.Hours()/24/365))
}

// Badge fills cell i of r with the worst severity of fs, styled.
func Badge(c *Common, r *table.Row, i int, fs []model.Finding) {
	sev, ok := WorstSeverity(fs)
	if !ok {
		r.Cells[i] = "-"
		return
	}
	r.Cells[i] = sev.String()
	st := c.Styles.Severity[sev]
	r.Styles = make([]*lipgloss.Style, len(r.Cells))
	r.Styles[i] = &st
}

// Singular is what a pane lists, in the singular: "secret", "property file".
func Singular(pane string) string {
	if pane == "properties" {
		return "property file"
	}
	return strings.TrimSuffix(pane, "s")
}

// Plural is n and noun, with an s unless n is 1: "1 secret", "2 services".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// OneLine folds s (an error from an engine, often multi-line) onto one line
// for the status line.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
