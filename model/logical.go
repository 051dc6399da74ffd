package model

// The logical name of a desired secret is decided here, once, before drift
// binds anything: drift, plans, `--secret`, inspect and every pane read it
// from DesiredSecret.Logical or, for a swarm secret, from SwarmSnapshot.LogicalOf,
// and the two agree.
//
// The convention (entry k of service S is S_k) names secrets secretdeck will
// create. But a service often already mounts, at the entry's target, a secret
// made by hand under another name (Docker's own example mounts my_secret_data
// at /run/secrets/my_secret_data). Calling that one logical secret by two
// names — my_secret_data in the swarm, redis_my_secret_data in the plan — is
// what made `plan --secret my_secret_data` find nothing. So an entry takes the
// logical name of what its service already mounts at its target, when:
//   - the manifest does not name the secret (a `secret:` is the operator's word);
//   - the entry is not shared (shared entries are already called by their key);
//   - no version of the conventional name exists (else that is the history);
//   - no other entry claims that name, conventionally or by the same adoption.

// entryRef is one entry of a file, before it becomes a desired secret.
type entryRef struct{ file, key string }

// logicalNames decides the logical name of every entry of the source.
type logicalNames struct {
	adopted map[entryRef]string
}

func (d *drifter) decideLogicalNames() logicalNames {
	secrets := make(map[string]*Secret, len(d.in.Swarm.Secrets))
	for i := range d.in.Swarm.Secrets {
		secrets[d.in.Swarm.Secrets[i].ID] = &d.in.Swarm.Secrets[i]
	}
	claimed := map[string]int{} // logical → entries that would use it
	proposed := map[entryRef]string{}
	d.eachEntry(func(f *PropertyFile, key, conventional, target string, named bool) {
		claimed[conventional]++
		if named || f.Shared() || d.versions.has(conventional) {
			return
		}
		svc := d.services[f.Service]
		if svc == nil {
			return
		}
		ref := findTarget(svc.Spec.Secrets, target)
		if ref == nil || secrets[ref.ID] == nil {
			return
		}
		if l := versionOf(secrets[ref.ID]).Logical; l != conventional && l != "" {
			proposed[entryRef{f.Key, key}] = l
			claimed[l]++
		}
	})
	names := logicalNames{adopted: map[entryRef]string{}}
	for e, l := range proposed {
		if claimed[l] == 1 {
			names.adopted[e] = l
		}
	}
	return names
}

// of is the logical name of an entry whose conventional name is conventional.
func (n logicalNames) of(file, key, conventional string) string {
	return cmpOr(n.adopted[entryRef{file, key}], conventional)
}

// eachEntry calls fn for every entry that may become a desired secret (key ""
// for a whole file), with its conventional logical name and its target, and
// whether the manifest names the secret.
func (d *drifter) eachEntry(fn func(f *PropertyFile, key, conventional, target string, named bool)) {
	for i := range d.in.Source.Files {
		f := &d.in.Source.Files[i]
		if f.Err != nil || (!f.Shared() && d.services[f.Service] == nil) {
			continue
		}
		policy := d.in.Manifest.service(f.Service)
		if f.IsFileSecret() {
			kp := policy.Keys[f.FileName()]
			fn(f, "", cmpOr(kp.Secret, LogicalName(f.Service, f.FileName())), cmpOr(kp.Target, f.FileName()), kp.Secret != "")
			continue
		}
		switch d.delivery(f).Mode {
		case DeliveryWholeFile:
			fn(f, "", cmpOr(policy.Secret, wholeFileLogical(f)), cmpOr(policy.Target, wholeFileTarget(f)), policy.Secret != "")
			continue
		case DeliveryRuntime:
			continue
		}
		for _, e := range f.Entries {
			if d.in.Manifest.Excluded(f.Service, e.Key) {
				continue
			}
			kp := policy.Keys[e.Key]
			fn(f, e.Key, cmpOr(kp.Secret, LogicalName(f.Service, e.Key)), cmpOr(kp.Target, Normalize(e.Key)), kp.Secret != "")
		}
	}
}

func wholeFileLogical(f *PropertyFile) string { return Normalize(f.Service) + "_" + string(f.Format) }
func wholeFileTarget(f *PropertyFile) string  { return Normalize(f.Service) + "." + string(f.Format) }
