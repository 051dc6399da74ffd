// Package audit is the Audit pane: this machine's audit log, newest first,
// filterable, and by default only the records of the swarm on screen (w
// shows every swarm's). It never holds a value.
package audit

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/list"
	"github.com/secretdeck/secretdeck/tui/table"
)

// Name is the pane's name in tabs and in `:` jumps.
const Name = "audit"

type pane struct {
	c   *common.Common
	all bool // every swarm's records, not only this swarm's
}

// New returns the Audit pane.
func New(c *common.Common) *list.Pane {
	p := &pane{c: c}
	return list.New(c, list.Spec{
		Name: Name,
		Columns: []table.Column{
			{Title: "TIME", Width: 19}, {Title: "USER", Width: 8}, {Title: "SWARM", Width: 8}, {Title: "PLAN", Width: 10, Flex: 1, Middle: true},
			{Title: "ACTION", Width: 7}, {Title: "SUBJECT", Width: 10, Flex: 3, Middle: true}, {Title: "RESULT", Width: 8, Flex: 1},
		},
		Rows:   p.rows,
		Detail: detail,
		Handle: p.handle,
		Help:   []key.Binding{c.Keys.AllSwarms},
		Empty:  "no record of this swarm in the audit log (w: every swarm's)",
	})
}

func (p *pane) rows(d *common.Data) []table.Row {
	if d == nil {
		return nil
	}
	out := make([]table.Row, 0, len(d.Audit))
	for i := len(d.Audit) - 1; i >= 0; i-- {
		e := d.Audit[i]
		if !p.all && d.Swarm != nil && e.Swarm != d.Swarm.ClusterID {
			continue
		}
		out = append(out, table.Row{Key: fmt.Sprint(i), Cells: []string{
			e.Time.Local().Format("2006-01-02 15:04:05"), dash(e.User), dash(short(e.Swarm, 8)), dash(e.Plan), e.Action, e.Subject, e.Result,
		}})
	}
	return out
}

func (p *pane) handle(lp *list.Pane, msg tea.Msg) (bool, tea.Cmd) {
	km, ok := msg.(tea.KeyPressMsg)
	if !ok || lp.InDetail() || !key.Matches(km, p.c.Keys.AllSwarms) {
		return false, nil
	}
	p.all = !p.all
	lp.Rebuild()
	text := "the audit log of this swarm only (w: every swarm)"
	if p.all {
		text = "the audit log of every swarm this machine worked on (w: this swarm only)"
	}
	return true, func() tea.Msg { return common.StatusMsg{Text: text} }
}

func detail(d *common.Data, key string, _ int) string {
	var i int
	if _, err := fmt.Sscan(key, &i); err != nil || d == nil || i >= len(d.Audit) {
		return ""
	}
	e := d.Audit[i]
	return fmt.Sprintf("Time     %s\nUser     %s\nSwarm    %s\nContext  %s\nPlan     %s\nAction   %s\nSubject  %s\nResult   %s\n",
		e.Time.Local().Format("2006-01-02 15:04:05 MST"), dash(e.User), dash(e.Swarm), dash(e.Context), dash(e.Plan), e.Action, e.Subject, e.Result)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
