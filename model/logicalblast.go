package model

import (
	"slices"
	"strings"
)

// LogicalBlastRadius is the blast radius of a logical secret: the union over
// all its versions, since a rotation changes the name, not who can read it.
type LogicalBlastRadius struct {
	Logical  string       `json:"logical"`
	Services []LogicalUse `json:"services"` // every service whose Spec or PreviousSpec names a version
	Tasks    []string     `json:"tasks"`
	Nodes    []string     `json:"nodes"`
	Managers []string     `json:"managers"`
	Complete bool         `json:"complete"`
	// Incomplete says why, for the first version whose history is short.
	Incomplete string `json:"incomplete,omitempty"`
}

// LogicalUse is which versions of a logical secret one service names.
type LogicalUse struct {
	Service  string   `json:"service"`
	Stack    string   `json:"stack,omitempty"`
	Spec     []string `json:"spec"`     // versions its current spec mounts
	Previous []string `json:"previous"` // versions its previous spec names (a rollback would mount)
}

// Versions are the versions of logical secret l in the swarm, oldest first:
// secrets labelled with it, and secrets made by hand named l or l_v<N>.
func (s *SwarmSnapshot) Versions(l string) []SecretVersion {
	ix := newVersionIndex(s.Secrets)
	return ix.versions(l)
}

// LogicalBlast is the union of the blast radii of every version of logical
// secret l, with which versions each service names.
func (s *SwarmSnapshot) LogicalBlast(l string) LogicalBlastRadius {
	lb := LogicalBlastRadius{Logical: l, Services: []LogicalUse{}, Tasks: []string{}, Nodes: []string{}, Managers: []string{}, Complete: true}
	uses := map[string]*LogicalUse{}
	for _, v := range s.Versions(l) {
		br := s.Blast(v.Secret.ID)
		for _, u := range br.Services {
			lu := uses[u.Service]
			if lu == nil {
				lu = &LogicalUse{Service: u.Service, Stack: u.Stack, Spec: []string{}, Previous: []string{}}
				uses[u.Service] = lu
			}
			if u.Spec {
				lu.Spec = append(lu.Spec, v.Secret.Name)
			}
			if u.Previous {
				lu.Previous = append(lu.Previous, v.Secret.Name)
			}
		}
		lb.Tasks = append(lb.Tasks, br.Tasks...)
		lb.Nodes = append(lb.Nodes, br.Nodes...)
		lb.Managers = br.Managers
		if !br.Complete && lb.Complete {
			lb.Complete, lb.Incomplete = false, br.Incomplete
		}
	}
	for _, lu := range uses {
		lb.Services = append(lb.Services, *lu)
	}
	slices.SortFunc(lb.Services, func(a, b LogicalUse) int { return strings.Compare(a.Service, b.Service) })
	for _, xs := range []*[]string{&lb.Tasks, &lb.Nodes} {
		slices.Sort(*xs)
		*xs = slices.Compact(*xs)
	}
	if lb.Managers == nil {
		lb.Managers = s.managerNames()
	}
	return lb
}

func (s *SwarmSnapshot) managerNames() []string {
	out := []string{}
	for _, n := range s.Nodes {
		if n.Role == "manager" {
			out = append(out, cmpOr(n.Hostname, n.ID))
		}
	}
	slices.Sort(out)
	return out
}
