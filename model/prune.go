package model

import (
	"fmt"
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
			return s.Secrets[i].LogicalVersion().Logical
		}
	}
	return ""
}

// LogicalVersion is what s is a version of: its logical secret and number, from its
// labels or else its name — the one rule every face names secrets by.
func (s *Secret) LogicalVersion() SecretVersion { return versionOf(s) }

// PruneNamed checks that `prune NAME` may remove the secret called name (or
// with that ID), with the rule of every prune: a secret that any service's
// Spec or PreviousSpec names is never removed (Docker lets one named only by
// a PreviousSpec go, and the next rollback then fails). The newest version a
// plan made is left to `apply --resume` or `--revert`. Naming a secret is the
// operator's word, so one made outside secretdeck may go.
func (s *SwarmSnapshot) PruneNamed(name string) (Secret, error) {
	i := slices.IndexFunc(s.Secrets, func(x Secret) bool { return x.Name == name || x.ID == name })
	if i < 0 {
		return Secret{}, &NotFoundError{What: "secret", Name: name, Have: s.secretNames(), Lister: "docker secret ls"}
	}
	sec := s.Secrets[i]
	var users []string
	for _, u := range s.Blast(sec.ID).Services {
		switch {
		case u.Spec:
			users = append(users, "service "+u.Service+" mounts it")
		default:
			users = append(users, "service "+u.Service+"'s rollback would mount it (PreviousSpec)")
		}
	}
	if len(users) > 0 {
		return Secret{}, fmt.Errorf("%s is not removable: %s", sec.Name, strings.Join(users, ", "))
	}
	v := versionOf(&sec)
	if last, ok := newest(s.Versions(v.Logical)); ok && last.Secret.ID == sec.ID && v.Plan() != "" {
		return Secret{}, fmt.Errorf("%s is not removable: it is the newest version of %s, made by plan %s; `secretdeck apply --resume %s` mounts it, `secretdeck apply --revert %s` removes it",
			sec.Name, v.Logical, v.Plan(), v.Plan(), v.Plan())
	}
	return sec, nil
}
