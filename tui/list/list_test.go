package list_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/internal/tuitest"
	"github.com/secretdeck/secretdeck/tui/list"
	"github.com/secretdeck/secretdeck/tui/table"
)

// names is a pane listing the fixture's secrets by name; its detail says
// which row it shows, at which width, and is long enough to scroll.
func names(c *common.Common, handle func(*list.Pane, tea.Msg) (bool, tea.Cmd)) *list.Pane {
	return list.New(c, list.Spec{
		Name:    "names",
		Columns: []table.Column{{Title: "NAME", Width: 20, Flex: 1}},
		Rows: func(d *common.Data) []table.Row {
			if d == nil {
				return nil
			}
			var rows []table.Row
			for _, s := range d.Swarm.Secrets {
				rows = append(rows, table.Row{Key: s.Name, Cells: []string{s.Name}})
			}
			return rows
		},
		Detail: func(d *common.Data, k string, width int) string {
			var b strings.Builder
			fmt.Fprintf(&b, "detail of %s at %d, %d secrets\n", k, width, len(d.Swarm.Secrets))
			for i := range 30 {
				fmt.Fprintf(&b, "line %02d\n", i)
			}
			return b.String()
		},
		Handle: handle,
		Help:   []key.Binding{c.Keys.Stage},
		Empty:  "no names",
	})
}

func newPane(handle func(*list.Pane, tea.Msg) (bool, tea.Cmd)) (*list.Pane, *common.Common, *tuitest.Timers) {
	c, ts, _ := tuitest.NewCommon(60, 8)
	p := names(c, handle)
	p.SetSize(c.Width, c.Height)
	p.SetData(tuitest.Data())
	return p, c, ts
}

func TestNavigation(t *testing.T) {
	cases := []struct {
		keys     []string
		selected string
		pos      string
	}{
		{nil, "api_db_pass_v1", "1/4"},
		{[]string{"down"}, "payment_key_v1", "2/4"},
		{[]string{"j", "j"}, "payment_key_v2", "3/4"},
		{[]string{"end"}, "legacy_token", "4/4"},
		{[]string{"G", "up"}, "payment_key_v2", "3/4"},
		{[]string{"end", "home"}, "api_db_pass_v1", "1/4"},
		{[]string{"pgdown"}, "legacy_token", "4/4"},
		{[]string{"up"}, "api_db_pass_v1", "1/4"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.keys, ","), func(t *testing.T) {
			p, _, ts := newPane(nil)
			tuitest.Press(p, ts, tc.keys...)
			s := tuitest.Screen(p)
			if p.Selected() != tc.selected || tuitest.Selected(s) != tc.selected || !strings.HasSuffix(s, tc.pos) {
				t.Fatalf("%v: %q selected, want %q at %s:\n%s", tc.keys, p.Selected(), tc.selected, tc.pos, s)
			}
		})
	}
}

func TestDetail(t *testing.T) {
	p, _, ts := newPane(nil)
	tuitest.Press(p, ts, "down", "enter")
	if s := tuitest.Screen(p); !p.InDetail() || p.DetailKey() != "payment_key_v1" || !strings.HasPrefix(s, "detail of payment_key_v1 at 60, 4 secrets") {
		t.Fatalf("enter opens the selected row at the pane's width:\n%s", s)
	}
	tuitest.Press(p, ts, "down", "down")
	if s := tuitest.Screen(p); !strings.HasPrefix(s, "line 01") {
		t.Fatalf("down scrolls the detail:\n%s", s)
	}
	if p.Selected() != "payment_key_v1" {
		t.Fatal("keys in the detail do not move the list")
	}
	d := tuitest.Data()
	d.Swarm.Secrets = d.Swarm.Secrets[:2]
	p.SetData(d)
	if s := tuitest.Screen(p); !strings.HasPrefix(s, "line 01") {
		t.Fatalf("a reload keeps the scroll position:\n%s", s)
	}
	tuitest.Press(p, ts, "up", "up")
	if s := tuitest.Screen(p); !strings.HasPrefix(s, "detail of payment_key_v1 at 60, 2 secrets") {
		t.Fatalf("a reload rebuilds the open detail:\n%s", s)
	}
	p.SetSize(50, 8)
	if s := tuitest.Screen(p); !strings.HasPrefix(s, "detail of payment_key_v1 at 50") {
		t.Fatalf("a resize rebuilds the open detail at the new width:\n%s", s)
	}
	tuitest.Press(p, ts, "esc")
	if p.InDetail() || tuitest.Selected(tuitest.Screen(p)) != "payment_key_v1" {
		t.Fatalf("esc goes back to the list, on the same row:\n%s", tuitest.Screen(p))
	}
	tuitest.Press(p, ts, "enter", "q")
	if p.InDetail() || tuitest.Selected(tuitest.Screen(p)) != "payment_key_v1" {
		t.Fatalf("q goes back too (the app quits only from a list):\n%s", tuitest.Screen(p))
	}
}

func TestFocus(t *testing.T) {
	p, _, ts := newPane(nil)
	p.SetFilter("pay")
	if !p.Focus("legacy_token") {
		t.Fatal("Focus finds a row the filter hid")
	}
	if s := tuitest.Screen(p); !p.InDetail() || !strings.HasPrefix(s, "detail of legacy_token") {
		t.Fatalf("Focus opens the row's detail:\n%s", s)
	}
	tuitest.Press(p, ts, "esc")
	if s := tuitest.Screen(p); !strings.HasSuffix(s, "4/4") {
		t.Fatalf("the filter is cleared:\n%s", s)
	}
	if p.Focus("no_such_secret") || p.InDetail() {
		t.Fatal("Focus on an absent row does nothing")
	}
}

func TestFilterAndEmpty(t *testing.T) {
	p, _, ts := newPane(nil)
	p.SetFilter("token")
	if s := tuitest.Screen(p); !strings.HasSuffix(s, "1/1 (filtered from 4)") {
		t.Fatalf("filtered:\n%s", s)
	}
	p.SetFilter("zzz")
	if s := tuitest.Screen(p); !strings.HasSuffix(s, "0/0 (filtered from 4)") || p.Selected() != "" {
		t.Fatalf("nothing passes:\n%s", s)
	}
	p.SetFilter("")
	d := tuitest.Data()
	d.Swarm.Secrets = nil
	p.SetData(d)
	if s := tuitest.Screen(p); !strings.HasSuffix(s, "no names") {
		t.Fatalf("no rows at all: the pane's empty text:\n%s", s)
	}
	tuitest.Press(p, ts, "enter")
	if p.InDetail() {
		t.Fatal("enter on no row opens nothing")
	}
}

// The pane's own handler sees messages first; what it leaves goes to the list.
func TestHandleFirst(t *testing.T) {
	var seen []tea.Msg
	handle := func(p *list.Pane, msg tea.Msg) (bool, tea.Cmd) {
		seen = append(seen, msg)
		if km, ok := msg.(tea.KeyPressMsg); ok && km.String() == "down" {
			return true, func() tea.Msg { return common.StatusMsg{Text: "mine"} }
		}
		return false, nil
	}
	p, _, ts := newPane(handle)
	if got := tuitest.Press(p, ts, "down"); !slices.Equal(got, []tea.Msg{common.StatusMsg{Text: "mine"}}) || p.Selected() != "api_db_pass_v1" {
		t.Fatalf("a handled key stays with the pane: %v, %q selected", got, p.Selected())
	}
	tuitest.Press(p, ts, "end")
	if p.Selected() != "legacy_token" || len(seen) != 2 {
		t.Fatalf("an unhandled key reaches the list: %q selected, %d seen", p.Selected(), len(seen))
	}
}

func TestStageKeys(t *testing.T) {
	item := func(row string) (string, string) {
		switch row {
		case "legacy_token":
			return "", ""
		case "payment_key_v2":
			return "", "prune it"
		}
		return "logical-of-" + row, ""
	}
	c, ts, _ := tuitest.NewCommon(60, 8)
	p := names(c, func(lp *list.Pane, msg tea.Msg) (bool, tea.Cmd) {
		return list.StageKeys(c, lp, msg, common.StageLogical, item)
	})
	p.SetSize(c.Width, c.Height)
	p.SetData(tuitest.Data())
	cases := []struct {
		keys []string
		want []tea.Msg
	}{
		{[]string{"space"}, []tea.Msg{common.StageMsg{Kind: common.StageLogical, Key: "logical-of-api_db_pass_v1", On: true}}},
		{[]string{"u"}, []tea.Msg{common.StageMsg{Kind: common.StageLogical, Key: "logical-of-api_db_pass_v1", On: false}}},
		{[]string{"end", "space"}, []tea.Msg{common.StatusMsg{Text: "nothing a plan can fix here", Error: true}}},
		{[]string{"end", "up", "space"}, []tea.Msg{common.StatusMsg{Text: "nothing a plan can fix here: prune it", Error: true}}},
		{[]string{"home", "enter", "space", "esc"}, nil},
	}
	for _, tc := range cases {
		if got := tuitest.Press(p, ts, tc.keys...); !slices.Equal(got, tc.want) {
			t.Errorf("%v sends %v, want %v", tc.keys, got, tc.want)
		}
	}
}

func TestHelp(t *testing.T) {
	p, _, ts := newPane(nil)
	keys := func() []string {
		var out []string
		for _, b := range p.ShortHelp() {
			out = append(out, b.Help().Key)
		}
		return out
	}
	if got, want := keys(), []string{"space", "enter", "/", "tab", "?", "q"}; !slices.Equal(got, want) {
		t.Errorf("list help %v, want %v", got, want)
	}
	tuitest.Press(p, ts, "enter")
	if got, want := keys(), []string{"esc", "↑/k", "↓/j"}; !slices.Equal(got, want) {
		t.Errorf("detail help %v, want %v", got, want)
	}
}

// A load makes the rows of a pane when it is drawn or used, once per load:
// at 10,000 secrets the panes off screen cost nothing. The selection stays
// on its key across the loads.
func TestRowsAreMadeWhenThePaneIsUsed(t *testing.T) {
	c, _, _ := tuitest.NewCommon(80, 20)
	made := 0
	p := list.New(c, list.Spec{
		Name:    "counted",
		Columns: []table.Column{{Title: "NAME", Width: 20, Flex: 1}},
		Rows: func(d *common.Data) []table.Row {
			made++
			var rows []table.Row
			for _, s := range d.Swarm.Secrets {
				rows = append(rows, table.Row{Key: s.Name, Cells: []string{s.Name}})
			}
			return rows
		},
		Detail: func(*common.Data, string, int) string { return "" },
	})
	p.SetSize(80, 20)
	d := tuitest.Data()
	p.SetData(d)
	p.SetData(d)
	if made != 0 {
		t.Fatalf("rows made %d times by two loads before the pane was drawn", made)
	}
	p.Update(tea.KeyPressMsg{Code: tea.KeyDown})
	sel := p.Selected()
	_ = p.View()
	if made != 1 || sel != d.Swarm.Secrets[1].Name {
		t.Fatalf("rows made %d times, selected %q", made, sel)
	}
	p.SetData(d)
	_ = p.View()
	_ = p.View()
	if made != 2 || p.Selected() != sel {
		t.Fatalf("after a load: rows made %d times (want 2), selected %q (want %q)", made, p.Selected(), sel)
	}
}
