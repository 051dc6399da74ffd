package model

import (
	"fmt"
	"slices"
	"strings"
)

// orphans reports secrets that no service Spec nor PreviousSpec names: old
// versions of a logical secret, and secrets nothing declares.
func (d *drifter) orphans() {
	named := d.in.Source.stackNamed()
	for i := range d.in.Swarm.Secrets {
		s := &d.in.Swarm.Secrets[i]
		if d.referenced[s.ID] || named[s.Name] {
			continue
		}
		v, isVersion := d.versions.byID[s.ID]
		var why string
		switch {
		case isVersion && d.logicals[v.Logical]:
			last, _ := newest(d.versions.versions(v.Logical))
			if last.N <= v.N {
				continue // the newest version: about to be mounted, or lagging says why not
			}
			why = fmt.Sprintf("%s is an old version of %s (the newest is %s) and no service mounts it, nor would a rollback", s.Name, v.Logical, last.Secret.Name)
		case isVersion:
			why = fmt.Sprintf("%s is a version of %s, which no property file declares any more, and no service mounts it", s.Name, v.Logical)
		default:
			why = fmt.Sprintf("%s is mounted by no service (nor by a rollback) and declared by no property file", s.Name)
		}
		if _, managed := s.Labels[LabelLogical]; !managed {
			why += "; secretdeck did not create it, so prune it only if you are sure"
		}
		f := newFinding(KindOrphan, why, ActionPrune)
		f.Secret, f.Logical = s.Name, v.Logical
		d.add(f)
	}
}

// undeclared reports secrets a service mounts that no source entry binds.
func (d *drifter) undeclared() {
	for _, svc := range d.in.Swarm.Services {
		for _, r := range svc.Spec.Secrets {
			if d.bound[svc.Name][r.Target] {
				continue
			}
			v, ok := d.versions.byID[r.ID]
			if ds := d.desired(v.Logical); ok && ds != nil && !slices.Contains(ds.Consumers, svc.Name) {
				f := newFinding(KindUnauthorizedMount, fmt.Sprintf("service %s mounts %s (a version of %s) at target %q, but %s grants %s to %s only: it can read a secret it was never given",
					svc.Name, r.Name, v.Logical, r.Target, d.in.Source.Env, v.Logical, strings.Join(ds.Consumers, ", ")), ActionRevoke)
				f.Service, f.Secret, f.Logical, f.File = svc.Name, r.Name, v.Logical, ds.File
				d.add(f)
				continue
			}
			f := newFinding(KindUndeclared, fmt.Sprintf("service %s mounts %s at target %q, which no property file of %s declares", svc.Name, r.Name, r.Target, d.in.Source.Env), ActionReport)
			f.Service, f.Secret = svc.Name, r.Name
			if ok {
				f.Logical = v.Logical
			}
			d.add(f)
		}
	}
}

// desired is the desired secret of logical l, nil if none.
func (d *drifter) desired(l string) *DesiredSecret {
	for i := range d.report.Desired {
		if d.report.Desired[i].Logical == l && l != "" {
			return &d.report.Desired[i]
		}
	}
	return nil
}

// rotationKinds are the findings a rotation fixes; on a stack service, a
// rotation is undone by the next `docker stack deploy`.
var rotationKinds = map[Kind]bool{
	KindMissing: true, KindNotMounted: true, KindStale: true, KindUnverifiable: true,
	KindLagging: true, KindTargetMismatch: true, KindExpired: true,
}

// stackOwned warns about stack services that a plan would change.
func (d *drifter) stackOwned() {
	warned := map[string]bool{}
	for _, f := range d.report.Findings {
		svc := d.services[f.Service]
		if !rotationKinds[f.Kind] || svc == nil || svc.Stack == "" || warned[svc.Name] || d.knownStack(svc) {
			continue
		}
		warned[svc.Name] = true
		w := newFinding(KindStackOwned, fmt.Sprintf("service %s belongs to stack %s: the next `docker stack deploy` reverts a rotation unless the stack file names the new secret", svc.Name, svc.Stack), ActionUpdateStack)
		w.Service = svc.Name
		d.add(w)
	}
}
