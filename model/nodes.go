package model

import (
	"fmt"
	"slices"
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
	var svc *Service
	for i := range s.Services {
		if s.Services[i].ID == id {
			svc = &s.Services[i]
		}
	}
	var out []string
	for _, t := range s.Tasks {
		if t.ServiceID != id || t.DesiredState != "running" {
			continue
		}
		why := ix.blocked(t)
		if n, ok := ix[t.NodeID]; why == "" && ok && n.Availability == "drain" {
			why = fmt.Sprintf("node %s is drained", cmpOr(n.Hostname, n.ID))
		}
		if why == "" {
			continue
		}
		if pinned := ix.pinnedTo(svc); pinned != "" && strings.Contains(why, unschedulableMark) {
			why = pinned + ": " + why
		}
		out = append(out, fmt.Sprintf("task %s: %s", shortID(t.ID), Printable(why)))
	}
	return out
}

// pinnedTo names the nodes a service's constraints pin it to and their
// state, when they name nodes (node.id==…, node.hostname==…): "pinned to
// node vm (0xipz00hbmki), which is down".
func (ix nodeIndex) pinnedTo(svc *Service) string {
	if svc == nil {
		return ""
	}
	var named []string
	for _, c := range svc.Constraints {
		field, want, ok := strings.Cut(strings.ReplaceAll(c, " ", ""), "==")
		if !ok || (field != "node.id" && field != "node.hostname") {
			continue
		}
		for _, n := range ix {
			if (field == "node.id" && n.ID == want) || (field == "node.hostname" && n.Hostname == want) {
				state := n.State
				if n.Availability == "drain" && state == "ready" {
					state = "drained"
				}
				named = append(named, fmt.Sprintf("node %s (%s), which is %s", cmpOr(n.Hostname, n.ID), shortID(n.ID), state))
			}
		}
	}
	slices.Sort(named)
	if len(named) == 0 {
		return ""
	}
	return "pinned to " + strings.Join(named, " or ")
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
