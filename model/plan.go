package model

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// fixableKinds are the findings a plan fixes by default.
var fixableKinds = map[Kind]bool{
	KindMissing: true, KindNotMounted: true, KindStale: true, KindUnverifiable: true,
	KindLagging: true, KindTargetMismatch: true, KindRuntimeStale: true, KindStackReverted: true,
	KindExpired: true, KindConfigStale: true, KindConfigMissing: true, KindConfigNotMounted: true,
}

// Fixable reports whether a plan can fix a finding. An unauthorized mount
// is fixed by a revocation, which a plan makes only when asked (Revoke).
func Fixable(f Finding) bool {
	switch f.Kind {
	case KindRuntimeStale, KindPreviousSpecExposure: // a restart; an update with no change
		return f.Service != ""
	case KindEnvExposure: // a move, where the source and the manifest say how (Logical set)
		return f.Service != "" && f.Logical != ""
	case KindUnauthorizedMount:
		return f.Service != "" && f.Secret != ""
	case KindStackPinned: // an edit of the stack file only
		return f.Service != "" && f.File != ""
	case KindStackFileSecret: // a new name in the stack file, for the next deploy to create
		return f.File != "" && f.Key != ""
	}
	return fixableKinds[f.Kind] && f.Logical != ""
}

// RotationPlan is a reviewed change: secrets to create, then ONE service
// update per service carrying all its swaps. It holds no value: names,
// versions and fingerprints only, so it can be written to a file.
type RotationPlan struct {
	ID        string         `json:"id"`
	CreatedAt time.Time      `json:"createdAt"`
	ClusterID string         `json:"clusterId"`
	Source    string         `json:"source"`
	Env       string         `json:"env"`
	Protected bool           `json:"protected"`
	Creates   []SecretCreate `json:"creates"`
	// ConfigCreates are new versions of configs, made with the secrets.
	ConfigCreates []ConfigCreate  `json:"configCreates,omitempty"`
	Services      []ServiceChange `json:"services"`
	// StackEdits keep the next `docker stack deploy` of the plan's stack
	// services on what the plan mounts; written once every service is
	// verified.
	StackEdits []StackEdit `json:"stackEdits,omitempty"`
	// Removes run last, once every service is verified: old versions beyond
	// --keep (prune), or the secrets of a reverted plan.
	Removes []SecretRemoval `json:"removes,omitempty"`
	// Made says how the plan was made, so that apply makes it again from the
	// source and the swarm and refuses a plan that differs (see Remake).
	Made   PlanOrigin `json:"made"`
	Digest string     `json:"digest,omitempty"` // of everything above, to catch accidental edits
}

// PlanOrigin is what a plan was made from besides the source and the swarm:
// its kind, the findings selected, the versions kept.
type PlanOrigin struct {
	Kind     string   `json:"kind"`               // PlanRotate, PlanResume or PlanRevert
	Of       string   `json:"of,omitempty"`       // the plan resumed or reverted
	Findings []string `json:"findings,omitempty"` // IDs of the findings selected (rotate)
	Keep     int      `json:"keep"`               // previous versions kept (prune steps)
	// AcceptExposed: the operator chose to move values that were visible in
	// a service's env as they are (--accept-exposed-value).
	AcceptExposed bool `json:"acceptExposedValue,omitempty"`
	// Revoke: the operator asked for the selected unauthorized mounts to
	// be revoked (--revoke, or staged in the workbench).
	Revoke bool `json:"revoke,omitempty"`
	// ExposedOnNode (a node ID) or SameValueAs (a secret's name): the plan
	// rotates what that incident exposed (see Exposure); AllowSameValue:
	// the operator let it leave the secrets whose source still holds the
	// exposed value as they are (--allow-same-value).
	ExposedOnNode  string `json:"exposedOnNode,omitempty"`
	SameValueAs    string `json:"sameValueAs,omitempty"`
	AllowSameValue bool   `json:"allowSameValue,omitempty"`
}

// The kinds of plan.
const (
	PlanRotate = "rotate"
	PlanResume = "resume"
	PlanRevert = "revert"
)

// SecretCreate is a new version of a logical secret.
type SecretCreate struct {
	Name          string `json:"name"`
	Logical       string `json:"logical"`
	Version       int    `json:"version"`
	File          string `json:"file"`
	Key           string `json:"key,omitempty"`
	SourceVersion string `json:"sourceVersion"` // VersionId or ETag of the file when planned
	Shortened     bool   `json:"shortened,omitempty"`
	// Ansible: the newest version was made by Ansible's docker_secret, so
	// this one gets its labels too (ansible_version, ansible_key), and
	// Ansible's next run takes it for the newest.
	Ansible bool `json:"ansible,omitempty"`
}

// ServiceChange is one service update: its references before and after.
type ServiceChange struct {
	Service   string `json:"service"`
	ServiceID string `json:"serviceId"`
	Version   uint64 `json:"version"` // the inspected version the update is sent with
	Stack     string `json:"stack,omitempty"`
	// StackFile is the stack file secretdeck knows for Stack: the plan
	// edits it where it names what the update replaces ("" if unknown).
	StackFile string `json:"stackFile,omitempty"`
	// StackMissing, like Restarts, only reports: the targets this update
	// mounts that the stack file does not declare, which the next `docker
	// stack deploy` drops (secretdeck edits names, it does not add mounts).
	StackMissing []string  `json:"stackMissing,omitempty"`
	Before       []FileRef `json:"before"`
	After        []FileRef `json:"after"` // an After ref of a secret to create has no ID yet
	// ConfigsBefore and ConfigsAfter are the service's config references,
	// swapped in the same update. A nil (JSON null) After keeps the configs
	// as they are; an empty one removes them all.
	ConfigsBefore []FileRef     `json:"configsBefore,omitempty"`
	ConfigsAfter  []FileRef     `json:"configsAfter"`
	Restarts      int           `json:"restarts"`
	Update        *UpdateConfig `json:"updateConfig,omitempty"`
	Fixes         []string      `json:"fixes"` // finding IDs
	// Restart, when set, says why the update also restarts every task
	// (ForceUpdate, as `docker service update --force`): the service reads
	// a property file that changed after its tasks started.
	Restart string `json:"restart,omitempty"`
	// Reads are the property files a restart makes the service read again,
	// at the version planned: what --restore-source-on-failure puts back.
	Reads []SourceFile `json:"reads,omitempty"`
	// EnvRemove are env vars the update removes, by name: credentials moved
	// into the secrets of After (move-to-secret).
	EnvRemove []string `json:"envRemove,omitempty"`
	// EnvAdd are env vars the update sets, NAME=VALUE, where the value is
	// a path to a mounted secret (NAME_FILE=/run/secrets/…), never a
	// credential.
	EnvAdd []string `json:"envAdd,omitempty"`
	// Purge, when set, says why apply updates the service once more with no
	// change, after every service of the plan is verified: its PreviousSpec
	// holds a credential (one this plan removes, or one removed before), and
	// `docker service inspect` shows a PreviousSpec. Not sooner: a rollback
	// goes back to the PreviousSpec.
	Purge string `json:"purge,omitempty"`
	// Revoke are the secrets the update takes away from a service that
	// was never granted them (unauthorized-mount), by name.
	Revoke []string `json:"revoke,omitempty"`
	// Unschedulable, like Restarts, only reports: the tasks that cannot run
	// now (no suitable node, a node down or drained) and why; apply does not
	// wait for them unless --wait-for-all-nodes.
	Unschedulable []string `json:"unschedulable,omitempty"`
}

// Edits reports whether the update changes the service's spec (its secrets,
// its env, or its tasks through a restart); a change that only purges the
// PreviousSpec does not.
func (c ServiceChange) Edits() bool {
	return !slices.Equal(c.Before, c.After) || !slices.Equal(c.ConfigsBefore, c.ConfigsAfter) || c.Restart != "" || len(c.EnvRemove) > 0 || len(c.EnvAdd) > 0
}

// SourceFile is a property file at one version (S3 VersionId, or ETag).
type SourceFile struct {
	File    string `json:"file"`
	Version string `json:"version"`
}

// PlanInput is what a plan is made from.
type PlanInput struct {
	Drift  *DriftReport
	Swarm  *SwarmSnapshot
	Source *SourceSnapshot
	// Select picks findings; nil picks every fixable one.
	Select func(Finding) bool
	// Logicals, when set, restricts the plan to these logical secrets and
	// prunes them even when nothing else is to do (a resume).
	Logicals []string
	// Options: Keep sets the prune steps (zero options: the defaults).
	Options ApplyOptions
	// AcceptExposed allows moving a value that was visible in a service's
	// env as it is (a burned value); Revoke allows the selected
	// unauthorized-mount findings in the plan.
	AcceptExposed, Revoke bool
	// Exposure, when set, narrows the plan to the logical secrets an
	// incident exposed, and refuses it while the source still holds an
	// exposed value, unless AllowSameValue.
	Exposure       *Exposure
	AllowSameValue bool
	ID             string
	Now            time.Time
}

// NewPlan compiles the selected findings into a plan. A logical secret whose
// newest version already holds the source value (fingerprint match) is
// mounted as it is; otherwise a new version L_v<N+1> is created. Each
// consuming service gets the ref at the desired target, keeping the uid, gid
// and mode of the ref it replaces unless the manifest sets them.
func NewPlan(in PlanInput) (*RotationPlan, error) {
	if err := in.Source.Manifest.CheckSwarm(in.Source.Env, in.Swarm.ClusterID); err != nil {
		return nil, err
	}
	p := &RotationPlan{ID: in.ID, CreatedAt: in.Now.UTC(), ClusterID: in.Swarm.ClusterID, Source: in.Source.URI, Env: in.Source.Env,
		Protected: in.Source.Manifest.Protected(in.Source.Env), Creates: []SecretCreate{}, Services: []ServiceChange{}}
	if in.Options == (ApplyOptions{}) {
		in.Options = DefaultApplyOptions()
	}
	p.Made = PlanOrigin{Kind: PlanRotate, Keep: in.Options.Keep, AcceptExposed: in.AcceptExposed, Revoke: in.Revoke}
	if e := in.Exposure; e != nil {
		if err := e.refusal(); err != nil && !in.AllowSameValue {
			return nil, err
		}
		p.Made.ExposedOnNode, p.Made.SameValueAs, p.Made.AllowSameValue = e.Node, e.SameValueAs, in.AllowSameValue
		sel := in.Select
		in.Select = func(f Finding) bool { return e.Selects(f) && (sel == nil || sel(f)) }
	}
	picked := map[string][]Finding{}        // logical → findings
	restarts := map[string][]Finding{}      // service → its runtime-stale findings
	purges := map[string][]Finding{}        // service → its previous-spec-exposure findings
	revokes := map[string][]Finding{}       // service → its unauthorized-mount findings
	pinned := map[string]bool{}             // services whose stack file pins an old version
	var fileSecrets []Finding               // stack file secrets whose file changed
	configsPicked := map[string][]Finding{} // logical config → findings
	var moves []Move
	for _, f := range in.Drift.Findings {
		if !Fixable(f) || (in.Select != nil && !in.Select(f)) {
			continue
		}
		switch {
		case f.Kind == KindRuntimeStale || f.Kind == KindPreviousSpecExposure:
			if in.Logicals != nil {
				continue
			}
			if f.Kind == KindRuntimeStale {
				restarts[f.Service] = append(restarts[f.Service], f)
			} else {
				purges[f.Service] = append(purges[f.Service], f)
			}
		case f.Kind == KindUnauthorizedMount:
			if !in.Revoke || in.Logicals != nil {
				continue // never in a plan unless asked for
			}
			revokes[f.Service] = append(revokes[f.Service], f)
		case f.Kind == KindStackPinned:
			if in.Logicals != nil && !slices.Contains(in.Logicals, f.Logical) {
				continue
			}
			pinned[f.Service] = true
		case f.Kind == KindStackFileSecret:
			if in.Logicals != nil {
				continue
			}
			fileSecrets = append(fileSecrets, f)
		case isConfigKind(f.Kind):
			if in.Logicals != nil && !slices.Contains(in.Logicals, f.Logical) {
				continue
			}
			configsPicked[f.Logical] = append(configsPicked[f.Logical], f)
		case in.Logicals == nil || slices.Contains(in.Logicals, f.Logical):
			if f.Kind == KindEnvExposure {
				m := in.Drift.Move(f)
				if m == nil {
					continue
				}
				if m.Burned && !in.AcceptExposed {
					return nil, burnedError(m, in.Drift)
				}
				moves = append(moves, *m)
			}
			picked[f.Logical] = append(picked[f.Logical], f)
		default:
			continue
		}
		if !slices.Contains(p.Made.Findings, f.ID()) {
			p.Made.Findings = append(p.Made.Findings, f.ID())
		}
	}
	slices.Sort(p.Made.Findings)
	ix := newVersionIndex(in.Swarm.Secrets)
	services := map[string]*Service{}
	for i := range in.Swarm.Services {
		services[in.Swarm.Services[i].Name] = &in.Swarm.Services[i]
	}
	files := map[string]*PropertyFile{}
	for i := range in.Source.Files {
		files[in.Source.Files[i].Key] = &in.Source.Files[i]
	}
	changes := map[string]*ServiceChange{}
	running, _ := in.Swarm.TaskCounts()
	for _, ds := range in.Drift.Desired {
		fs := picked[ds.Logical]
		if len(fs) == 0 {
			continue
		}
		ix.adoptNamed(ds.Logical, ds.Naming)
		target := chooseVersion(ix.versions(ds.Logical), ds, in.Source.Key, in.Source.Manifest.AnsibleCompat(), freshAfter(in, fs))
		if target.ID == "" {
			f := files[ds.File]
			n := target.N
			name, short := VersionName(ds.Logical, n)
			if !ds.Naming.IsDefault() {
				name, n = ds.Naming.next(ds.Logical, n-1, in.Now)
				short = false
				if ds.Naming.Dated() && (n <= target.N-1 || taken(in.Swarm, name)) {
					return nil, fmt.Errorf("the next version of %s would be %s (naming %s), but a version that new exists already: a date names one version per unit of its layout; rotate it later, or add a finer unit to the layout",
						ds.Logical, name, ds.Naming)
				}
				if !ValidSecretName(name) {
					return nil, fmt.Errorf("naming %s makes %q for %s, which is not a valid secret name", ds.Naming, name, ds.Logical)
				}
			}
			if taken(in.Swarm, name) {
				return nil, fmt.Errorf("the next version of %s would be %s, but a secret of that name exists and is not a version of %s (its labels say otherwise): rename it, or map %s to another secret name in %s",
					ds.Logical, name, ds.Logical, ds.Key, ManifestPath)
			}
			p.Creates = append(p.Creates, SecretCreate{Name: name, Logical: ds.Logical, Version: n, File: ds.File, Key: ds.Key,
				SourceVersion: cmp.Or(f.VersionID, f.ETag), Shortened: short, Ansible: target.ansible})
			target.Name = name
		}
		creating := target.ID == ""
		for _, name := range ds.Consumers {
			svc := services[name]
			// A new version goes to EVERY consumer: a rotation is one change
			// across all the services that mount the secret.
			if svc == nil || (!creating && !wants(fs, name)) {
				continue
			}
			ch := changeOf(changes, svc, running)
			ch.After = swapRef(ch.After, ix, ds, target)
			for _, f := range fs {
				if f.Service == name {
					ch.Fixes = append(ch.Fixes, f.ID())
				}
			}
		}
	}
	if err := planConfigs(in, p, configsPicked, changes, services, running); err != nil {
		return nil, err
	}
	for name, fs := range restarts {
		svc := services[name]
		if svc == nil {
			continue
		}
		ch := changeOf(changes, svc, running)
		var why []string
		for _, f := range fs {
			why = append(why, restartReason(f))
			ch.Fixes = append(ch.Fixes, f.ID())
			if pf := files[f.File]; pf != nil && !slices.ContainsFunc(ch.Reads, func(r SourceFile) bool { return r.File == f.File }) {
				ch.Reads = append(ch.Reads, SourceFile{File: f.File, Version: cmp.Or(pf.VersionID, pf.ETag)})
			}
		}
		slices.Sort(why)
		ch.Restart = strings.Join(slices.Compact(why), "; ")
	}
	for _, m := range moves {
		if svc := services[m.Service]; svc != nil {
			ch := changeOf(changes, svc, running)
			ch.EnvRemove = append(ch.EnvRemove, m.Env)
			if m.SetEnv != "" {
				ch.EnvAdd = append(ch.EnvAdd, m.SetEnv)
			}
			ch.Purge = "its previous spec would still hold " + strings.Join(ch.EnvRemove, ", ") + ", which `docker service inspect` shows"
		}
	}
	for name, fs := range purges {
		if svc := services[name]; svc != nil {
			ch := changeOf(changes, svc, running)
			var vars []string
			for _, f := range fs {
				vars = append(vars, f.Key)
				ch.Fixes = append(ch.Fixes, f.ID())
			}
			slices.Sort(vars)
			ch.Purge = cmp.Or(ch.Purge, "its previous spec still holds "+strings.Join(vars, ", ")+", removed from its env, which `docker service inspect` shows")
		}
	}
	for name, fs := range revokes {
		if svc := services[name]; svc != nil {
			ch := changeOf(changes, svc, running)
			for _, f := range fs {
				ch.After = slices.DeleteFunc(ch.After, func(r FileRef) bool { return r.Name == f.Secret })
				ch.Revoke = append(ch.Revoke, f.Secret)
				ch.Fixes = append(ch.Fixes, f.ID())
			}
			slices.Sort(ch.Revoke)
		}
	}
	for _, ch := range changes {
		if sf := in.Source.stackOf(ch.Stack); sf != nil && sf.Err == nil && sf.service(ch.Service) != nil {
			ch.StackFile = sf.Path
			for _, a := range ch.After {
				if ref, _ := sf.refAt(ch.Service, a.Target); ref == nil {
					ch.StackMissing = append(ch.StackMissing, a.Target)
				}
			}
		}
		if ch.Edits() || ch.Purge != "" {
			if !ch.Edits() {
				ch.Restarts = 0 // an update with no change restarts nothing
			}
			ch.Unschedulable = in.Swarm.Unschedulable(ch.ServiceID)
			slices.Sort(ch.EnvRemove)
			slices.Sort(ch.EnvAdd)
			slices.Sort(ch.Fixes)
			p.Services = append(p.Services, *ch)
		}
	}
	slices.SortFunc(p.Services, func(a, b ServiceChange) int { return strings.Compare(a.Service, b.Service) })
	slices.SortFunc(p.Creates, func(a, b SecretCreate) int { return strings.Compare(a.Name, b.Name) })
	// The stack files follow: the changes' new references, and the files
	// that pin an older version than a service already mounts.
	edited := slices.Clone(p.Services)
	for name := range pinned {
		if svc := services[name]; svc != nil && !slices.ContainsFunc(edited, func(c ServiceChange) bool { return c.Service == name }) {
			edited = append(edited, ServiceChange{Service: name, After: svc.Spec.Secrets})
		}
	}
	var err error
	if p.StackEdits, err = stackEdits(in.Source, edited, services); err != nil {
		return nil, err
	}
	p.StackEdits = append(p.StackEdits, fileSecretEdits(in.Source, in.Swarm, fileSecrets)...)
	slices.SortFunc(p.StackEdits, func(a, b StackEdit) int { return strings.Compare(a.File+"\x00"+a.Key, b.File+"\x00"+b.Key) })
	p.Removes = append(planRemovals(in.Swarm, p, in.Logicals, in.Options.Keep), configRemovals(in.Swarm, p, in.Options.Keep)...)
	named := in.Source.stackNamed() // a deploy looks them up: never removed while a stack file names them
	p.Removes = slices.DeleteFunc(p.Removes, func(r SecretRemoval) bool { return named[r.Name] })
	if len(p.Creates) == 0 && len(p.ConfigCreates) == 0 && len(p.Services) == 0 && len(p.Removes) == 0 && len(p.StackEdits) == 0 {
		return nil, nothingToDo(in)
	}
	p.Seal()
	return p, nil
}

// burnedError refuses to move a value everyone who could inspect the
// service has read.
func burnedError(m *Move, d *DriftReport) error {
	file := "the source"
	for _, ds := range d.Desired {
		if ds.Logical == m.Logical {
			file = ds.File
		}
	}
	return fmt.Errorf("env var %s of service %s holds the value %s has now in %s: everyone who could inspect the service has read it, so moving it would mount a burned value; put a new value in %s first, or pass --accept-exposed-value to move it as it is",
		m.Env, m.Service, m.Logical, file, file)
}

// changeOf is the one update of svc in changes, started with its references
// as they are.
func changeOf(changes map[string]*ServiceChange, svc *Service, running map[string]int) *ServiceChange {
	ch := changes[svc.Name]
	if ch == nil {
		ch = &ServiceChange{Service: svc.Name, ServiceID: svc.ID, Version: svc.Version, Stack: svc.Stack,
			Before: slices.Clone(svc.Spec.Secrets), After: slices.Clone(svc.Spec.Secrets),
			ConfigsBefore: slices.Clone(svc.Spec.Configs), ConfigsAfter: slices.Clone(svc.Spec.Configs),
			Restarts: running[svc.ID], Update: svc.UpdateConfig}
		changes[svc.Name] = ch
	}
	return ch
}

// NewResumePlan finishes plan id, left half-done (a kill -9, a lost SSH
// session): the logical secrets it created versions of get every fix and
// prune step they still need. in.Logicals is set from the swarm.
func NewResumePlan(in PlanInput, id string) (*RotationPlan, error) {
	in.Logicals = in.Swarm.PlanLogicals(id)
	if len(in.Logicals) == 0 {
		return nil, fmt.Errorf("no secret nor config in this swarm carries plan id %s: nothing to resume", id)
	}
	p, err := NewPlan(in)
	if err != nil {
		return nil, fmt.Errorf("resume %s: %w", id, err)
	}
	p.Made = PlanOrigin{Kind: PlanResume, Of: id, Keep: in.Options.Keep}
	p.Seal()
	return p, nil
}

// Seal records the digest that ReadPlan checks.
func (p *RotationPlan) Seal() { p.Digest = p.digest() }

// wants reports whether the picked findings concern service (a finding with
// no service, such as a shared secret without consumers, concerns all).
func wants(fs []Finding, service string) bool {
	for _, f := range fs {
		if f.Service == service || f.Service == "" {
			return true
		}
	}
	return false
}

// chosen is the version a plan mounts: an existing one (ID set) or the
// number of one to create.
type chosen struct {
	ID, Name string
	N        int
	ansible  bool // a new version that gets Ansible's labels
}

// chooseVersion mounts the newest version when its fingerprint (or
// Ansible's ansible_key) proves it holds the source value, and it was made
// after fresh (an expired finding's policy: zero, any age); else it numbers
// a new one past every existing version, by name and by ansible_version
// label alike, so that neither tool's next version collides with the other's.
func chooseVersion(vs []SecretVersion, ds DesiredSecret, key FingerprintKey, ansibleCompat bool, fresh time.Time) chosen {
	last, ok := newest(vs)
	if !ok {
		return chosen{N: 1}
	}
	if m, _ := key.Check(last.Secret.Labels, ds.Logical, ds.Value); m == FingerprintMatches && !last.Secret.CreatedAt.Before(fresh) {
		return chosen{ID: last.Secret.ID, Name: last.Secret.Name, N: last.N}
	}
	n := 0
	for _, v := range vs {
		n = max(n, v.N, ansibleVersion(v.Secret))
	}
	return chosen{N: n + 1, ansible: ansibleCompat && ansibleMade(last.Secret)}
}

// freshAfter is the date a version must be made after to fix the picked
// expired findings: the plan's time minus the strictest max-age among them
// (zero when none is picked). It reads only the plan's own time and the
// manifest, so that Remake, run later, decides alike.
func freshAfter(in PlanInput, fs []Finding) time.Time {
	var fresh time.Time
	for _, f := range fs {
		if f.Kind != KindExpired {
			continue
		}
		if limit, _, on := in.Source.Manifest.MaxAgeFor(in.Source.Env, f.Service); on && in.Now.Add(-limit).After(fresh) {
			fresh = in.Now.Add(-limit)
		}
	}
	return fresh
}

// taken reports whether a secret called name exists.
func taken(s *SwarmSnapshot, name string) bool {
	return slices.ContainsFunc(s.Secrets, func(x Secret) bool { return x.Name == name })
}

// swapRef puts target at ds.Target in refs: it replaces the ref at that
// target, or a version of the same logical secret mounted elsewhere
// (target-mismatch), keeping its uid/gid/mode; else it adds one.
func swapRef(refs []FileRef, ix *versionIndex, ds DesiredSecret, target chosen) []FileRef {
	at := -1
	for i, r := range refs {
		if r.Target == ds.Target {
			at = i
		}
	}
	if at < 0 {
		for i, r := range refs {
			if v, ok := ix.byID[r.ID]; ok && v.Logical == ds.Logical {
				at = i
			}
		}
	}
	return placeRef(refs, at, FileRef{ID: target.ID, Name: target.Name, Target: ds.Target}, ds.Mount.UID, ds.Mount.GID, ds.Mount.Mode)
}

// placeRef puts ref in a copy of refs at index at (appended when at < 0),
// with the uid, gid and mode of the ref it replaces (Docker's defaults,
// 0/0/0444, for a new mount), unless the manifest sets them.
func placeRef(refs []FileRef, at int, ref FileRef, uid, gid *string, mode *FileMode) []FileRef {
	ref.UID, ref.GID, ref.Mode = "0", "0", 0o444
	if at >= 0 {
		ref.UID, ref.GID, ref.Mode = refs[at].UID, refs[at].GID, refs[at].Mode
	}
	if uid != nil {
		ref.UID = *uid
	}
	if gid != nil {
		ref.GID = *gid
	}
	if mode != nil {
		ref.Mode = uint32(*mode)
	}
	out := slices.Clone(refs)
	if at >= 0 {
		out[at] = ref
		return out
	}
	return append(out, ref)
}

// digest is a SHA-256 of the plan without its digest (nor the diffs of its
// stack edits, which a preview fills in after).
func (p *RotationPlan) digest() string {
	c := *p
	c.Digest = ""
	c.StackEdits = slices.Clone(p.StackEdits)
	for i := range c.StackEdits {
		c.StackEdits[i].Diff = ""
	}
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ReadPlan parses a plan file and checks that nobody edited it.
// Its errors are built from our words: a plan file is input, and its bytes
// are never repeated back.
func ReadPlan(data []byte) (*RotationPlan, error) {
	if len(data) > MaxPlanSize {
		return nil, fmt.Errorf("not a secretdeck plan: %d bytes, more than a plan can be (%d)", len(data), MaxPlanSize)
	}
	var p RotationPlan
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("not a secretdeck plan: %s", planJSONError(err))
	}
	if dec.More() {
		return nil, errors.New("not a secretdeck plan: more than one JSON document")
	}
	if !ValidPlanID(p.ID) {
		return nil, fmt.Errorf("not a secretdeck plan: its ID is not p-YYYYMMDD-HHMMSS-xxxx")
	}
	if p.Digest == "" || p.Digest != p.digest() {
		return nil, fmt.Errorf("plan %s was changed after `secretdeck plan` wrote it: make a new plan instead of editing one", p.ID)
	}
	return &p, nil
}

// MaxPlanSize bounds a plan file: one with 10,000 service changes is far
// under it.
const MaxPlanSize = 32 << 20

// planJSONError says what is wrong with a plan file without quoting it.
func planJSONError(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("invalid JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %s holds a JSON %s, not a %s", typ.Field, typ.Value, typ.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return "a field secretdeck does not write"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the file ends too soon"
	}
	return "invalid JSON"
}

// DockerCommand is the docker CLI line that would make the same change to a
// service (secrets to create named as they will be).
func (c ServiceChange) DockerCommand() string {
	return strings.Join(c.DockerArgs(), " ")
}

// DockerArgs is DockerCommand in pieces that must stay whole: the command,
// each flag with its value, the service. Each piece is quoted for a POSIX
// shell where it needs to be, so a pasted command does what it says even
// when a target holds a space or a quote.
func (c ServiceChange) DockerArgs() []string {
	parts := []string{"docker service update"}
	if c.Restart != "" {
		parts = append(parts, "--force")
	}
	for _, e := range c.EnvRemove {
		parts = append(parts, "--env-rm "+ShellQuote(e))
	}
	for _, e := range c.EnvAdd {
		parts = append(parts, "--env-add "+ShellQuote(e))
	}
	before := map[string]FileRef{}
	for _, r := range c.Before {
		before[r.Target] = r
	}
	after := map[string]FileRef{}
	for _, r := range c.After {
		after[r.Target] = r
	}
	for _, r := range c.Before {
		if a, ok := after[r.Target]; !ok || a != r {
			parts = append(parts, "--secret-rm "+ShellQuote(r.Name))
		}
	}
	for _, r := range c.After {
		if b, ok := before[r.Target]; !ok || b != r {
			parts = append(parts, "--secret-add "+ShellQuote(fmt.Sprintf("source=%s,target=%s,uid=%s,gid=%s,mode=%04o", r.Name, r.Target, r.UID, r.GID, r.Mode)))
		}
	}
	if !slices.Equal(c.ConfigsBefore, c.ConfigsAfter) {
		parts = append(parts, configArgs(c.ConfigsBefore, c.ConfigsAfter)...)
	}
	return append(parts, ShellQuote(c.Service))
}

// PurgeCommand is the docker CLI line of a Purge step: an update with no
// change, which makes today's spec the PreviousSpec.
func (c ServiceChange) PurgeCommand() string {
	return "docker service update " + ShellQuote(c.Service)
}

// ShellQuote returns s as one word of a POSIX shell: as it is when it holds
// only characters no shell treats specially, else in single quotes.
func ShellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-./=,:@%+", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// nothingToDo explains an empty plan with the findings that block it (an
// oversize value, a bad key), so an operator knows what to fix.
func nothingToDo(in PlanInput) error {
	var why []string
	for _, f := range in.Drift.Findings {
		if (f.Kind == KindOversize || f.Kind == KindUnparsable) && (in.Select == nil || in.Select(f)) && len(why) < 3 {
			why = append(why, f.Explanation)
		}
	}
	if e := in.Exposure; len(why) == 0 && e != nil {
		if len(e.Logicals) == 0 {
			return fmt.Errorf("nothing to do: no secret the source declares was %s (%d that it does not declare)", e.What(), len(e.Undeclared))
		}
		return fmt.Errorf("nothing to do: the %d secrets the source declares that were %s need no rotation: each was rotated since, or holds the exposed value, left as it is", len(e.Logicals), e.What())
	}
	if len(why) == 0 {
		return fmt.Errorf("nothing to do: no selected finding can be fixed by a rotation")
	}
	return fmt.Errorf("nothing to do: %s", strings.Join(why, "; "))
}

// PlanLogicals are the logical secrets whose versions plan id created, found
// by the secretdeck.plan label: what a resume finishes.
func (s *SwarmSnapshot) PlanLogicals(id string) []string {
	var out []string
	for _, sec := range s.Secrets {
		if sec.Labels[LabelPlan] == id && !slices.Contains(out, sec.Labels[LabelLogical]) {
			out = append(out, sec.Labels[LabelLogical])
		}
	}
	for _, c := range s.Configs {
		if c.Labels[LabelPlan] == id && !slices.Contains(out, c.Labels[LabelLogical]) {
			out = append(out, c.Labels[LabelLogical])
		}
	}
	slices.Sort(out)
	return out
}

// NewRevertPlan undoes plan id: every service that mounts a secret the plan
// created goes back to the newest older version of that logical secret (same
// target, uid, gid, mode), or loses the mount if there is none; then the
// plan's secrets, unused, are removed (steps of the revert plan).
func NewRevertPlan(s *SwarmSnapshot, source *SourceSnapshot, id, revertID string, now time.Time) (*RotationPlan, error) {
	if err := source.Manifest.CheckSwarm(source.Env, s.ClusterID); err != nil {
		return nil, err
	}
	created := map[string]bool{}
	for _, sec := range s.Secrets {
		if sec.Labels[LabelPlan] == id {
			created[sec.ID] = true
		}
	}
	createdConfigs := map[string]bool{}
	for _, c := range s.Configs {
		if c.Labels[LabelPlan] == id {
			createdConfigs[c.ID] = true
		}
	}
	if len(created) == 0 && len(createdConfigs) == 0 {
		return nil, fmt.Errorf("no secret of plan %s in this swarm: nothing to revert", id)
	}
	ix := newVersionIndex(s.Secrets)
	p := &RotationPlan{ID: revertID, CreatedAt: now.UTC(), ClusterID: s.ClusterID, Source: source.URI, Env: source.Env,
		Protected: source.Manifest.Protected(source.Env), Creates: []SecretCreate{}, Services: []ServiceChange{}}
	running, _ := s.TaskCounts()
	for _, svc := range s.Services {
		var after []FileRef
		changed := false
		for _, r := range svc.Spec.Secrets {
			if !created[r.ID] {
				after = append(after, r)
				continue
			}
			changed = true
			v := ix.byID[r.ID]
			var prev *SecretVersion
			for _, o := range ix.versions(v.Logical) {
				if o.N < v.N && !created[o.Secret.ID] {
					prev = &o
				}
			}
			if prev != nil {
				after = append(after, FileRef{ID: prev.Secret.ID, Name: prev.Secret.Name, Target: r.Target, UID: r.UID, GID: r.GID, Mode: r.Mode})
			}
		}
		if !changed {
			after = slices.Clone(svc.Spec.Secrets)
		}
		configsAfter, configsChanged := revertConfigs(s, &svc, createdConfigs)
		if changed || configsChanged {
			ch := ServiceChange{Service: svc.Name, ServiceID: svc.ID, Version: svc.Version, Stack: svc.Stack,
				Before: slices.Clone(svc.Spec.Secrets), After: after, Restarts: running[svc.ID], Update: svc.UpdateConfig,
				Fixes: []string{"revert " + id}, Unschedulable: s.Unschedulable(svc.ID)}
			if configsChanged {
				ch.ConfigsBefore, ch.ConfigsAfter = slices.Clone(svc.Spec.Configs), configsAfter
			}
			p.Services = append(p.Services, ch)
		}
	}
	for _, sec := range s.Secrets {
		if created[sec.ID] {
			p.Removes = append(p.Removes, SecretRemoval{ID: sec.ID, Name: sec.Name, Logical: sec.Labels[LabelLogical], Why: RemoveRevert, Plan: id})
		}
	}
	for _, c := range s.Configs {
		if createdConfigs[c.ID] {
			p.Removes = append(p.Removes, SecretRemoval{ID: c.ID, Name: c.Name, Logical: c.Labels[LabelLogical], Why: RemoveRevert, Plan: id, Config: true})
		}
	}
	slices.SortFunc(p.Removes, func(a, b SecretRemoval) int { return strings.Compare(a.Name, b.Name) })
	// The stack files the plan edited go back too: else the next deploy
	// looks up a secret the revert removes.
	services := map[string]*Service{}
	for i := range s.Services {
		services[s.Services[i].Name] = &s.Services[i]
	}
	var err error
	if p.StackEdits, err = stackEdits(source, p.Services, services); err != nil {
		return nil, err
	}
	p.Made = PlanOrigin{Kind: PlanRevert, Of: id}
	p.Seal()
	return p, nil
}
