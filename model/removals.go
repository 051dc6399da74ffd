package model

import (
	"fmt"
	"slices"
	"strings"
)

// Why a plan removes a secret.
const (
	// RemovePrune: an old version beyond the ones kept, that no service's
	// Spec nor PreviousSpec will name once the plan is applied.
	RemovePrune = "prune"
	// RemoveRevert: a version the reverted plan created; after the revert no
	// Spec names it (a PreviousSpec may: that is the state being undone).
	RemoveRevert = "revert"
)

// SecretRemoval is a secret a plan removes, as its last step, once every
// service it updates is verified.
type SecretRemoval struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Logical string `json:"logical"`
	Why     string `json:"why"`            // RemovePrune or RemoveRevert
	Plan    string `json:"plan,omitempty"` // for a revert: the plan that made the secret
	// Config: the removal is of a config, not a secret.
	Config bool `json:"config,omitempty"`
}

// what names the removed object's kind.
func (rm SecretRemoval) what() string {
	if rm.Config {
		return "config"
	}
	return "secret"
}

// planRemovals are the prune steps of p: for each logical secret p rotates
// (and each of extra), the versions older than the newest keep+1 after the
// plan (the one mounted
// plus keep previous ones, so `docker service rollback` finds its secret),
// made by secretdeck, and named by no Spec nor PreviousSpec as they will be
// once p is applied. keep < 0 removes nothing.
func planRemovals(s *SwarmSnapshot, p *RotationPlan, extra []string, keep int) []SecretRemoval {
	if keep < 0 {
		return nil
	}
	referenced := referencedAfter(s, p)
	ix := newVersionIndex(s.Secrets)
	creates := map[string]bool{}
	logicals := slices.Clone(extra)
	for _, c := range p.Creates {
		creates[c.Logical] = true
		logicals = append(logicals, c.Logical)
	}
	for _, sc := range p.Services {
		for _, r := range sc.After {
			if v, ok := ix.byID[r.ID]; ok {
				logicals = append(logicals, v.Logical)
			}
		}
	}
	slices.Sort(logicals)
	var out []SecretRemoval
	for _, l := range slices.Compact(logicals) {
		ix.adopt(l)
		vs := ix.versions(l)
		kept := keep + 1
		if creates[l] {
			kept-- // the new version is the newest one kept
		}
		for i, v := range vs {
			if i >= len(vs)-kept || !v.Managed || referenced[v.Secret.ID] {
				continue
			}
			out = append(out, SecretRemoval{ID: v.Secret.ID, Name: v.Secret.Name, Logical: l, Why: RemovePrune})
		}
	}
	slices.SortFunc(out, func(a, b SecretRemoval) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// referencedAfter are the secret IDs some Spec or PreviousSpec names once p
// is applied: a service p updates mounts its After refs and keeps its
// current Spec as PreviousSpec; the others stay as they are.
func referencedAfter(s *SwarmSnapshot, p *RotationPlan) map[string]bool {
	updated := map[string]*ServiceChange{}
	for i := range p.Services {
		updated[p.Services[i].ServiceID] = &p.Services[i]
	}
	out := map[string]bool{}
	for i := range s.Services {
		svc := &s.Services[i]
		sc := updated[svc.ID]
		if sc == nil {
			for _, id := range svc.ReferencedSecretIDs() {
				out[id] = true
			}
			continue
		}
		for _, refs := range [][]FileRef{sc.After, svc.Spec.Secrets} {
			for _, r := range refs {
				if r.ID != "" {
					out[r.ID] = true
				}
			}
		}
	}
	return out
}

// justifyRemovals refuses, before anything changes, a removal the swarm
// does not justify. A plan file is not trusted to say what to remove (its
// digest catches edits, it is no signature): whoever can write one may only
// make apply remove an old version secretdeck made of the same logical
// secret (what `prune --keep 0` would remove), or a version the reverted
// plan made — never another secret, never the newest version.
func justifyRemovals(p *RotationPlan, s *SwarmSnapshot) error {
	newest := map[string]int{} // logical → highest version after the plan
	for i := range s.Secrets {
		if v := versionOf(&s.Secrets[i]); v.Managed {
			newest[v.Logical] = max(newest[v.Logical], v.N)
		}
	}
	for _, c := range p.Creates {
		newest[c.Logical] = max(newest[c.Logical], c.Version)
	}
	configs := configSecrets(s.Configs)
	newestConfig := map[string]int{}
	for i := range configs {
		if v := versionOf(&configs[i]); v.Managed {
			newestConfig[v.Logical] = max(newestConfig[v.Logical], v.N)
		}
	}
	for _, c := range p.ConfigCreates {
		newestConfig[c.Logical] = max(newestConfig[c.Logical], c.Version)
	}
	for _, rm := range p.Removes {
		objects, newestOf := s.Secrets, newest
		if rm.Config {
			objects, newestOf = configs, newestConfig
		}
		i := slices.IndexFunc(objects, func(sec Secret) bool { return sec.ID == rm.ID })
		if i < 0 || objects[i].Name != rm.Name {
			return fmt.Errorf("plan %s removes %s %s (%s), which is not in this swarm: run plan again", p.ID, rm.what(), rm.Name, rm.ID)
		}
		v := versionOf(&objects[i])
		if !v.Managed || v.Logical != rm.Logical {
			return fmt.Errorf("plan %s removes %s %s, which is not a version of %s made by secretdeck: refused", p.ID, rm.what(), rm.Name, rm.Logical)
		}
		switch {
		case rm.Why == RemovePrune && v.N < newestOf[v.Logical]:
		case rm.Why == RemoveRevert && rm.Plan != "" && v.Plan() == rm.Plan:
		default:
			return fmt.Errorf("plan %s removes %s %s (%s), which the swarm does not justify (not an older version, nor made by the plan reverted): refused", p.ID, rm.what(), rm.Name, rm.Why)
		}
	}
	return nil
}

// checkRemoval refuses a removal the swarm does not justify now: a secret
// some Spec names, or one a PreviousSpec names (Docker would remove it, and
// break the next rollback) — unless the plan reverts that very service onto
// its old secrets: its PreviousSpec is then the state being undone.
func checkRemoval(rm SecretRemoval, services []Service, updated map[string]bool) error {
	refs := func(spec *ServiceSpec) []FileRef {
		if rm.Config {
			return spec.Configs
		}
		return spec.Secrets
	}
	for _, svc := range services {
		if slices.ContainsFunc(refs(&svc.Spec), func(r FileRef) bool { return r.ID == rm.ID }) {
			return fmt.Errorf("service %s mounts it", svc.Name)
		}
		reverted := rm.Why == RemoveRevert && updated[svc.ID]
		if !reverted && svc.Previous != nil &&
			slices.ContainsFunc(refs(svc.Previous), func(r FileRef) bool { return r.ID == rm.ID }) {
			return fmt.Errorf("the previous spec of service %s names it (docker service rollback needs it)", svc.Name)
		}
	}
	return nil
}
