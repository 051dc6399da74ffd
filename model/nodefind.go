package model

import (
	"fmt"
	"slices"
	"strings"
)

// NodeSelf names the node the snapshot was read through, as `docker node
// inspect self` does.
const NodeSelf = "self"

// FindNode is the node called name: its ID, a unique prefix of its ID,
// "self", or its hostname when exactly one node has it. Nodes often share a
// hostname (engines in VMs cloned from one image), so a hostname that names
// several is an error listing their IDs, never a guess.
func (s *SwarmSnapshot) FindNode(name string) (*Node, error) {
	if name == NodeSelf {
		name = s.NodeID
	}
	var byID, byPrefix, byHost []int
	for i, n := range s.Nodes {
		switch {
		case n.ID == name:
			byID = append(byID, i)
		case name != "" && strings.HasPrefix(n.ID, name):
			byPrefix = append(byPrefix, i)
		}
		if n.Hostname == name {
			byHost = append(byHost, i)
		}
	}
	for _, match := range [][]int{byID, byHost, byPrefix} {
		switch {
		case len(match) == 1:
			return &s.Nodes[match[0]], nil
		case len(match) > 1:
			var ids []string
			for _, i := range match {
				ids = append(ids, s.Nodes[i].describe())
			}
			return nil, fmt.Errorf("%q names %d nodes: %s; give the node's ID", name, len(match), strings.Join(ids, ", "))
		}
	}
	var have []string
	for _, n := range s.Nodes {
		have = append(have, n.Hostname, n.ID)
	}
	return nil, &NotFoundError{What: "node", Name: name, Have: have, Lister: "docker node ls"}
}

// describe names a node in an error: short ID, role, and what is unusual.
func (n Node) describe() string {
	what := []string{n.Role}
	if n.Leader {
		what = append(what, "leader")
	}
	if n.Availability != "" && n.Availability != "active" {
		what = append(what, n.Availability)
	}
	if n.State != "" && n.State != "ready" {
		what = append(what, n.State)
	}
	return fmt.Sprintf("%s (%s)", shortID(n.ID), strings.Join(what, ", "))
}

// IsManager reports whether the node is a manager: it holds the Raft store,
// every secret of the swarm included.
func (n Node) IsManager() bool { return n.Role == "manager" }

// secretByID is the secret with that ID, nil if the swarm has none (a task
// of the history may name a secret removed since).
func (s *SwarmSnapshot) secretByID(id string) *Secret {
	i := slices.IndexFunc(s.Secrets, func(x Secret) bool { return x.ID == id })
	if i < 0 {
		return nil
	}
	return &s.Secrets[i]
}
