package model

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Stack files are part of the desired state. A service deployed with
// `docker stack deploy -c shop.yml shop` mounts what the file names at the
// next deploy, whatever a rotation did meanwhile: so a rotation of a stack
// service whose file secretdeck knows also edits the file (the definition's
// name: set to the new version), drift tells a file that pins an old version
// (stack-pinned) and a service a deploy moved back (stack-reverted), and
// stack-owned is left for the stack services whose file is unknown.

// StackFile is a stack file of the desired state: stacks/<stack>.yml (or
// stacks/<stack>.<env>.yml) in the source, or a local file given with
// --stack-file, as package stack reads it.
type StackFile struct {
	Stack string `json:"stack"`
	Path  string `json:"path"` // a source key (stacks/shop.yml) or a local path
	// Version is what a write of the file is conditional on: the S3 ETag,
	// or the content hash of a local file.
	Version  string         `json:"version,omitempty"`
	Local    bool           `json:"local,omitempty"` // a --stack-file
	Err      *ParseError    `json:"error,omitempty"`
	Services []StackService `json:"services,omitempty"`
	Secrets  []StackSecret  `json:"secrets,omitempty"`
	// Data is the file as read: what an edit starts from, and a preview's
	// diff. A stack file names secrets; it holds none of their values.
	Data Value `json:"-"`
}

// StackService is a service of a stack file, by its swarm name.
type StackService struct {
	Name string     `json:"name"`
	Refs []StackRef `json:"secrets"`
}

// StackRef is how a stack service mounts a secret: the definition Key
// resolves to swarm secret Name, mounted at Target.
type StackRef struct {
	Key    string `json:"key"`
	Name   string `json:"name"`
	Target string `json:"target"`
}

// StackSecret is a top-level secret definition of a stack file.
type StackSecret struct {
	Key      string `json:"key"`
	Name     string `json:"name"` // the swarm secret docker creates or looks up
	External bool   `json:"external,omitempty"`
	File     string `json:"file,omitempty"`     // file: as written
	FilePath string `json:"filePath,omitempty"` // where docker reads it: a source key, or a local path
	// FileModified is when the file behind file: last changed in the
	// source (or on disk, for --stack-file); zero when unknown.
	FileModified time.Time `json:"fileModified,omitzero"`
	// NameVariable: the name comes from a variable (${…}): the variable is
	// for the operator to change, not the file.
	NameVariable bool `json:"nameVariable,omitempty"`
	Line         int  `json:"line,omitempty"`
}

// StackEdit is one change of a stack file in a plan: definition Key's name
// from From to To, on the file at Version.
type StackEdit struct {
	Stack   string `json:"stack"`
	File    string `json:"file"`
	Local   bool   `json:"local,omitempty"`
	Version string `json:"version"`
	Key     string `json:"key"`
	From    string `json:"from"`
	To      string `json:"to"`
	// Services are the stack's services whose next deploy it keeps on To.
	Services []string `json:"services"`
	// Diff only reports: the edit as `diff -u` shows it, filled in for
	// previews by package report. Never written to a plan file: its context
	// lines are the stack file's own, which may hold a credential.
	Diff string `json:"-"`
}

// stackOf is the stack file of a stack, nil if unknown.
func (s *SourceSnapshot) stackOf(stack string) *StackFile {
	if stack == "" {
		return nil
	}
	for i := range s.Stacks {
		if s.Stacks[i].Stack == stack {
			return &s.Stacks[i]
		}
	}
	return nil
}

// stackNamed are the swarm secrets the stack files name: the next deploy
// looks them up, so none is an orphan to prune.
func (s *SourceSnapshot) stackNamed() map[string]bool {
	named := map[string]bool{}
	for _, sf := range s.Stacks {
		for _, def := range sf.Secrets {
			named[def.Name] = true
		}
	}
	return named
}

// service is the stack service called name, nil if the file has none.
func (f *StackFile) service(name string) *StackService {
	for i := range f.Services {
		if f.Services[i].Name == name {
			return &f.Services[i]
		}
	}
	return nil
}

// secret is the definition key, nil if none.
func (f *StackFile) secret(key string) *StackSecret {
	for i := range f.Secrets {
		if f.Secrets[i].Key == key {
			return &f.Secrets[i]
		}
	}
	return nil
}

// refAt is the definition the stack service mounts at target, nil if none.
func (f *StackFile) refAt(service, target string) (*StackRef, *StackSecret) {
	ss := f.service(service)
	if ss == nil {
		return nil, nil
	}
	for i := range ss.Refs {
		if ss.Refs[i].Target == target {
			return &ss.Refs[i], f.secret(ss.Refs[i].Key)
		}
	}
	return nil, nil
}

// stackBound reports whether b's service is deployed from a stack file
// the source has and can read.
func (d *drifter) stackBound(b Binding) bool {
	sf := d.in.Source.stackOf(d.services[b.Service].Stack)
	return sf != nil && sf.Err == nil
}

// stacks reports the stack files that cannot be read, the files that pin an
// older version than the newest one holding the source's value
// (stack-pinned), and turns the lagging finding of a stack service that a
// deploy moved back into stack-reverted.
func (d *drifter) stacks() {
	for _, sf := range d.in.Source.Stacks {
		if sf.Err != nil {
			f := newFinding(KindUnparsable, fmt.Sprintf("stack file %s cannot be used: %s; the services of stack %s are checked as if it were unknown", sf.Path, sf.Err.Error(), sf.Stack), ActionFixSourceFile)
			f.File = sf.Path
			d.add(f)
		}
	}
	for i := range d.report.Desired {
		ds := &d.report.Desired[i]
		if !slices.ContainsFunc(ds.Bindings, d.stackBound) {
			continue // the common case, checked first: no version's fingerprint to check
		}
		last, ok := newest(d.versions.versions(ds.Logical))
		if !ok {
			continue
		}
		if m, _ := d.in.Key.Check(last.Secret.Labels, ds.Logical, ds.Value); m != FingerprintMatches {
			continue // no version holds the source's value yet: a rotation's to make, with its edit
		}
		for _, b := range ds.Bindings {
			if !d.stackBound(b) {
				continue
			}
			svc := d.services[b.Service]
			sf := d.in.Source.stackOf(svc.Stack)
			ref, def := sf.refAt(svc.Name, ds.Target)
			if ref == nil || def == nil || def.Name == last.Secret.Name {
				continue
			}
			pinned, isVersion := d.versionNamed(def.Name, ds.Logical)
			if !isVersion || pinned >= last.N {
				continue
			}
			f := d.finding(KindStackPinned, ds, svc.Name, fmt.Sprintf("stack file %s names %s (secret %q) for service %s, but %s is the newest version and holds the source's value: the next `docker stack deploy` moves %s back to %s",
				sf.Path, def.Name, def.Key, svc.Name, last.Secret.Name, svc.Name, def.Name), ActionUpdateStack)
			f.Secret, f.File = def.Name, sf.Path
			d.add(f)
		}
	}
	for i := range d.report.Findings {
		f := &d.report.Findings[i]
		svc := d.services[f.Service]
		if f.Kind != KindLagging || svc == nil || svc.Stack == "" || svc.Previous == nil {
			continue
		}
		// Moved back from a newer version of the same logical secret, by
		// an update that came with the stack's labels: a deploy.
		for _, r := range svc.Previous.Secrets {
			if v, ok := d.versions.byID[r.ID]; ok && v.Logical == f.Logical && !slices.ContainsFunc(svc.Spec.Secrets, func(c FileRef) bool { return c.ID == r.ID }) {
				file := "its stack file"
				if sf := d.in.Source.stackOf(svc.Stack); sf != nil {
					file = sf.Path
				}
				f.Kind, f.Severity, f.Actions = KindStackReverted, severityOf[KindStackReverted], []Action{ActionUpdateStack, ActionFinish}
				f.Explanation = fmt.Sprintf("service %s mounts %s again, after a plan moved it to %s: a `docker stack deploy` of stack %s with %s as it was undid the rotation", svc.Name, f.Secret, r.Name, svc.Stack, file)
				if f.Plan != "" {
					f.Explanation += " (plan " + f.Plan + ")"
				}
				break
			}
		}
	}
}

// fileSecrets reports the file: secrets of the known stack files whose file
// changed after Docker made the secret from it: a secret's data cannot be
// updated, so the next `docker stack deploy` fails ("only updates to Labels
// are allowed"). The fix is a new name (docker/cli#667), which a plan
// writes into the file: the next deploy then makes the new secret.
func (d *drifter) fileSecrets() {
	byName := map[string]*Secret{}
	for i := range d.in.Swarm.Secrets {
		byName[d.in.Swarm.Secrets[i].Name] = &d.in.Swarm.Secrets[i]
	}
	for _, sf := range d.in.Source.Stacks {
		if sf.Err != nil {
			continue
		}
		for _, def := range sf.Secrets {
			sec := byName[def.Name]
			if def.File == "" || def.External || sec == nil || def.FileModified.IsZero() || !def.FileModified.After(sec.CreatedAt) {
				continue
			}
			next := nextStackName(def.Name, d.in.Swarm)
			f := newFinding(KindStackFileSecret, fmt.Sprintf("the file %s behind secret %q of stack file %s changed (%s) after Docker made %s from it (%s): the next `docker stack deploy` fails, a secret cannot be updated; naming it %s makes the deploy create it",
				cmpOr(def.FilePath, def.File), def.Key, sf.Path, def.FileModified.UTC().Format("2006-01-02 15:04:05Z"), def.Name, sec.CreatedAt.UTC().Format("2006-01-02 15:04:05Z"), next), ActionUpdateStack)
			f.File, f.Secret, f.Key = sf.Path, def.Name, def.Key
			for _, ss := range sf.Services {
				if slices.ContainsFunc(ss.Refs, func(r StackRef) bool { return r.Key == def.Key }) && f.Service == "" {
					f.Service = ss.Name
				}
			}
			d.add(f)
		}
	}
}

// nextStackName is the versioned name after name that no secret has:
// shop_tls → shop_tls_v1, shop_tls_v1 → shop_tls_v2.
func nextStackName(name string, s *SwarmSnapshot) string {
	l, n, _ := ParseVersionName(name)
	for {
		n++
		next, _ := VersionName(l, n)
		if !taken(s, next) {
			return next
		}
	}
}

// fileSecretEdits are the edits that fix the picked stack-file-secret
// findings: the definition's name made the next version's.
func fileSecretEdits(source *SourceSnapshot, s *SwarmSnapshot, picked []Finding) []StackEdit {
	var out []StackEdit
	for _, f := range picked {
		for _, sf := range source.Stacks {
			def := sf.secret(f.Key)
			if sf.Path != f.File || def == nil || def.Name != f.Secret {
				continue
			}
			e := StackEdit{Stack: sf.Stack, File: sf.Path, Local: sf.Local, Version: sf.Version, Key: def.Key, From: def.Name, To: nextStackName(def.Name, s)}
			for _, ss := range sf.Services {
				if slices.ContainsFunc(ss.Refs, func(r StackRef) bool { return r.Key == def.Key }) {
					e.Services = append(e.Services, ss.Name)
				}
			}
			out = append(out, e)
		}
	}
	return out
}

// versionNamed says whether the swarm secret called name is a version of
// logical, and which.
func (d *drifter) versionNamed(name, logical string) (int, bool) {
	for _, v := range d.versions.versions(logical) {
		if v.Secret.Name == name {
			return v.N, true
		}
	}
	return 0, false
}

// knownStack reports whether the stack of a service has a stack file.
func (d *drifter) knownStack(svc *Service) bool {
	sf := d.in.Source.stackOf(svc.Stack)
	return sf != nil && sf.Err == nil && sf.service(svc.Name) != nil
}

// stackEdits are the edits that keep the plan's stack services on what it
// mounts at their next deploy: for each changed reference of a stack
// service whose file is known, the definition the file mounts at that target
// named after the new version.
func stackEdits(source *SourceSnapshot, changes []ServiceChange, services map[string]*Service) ([]StackEdit, error) {
	var out []StackEdit
	for _, ch := range changes {
		svc := services[ch.Service]
		if svc == nil {
			continue
		}
		sf := source.stackOf(svc.Stack)
		if sf == nil || sf.Err != nil {
			continue
		}
		for _, a := range ch.After {
			ref, def := sf.refAt(svc.Name, a.Target)
			if ref == nil || def == nil || def.Name == a.Name {
				continue
			}
			if def.NameVariable {
				return nil, fmt.Errorf("stack file %s names secret %q with a variable: set it to %s before the next `docker stack deploy` (secretdeck edits files, not variables), or leave %s out of the plan",
					sf.Path, def.Key, a.Name, ch.Service)
			}
			i := slices.IndexFunc(out, func(e StackEdit) bool { return e.File == sf.Path && e.Key == def.Key })
			if i < 0 {
				out = append(out, StackEdit{Stack: sf.Stack, File: sf.Path, Local: sf.Local, Version: sf.Version, Key: def.Key, From: def.Name, To: a.Name})
				i = len(out) - 1
			}
			if out[i].To != a.Name {
				return nil, fmt.Errorf("stack file %s mounts secret %q in services that this plan moves to %s and %s: one definition cannot name both", sf.Path, def.Key, out[i].To, a.Name)
			}
			if !slices.Contains(out[i].Services, ch.Service) {
				out[i].Services = append(out[i].Services, ch.Service)
			}
		}
	}
	slices.SortFunc(out, func(a, b StackEdit) int { return strings.Compare(a.File+"\x00"+a.Key, b.File+"\x00"+b.Key) })
	return out, nil
}
