package model

import (
	"cmp"
	"crypto/sha256"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
)

// DriftInput is what Drift compares: the desired state (a property source, a
// manifest, the fingerprint key) and the actual state (a swarm snapshot).
type DriftInput struct {
	Swarm    *SwarmSnapshot
	Source   *SourceSnapshot
	Manifest *Manifest      // nil: conventions only
	Key      FingerprintKey // zero: the source has no key yet
	Now      time.Time      // for certificates' expiry; zero: the clock
	// Images are the histories of the images the services run, as the
	// connected engine holds them; nil: not looked at.
	Images []ImageHistory
}

// DesiredSecret is one logical secret the source asks for.
type DesiredSecret struct {
	Logical   string        `json:"logical"`
	File      string        `json:"file"`
	Key       string        `json:"key,omitempty"` // "" in whole-file mode
	Value     Value         `json:"-"`
	Target    string        `json:"target"`
	Mount     MountPolicy   `json:"-"` // uid/gid/mode the manifest asks for
	Consumers []string      `json:"consumers"`
	Bindings  []Binding     `json:"bindings"`
	Naming    Naming        `json:"-"` // how its versions are named
	file      *PropertyFile // the file it comes from
}

// Binding is what one consuming service mounts for a desired secret, found by
// TARGET whatever the mounted secret is called.
type Binding struct {
	Service string   `json:"service"`
	Ref     *FileRef `json:"ref,omitempty"` // nil: nothing at the target
}

// DriftReport is the outcome of Drift.
type DriftReport struct {
	Env      string          `json:"env"`
	Findings []Finding       `json:"findings"`
	Desired  []DesiredSecret `json:"desired"`
	// FingerprintKey says whether fingerprints could be checked.
	FingerprintKey bool `json:"fingerprintKey"`
	// Deliveries says, per property file of a running service, how its
	// values reach it and why.
	Deliveries []Delivery `json:"deliveries"`
	// Moves are the env vars a plan can move into secrets (the
	// env-exposure findings the source and the manifest say how to fix).
	Moves []Move `json:"moves,omitempty"`
	// Stacks are the stack files compared, as the source gave them.
	Stacks []StackFile `json:"-"`
	// Configs are the configs the source asks for, and what each service
	// mounts at their targets.
	Configs []DesiredConfig `json:"configs,omitempty"`
	// scanner is the source's values indexed for configs (valuescan.go),
	// built once per drift and kept for whoever shows a config.
	scanner *ValueScanner
}

// drifter holds the indexes one Drift call builds once.
type drifter struct {
	in         DriftInput
	versions   *versionIndex
	services   map[string]*Service
	referenced map[string]bool            // secret IDs named by any Spec or PreviousSpec
	bound      map[string]map[string]bool // service → targets bound to a desired secret
	logicals   map[string]bool            // desired logical names
	conflicts  []DesiredSecret            // dropped: another file gives the secret another value
	runtime    map[string]bool            // files their service reads at start-up
	deliveries map[string]Delivery        // by file: decided once (delivery)
	// exposedEntry is the source entry whose value an env-exposure finding
	// (by ID) found in clear.
	exposedEntry map[string]entryRef
	// moveHints: the manifest line that would let a plan fix an
	// env-exposure finding (by ID) that it cannot fix yet.
	moveHints map[string]string
	// valueIndex: the source's values by hash (sourceValues).
	valueIndex map[[sha256.Size]byte][]sourceValue
	report     *DriftReport
	scanner    *ValueScanner // the source's values, for text that is not secret
}

// Drift compares the desired state with the swarm and returns every finding,
// most urgent first (SortByUrgency). It never reads a secret back: a
// mounted version is checked through the keyed fingerprint in its labels.
// It does no I/O.
func Drift(in DriftInput) *DriftReport {
	d := &drifter{
		in:           in,
		versions:     newVersionIndex(in.Swarm.Secrets),
		services:     make(map[string]*Service, len(in.Swarm.Services)),
		referenced:   in.Swarm.ReferencedSecretIDs(),
		bound:        map[string]map[string]bool{},
		logicals:     map[string]bool{},
		exposedEntry: map[string]entryRef{},
		moveHints:    map[string]string{},
		runtime:      map[string]bool{},
		deliveries:   map[string]Delivery{},
		report:       &DriftReport{Env: in.Source.Env, Findings: []Finding{}, FingerprintKey: !in.Key.IsZero(), Stacks: in.Source.Stacks},
	}
	for i := range in.Swarm.Services {
		s := &in.Swarm.Services[i]
		d.services[s.Name] = s
	}
	d.desire()
	for i := range d.report.Desired {
		d.bind(&d.report.Desired[i])
	}
	d.orphans()
	d.undeclared()
	d.exposures()
	d.imageExposures()
	d.runtimeStale()
	d.wiring()
	d.stacks()
	d.fileSecrets()
	d.stackOwned()
	d.configs()
	d.commands()
	sortFindings(d.report.Findings)
	return d.report
}

func (d *drifter) add(f Finding) { d.report.Findings = append(d.report.Findings, f) }

// desire turns the source's files into desired secrets, reporting the files
// and entries that cannot become one.
func (d *drifter) desire() {
	n := 0
	for _, f := range d.in.Source.Files {
		n += len(f.Entries)
	}
	d.report.Desired = make([]DesiredSecret, 0, n)
	names := d.decideLogicalNames()
	for i := range d.in.Source.Files {
		f := &d.in.Source.Files[i]
		switch {
		case f.Err != nil:
			fd := newFinding(KindUnparsable, fmt.Sprintf("%s cannot be used: %s; its secrets are not checked until it is fixed", f.Key, f.Err.Error()), ActionFixSourceFile)
			fd.File, fd.Service = f.Key, f.Service
			d.add(fd)
			continue
		case !f.Shared() && d.services[f.Service] == nil:
			fd := newFinding(KindUnknownService, fmt.Sprintf("%s is the property file of service %q, which this swarm does not run (a typo, or a retired service)", f.Key, f.Service), ActionReport)
			fd.File, fd.Service = f.Key, f.Service
			d.add(fd)
			continue
		}
		policy := d.in.Manifest.service(f.Service)
		if f.IsFileSecret() {
			d.desireFileSecret(f, policy, names)
			continue
		}
		dl := d.delivery(f)
		if !f.Shared() {
			d.report.Deliveries = append(d.report.Deliveries, dl)
		}
		switch dl.Mode {
		case DeliveryWholeFile:
			d.desireWholeFile(f, policy, names)
			continue
		case DeliveryRuntime:
			d.runtime[f.Key] = true // its entries are the service's to read, not secrets
			continue
		}
		seen := map[string]string{} // logical → key, to catch two keys that normalize alike
		for _, e := range f.Entries {
			if d.in.Manifest.Excluded(f.Service, e.Key) {
				continue
			}
			kp := policy.Keys[e.Key]
			ds := DesiredSecret{
				Logical: names.of(f.Key, e.Key, cmpOr(kp.Secret, LogicalName(f.Service, e.Key))),
				File:    f.Key, Key: e.Key, Value: e.Value,
				Target: cmp.Or(kp.Target, d.conventionTarget(f.Service, e.Key, policy, kp), Normalize(e.Key)),
				Mount:  kp.MountPolicy, file: f, Naming: d.in.Manifest.NamingFor(f.Service, e.Key),
			}
			if other, dup := seen[ds.Logical]; dup && ds.Logical != "" {
				d.entryProblem(f, e.Key, fmt.Sprintf("keys %q and %q of %s both map to secret %q; rename one or map it in %s", other, e.Key, f.Key, ds.Logical, ManifestPath))
				continue
			}
			seen[ds.Logical] = e.Key
			if f.Shared() {
				ds.Consumers = kp.Services
			} else {
				ds.Consumers = []string{f.Service}
			}
			d.addDesired(ds)
		}
	}
}

func (d *drifter) desireWholeFile(f *PropertyFile, p ServicePolicy, names logicalNames) {
	d.addDesired(DesiredSecret{
		Logical: names.of(f.Key, "", cmpOr(p.Secret, wholeFileLogical(f))),
		File:    f.Key, Value: f.Raw, Target: cmpOr(p.Target, wholeFileTarget(f)),
		Mount: p.MountPolicy, Consumers: []string{f.Service}, file: f, Naming: d.in.Manifest.NamingFor(f.Service, ""),
	})
}

// addDesired checks that the value can become a swarm secret and records it.
func (d *drifter) addDesired(ds DesiredSecret) {
	f := ds.file
	what := ds.Key
	if what == "" {
		what = "the whole file"
	}
	switch {
	case ds.Logical == "" || ds.Target == "":
		d.entryProblem(f, ds.Key, fmt.Sprintf("key %q of %s normalizes to an empty secret name; rename it or map it in %s", ds.Key, f.Key, ManifestPath))
		return
	case ds.Value.Len() >= MaxSecretSize:
		fd := newFinding(KindOversize, fmt.Sprintf("%s of %s is %d bytes: a swarm secret must be under 500 KiB (512,000 bytes)", what, f.Key, ds.Value.Len()), ActionFixSourceFile)
		fd.File, fd.Key, fd.Service, fd.Logical = f.Key, ds.Key, f.Service, ds.Logical
		d.add(fd)
		return
	case ds.Value.IsZero():
		d.entryProblem(f, ds.Key, fmt.Sprintf("%s of %s is empty: a swarm secret cannot be empty", what, f.Key))
		return
	}
	if d.logicals[ds.Logical] {
		// Two entries map to one secret: with the same value (the manifest
		// maps both services' keys to it) they share it; with two values
		// (api.json.prod "db_pass", prod/api.env "db pass") neither may be
		// planned.
		i := slices.IndexFunc(d.report.Desired, func(o DesiredSecret) bool { return o.Logical == ds.Logical })
		if i >= 0 && d.report.Desired[i].Value.Equal(ds.Value) && d.report.Desired[i].Target == ds.Target {
			for _, c := range ds.Consumers {
				if !slices.Contains(d.report.Desired[i].Consumers, c) {
					d.report.Desired[i].Consumers = append(d.report.Desired[i].Consumers, c)
				}
			}
			slices.Sort(d.report.Desired[i].Consumers)
			return
		}
		d.conflicting(ds)
		return
	}
	d.logicals[ds.Logical] = true
	d.versions.adoptNamed(ds.Logical, ds.Naming)
	if f.Shared() && len(ds.Consumers) == 0 {
		// A shared entry without a services: list is mounted by the
		// services that mount it today; with one, by those only (the others
		// are unauthorized-mount findings, never part of its rotation).
		for _, svc := range d.in.Swarm.Services {
			for _, r := range svc.Spec.Secrets {
				if v, ok := d.versions.byID[r.ID]; ok && v.Logical == ds.Logical && !slices.Contains(ds.Consumers, svc.Name) {
					ds.Consumers = append(ds.Consumers, svc.Name)
				}
			}
		}
		slices.Sort(ds.Consumers)
		d.openGrant(ds)
	}
	d.report.Desired = append(d.report.Desired, ds)
}

// openGrant proposes the services: list of a shared entry that has none:
// without one, whoever mounts it gets each new value.
func (d *drifter) openGrant(ds DesiredSecret) {
	list := "[]"
	if len(ds.Consumers) > 0 {
		list = "[" + strings.Join(ds.Consumers, ", ") + "]"
	}
	f := newFinding(KindOpenGrant, fmt.Sprintf("shared key %q of %s has no services: list, so whoever mounts %s gets each new value (now %s); to grant it to these only, add to %s: services: {%s: {keys: {%s: {services: %s}}}}",
		ds.Key, ds.File, ds.Logical, list, ManifestPath, SharedService, ds.Key, list), ActionDeclare)
	f.Logical, f.File, f.Key = ds.Logical, ds.File, ds.Key
	d.add(f)
}

// conflicting drops the secret ds maps to, from every file that declares
// it, and says so for each.
func (d *drifter) conflicting(ds DesiredSecret) {
	i := slices.IndexFunc(d.report.Desired, func(o DesiredSecret) bool { return o.Logical == ds.Logical })
	if i >= 0 {
		first := d.report.Desired[i]
		d.report.Desired = slices.Delete(d.report.Desired, i, i+1)
		d.entryProblem(first.file, first.Key, fmt.Sprintf("key %q of %s and key %q of %s both map to secret %q with another value or target; rename one or map it in %s",
			first.Key, first.File, ds.Key, ds.File, ds.Logical, ManifestPath))
		d.conflicts = append(d.conflicts, first)
	}
	other := "another file"
	for _, c := range d.conflicts {
		if c.Logical == ds.Logical {
			other = fmt.Sprintf("key %q of %s", c.Key, c.File)
		}
	}
	d.entryProblem(ds.file, ds.Key, fmt.Sprintf("key %q of %s and %s both map to secret %q with another value or target; rename one or map it in %s",
		ds.Key, ds.File, other, ds.Logical, ManifestPath))
}

func (d *drifter) entryProblem(f *PropertyFile, key, explanation string) {
	fd := newFinding(KindUnparsable, explanation, ActionFixSourceFile)
	fd.File, fd.Key, fd.Service = f.Key, key, f.Service
	d.add(fd)
}

func (m *Manifest) service(name string) ServicePolicy {
	if m == nil {
		return ServicePolicy{}
	}
	return m.Services[name]
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// fileBase is the file name of a property file key, for matching env vars.
func fileBase(key string) string { return path.Base(key) }
