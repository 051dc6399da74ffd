// Package drift is the Drift pane: findings, most severe first, with their
// explanation and suggested action; `o` jumps to the finding's subject.
package drift

import (
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/list"
	"github.com/secretdeck/secretdeck/tui/table"
)

// Name is the pane's name in tabs and in `:` jumps.
const Name = "drift"

// New returns the Drift pane. Rows are keyed by finding ID (findingKeys).
func New(c *common.Common) *list.Pane {
	return list.New(c, list.Spec{
		Name: Name,
		Columns: []table.Column{
			{Title: "SEVERITY", Width: 8}, {Title: "KIND", Width: 15}, {Title: "SUBJECT", Width: 20, Flex: 1},
			{Title: "ACTION", Width: 17},
		},
		Rows:       func(d *common.Data) []table.Row { return rows(c, d) },
		Detail:     detail,
		Handle:     func(p *list.Pane, msg tea.Msg) (bool, tea.Cmd) { return handle(c, p, msg) },
		Help:       []key.Binding{c.Keys.Stage, c.Keys.Unstage, c.Keys.Preview, c.Keys.GoTo},
		DetailHelp: []key.Binding{c.Keys.GoTo},
		Empty:      "no drift (or no --source to compare with)",
	})
}

func rows(c *common.Common, d *common.Data) []table.Row {
	fs := d.Findings()
	keys := findingKeys(fs)
	out := make([]table.Row, len(fs))
	for i := range fs {
		// The cells are made when the row is drawn or filtered (table.Row.Make).
		out[i] = table.Row{Key: keys[i], Make: func() ([]string, []*lipgloss.Style) {
			f := fs[i]
			return []string{common.Mark(c.Staging.Selects(f), f.Severity.String()), string(f.Kind), Subject(f), actions(f)},
				common.SeverityStyles(c, f.Severity, 0, 1) // shared by the rows of a severity
		}}
	}
	return out
}

// findingKeys identify findings across reloads (their ID), made unique by
// how many findings before share the ID: not by position, which a reload
// that fixes an earlier finding shifts.
func findingKeys(fs []model.Finding) []string {
	seen := map[string]int{}
	keys := make([]string, len(fs))
	for i, f := range fs {
		id := f.ID()
		keys[i] = id + "#" + strconv.Itoa(seen[id])
		seen[id]++
	}
	return keys
}

func find(d *common.Data, key string) (model.Finding, bool) {
	fs := d.Findings()
	for i, k := range findingKeys(fs) {
		if k == key {
			return fs[i], true
		}
	}
	return model.Finding{}, false
}

// Subject names what a finding is about, shortest first.
func Subject(f model.Finding) string {
	var parts []string
	for _, p := range []string{f.Service, f.Secret, f.Config, f.File, f.Key} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " · ")
}

func actions(f model.Finding) string {
	s := make([]string, len(f.Actions))
	for i, a := range f.Actions {
		s[i] = string(a)
	}
	return strings.Join(s, "|")
}

func detail(d *common.Data, key string, width int) string {
	f, ok := find(d, key)
	if !ok {
		return "this finding is gone after the last refresh: press esc"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s\n\n", strings.ToUpper(f.Severity.String()), f.Kind)
	for _, kv := range [][2]string{{"Service", f.Service}, {"Secret", f.Secret}, {"Config", f.Config}, {"Logical", f.Logical}, {"File", f.File}, {"Key", f.Key}, {"Plan", f.Plan}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, "%-9s %s\n", kv[0], kv[1])
		}
	}
	b.WriteString("\n")
	b.WriteString(wrap(f.Explanation, max(width, 20)))
	fmt.Fprintf(&b, "\n\nAction: %s\n", strings.ReplaceAll(actions(f), "|", " or "))
	if f.Command != "" {
		fmt.Fprintf(&b, "\n$ %s\n", f.Command)
		if f.Hint != "" {
			b.WriteString(wrap(f.Hint, max(width, 20)) + "\n")
		}
	}
	if f.Diff != "" {
		b.WriteString("\nThe mounted config → the source's (values masked):\n")
		for _, line := range strings.Split(strings.TrimRight(f.Diff, "\n"), "\n") {
			b.WriteString("  " + model.PrintableText([]byte(line)) + "\n")
		}
	}
	if target := subjectRef(f); target.Pane != "" {
		fmt.Fprintf(&b, "\nPress o to open the %s %s.\n", common.Singular(target.Pane), target.Key)
	}
	return b.String()
}

// subjectRef is the most specific object a finding is about.
func subjectRef(f model.Finding) common.Ref {
	switch {
	case f.Secret != "":
		return common.Ref{Pane: "secrets", Key: f.Secret}
	case f.Config != "":
		return common.Ref{Pane: "configs", Key: f.Config}
	case f.Service != "" && f.Kind != model.KindUnknownService:
		return common.Ref{Pane: "services", Key: f.Service}
	case f.File != "":
		return common.Ref{Pane: "properties", Key: f.File}
	}
	return common.Ref{}
}

func handle(c *common.Common, p *list.Pane, msg tea.Msg) (bool, tea.Cmd) {
	if ok, cmd := list.StageKeys(c, p, msg, common.StageFinding, func(k string) (string, string) {
		f, found := find(p.Data(), k)
		switch {
		case found && model.Fixable(f):
			return f.ID(), ""
		case found && f.Command != "":
			return "", "enter shows the command that does"
		}
		return "", ""
	}); ok {
		return true, cmd
	}
	km, ok := msg.(tea.KeyPressMsg)
	if !ok || !key.Matches(km, c.Keys.GoTo) {
		return false, nil
	}
	k := p.Selected()
	if p.InDetail() {
		k = p.DetailKey()
	}
	f, ok := find(p.Data(), k)
	if !ok {
		return true, nil
	}
	ref := subjectRef(f)
	if ref.Pane == "" {
		return true, func() tea.Msg { return common.StatusMsg{Text: "this finding names nothing to open"} }
	}
	return true, func() tea.Msg { return common.JumpMsg{Ref: ref} }
}

// wrap breaks s into lines of at most width cells, at spaces.
func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(s) {
		if i > 0 && n+1+len(w) > width {
			b.WriteByte('\n')
			n = 0
		} else if i > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}
