// Package configs is the Configs pane: every swarm config, its logical
// config and version, size, users, templating and drift; its detail shows
// who mounts it, its versions and its content, with every property file
// value and credential-like literal masked (Docker returns a config's data
// to anyone who can inspect it).
package configs

import (
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/secretdeck/secretdeck/internal/report"
	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/list"
	"github.com/secretdeck/secretdeck/tui/table"
)

// Name is the pane's name in tabs and in `:` jumps.
const Name = "configs"

// New returns the Configs pane.
func New(c *common.Common) *list.Pane {
	return list.New(c, list.Spec{
		Name: Name,
		Columns: []table.Column{
			{Title: "NAME", Width: 14, Flex: 3, Middle: true}, {Title: "LOGICAL", Width: 8, Flex: 2, Middle: true},
			{Title: "VER", Width: 3}, {Title: "SIZE", Width: 6}, {Title: "USED", Width: 4},
			{Title: "AGE", Width: 4}, {Title: "DRIFT", Width: 6},
		},
		Rows:   func(d *common.Data) []table.Row { return rows(c, d) },
		Detail: detail,
		Handle: func(p *list.Pane, msg tea.Msg) (bool, tea.Cmd) {
			return list.StageKeys(c, p, msg, common.StageLogical, func(name string) (string, string) { return logicalOf(p.Data(), name), "" })
		},
		Help:  []key.Binding{c.Keys.Stage, c.Keys.Unstage, c.Keys.Preview},
		Empty: "no configs in this swarm",
	})
}

func rows(c *common.Common, d *common.Data) []table.Row {
	if d == nil || d.Swarm == nil {
		return nil
	}
	used := map[string]int{}
	for _, svc := range d.Swarm.Services {
		seen := map[string]bool{}
		refs := svc.Spec.Configs
		if svc.Previous != nil {
			refs = append(refs[:len(refs):len(refs)], svc.Previous.Configs...)
		}
		for _, r := range refs {
			if !seen[r.ID] {
				seen[r.ID] = true
				used[r.ID]++
			}
		}
	}
	worst := common.Worst{}
	staged := map[string]bool{}
	for _, f := range d.Findings() {
		if f.Config != "" {
			worst.Add(f.Config, &f)
			staged[f.Config] = staged[f.Config] || c.Staging.Selects(f)
		}
	}
	configs := d.Swarm.Configs
	out := make([]table.Row, len(configs))
	for i := range configs {
		// The cells are made when the row is drawn or filtered (table.Row.Make).
		out[i] = table.Row{Key: configs[i].Name, Make: func() ([]string, []*lipgloss.Style) {
			cf := &configs[i]
			v := cf.LogicalVersion()
			name := cf.Name
			if cf.Templating != "" {
				name += " (tmpl)"
			}
			r := table.Row{Cells: []string{
				common.Mark(c.Staging.Logicals[v.Logical] || staged[cf.Name], name), v.Logical, strconv.Itoa(v.N), size(cf.Size),
				strconv.Itoa(used[cf.ID]), common.Age(c.Now(), cf.CreatedAt), "",
			}}
			sev, ok := worst[cf.Name]
			common.BadgeOf(c, &r, 6, sev, ok)
			return r.Cells, r.Styles
		}}
	}
	return out
}

// size is a byte count in a 6-wide cell.
func size(n int) string {
	switch {
	case n < 10_000:
		return strconv.Itoa(n)
	case n < 10_000_000:
		return strconv.Itoa(n/1024) + "K"
	}
	return strconv.Itoa(n/(1024*1024)) + "M"
}

func detail(d *common.Data, name string, _ int) string {
	if d == nil || d.Swarm == nil {
		return ""
	}
	cd, err := d.Swarm.InspectConfig(name, d.Drift, d.Source)
	if err != nil {
		return err.Error() + " (it was removed: press esc)"
	}
	var b strings.Builder
	_ = report.ConfigDetail(&b, cd)
	return b.String()
}

// logicalOf is what staging the config called name stages: the logical
// config the source wants at its place (a config made outside secretdeck,
// replaced by a version of the source's), else its own.
func logicalOf(d *common.Data, name string) string {
	if d == nil || d.Swarm == nil {
		return ""
	}
	for _, f := range d.Findings() {
		if f.Config == name && model.Fixable(f) {
			return f.Logical
		}
	}
	for i := range d.Swarm.Configs {
		if d.Swarm.Configs[i].Name == name {
			return d.Swarm.Configs[i].LogicalVersion().Logical
		}
	}
	return ""
}
