package model

import (
	"slices"
	"strings"
)

// NodeDetail is what `inspect node` shows: the node, and what an attacker
// on it could read. Its tasks got the secrets they mount (a task assigned to
// a node gets them there, even before it runs); a manager holds the Raft
// store, so every secret of the swarm.
type NodeDetail struct {
	Node Node `json:"node"`
	// HoldsEverySecret: the node is a manager; AllSecrets is then how many
	// secrets the swarm has.
	HoldsEverySecret bool `json:"holdsEverySecret"`
	AllSecrets       int  `json:"allSecrets"`
	// Running and History count the node's tasks the snapshot holds: meant
	// to run now, and ended (the history the swarm keeps).
	Running int `json:"runningTasks"`
	History int `json:"historyTasks"`
	// Secrets are the secrets its tasks mount now or mounted, by name.
	Secrets []NodeSecret `json:"secrets"`
	// Removed counts secrets its past tasks mounted that no longer exist.
	Removed int `json:"removedSecrets,omitempty"`
	// Configs are the configs its tasks mount now or mounted (a manager
	// holds every one, AllConfigs, in the Raft store too).
	Configs    []NodeConfig `json:"configs"`
	AllConfigs int          `json:"allConfigs"`
}

// NodeSecret is one secret a node's tasks mount or mounted.
type NodeSecret struct {
	Name     string   `json:"name"`
	ID       string   `json:"id"`
	Logical  string   `json:"logical"`
	Now      bool     `json:"now"`      // a task meant to run mounts it now
	Services []string `json:"services"` // of the tasks that mount or mounted it
	Tasks    int      `json:"tasks"`
}

// InspectNode describes the node called name (an ID, a unique ID prefix, a
// hostname that names one node, or "self").
func (s *SwarmSnapshot) InspectNode(name string) (*NodeDetail, error) {
	n, err := s.FindNode(name)
	if err != nil {
		return nil, err
	}
	d := &NodeDetail{Node: *n, HoldsEverySecret: n.IsManager(), AllSecrets: len(s.Secrets), Secrets: []NodeSecret{}}
	serviceName := make(map[string]string, len(s.Services))
	for _, svc := range s.Services {
		serviceName[svc.ID] = svc.Name
	}
	secrets := make(map[string]*Secret, len(s.Secrets))
	for i := range s.Secrets {
		secrets[s.Secrets[i].ID] = &s.Secrets[i]
	}
	bySecret := map[string]*NodeSecret{}
	removed := map[string]bool{}
	for _, t := range s.Tasks {
		if t.NodeID != n.ID {
			continue
		}
		now := meantToRun(t)
		if now {
			d.Running++
		} else {
			d.History++
		}
		for _, id := range t.SecretIDs {
			ns := bySecret[id]
			if ns == nil {
				sec := secrets[id]
				if sec == nil {
					removed[id] = true
					continue
				}
				ns = &NodeSecret{Name: sec.Name, ID: sec.ID, Logical: versionOf(sec).Logical, Services: []string{}}
				bySecret[id] = ns
			}
			ns.Tasks++
			ns.Now = ns.Now || now
			if svc := cmpOr(serviceName[t.ServiceID], t.ServiceID); !slices.Contains(ns.Services, svc) {
				ns.Services = append(ns.Services, svc)
			}
		}
	}
	for _, ns := range bySecret {
		slices.Sort(ns.Services)
		d.Secrets = append(d.Secrets, *ns)
	}
	slices.SortFunc(d.Secrets, func(a, b NodeSecret) int { return strings.Compare(a.Name, b.Name) })
	d.Removed = len(removed)
	d.Configs, d.AllConfigs = s.nodeConfigs(n.ID, serviceName), len(s.Configs)
	return d, nil
}
