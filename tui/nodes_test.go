package tui

import (
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/tui/internal/tuitest"
)

// One key in the Nodes pane stages what a node exposed; the Plan pane then
// shows what `plan --exposed-on-node` makes, and apply gets that plan, its
// origin naming the node.
func TestStageANodesExposureThenApply(t *testing.T) {
	f := &fakeApply{}
	a, _ := newTestApp(t, 80, 24, withApply(f))
	press(a, ":", "nodes", "enter", "space")
	if s := screen(a); !strings.Contains(s, "› + manager1") || !strings.Contains(s, "1 staged") {
		t.Fatalf("the node's exposure is staged:\n%s", s)
	}
	press(a, ":", "secrets", "enter")
	if s := screen(a); !strings.Contains(s, "+ api_db_pass_v1") || strings.Contains(s, "+ legacy_token") {
		t.Fatalf("the rows of what a plan would rotate are marked:\n%s", s)
	}
	press(a, "p")
	s := screen(a)
	if !strings.Contains(s, "+ api_db_pass_v2") {
		t.Fatalf("the plan rotates the exposed, stale secret:\n%s", s)
	}
	tuitest.AssertNoValues(t, s)
	press(a, "a", "y")
	if len(f.plans) != 1 || f.plans[0].Made.ExposedOnNode != "n1" {
		t.Fatalf("apply got %d plans; origin %+v", len(f.plans), f.plans[0].Made)
	}
}
