package model

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// isConfigKind reports whether a finding is fixed by a config rotation.
func isConfigKind(k Kind) bool {
	return k == KindConfigStale || k == KindConfigMissing || k == KindConfigNotMounted
}

// planConfigs adds to p the config versions the picked findings need and
// swaps them into each service's ONE update (changes), next to its secret
// swaps: the newest version of a logical config is mounted when it holds
// the source's bytes, else a new version L_v<N+1> is made.
func planConfigs(in PlanInput, p *RotationPlan, picked map[string][]Finding, changes map[string]*ServiceChange, services map[string]*Service, running map[string]int) error {
	if len(picked) == 0 {
		return nil
	}
	ix := newVersionIndex(configSecrets(in.Swarm.Configs))
	made := map[string]ConfigCreate{} // logical → the version this plan makes
	for _, dc := range in.Drift.Configs {
		fs := picked[dc.Logical]
		svc := services[dc.Service]
		if len(fs) == 0 || svc == nil {
			continue
		}
		ix.adopt(dc.Logical)
		target, err := chooseConfig(in, p, ix.versions(dc.Logical), dc, made)
		if err != nil {
			return err
		}
		ch := changeOf(changes, svc, running)
		ch.ConfigsAfter = swapConfigRef(ch.ConfigsAfter, dc, target)
		for _, f := range fs {
			if f.Service == dc.Service {
				ch.Fixes = append(ch.Fixes, f.ID())
			}
		}
	}
	slices.SortFunc(p.ConfigCreates, func(a, b ConfigCreate) int { return strings.Compare(a.Name, b.Name) })
	return nil
}

// chooseConfig is the version of dc's logical config to mount: the newest
// one when it holds dc's bytes, else a new one (added to p once, however
// many services mount it).
func chooseConfig(in PlanInput, p *RotationPlan, vs []SecretVersion, dc DesiredConfig, made map[string]ConfigCreate) (chosen, error) {
	if c, ok := made[dc.Logical]; ok {
		if c.SHA256 != dc.SHA256 {
			return chosen{}, fmt.Errorf("%s and %s both ask for config %s, with different contents: map one to another config name in %s", c.File, dc.File, dc.Logical, ManifestPath)
		}
		return chosen{Name: c.Name, N: c.Version}, nil
	}
	if last, ok := newest(vs); ok {
		if c := in.Swarm.ConfigByID(last.Secret.ID); c != nil && bytes.Equal(c.Data, dc.data) {
			return chosen{ID: c.ID, Name: c.Name, N: last.N}, nil
		}
	}
	n := 0
	for _, v := range vs {
		n = max(n, v.N)
	}
	n++
	name, _ := VersionName(dc.Logical, n)
	if slices.ContainsFunc(in.Swarm.Configs, func(c Config) bool { return c.Name == name }) {
		return chosen{}, fmt.Errorf("the next version of config %s would be %s, but a config of that name exists and is not a version of %s (its labels say otherwise): rename it, or map %s to another config name in %s",
			dc.Logical, name, dc.Logical, dc.File, ManifestPath)
	}
	var version string
	if f := findConfig(in.Source, dc.File); f != nil {
		version = f.Version()
	}
	c := ConfigCreate{Name: name, Logical: dc.Logical, Version: n, File: dc.File, SourceVersion: version, SHA256: dc.SHA256, TemplateDriver: dc.TemplateDriver}
	made[dc.Logical] = c
	p.ConfigCreates = append(p.ConfigCreates, c)
	return chosen{Name: name, N: n}, nil
}

// swapConfigRef puts target at dc.Target in refs, keeping the uid, gid and
// mode of the ref it replaces unless the manifest sets them (Docker's
// defaults, 0/0/0444, for a new mount).
func swapConfigRef(refs []FileRef, dc DesiredConfig, target chosen) []FileRef {
	at := slices.IndexFunc(refs, func(r FileRef) bool { return r.Target == dc.Target })
	return placeRef(refs, at, FileRef{ID: target.ID, Name: target.Name, Target: dc.Target}, dc.policy.UID, dc.policy.GID, dc.policy.Mode)
}

// revertConfigs is what svc mounts once the configs a reverted plan created
// (created, by ID) are gone: the newest older version of the same logical
// config, else what its previous spec mounted at that target, else nothing
// (uid, gid and mode kept); changed is false when it mounts none of them.
func revertConfigs(s *SwarmSnapshot, svc *Service, created map[string]bool) (after []FileRef, changed bool) {
	if len(created) == 0 {
		return nil, false
	}
	ix := newVersionIndex(configSecrets(s.Configs))
	for _, r := range svc.Spec.Configs {
		if !created[r.ID] {
			after = append(after, r)
			continue
		}
		changed = true
		var back *FileRef
		v := ix.byID[r.ID]
		for _, o := range ix.versions(v.Logical) {
			if o.N < v.N && !created[o.Secret.ID] {
				back = &FileRef{ID: o.Secret.ID, Name: o.Secret.Name}
			}
		}
		if back == nil && svc.Previous != nil {
			if i := slices.IndexFunc(svc.Previous.Configs, func(p FileRef) bool {
				return p.Target == r.Target && !created[p.ID] && s.ConfigByID(p.ID) != nil
			}); i >= 0 {
				back = &FileRef{ID: svc.Previous.Configs[i].ID, Name: svc.Previous.Configs[i].Name}
			}
		}
		if back != nil {
			after = append(after, FileRef{ID: back.ID, Name: back.Name, Target: r.Target, UID: r.UID, GID: r.GID, Mode: r.Mode})
		}
	}
	if changed && after == nil {
		after = []FileRef{} // none left: not nil, which would keep them
	}
	return after, changed
}

// configRemovals are the prune steps of p's configs, by the rule of
// secrets (planRemovals): for each logical config p mounts a version of,
// the versions older than the newest keep+1 (the one mounted and keep
// previous ones, for `docker service rollback`), made by secretdeck, that
// no Spec nor PreviousSpec names once p is applied.
func configRemovals(s *SwarmSnapshot, p *RotationPlan, keep int) []SecretRemoval {
	if keep < 0 {
		return nil
	}
	ix := newVersionIndex(configSecrets(s.Configs))
	referenced := map[string]bool{}
	updated := map[string]*ServiceChange{}
	for i := range p.Services {
		updated[p.Services[i].ServiceID] = &p.Services[i]
	}
	var logicals []string
	creates := map[string]bool{}
	for _, c := range p.ConfigCreates {
		creates[c.Logical] = true
		logicals = append(logicals, c.Logical)
	}
	for _, svc := range s.Services {
		refs := slices.Clone(svc.Spec.Configs)
		if sc := updated[svc.ID]; sc != nil && sc.ConfigsAfter != nil {
			refs = append(refs, sc.ConfigsAfter...) // the spec now becomes the previous one
			for _, r := range sc.ConfigsAfter {
				if v, ok := ix.byID[r.ID]; ok {
					logicals = append(logicals, v.Logical)
				}
			}
		} else if svc.Previous != nil {
			refs = append(refs, svc.Previous.Configs...)
		}
		for _, r := range refs {
			referenced[r.ID] = true
		}
	}
	slices.Sort(logicals)
	var out []SecretRemoval
	for _, l := range slices.Compact(logicals) {
		vs := ix.versions(l)
		kept := keep + 1
		if creates[l] {
			kept--
		}
		for i, v := range vs {
			if i >= len(vs)-kept || !v.Managed || referenced[v.Secret.ID] {
				continue
			}
			out = append(out, SecretRemoval{ID: v.Secret.ID, Name: v.Secret.Name, Logical: l, Why: RemovePrune, Config: true})
		}
	}
	slices.SortFunc(out, func(a, b SecretRemoval) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// configArgs are the docker CLI flags of a config swap.
func configArgs(before, after []FileRef) []string {
	var parts []string
	b := map[string]FileRef{}
	for _, r := range before {
		b[r.Target] = r
	}
	a := map[string]FileRef{}
	for _, r := range after {
		a[r.Target] = r
	}
	for _, r := range before {
		if x, ok := a[r.Target]; !ok || x != r {
			parts = append(parts, "--config-rm "+ShellQuote(r.Name))
		}
	}
	for _, r := range after {
		if x, ok := b[r.Target]; !ok || x != r {
			parts = append(parts, "--config-add "+ShellQuote(fmt.Sprintf("source=%s,target=%s,uid=%s,gid=%s,mode=%04o", r.Name, r.Target, r.UID, r.GID, r.Mode)))
		}
	}
	return parts
}

func findConfig(s *SourceSnapshot, key string) *ConfigFile {
	for i := range s.Configs {
		if s.Configs[i].Key == key {
			return &s.Configs[i]
		}
	}
	return nil
}

// checkConfigCreates refuses a plan whose configs to create no longer match
// the source: a file gone, changed, or too large.
func checkConfigCreates(p *RotationPlan, source *SourceSnapshot) error {
	for _, c := range p.ConfigCreates {
		f := findConfig(source, c.File)
		switch {
		case f == nil:
			return fmt.Errorf("%s is gone from %s since plan %s: run plan again", c.File, p.Source, p.ID)
		case f.Version() != c.SourceVersion || ConfigSHA256(f.Data) != c.SHA256:
			return fmt.Errorf("%s changed since plan %s (version %s, now %s): run plan again", c.File, p.ID, c.SourceVersion, f.Version())
		case len(f.Data) > MaxConfigSize:
			return fmt.Errorf("%s is %d bytes: a swarm config must be at most 1000 KiB (%d bytes)", c.File, len(f.Data), MaxConfigSize)
		case len(f.Data) == 0:
			return fmt.Errorf("%s is empty: a swarm config cannot be empty", c.File)
		case !ValidSecretName(c.Name):
			return fmt.Errorf("%q is not a valid config name", c.Name)
		}
	}
	return nil
}

// configLabels are the labels of a config version secretdeck makes.
func configLabels(in ApplyInput, c ConfigCreate) map[string]string {
	return map[string]string{
		LabelLogical: c.Logical, LabelVersion: strconv.Itoa(c.Version), LabelSHA256: c.SHA256,
		LabelSource: in.Plan.Source + "#" + c.File, LabelSourceVersion: c.SourceVersion,
		LabelEnv: in.Plan.Env, LabelPlan: in.Plan.ID, LabelCreatedBy: in.By,
	}
}

// mountedWords names what an update swaps: "secrets", or "secrets and
// configs".
func mountedWords(sc ServiceChange) string {
	if sc.ConfigsAfter != nil && !sameRefs(sc.ConfigsBefore, sc.ConfigsAfter) {
		return "secrets and configs"
	}
	return "secrets"
}

// plural is n and noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// sameRefs compares reference lists, nil and empty alike.
func sameRefs(a, b []FileRef) bool { return len(a) == 0 && len(b) == 0 || slices.Equal(a, b) }

// specIsBefore reports whether svc's spec mounts what it did before sc.
func specIsBefore(spec ServiceSpec, sc ServiceChange) bool {
	return slices.Equal(spec.Secrets, sc.Before) && (sc.ConfigsAfter == nil || sameRefs(spec.Configs, sc.ConfigsBefore))
}
