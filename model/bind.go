package model

import "fmt"

// bind checks each consuming service of a desired secret: what it mounts at
// the target, and whether that is the right, current, verified version.
func (d *drifter) bind(ds *DesiredSecret) {
	versions := d.versions.versions(ds.Logical)
	if len(ds.Consumers) == 0 && len(versions) == 0 {
		f := d.finding(KindMissing, ds, "", fmt.Sprintf("%s in %s has no swarm secret, and no service mounts it yet (name its services in %s)", ds.subject(), ds.File, ManifestPath), ActionCreate)
		d.add(f)
		return
	}
	for _, name := range ds.Consumers {
		svc := d.services[name]
		if svc == nil {
			continue // a shared entry's manifest names a service the swarm does not run
		}
		ref := findTarget(svc.Spec.Secrets, ds.Target)
		ds.Bindings = append(ds.Bindings, Binding{Service: name, Ref: ref})
		if ref == nil {
			d.unbound(ds, svc, versions)
			continue
		}
		d.markBound(name, ds.Target)
		d.checkMounted(ds, svc, ref, versions)
	}
}

// unbound explains a consumer that mounts nothing at the desired target.
func (d *drifter) unbound(ds *DesiredSecret, svc *Service, versions []SecretVersion) {
	for _, r := range svc.Spec.Secrets {
		if v, ok := d.versions.byID[r.ID]; ok && v.Logical == ds.Logical {
			d.markBound(svc.Name, r.Target)
			f := d.finding(KindTargetMismatch, ds, svc.Name, fmt.Sprintf("service %s mounts %s at target %q, not at %q where %s expects it", svc.Name, r.Name, r.Target, ds.Target, ds.File), ActionRemount)
			f.Secret = r.Name
			d.add(f)
			return
		}
	}
	if len(versions) == 0 {
		d.add(d.finding(KindMissing, ds, svc.Name, fmt.Sprintf("%s in %s has no swarm secret; service %s should mount it at target %q", ds.subject(), ds.File, svc.Name, ds.Target), ActionCreateMount))
		return
	}
	last, _ := newest(versions)
	f := d.finding(KindNotMounted, ds, svc.Name, fmt.Sprintf("secret %s exists but service %s mounts nothing at target %q", last.Secret.Name, svc.Name, ds.Target), ActionMount)
	f.Secret = last.Secret.Name
	d.add(f)
}

// checkMounted compares the version mounted at the target with the source.
func (d *drifter) checkMounted(ds *DesiredSecret, svc *Service, ref *FileRef, versions []SecretVersion) {
	mounted, isVersion := d.versions.byID[ref.ID]
	if isVersion && mounted.Logical != ds.Logical {
		isVersion = false // a version of another logical secret, mounted here by hand
	}
	var labels map[string]string
	if isVersion {
		labels = mounted.Secret.Labels
	}
	m, evidence := d.in.Key.Check(labels, ds.Logical, ds.Value)
	switch m {
	case FingerprintDiffers:
		what := "fingerprint"
		if evidence == EvidenceAnsible {
			what = "ansible_key (the digest Ansible wrote)"
		}
		f := d.finding(KindStale, ds, svc.Name, fmt.Sprintf("service %s mounts %s, whose %s differs from %s in %s: the value changed in the source", svc.Name, ref.Name, what, ds.subject(), ds.File), ActionRotate)
		f.Secret = ref.Name
		d.add(f)
	case FingerprintUnknown:
		f := d.finding(KindUnverifiable, ds, svc.Name, fmt.Sprintf("service %s mounts %s, which was made outside secretdeck: it has no fingerprint, so its value cannot be checked against %s", svc.Name, ref.Name, ds.File), ActionRotate)
		f.Secret = ref.Name
		d.add(f)
	case FingerprintNoKey:
		f := d.finding(KindUnverifiable, ds, svc.Name, fmt.Sprintf("service %s mounts %s, but the source has no fingerprint key (%s) to check it with", svc.Name, ref.Name, FingerprintKeyPath), ActionRotate)
		f.Secret = ref.Name
		d.add(f)
	case FingerprintOtherKey:
		f := d.finding(KindUnverifiable, ds, svc.Name, fmt.Sprintf("service %s mounts %s, fingerprinted with another key than the source's %s", svc.Name, ref.Name, FingerprintKeyPath), ActionRotate)
		f.Secret = ref.Name
		d.add(f)
	}
	if last, ok := newest(versions); ok && isVersion && last.N > mounted.N {
		why := fmt.Sprintf("service %s mounts %s while the newer %s exists: a rotation was left half-done", svc.Name, ref.Name, last.Secret.Name)
		if p := last.Plan(); p != "" {
			why += fmt.Sprintf(" (plan %s)", p)
		}
		f := d.finding(KindLagging, ds, svc.Name, why+"; finish or revert it", ActionFinish, ActionRevert)
		f.Secret, f.Plan = ref.Name, last.Plan()
		d.add(f)
	}
	if v, ok := d.versions.byID[ref.ID]; ok {
		d.expired(ds, svc, v.Secret)
	}
	if diff := ds.Mount.differences(ref); diff != "" {
		f := d.finding(KindTargetMismatch, ds, svc.Name, fmt.Sprintf("service %s mounts %s with %s, but %s asks for %s", svc.Name, ref.Name, diff, ManifestPath, ds.Mount.describe()), ActionRemount)
		f.Secret = ref.Name
		d.add(f)
	}
}

func (d *drifter) markBound(service, target string) {
	if d.bound[service] == nil {
		d.bound[service] = map[string]bool{}
	}
	d.bound[service][target] = true
}

func (d *drifter) finding(k Kind, ds *DesiredSecret, service, explanation string, actions ...Action) Finding {
	f := newFinding(k, explanation, actions...)
	f.Service, f.Logical, f.File, f.Key = service, ds.Logical, ds.File, ds.Key
	return f
}

// subject names a desired secret in an explanation.
func (ds *DesiredSecret) subject() string {
	if ds.Key == "" {
		return "the whole file"
	}
	return fmt.Sprintf("key %q", ds.Key)
}

func findTarget(refs []FileRef, target string) *FileRef {
	for i := range refs {
		if refs[i].Target == target {
			return &refs[i]
		}
	}
	return nil
}

// differences lists how ref differs from the uid/gid/mode the manifest sets.
func (p MountPolicy) differences(ref *FileRef) string {
	var out string
	if p.UID != nil && *p.UID != ref.UID {
		out += fmt.Sprintf("uid %s", ref.UID)
	}
	if p.GID != nil && *p.GID != ref.GID {
		out = joinDiff(out, fmt.Sprintf("gid %s", ref.GID))
	}
	if p.Mode != nil && uint32(*p.Mode) != ref.Mode {
		out = joinDiff(out, fmt.Sprintf("mode %04o", ref.Mode))
	}
	return out
}

func (p MountPolicy) describe() string {
	var out string
	if p.UID != nil {
		out = joinDiff(out, "uid "+*p.UID)
	}
	if p.GID != nil {
		out = joinDiff(out, "gid "+*p.GID)
	}
	if p.Mode != nil {
		out = joinDiff(out, fmt.Sprintf("mode %04o", uint32(*p.Mode)))
	}
	return out
}

func joinDiff(a, b string) string {
	if a == "" {
		return b
	}
	return a + ", " + b
}
