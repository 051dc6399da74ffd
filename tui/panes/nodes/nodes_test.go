package nodes_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/internal/tuitest"
	"github.com/secretdeck/secretdeck/tui/list"
	"github.com/secretdeck/secretdeck/tui/panes/nodes"
)

// withNodes gives the fixture a second manager, a worker that runs api and
// ran billing (history), and a drained worker that is down and ran nothing.
func withNodes(d *common.Data) *common.Data {
	d.Swarm.Nodes = []model.Node{
		{ID: "n1aaaaaaaaaaaaaaaaaaaaaaaa", Hostname: "manager1", Role: "manager", Leader: true, Availability: "active", State: "ready", Addr: "10.0.0.1", EngineVersion: "29.1.0"},
		{ID: "n2bbbbbbbbbbbbbbbbbbbbbbbb", Hostname: "manager2", Role: "manager", Availability: "active", State: "ready", Addr: "10.0.0.2", EngineVersion: "29.1.0"},
		{ID: "n3cccccccccccccccccccccccc", Hostname: "worker1", Role: "worker", Availability: "active", State: "ready", Addr: "10.0.0.3", EngineVersion: "28.5.2"},
		{ID: "n4dddddddddddddddddddddddd", Hostname: "worker2", Role: "worker", Availability: "drain", State: "down", Addr: "10.0.0.4", EngineVersion: "28.5.2"},
	}
	d.Swarm.NodeID = "n1aaaaaaaaaaaaaaaaaaaaaaaa"
	d.Swarm.Tasks = []model.Task{
		{ID: "t1", ServiceID: "a", NodeID: "n3cccccccccccccccccccccccc", DesiredState: "running", State: "running", SecretIDs: []string{"s1"}},
		{ID: "t2", ServiceID: "b", NodeID: "n3cccccccccccccccccccccccc", DesiredState: "shutdown", State: "shutdown", SecretIDs: []string{"s2", "gone"}},
		{ID: "t3", ServiceID: "b", NodeID: "n3cccccccccccccccccccccccc", DesiredState: "shutdown", State: "failed", SecretIDs: []string{"s2"}},
	}
	return tuitest.Redrift(d)
}

func newPane(d *common.Data, opts ...func(*common.Common)) (*list.Pane, *common.Common, *tuitest.Timers) {
	c, ts, _ := tuitest.NewCommon(80, 20)
	for _, o := range opts {
		o(c)
	}
	p := nodes.New(c)
	p.SetSize(c.Width, c.Height)
	p.SetData(d)
	return p, c, ts
}

func TestRows(t *testing.T) {
	p, _, _ := newPane(withNodes(tuitest.Data()))
	s := tuitest.Screen(p)
	// HOSTNAME ID ROLE AVAIL STATE ADDRESS ENGINE EXPOSES: a manager holds
	// every secret; a worker what its tasks mount now or mounted (a
	// secret removed since is not counted).
	tuitest.AssertRows(t, s,
		"manager1 n1aaaaaaaaaa leader active ready 10.0.0.1 29.1.0 all 4",
		"manager2 n2bbbbbbbbbb manager active ready 10.0.0.2 29.1.0 all 4",
		"worker1 n3cccccccccc worker active ready 10.0.0.3 28.5.2 2",
		"worker2 n4dddddddddd worker drain down 10.0.0.4 28.5.2 0",
	)
	tuitest.AssertNoValues(t, s)
}

func TestDetailIsInspectNodeWithWhatItExposed(t *testing.T) {
	p, _, ts := newPane(withNodes(tuitest.Data()))
	p.SetSize(120, 40)
	tuitest.Press(p, ts, "down", "down", "enter")
	s := tuitest.Screen(p)
	for _, w := range []string{
		"Node          worker1 (n3cccccccccccccccccccccccc)",
		"api_db_pass_v1  api_db_pass  yes           api",
		"payment_key_v1  payment_key  no (history)  billing   2",
		"And 1 secret(s) removed since.",
		"INCIDENT: secrets exposed on node worker1",
		"space stages all of it (what `secretdeck plan --exposed-on-node n3cccccccccccccccccccccccc` plans)",
	} {
		if !strings.Contains(s, w) {
			t.Errorf("detail lacks %q:\n%s", w, s)
		}
	}
	if strings.Contains(s, "EVERY secret") {
		t.Errorf("a worker does not hold every secret:\n%s", s)
	}
	tuitest.AssertNoValues(t, s)

	p, _, ts = newPane(withNodes(tuitest.Data()))
	p.SetSize(120, 40)
	tuitest.Press(p, ts, "enter")
	if s := tuitest.Screen(p); !strings.Contains(s, "As a manager it holds the Raft store: EVERY secret of the swarm (4)") {
		t.Errorf("the manager holds every secret:\n%s", s)
	}
}

func TestStageWhatANodeExposed(t *testing.T) {
	d := withNodes(tuitest.Data())
	p, c, ts := newPane(d)
	got := tuitest.Press(p, ts, "down", "down", "space")
	want := []tea.Msg{common.StageMsg{Kind: common.StageNode, Key: "n3cccccccccccccccccccccccc", On: true, Logicals: "api_db_pass payment_key"}}
	if !slices.Equal(got, want) {
		t.Fatalf("space on worker1 sends %v, want %v", got, want)
	}
	// What the app does with it: staged alone, the row marked, and only
	// the exposed secrets' findings selected.
	c.Staging.Apply(common.StageMsg{Kind: common.StageService, Key: "proxy", On: true})
	c.Staging.Apply(got[0].(common.StageMsg))
	if c.Staging.Count() != 1 || c.Staging.Services["proxy"] {
		t.Errorf("a node's exposure stands alone: %+v", c.Staging)
	}
	p.SetData(d)
	if s := tuitest.Screen(p); !strings.HasPrefix(tuitest.Row(s, "worker1"), "+ ") || strings.HasPrefix(tuitest.Row(s, "manager1"), "+ ") {
		t.Errorf("the staged node is marked:\n%s", s)
	}
	for _, f := range d.Findings() {
		want := model.Fixable(f) && (f.Logical == "api_db_pass" || f.Logical == "payment_key") && f.Kind != model.KindUnauthorizedMount
		if got := c.Staging.Selects(f); got != want {
			t.Errorf("%s selected %v, want %v", f.ID(), got, want)
		}
	}
	if got := tuitest.Press(p, ts, "u"); fmt.Sprint(got) != fmt.Sprint([]tea.Msg{common.StageMsg{Kind: common.StageNode, Key: "n3cccccccccccccccccccccccc"}}) {
		t.Errorf("u unstages it: %v", got)
	}
	c.Staging.Apply(common.StageMsg{Kind: common.StageNode, Key: "n3cccccccccccccccccccccccc"})
	if !c.Staging.Empty() {
		t.Errorf("unstaged: %+v", c.Staging)
	}
	// A node that exposed only api_db_pass: the other secrets' findings,
	// fixable as they are, are not part of its plan.
	d2 := withNodes(tuitest.Data())
	d2.Swarm.Tasks = d2.Swarm.Tasks[:1]
	p2, c2, ts2 := newPane(d2)
	only := tuitest.Press(p2, ts2, "down", "down", "space")
	if !slices.Equal(only, []tea.Msg{common.StageMsg{Kind: common.StageNode, Key: "n3cccccccccccccccccccccccc", On: true, Logicals: "api_db_pass"}}) {
		t.Fatalf("worker1 running api only: %v", only)
	}
	c2.Staging.Apply(only[0].(common.StageMsg))
	var fixableElsewhere int
	for _, f := range d2.Findings() {
		if model.Fixable(f) && f.Logical != "api_db_pass" {
			fixableElsewhere++
			if c2.Staging.Selects(f) {
				t.Errorf("%s is selected: the node never had it", f.ID())
			}
		}
	}
	if fixableElsewhere == 0 {
		t.Fatal("the fixture has no fixable finding outside api_db_pass: this check proves nothing")
	}
	// Unstaging another node leaves this one staged.
	c2.Staging.Apply(common.StageMsg{Kind: common.StageNode, Key: "n1aaaaaaaaaaaaaaaaaaaaaaaa"})
	if c2.Staging.Node != "n3cccccccccccccccccccccccc" {
		t.Errorf("unstaging another node unstaged this one: %+v", c2.Staging)
	}

	// Staging something else replaces the node's exposure.
	c.Staging.Apply(got[0].(common.StageMsg))
	c.Staging.Apply(common.StageMsg{Kind: common.StageLogical, Key: "payment_key", On: true})
	if c.Staging.Node != "" || !c.Staging.Logicals["payment_key"] {
		t.Errorf("the exposure is replaced: %+v", c.Staging)
	}
}

func TestStageRefusals(t *testing.T) {
	cases := []struct {
		name   string
		change func(d *common.Data)
		keys   []string
		want   string
	}{
		{"a node that ran nothing", nil, []string{"end", "space"}, "nothing to stage: no secret the source declares was exposed on node worker2"},
		{"no source", func(d *common.Data) { d.Source, d.Drift = nil, nil }, []string{"space"}, "staging needs the property source"},
		{"u on a node not staged", nil, []string{"u"}, "this node's exposure is not staged"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := withNodes(tuitest.Data())
			if tc.change != nil {
				tc.change(d)
			}
			p, c, ts := newPane(d)
			got := tuitest.Press(p, ts, tc.keys...)
			if len(got) != 1 || !got[0].(common.StatusMsg).Error || !strings.Contains(got[0].(common.StatusMsg).Text, tc.want) {
				t.Errorf("%v: %v, want an error saying %q", tc.keys, got, tc.want)
			}
			if !c.Staging.Empty() {
				t.Errorf("nothing staged: %+v", c.Staging)
			}
		})
	}
}

// Help says why a key cannot work rather than hiding it.
func TestHelpExplainsDisabledKeys(t *testing.T) {
	d := withNodes(tuitest.Data())
	d.Source, d.Drift = nil, nil
	p, _, _ := newPane(d)
	var help []string
	for _, b := range p.ShortHelp() {
		help = append(help, b.Help().Key+" "+b.Help().Desc)
	}
	for _, w := range []string{"space stage what it exposed (needs --source)", "W write report (unavailable in this build)"} {
		if !slices.Contains(help, w) {
			t.Errorf("help %q lacks %q", help, w)
		}
	}
}

type reportCall struct {
	path string
	d    *common.Data
}

func TestReportKey(t *testing.T) {
	var calls []reportCall
	var fail error
	write := func(c *common.Common) {
		c.WriteReport = func(path string, d *common.Data) error {
			calls = append(calls, reportCall{path, d})
			return fail
		}
	}
	d := withNodes(tuitest.Data())
	p, _, ts := newPane(d, write)
	tuitest.Press(p, ts, "W")
	if s := tuitest.Screen(p); !p.Capturing() || !strings.Contains(s, "report file:") || !strings.Contains(s, "No value is in it; the file gets mode 0600") {
		t.Fatalf("W asks for the file:\n%s", s)
	}
	got := tuitest.PressLoop(p, ts, "q", "/", "incident.md", "enter") // q is typed, not a quit
	if len(calls) != 1 || calls[0].path != "q/incident.md" || calls[0].d != d {
		t.Fatalf("written: %+v", calls)
	}
	if last := got[len(got)-1].(common.StatusMsg); last.Error || last.Text != "Incident report written to q/incident.md (mode 0600, no values in it)." {
		t.Errorf("the confirmation line: %+v", last)
	}
	if p.Capturing() {
		t.Errorf("the prompt closes")
	}

	fail = errors.New("open q/incident.md: no such file or directory")
	got = tuitest.PressLoop(p, ts, "W", "q/incident.md", "enter")
	if last := got[len(got)-1].(common.StatusMsg); !last.Error || !strings.Contains(last.Text, "the report was not written: open q/incident.md: no such file") {
		t.Errorf("a failure says so: %+v", last)
	}

	got = tuitest.PressLoop(p, ts, "W", "x.md", "esc")
	if len(calls) != 2 || p.Capturing() || got[len(got)-1].(common.StatusMsg).Text != "no report written" {
		t.Errorf("esc writes nothing: %d calls, %v", len(calls), got)
	}
	got = tuitest.PressLoop(p, ts, "W", "enter")
	if len(calls) != 2 || !p.Capturing() || !got[len(got)-1].(common.StatusMsg).Error {
		t.Errorf("an empty name writes nothing and keeps asking: %v", got)
	}
}

func TestReportKeyWithoutAWriter(t *testing.T) {
	p, _, ts := newPane(withNodes(tuitest.Data()))
	got := tuitest.Press(p, ts, "W")
	if p.Capturing() || len(got) != 1 || !strings.Contains(got[0].(common.StatusMsg).Text, "run `secretdeck report --out FILE`") {
		t.Errorf("W without a writer: %v", got)
	}
}

// Ten thousand nodes render as fast as ten: only the visible rows.
func TestRendersOnlyVisibleRows(t *testing.T) {
	d := tuitest.Data()
	for i := range 10000 {
		d.Swarm.Nodes = append(d.Swarm.Nodes, model.Node{ID: fmt.Sprintf("node%021d", i), Hostname: fmt.Sprintf("host-%05d", i), Role: "worker", Availability: "active", State: "ready"})
	}
	p, _, ts := newPane(d)
	start := time.Now()
	for range 50 {
		tuitest.Press(p, ts, "down")
		_ = p.View()
	}
	if s := tuitest.Screen(p); strings.Count(s, "\n") >= 20 || !strings.Contains(s, "51/10001") {
		t.Errorf("one page of rows:\n%s", s)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("50 moves over 10,000 nodes took %v", took)
	}
}
