package model

import (
	"fmt"
	"strings"
)

// Tasks that cannot run now. A task pinned (by a placement constraint) to a
// node that is down or drained waits, pending "no suitable node", until a
// node can take it; Docker's updater waits for it too, and stays "updating"
// for as long. Apply does not wait for such a task (the rule, also in the
// README's rotation section): a rollout is verified when every task Docker
// CAN schedule runs the new secrets and the others are tasks of the new spec
// that no node can take now — they start with the new secrets when one can.
// --wait-for-all-nodes restores the strict rule (every task runs).

// unschedulableMark is what Docker's scheduler says of a task no node can
// take ("no suitable node (1 node not available for new tasks; …)").
const unschedulableMark = "no suitable node"

// nodeIndex answers whether a task is held up by its node.
type nodeIndex map[string]Node

func newNodeIndex(nodes []Node) nodeIndex {
	ix := make(nodeIndex, len(nodes))
	for _, n := range nodes {
		ix[n.ID] = n
	}
	return ix
}

// blocked says why task t, meant to run, cannot run now because of nodes
// ("" when it can, or may yet).
func (ix nodeIndex) blocked(t Task) string {
	if !meantToRun(t) || t.State == "running" {
		return ""
	}
	if why := cmpOr(t.Err, t.Message); strings.Contains(why, unschedulableMark) {
		return why
	}
	if n, ok := ix[t.NodeID]; ok && t.NodeID != "" {
		if n.State == "down" || n.State == "unknown" || n.State == "disconnected" {
			return fmt.Sprintf("node %s is %s", cmpOr(n.Hostname, n.ID), n.State)
		}
	}
	return ""
}

// Unschedulable lists, for a preview, the tasks of service id that cannot
// run now and why: pending with no suitable node, or on a node that is down
// or drained.
func (s *SwarmSnapshot) Unschedulable(id string) []string {
	ix := newNodeIndex(s.Nodes)
	var out []string
	for _, t := range s.Tasks {
		if t.ServiceID != id || t.DesiredState != "running" {
			continue
		}
		why := ix.blocked(t)
		if n, ok := ix[t.NodeID]; why == "" && ok && n.Availability == "drain" {
			why = fmt.Sprintf("node %s is drained", cmpOr(n.Hostname, n.ID))
		}
		if why != "" {
			out = append(out, fmt.Sprintf("task %s: %s", shortID(t.ID), Printable(why)))
		}
	}
	return out
}

// meantToRun reports whether the orchestrator wants the task to run: desired
// "running", or "ready" (a task Docker's updater or rollback has started and
// not yet let run).
func meantToRun(t Task) bool { return t.DesiredState == "running" || t.DesiredState == "ready" }

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
