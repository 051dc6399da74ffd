// Package properties is the Properties pane: the property files of the
// environment, grouped by service, each entry with its value MASKED (length
// and drift state shown). `x` reveals one value for ten seconds, recorded in
// the audit log by key name.
package properties

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/list"
	"github.com/secretdeck/secretdeck/tui/table"
)

// Name is the pane's name in tabs and in `:` jumps.
const Name = "properties"

// revealExpiredMsg masks a value again; token drops stale timers when the
// same value was revealed twice.
type revealExpiredMsg struct {
	key   string
	token int
}

type pane struct {
	c        *common.Common
	revealed map[string]int // row key → token of its timer
	token    int
}

// New returns the Properties pane.
func New(c *common.Common) *list.Pane {
	p := &pane{c: c, revealed: map[string]int{}}
	return list.New(c, list.Spec{
		Name: Name,
		Columns: []table.Column{
			{Title: "FILE / KEY", Width: 20, Flex: 3, Middle: true}, {Title: "VALUE", Width: 16, Flex: 2},
			{Title: "BYTES", Width: 6}, {Title: "STATE", Width: 14},
		},
		Rows:   p.rows,
		Detail: p.detail,
		Handle: p.handle,
		Help:   []key.Binding{c.Keys.Reveal},
		Empty:  "no property files (start secretdeck with --source and --env)",
	})
}

func entryKey(file, k string) string { return file + "#" + k }

func (p *pane) rows(d *common.Data) []table.Row {
	if d == nil || d.Source == nil {
		return nil
	}
	states := map[string][]string{}
	for _, f := range d.Findings() {
		if f.File != "" && f.Key != "" {
			k := entryKey(f.File, f.Key)
			states[k] = append(states[k], string(f.Kind))
		}
	}
	unrun := map[string]bool{} // files of services the swarm does not run
	for _, f := range d.Findings() {
		if f.Kind == model.KindUnknownService {
			unrun[f.File] = true
		}
	}
	declared := map[string]bool{}
	if d.Drift != nil {
		for _, ds := range d.Drift.Desired {
			declared[entryKey(ds.File, ds.Key)] = true
		}
	}
	var out []table.Row
	for _, f := range d.Source.Files {
		head := table.Row{Key: f.Key, Cells: []string{f.Key, f.Service + " · " + string(f.Format), strconv.FormatInt(f.Size, 10), common.Plural(len(f.Entries), "key")}}
		if f.Err != nil {
			head.Cells[3] = "UNPARSABLE"
			head.Cells[1] = f.Err.Error()
			st := p.c.Styles.Error
			head.Styles = []*lipgloss.Style{nil, &st, nil, &st}
		}
		out = append(out, head)
		for _, e := range f.Entries {
			k := entryKey(f.Key, e.Key)
			state := strings.Join(states[k], ",")
			switch {
			case state != "":
			case declared[k]:
				state = "in sync"
			case unrun[f.Key]:
				state = "no such service"
			default:
				state = "not a secret"
			}
			r := table.Row{Key: k, Cells: []string{"  " + e.Key, p.value(k, e.Value), strconv.Itoa(e.Value.Len()), state}}
			if _, shown := p.revealed[k]; shown {
				st := p.c.Styles.Revealed
				r.Styles = []*lipgloss.Style{nil, &st}
			}
			out = append(out, r)
		}
	}
	return out
}

// value is what the VALUE column shows: a mask, unless revealed.
func (p *pane) value(k string, v model.Value) string {
	if _, shown := p.revealed[k]; shown {
		return v.Reveal()
	}
	return "••••••••"
}

func (p *pane) detail(d *common.Data, k string, _ int) string {
	if d == nil || d.Source == nil {
		return ""
	}
	var b strings.Builder
	for _, f := range d.Source.Files {
		if f.Key != k && !strings.HasPrefix(k, f.Key+"#") {
			continue
		}
		fmt.Fprintf(&b, "File      %s\nService   %s\nFormat    %s\nEnv       %s\nVersion   %s\nETag      %s\nModified  %s\nSize      %d bytes\n",
			f.Key, f.Service, f.Format, f.Env, dash(f.VersionID), dash(f.ETag), f.LastModified.UTC().Format("2006-01-02 15:04:05Z"), f.Size)
		if f.Err != nil {
			fmt.Fprintf(&b, "\nUNPARSABLE  %s\n", f.Err.Error())
		}
		fmt.Fprintf(&b, "\nKEYS (values masked; select one in the list and press x to reveal it for %s)\n", p.c.RevealFor)
		for _, e := range f.Entries {
			line := ""
			if e.Line > 0 {
				line = fmt.Sprintf("line %d", e.Line)
			}
			fmt.Fprintf(&b, "  %-40s %6d bytes  %s\n", e.Key, e.Value.Len(), line)
		}
		for _, fd := range d.Findings() {
			if fd.File == f.Key {
				fmt.Fprintf(&b, "\n%s %s: %s\n", fd.Severity, fd.Kind, fd.Explanation)
			}
		}
	}
	return b.String()
}

func (p *pane) handle(lp *list.Pane, msg tea.Msg) (bool, tea.Cmd) {
	switch msg := msg.(type) {
	case common.EnvSwitchMsg:
		// Values of the old environment must not stay on screen, not even
		// while the new one loads (or if it fails to load).
		p.revealed = map[string]int{}
		lp.Rebuild()
		return true, nil
	case revealExpiredMsg:
		if p.revealed[msg.key] == msg.token {
			delete(p.revealed, msg.key)
			lp.Rebuild()
		}
		return true, nil
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, p.c.Keys.Reveal) && !lp.InDetail():
			return true, p.reveal(lp)
		}
	}
	return false, nil
}

func (p *pane) reveal(lp *list.Pane) tea.Cmd {
	k := lp.Selected()
	if !strings.Contains(k, "#") {
		return status("select a key (not a file) to reveal its value", true)
	}
	if p.c.NoReveal {
		return status("revealing values is disabled (--no-reveal)", true)
	}
	if err := p.c.Audit("reveal", k); err != nil {
		return status("not revealed: the audit log cannot be written: "+err.Error(), true)
	}
	p.token++
	p.revealed[k] = p.token
	lp.Rebuild()
	token := p.token
	return tea.Batch(
		status(fmt.Sprintf("%s revealed for %s (recorded in the audit log)", k, p.c.RevealFor), false),
		p.c.Tick(p.c.RevealFor, func(time.Time) tea.Msg { return revealExpiredMsg{key: k, token: token} }),
	)
}

func status(text string, isErr bool) tea.Cmd {
	return func() tea.Msg { return common.StatusMsg{Text: text, Error: isErr} }
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
