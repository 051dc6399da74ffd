// Package services is the Services pane: every service with its stack,
// tasks, rollout state, secrets and drift; its detail shows secret references,
// env var names (exposures flagged), update config and previous spec.
package services

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"fmt"
	"strconv"
	"strings"

	"github.com/secretdeck/secretdeck/internal/report"
	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/list"
	"github.com/secretdeck/secretdeck/tui/table"
)

// Name is the pane's name in tabs and in `:` jumps.
const Name = "services"

// New returns the Services pane.
func New(c *common.Common) *list.Pane {
	return list.New(c, list.Spec{
		Name: Name,
		Columns: []table.Column{
			{Title: "NAME", Width: 16, Flex: 1, Middle: true}, {Title: "STACK", Width: 8},
			{Title: "TASKS", Width: 7}, {Title: "UPDATE", Width: 10}, {Title: "SECRETS", Width: 7},
			{Title: "DRIFT", Width: 6},
		},
		Rows:   func(d *common.Data) []table.Row { return rows(c, d) },
		Detail: detail,
		Handle: func(p *list.Pane, msg tea.Msg) (bool, tea.Cmd) {
			return list.StageKeys(c, p, msg, common.StageService, func(name string) (string, string) { return name, "" })
		},
		Help:  []key.Binding{c.Keys.Stage, c.Keys.Unstage, c.Keys.Preview},
		Empty: "no services in this swarm",
	})
}

func rows(c *common.Common, d *common.Data) []table.Row {
	if d == nil || d.Swarm == nil {
		return nil
	}
	worst := common.Worst{}
	staged := map[string]bool{} // a staged finding marks its service too
	for _, f := range d.Findings() {
		if f.Service != "" {
			worst.Add(f.Service, &f)
			staged[f.Service] = staged[f.Service] || c.Staging.Selects(f)
		}
	}
	running, desired := d.Swarm.TaskCounts()
	out := make([]table.Row, 0, len(d.Swarm.Services))
	for _, s := range d.Swarm.Services {
		state := "-"
		if s.UpdateStatus != nil && s.UpdateStatus.State != "" {
			state = s.UpdateStatus.State
		}
		stack := s.Stack
		if stack == "" {
			stack = "-"
		}
		r := table.Row{Key: s.Name, Cells: []string{
			common.Mark(c.Staging.Services[s.Name] || staged[s.Name], s.Name), stack, fmt.Sprintf("%d/%d", running[s.ID], desired[s.ID]), state,
			strconv.Itoa(len(s.Spec.Secrets)), "",
		}}
		sev, ok := worst[s.Name]
		common.BadgeOf(c, &r, 5, sev, ok)
		out = append(out, r)
	}
	return out
}

func detail(d *common.Data, name string, _ int) string {
	if d == nil || d.Swarm == nil {
		return ""
	}
	sd, err := d.Swarm.InspectService(name, d.Drift)
	if err != nil {
		return err.Error() + " (it was removed: press esc)"
	}
	var b strings.Builder
	_ = report.ServiceDetail(&b, sd)
	return b.String()
}
