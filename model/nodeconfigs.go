package model

import (
	"slices"
	"strings"
)

// NodeConfig is one config a node's tasks mount or mounted. Docker returns
// a config's data to whoever may inspect it, and writes it on the node of
// every task that mounts it, as it does a secret.
type NodeConfig struct {
	Name     string   `json:"name"`
	ID       string   `json:"id"`
	Now      bool     `json:"now"` // a task meant to run mounts it now
	Services []string `json:"services"`
	Tasks    int      `json:"tasks"`
}

// nodeConfigs are the configs the tasks on node mount now or mounted (in
// the task history the swarm keeps), by name; a config removed since is
// left out.
func (s *SwarmSnapshot) nodeConfigs(node string, serviceName map[string]string) []NodeConfig {
	configs := make(map[string]*Config, len(s.Configs))
	for i := range s.Configs {
		configs[s.Configs[i].ID] = &s.Configs[i]
	}
	byID := map[string]*NodeConfig{}
	for _, t := range s.Tasks {
		if t.NodeID != node {
			continue
		}
		now := meantToRun(t)
		for _, id := range t.ConfigIDs {
			nc := byID[id]
			if nc == nil {
				cfg := configs[id]
				if cfg == nil {
					continue
				}
				nc = &NodeConfig{Name: cfg.Name, ID: cfg.ID, Services: []string{}}
				byID[id] = nc
			}
			nc.Tasks++
			nc.Now = nc.Now || now
			if svc := cmpOr(serviceName[t.ServiceID], t.ServiceID); !slices.Contains(nc.Services, svc) {
				nc.Services = append(nc.Services, svc)
			}
		}
	}
	out := []NodeConfig{}
	for _, nc := range byID {
		slices.Sort(nc.Services)
		out = append(out, *nc)
	}
	slices.SortFunc(out, func(a, b NodeConfig) int { return strings.Compare(a.Name, b.Name) })
	return out
}
