// Package audit is the Audit pane: this machine's audit log, newest first,
// filterable. It never holds a value.
package audit

import (
	"fmt"

	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/list"
	"github.com/secretdeck/secretdeck/tui/table"
)

// Name is the pane's name in tabs and in `:` jumps.
const Name = "audit"

// New returns the Audit pane.
func New(c *common.Common) *list.Pane {
	return list.New(c, list.Spec{
		Name: Name,
		Columns: []table.Column{
			{Title: "TIME", Width: 19}, {Title: "PLAN", Width: 12, Flex: 1, Middle: true}, {Title: "ACTION", Width: 9},
			{Title: "SUBJECT", Width: 14, Flex: 2, Middle: true}, {Title: "RESULT", Width: 10, Flex: 1},
		},
		Rows:   rows,
		Detail: detail,
		Empty:  "the audit log is empty",
	})
}

func rows(d *common.Data) []table.Row {
	if d == nil {
		return nil
	}
	out := make([]table.Row, 0, len(d.Audit))
	for i := len(d.Audit) - 1; i >= 0; i-- {
		e := d.Audit[i]
		out = append(out, table.Row{Key: fmt.Sprint(i), Cells: []string{e.Time.Local().Format("2006-01-02 15:04:05"), dash(e.Plan), e.Action, e.Subject, e.Result}})
	}
	return out
}

func detail(d *common.Data, key string, _ int) string {
	var i int
	if _, err := fmt.Sscan(key, &i); err != nil || d == nil || i >= len(d.Audit) {
		return ""
	}
	e := d.Audit[i]
	return fmt.Sprintf("Time     %s\nUser     %s\nPlan     %s\nAction   %s\nSubject  %s\nResult   %s\n",
		e.Time.Local().Format("2006-01-02 15:04:05 MST"), e.User, dash(e.Plan), e.Action, e.Subject, e.Result)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
