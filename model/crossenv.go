package model

import (
	"slices"
	"sort"
)

// ForeignEnvs lists the environments, other than the plan's own, whose
// secrets the plan takes away from a service: the secretdeck.env label of
// every secret a service change removes. A plan made from the dev property
// files that replaces secrets labelled prod is almost always a mistake (the
// wrong environment picked, the wrong swarm), so the faces of the engine
// show it and ask for more than a y.
func (p *RotationPlan) ForeignEnvs(s *SwarmSnapshot) []string {
	labels := make(map[string]string, len(s.Secrets))
	for _, sec := range s.Secrets {
		labels[sec.ID] = sec.Labels[LabelEnv]
	}
	var out []string
	for _, sc := range p.Services {
		for _, b := range sc.Before {
			kept := slices.ContainsFunc(sc.After, func(a FileRef) bool { return a.ID != "" && a.ID == b.ID })
			env := labels[b.ID]
			if kept || env == "" || env == p.Env || slices.Contains(out, env) {
				continue
			}
			out = append(out, env)
		}
	}
	sort.Strings(out)
	return out
}
