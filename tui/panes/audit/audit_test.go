package audit_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/internal/tuitest"
	"github.com/secretdeck/secretdeck/tui/list"
	"github.com/secretdeck/secretdeck/tui/panes/audit"
)

// at is a time of the fixture's day, in the zone the pane shows times in.
func at(h, m, s int) time.Time { return time.Date(2026, 11, 22, h, m, s, 0, time.Local) }

// logged is a machine's audit log, oldest first as it is written.
func logged() *common.Data {
	d := tuitest.Data()
	here := d.Swarm.ClusterID
	d.Audit = []common.AuditEntry{
		{Time: at(8, 0, 0), User: "carol", Swarm: "0ther5warm", Context: "staging", Action: "reveal", Subject: "api.json.staging#db_pass", Result: "ok"},
		{Time: at(9, 0, 0), User: "alice", Swarm: here, Context: "default", Action: "reveal", Subject: "api.json.prod#db_pass", Result: "ok"},
		{Time: at(10, 30, 0), User: "bob", Swarm: here, Context: "default", Plan: "p-20261122-103000", Action: "apply", Subject: "api", Result: "verified"},
		{Time: at(14, 59, 59), User: "alice", Swarm: here, Context: "default", Action: "reveal", Subject: "redis.env.prod#my_secret_data", Result: "refused"},
	}
	return d
}

func newPane(d *common.Data) (*list.Pane, *tuitest.Timers) {
	c, ts, _ := tuitest.NewCommon(120, 20)
	p := audit.New(c)
	p.SetSize(c.Width, c.Height)
	p.SetData(d)
	return p, ts
}

func TestNewestFirst(t *testing.T) {
	p, _ := newPane(logged())
	want := []string{
		"TIME USER SWARM PLAN ACTION SUBJECT RESULT",
		"2026-11-22 14:59:59 alice 6x4ge8l9 - reveal redis.env.prod#my_secret_data refused",
		"2026-11-22 10:30:00 bob 6x4ge8l9 p-20261122-103000 apply api verified",
		"2026-11-22 09:00:00 alice 6x4ge8l9 - reveal api.json.prod#db_pass ok",
		"",
	}
	s := tuitest.Screen(p)
	if got := tuitest.Rows(s)[:len(want)]; !slices.Equal(got, want) {
		t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(s, "1/3") {
		t.Errorf("position 1/3:\n%s", s)
	}
	tuitest.AssertNoValues(t, s)
}

func TestDetail(t *testing.T) {
	cases := []struct {
		keys []string
		want []string
	}{
		{[]string{"enter"}, []string{"Time     2026-11-22 14:59:59 ", "User     alice", "Swarm    6x4ge8l9tfoj30nql22qhl3b1", "Context  default", "Plan     -", "Action   reveal",
			"Subject  redis.env.prod#my_secret_data", "Result   refused"}},
		{[]string{"down", "enter"}, []string{"Time     2026-11-22 10:30:00 ", "User     bob", "Plan     p-20261122-103000", "Action   apply"}},
		{[]string{"end", "enter"}, []string{"Time     2026-11-22 09:00:00 ", "Subject  api.json.prod#db_pass", "Result   ok"}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.keys, ","), func(t *testing.T) {
			p, ts := newPane(logged())
			tuitest.Press(p, ts, tc.keys...)
			s := tuitest.Screen(p)
			for _, w := range tc.want {
				if !strings.Contains(s, w) {
					t.Errorf("detail lacks %q:\n%s", w, s)
				}
			}
		})
	}
}

// A new entry comes on top; the operator's selection stays on its entry.
func TestReloadKeepsTheSelection(t *testing.T) {
	p, ts := newPane(logged())
	tuitest.Press(p, ts, "down")
	d := logged()
	d.Audit = append(d.Audit, common.AuditEntry{Time: at(15, 0, 0), User: "carol", Swarm: d.Swarm.ClusterID, Action: "reveal", Subject: "shared.yaml.prod#payment_key", Result: "ok"})
	p.SetData(d)
	s := tuitest.Screen(p)
	if got := tuitest.Selected(s); got != "2026-11-22 10:30:00 bob 6x4ge8l9 p-20261122-103000 apply api verified" {
		t.Errorf("selected: %q\n%s", got, s)
	}
	if got := tuitest.Rows(s)[1]; got != "2026-11-22 15:00:00 carol 6x4ge8l9 - reveal shared.yaml.prod#payment_key ok" {
		t.Errorf("the new entry comes first: %q\n%s", got, s)
	}
	tuitest.Press(p, ts, "enter")
	if s := tuitest.Screen(p); !strings.Contains(s, "User     bob") {
		t.Errorf("enter opens the selected entry:\n%s", s)
	}
}

func TestFilter(t *testing.T) {
	cases := []struct {
		filter string
		rows   int
		pos    string
	}{
		{"reveal", 2, "1/2 (filtered from 3)"},
		{"p-2026", 1, "1/1 (filtered from 3)"},
		{"REFUSED", 1, "1/1 (filtered from 3)"},
		{"carol", 0, "0/0 (filtered from 3)"}, // carol's record is of another swarm
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			p, _ := newPane(logged())
			p.SetFilter(tc.filter)
			s := tuitest.Screen(p)
			n := 0
			for _, r := range tuitest.Rows(s) {
				if strings.HasPrefix(r, "2026-") {
					n++
				}
			}
			if n != tc.rows || !strings.Contains(s, tc.pos) {
				t.Errorf("filter %q: %d rows, want %d and %q:\n%s", tc.filter, n, tc.rows, tc.pos, s)
			}
		})
	}
}

func TestEmpty(t *testing.T) {
	empty := tuitest.Data()
	empty.Audit = nil
	for name, d := range map[string]*common.Data{"nothing loaded": nil, "empty log": empty} {
		t.Run(name, func(t *testing.T) {
			p, _ := newPane(d)
			if s := tuitest.Screen(p); !strings.Contains(s, "no record of this swarm in the audit log (w: every swarm's)") {
				t.Fatalf("an empty log says so:\n%s", s)
			}
		})
	}
}

// By default the pane shows this swarm's records: a machine that worked on
// staging and prod must not mix them up at 3 am. w shows every swarm's.
func TestThisSwarmOnlyUntilW(t *testing.T) {
	p, ts := newPane(logged())
	if s := tuitest.Screen(p); strings.Contains(s, "carol") || !strings.Contains(s, "1/3") {
		t.Fatalf("this swarm only:\n%s", s)
	}
	msgs := tuitest.Press(p, ts, "w")
	s := strings.Join(tuitest.Rows(tuitest.Screen(p)), "\n")
	if !strings.Contains(s, "2026-11-22 08:00:00 carol 0ther5wa - reveal api.json.staging#db_pass ok") || !strings.Contains(s, "1/4") {
		t.Fatalf("w shows every swarm:\n%s", s)
	}
	if len(msgs) != 1 || !strings.Contains(msgs[0].(common.StatusMsg).Text, "every swarm") {
		t.Errorf("w says what is shown: %v", msgs)
	}
	tuitest.Press(p, ts, "w")
	if s := tuitest.Screen(p); strings.Contains(s, "carol") {
		t.Fatalf("w again: this swarm only:\n%s", s)
	}
}
