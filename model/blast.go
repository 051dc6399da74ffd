package model

import (
	"slices"
	"strings"
	"time"
)

// BlastRadius is everywhere a secret's value may have been: who mounts it,
// the tasks that ran with it, the nodes those tasks ran on, and every manager
// (each holds the whole Raft log, secrets included).
type BlastRadius struct {
	Secret   string       `json:"secret"`
	Services []ServiceUse `json:"services"`
	Tasks    []string     `json:"tasks"`    // task IDs that mounted it
	Nodes    []string     `json:"nodes"`    // hostnames of the nodes those tasks ran on
	Managers []string     `json:"managers"` // hostnames of every manager
	// Complete is false when the swarm's task history is too short to list
	// every task that ever mounted the secret; Incomplete says why.
	Complete   bool   `json:"complete"`
	Incomplete string `json:"incomplete,omitempty"`
}

// ServiceUse is how one service refers to a secret.
type ServiceUse struct {
	Service  string  `json:"service"`
	Stack    string  `json:"stack,omitempty"`
	Spec     bool    `json:"spec"`     // the current spec mounts it
	Previous bool    `json:"previous"` // the previous spec does (a rollback would)
	Ref      FileRef `json:"ref"`
}

// taskHistorySlack allows for the time between a service update and its
// first task being created.
const taskHistorySlack = time.Minute

// Blast returns the blast radius of the secret with the given ID.
func (s *SwarmSnapshot) Blast(secretID string) BlastRadius {
	br := BlastRadius{Services: []ServiceUse{}, Tasks: []string{}, Nodes: []string{}, Managers: []string{}, Complete: true}
	var secret *Secret
	for i := range s.Secrets {
		if s.Secrets[i].ID == secretID {
			secret = &s.Secrets[i]
			br.Secret = secret.Name
		}
	}
	hostname := make(map[string]string, len(s.Nodes))
	for _, n := range s.Nodes {
		hostname[n.ID] = cmpOr(n.Hostname, n.ID)
		if n.Role == "manager" {
			br.Managers = append(br.Managers, hostname[n.ID])
		}
	}
	users := map[string]*Service{}
	for i := range s.Services {
		svc := &s.Services[i]
		use := ServiceUse{Service: svc.Name, Stack: svc.Stack}
		if r := findID(svc.Spec.Secrets, secretID); r != nil {
			use.Spec, use.Ref = true, *r
		}
		if svc.Previous != nil {
			if r := findID(svc.Previous.Secrets, secretID); r != nil {
				use.Previous = true
				if !use.Spec {
					use.Ref = *r
				}
			}
		}
		if use.Spec || use.Previous {
			br.Services = append(br.Services, use)
			users[svc.ID] = svc
		}
	}
	oldest := map[string]time.Time{} // per using service, its oldest task still known
	nodes := map[string]bool{}
	for _, t := range s.Tasks {
		if users[t.ServiceID] == nil {
			continue
		}
		if o, ok := oldest[t.ServiceID]; !ok || t.CreatedAt.Before(o) {
			oldest[t.ServiceID] = t.CreatedAt
		}
		if slices.Contains(t.SecretIDs, secretID) {
			br.Tasks = append(br.Tasks, t.ID)
			if t.NodeID != "" && !nodes[t.NodeID] {
				nodes[t.NodeID] = true
				br.Nodes = append(br.Nodes, cmpOr(hostname[t.NodeID], t.NodeID))
			}
		}
	}
	if secret != nil {
		for id, svc := range users {
			// The first task that could mount the secret started after both
			// the secret and the service existed; if the oldest task Docker
			// still remembers is later than that, history was pruned.
			since := secret.CreatedAt
			if svc.CreatedAt.After(since) {
				since = svc.CreatedAt
			}
			if o, ok := oldest[id]; ok && o.After(since.Add(taskHistorySlack)) {
				br.Complete = false
				br.Incomplete = "the swarm's task history (TaskHistoryRetentionLimit) no longer holds the first tasks of " + svc.Name + ": earlier tasks may have run on other nodes"
			}
		}
	}
	slices.Sort(br.Tasks)
	slices.Sort(br.Nodes)
	slices.Sort(br.Managers)
	slices.SortFunc(br.Services, func(a, b ServiceUse) int { return strings.Compare(a.Service, b.Service) })
	return br
}

func findID(refs []FileRef, id string) *FileRef {
	for i := range refs {
		if refs[i].ID == id {
			return &refs[i]
		}
	}
	return nil
}
