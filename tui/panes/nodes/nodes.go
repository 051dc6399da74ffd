// Package nodes is the Nodes pane: every node of the swarm (hostname, role,
// availability, state, address, engine, the leader) and what an attacker
// on it could read; its detail is `inspect node`'s. From it, space stages
// everything a node exposed (what `plan --exposed-on-node` plans) and W
// writes the incident report to a file.
package nodes

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/secretdeck/secretdeck/internal/report"
	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/list"
	"github.com/secretdeck/secretdeck/tui/table"
)

// Name is the pane's name in tabs and in `:` jumps.
const Name = "nodes"

// reportWrittenMsg is the end of a report's writing, for the path asked.
type reportWrittenMsg struct {
	path string
	err  error
}

type pane struct {
	c *common.Common
	// asking: the prompt for the report's file is open.
	asking bool
	input  textinput.Model
	// help and detailHelp are the pane's keys as help shows them, the
	// stage key first: relabelled when it cannot work, so that help says
	// why (the list shows these very slices).
	help, detailHelp []key.Binding
}

// New returns the Nodes pane.
func New(c *common.Common) *list.Pane {
	p := &pane{c: c, input: common.NewInput("report file: ")}
	stage, report := c.Keys.Stage, c.Keys.Report
	stage.SetHelp("space", "stage what it exposed")
	if c.WriteReport == nil {
		report.SetHelp("W", "write report (unavailable in this build)")
	}
	p.help = []key.Binding{stage, c.Keys.Unstage, c.Keys.Preview, report}
	p.detailHelp = []key.Binding{stage, report}
	return list.New(c, list.Spec{
		Name: Name,
		Columns: []table.Column{
			{Title: "HOSTNAME", Width: 8, Flex: 2, Middle: true}, {Title: "ID", Width: 12}, {Title: "ROLE", Width: 7},
			{Title: "AVAIL", Width: 6}, {Title: "STATE", Width: 7}, {Title: "ADDRESS", Width: 9, Flex: 1},
			{Title: "ENGINE", Width: 7, Flex: 1}, {Title: "EXPOSES", Width: 7},
		},
		Rows:       p.rows,
		Loaded:     p.relabel,
		Detail:     detail,
		Handle:     p.handle,
		Help:       p.help,
		DetailHelp: p.detailHelp,
		Empty:      "no nodes in this swarm",
		Overlay: func(w, _ int) string {
			if !p.asking {
				return ""
			}
			return p.prompt(w)
		},
	})
}

// relabel makes help say why staging cannot work: a plan needs the source.
func (p *pane) relabel(d *common.Data) {
	label := "stage what it exposed"
	if d == nil || d.Drift == nil {
		label += " (needs --source)"
	}
	p.help[0].SetHelp("space", label)
	p.detailHelp[0].SetHelp("space", label)
}

func (p *pane) rows(d *common.Data) []table.Row {
	if d == nil || d.Swarm == nil {
		return nil
	}
	exposes := exposedCounts(d.Swarm)
	out := make([]table.Row, 0, len(d.Swarm.Nodes))
	for _, n := range d.Swarm.Nodes {
		role := dash(n.Role)
		if n.Leader {
			role = "leader"
		}
		what := fmt.Sprint(exposes[n.ID])
		if n.IsManager() {
			what = fmt.Sprintf("all %d", len(d.Swarm.Secrets))
		}
		out = append(out, table.Row{Key: n.ID, Cells: []string{
			common.Mark(p.c.Staging.Node == n.ID, dash(n.Hostname)), shortID(n.ID), role, dash(n.Availability), dash(n.State),
			dash(n.Addr), dash(n.EngineVersion), what,
		}})
	}
	return out
}

// exposedCounts is, per node, how many secrets its tasks mount or mounted
// (that still exist): one pass over the tasks, as inspect node counts them.
func exposedCounts(s *model.SwarmSnapshot) map[string]int {
	exists := make(map[string]bool, len(s.Secrets))
	for _, sec := range s.Secrets {
		exists[sec.ID] = true
	}
	seen := map[[2]string]bool{}
	out := map[string]int{}
	for _, t := range s.Tasks {
		for _, id := range t.SecretIDs {
			if k := [2]string{t.NodeID, id}; t.NodeID != "" && exists[id] && !seen[k] {
				seen[k] = true
				out[t.NodeID]++
			}
		}
	}
	return out
}

func detail(d *common.Data, id string, width int) string {
	if d == nil || d.Swarm == nil {
		return ""
	}
	nd, err := d.Swarm.InspectNode(id)
	if err != nil {
		return common.OneLine(err.Error()) + " (it left the swarm: press esc)"
	}
	var b strings.Builder
	_ = report.NodeDetailWidth(&b, nd, width)
	b.WriteString("\n")
	if d.Drift == nil {
		b.WriteString("Without --source, what it exposed cannot be planned for rotation.\n")
		return b.String()
	}
	x, err := model.ExposedOnNode(d.Swarm, d.Drift, d.Key(), id)
	if err != nil {
		return b.String() + common.OneLine(err.Error()) + "\n"
	}
	_ = report.Exposure(&b, x)
	b.WriteString("space stages all of it (what `secretdeck plan --exposed-on-node " + id + "` plans); p previews the plan.\n")
	return b.String()
}

func (p *pane) handle(lp *list.Pane, msg tea.Msg) (bool, tea.Cmd) {
	switch msg := msg.(type) {
	case reportWrittenMsg:
		if msg.err != nil {
			return true, status("the report was not written: "+common.OneLine(msg.err.Error()), true)
		}
		return true, status("Incident report written to "+msg.path+" (mode 0600, no values in it).", false)
	case tea.KeyPressMsg:
		if p.asking {
			return true, p.promptKey(lp, msg)
		}
		k := p.c.Keys
		switch {
		case key.Matches(msg, k.Report):
			return true, p.ask()
		case key.Matches(msg, k.Stage, k.Unstage):
			id := lp.Selected()
			if lp.InDetail() {
				id = lp.DetailKey()
			}
			return true, p.stageNode(lp.Data(), id, key.Matches(msg, k.Stage))
		}
	}
	return false, nil
}

// stageNode stages (or unstages) what node id exposed, as `plan
// --exposed-on-node` selects it: the Plan pane then makes that plan, with
// its refusal while the source still holds an exposed value.
func (p *pane) stageNode(d *common.Data, id string, on bool) tea.Cmd {
	switch {
	case id == "":
		return status("no node selected", true)
	case d == nil || d.Drift == nil:
		return status("staging needs the property source: start secretdeck with --source and --env", true)
	case !on:
		if p.c.Staging.Node != id {
			return status("this node's exposure is not staged", true)
		}
		return stageMsg(common.StageMsg{Kind: common.StageNode, Key: id})
	}
	x, err := model.ExposedOnNode(d.Swarm, d.Drift, d.Key(), id)
	if err != nil {
		return status(common.OneLine(err.Error()), true)
	}
	if len(x.Logicals) == 0 {
		return status(fmt.Sprintf("nothing to stage: no secret the source declares was %s", x.What()), true)
	}
	names := make([]string, len(x.Logicals))
	for i, l := range x.Logicals {
		names[i] = l.Logical
	}
	m := common.StageMsg{Kind: common.StageNode, Key: id, On: true, Logicals: strings.Join(names, " ")}
	// The Plan pane says what is staged; its preview, what was exposed.
	return stageMsg(m)
}

func stageMsg(m common.StageMsg) tea.Cmd { return func() tea.Msg { return m } }

func status(text string, isErr bool) tea.Cmd {
	return func() tea.Msg { return common.StatusMsg{Text: text, Error: isErr} }
}

// ask opens the prompt for the report's file.
func (p *pane) ask() tea.Cmd {
	if p.c.WriteReport == nil {
		return status("this build cannot write the incident report: run `secretdeck report --out FILE`", true)
	}
	p.asking = true
	p.input.SetValue("")
	return p.input.Focus()
}

func (p *pane) promptKey(lp *list.Pane, msg tea.KeyPressMsg) tea.Cmd {
	k := p.c.Keys
	switch {
	case key.Matches(msg, k.Cancel):
		p.asking = false
		p.input.Blur()
		return status("no report written", false)
	case key.Matches(msg, k.Submit):
		path := strings.TrimSpace(p.input.Value())
		if path == "" {
			return status("name the file to write the report to (esc cancels)", true)
		}
		p.asking = false
		p.input.Blur()
		// The Cmd copies what it needs: the data on screen now.
		write, d := p.c.WriteReport, lp.Data()
		// A local file, written at once: its confirmation line follows.
		return func() tea.Msg { return reportWrittenMsg{path: path, err: write(path, d)} }
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	return cmd
}

// prompt is the report dialog: what the file will hold, and the file.
func (p *pane) prompt(width int) string {
	p.input.SetWidth(max(width-len("report file: ")-2, 10))
	lines := []string{
		"Write the incident report (what `secretdeck report --format md` writes):",
		"nodes and what each could read, every finding, secret ages, the audit",
		"timeline of the last 7 days. No value is in it; the file gets mode 0600.",
		"",
		p.input.View(),
		"",
		"enter writes · esc cancels",
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, width, "…")
	}
	return strings.Join(lines, "\n")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
