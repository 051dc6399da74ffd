package model

import (
	"slices"
	"strings"
)

// PruneCandidates are the versions of the given logical secrets (all logical
// secrets when logicals is nil) that can go: older than the newest keep+1
// versions (the current one plus keep previous ones, so that `docker service
// rollback` still finds its secret), named by no service's Spec nor
// PreviousSpec, and made by secretdeck unless unmanaged is set.
func (s *SwarmSnapshot) PruneCandidates(logicals []string, keep int, unmanaged bool) []Secret {
	referenced := s.ReferencedSecretIDs()
	ix := newVersionIndex(s.Secrets)
	if logicals == nil {
		for l := range ix.managed {
			logicals = append(logicals, l)
		}
		if unmanaged {
			for l := range ix.byName {
				logicals = append(logicals, l)
			}
		}
	}
	slices.Sort(logicals)
	logicals = slices.Compact(logicals)
	var out []Secret
	seen := map[string]bool{}
	for _, l := range logicals {
		ix.adopt(l)
		vs := ix.versions(l)
		for i, v := range vs {
			old := i < len(vs)-(keep+1)
			if !old || referenced[v.Secret.ID] || (!v.Managed && !unmanaged) || seen[v.Secret.ID] {
				continue
			}
			seen[v.Secret.ID] = true
			out = append(out, *v.Secret)
		}
	}
	slices.SortFunc(out, func(a, b Secret) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// LogicalOf is the logical secret the secret with id is a version of.
func (s *SwarmSnapshot) LogicalOf(id string) string {
	for i := range s.Secrets {
		if s.Secrets[i].ID == id {
			return versionOf(&s.Secrets[i]).Logical
		}
	}
	return ""
}
