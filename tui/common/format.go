package common

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/styles"
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
	BadgeOf(c, r, i, sev, ok)
}

// Worst is the worst severity of the findings about each subject (a
// secret, a service): what a row's badge shows, without a copy of the
// findings per subject.
type Worst map[string]model.Severity

// Add counts f for subject.
func (w Worst) Add(subject string, f *model.Finding) {
	if s, ok := w[subject]; !ok || f.Severity > s {
		w[subject] = f.Severity
	}
}

// BadgeOf fills cell i of r with severity sev (ok: there is one), styled.
func BadgeOf(c *Common, r *table.Row, i int, sev model.Severity, ok bool) {
	if !ok {
		r.Cells[i] = "-"
		return
	}
	r.Cells[i] = sev.String()
	r.Styles = SeverityStyles(c, sev, i, len(r.Cells))
}

// badgeKey names one shape of a row's styles: a severity in cell i of n.
type badgeKey struct {
	styles *styles.Styles
	sev    model.Severity
	i, n   int
}

// badges holds one styles slice per shape, shared by every row of that
// shape (rows only read them): 10,000 rows with a severity badge hold no
// copy of a style each.
var badges sync.Map // badgeKey → []*lipgloss.Style

// SeverityStyles returns the styles of a row of n cells whose cell i shows
// severity sev; shared, never to be changed.
func SeverityStyles(c *Common, sev model.Severity, i, n int) []*lipgloss.Style {
	k := badgeKey{c.Styles, sev, i, n}
	if v, ok := badges.Load(k); ok {
		return v.([]*lipgloss.Style)
	}
	st := c.Styles.Severity[sev]
	row := make([]*lipgloss.Style, n)
	row[i] = &st
	v, _ := badges.LoadOrStore(k, row)
	return v.([]*lipgloss.Style)
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
