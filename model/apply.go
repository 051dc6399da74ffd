package model

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SwarmWriter is what applying a plan needs from the engine.
type SwarmWriter interface {
	ClusterID() string
	CreateSecret(ctx context.Context, name string, labels map[string]string, v Value) (id string, err error)
	RemoveSecret(ctx context.Context, id string) error
	// CreateConfig makes a config; templateDriver is "" or "golang".
	CreateConfig(ctx context.Context, name string, labels map[string]string, data []byte, templateDriver string) (id string, err error)
	RemoveConfig(ctx context.Context, id string) error
	// Service returns a service as the engine has it now.
	Service(ctx context.Context, id string) (*Service, error)
	// UpdateService makes edit to the service in ONE update sent with
	// version; every other field of the spec is kept.
	UpdateService(ctx context.Context, id string, version uint64, edit ServiceEdit) error
	// Rollback asks the engine to roll the service back to its PreviousSpec.
	Rollback(ctx context.Context, id string, version uint64) error
	// Tasks returns the service's tasks.
	Tasks(ctx context.Context, serviceID string) ([]Task, error)
	// Services returns every service as it is now, with its PreviousSpec:
	// what a removal step is checked against before it runs.
	Services(ctx context.Context) ([]Service, error)
}

// ServiceEdit is what one service update changes.
type ServiceEdit struct {
	Secrets []FileRef // the service's secret references, all of them
	// Configs are the service's config references, all of them; nil keeps
	// them as they are.
	Configs []FileRef
	// Restart also replaces every task (ForceUpdate incremented, as `docker
	// service update --force`).
	Restart bool
	// EnvRemove are env vars removed, by name; EnvAdd are NAME=VALUE env
	// vars set (paths to secret files, never a credential).
	EnvRemove, EnvAdd []string
}

// StackWriter writes the stack file edits of a plan.
type StackWriter interface {
	// EditStack names definition e.Key e.To in stack file e.File, only if
	// the file is still at e.Version (S3 If-Match, or a content check and
	// an atomic rename for a local file).
	EditStack(ctx context.Context, e StackEdit) error
}

// ErrOutOfSequence is what a SwarmWriter returns when the service changed
// since it was read (Docker's "update out of sequence").
var ErrOutOfSequence = errors.New("update out of sequence")

// ApplyInput is what Apply works with.
type ApplyInput struct {
	Plan   *RotationPlan
	Swarm  SwarmWriter
	Source *SourceSnapshot // re-read now: values come from here, never from the plan
	Key    FingerprintKey  // the source's key (created by the caller if it had none)
	By     string          // user@host, for the created-by label
	// Snapshot is the swarm as read for this apply: the plan's removals are
	// justified against it before anything changes.
	Snapshot *SwarmSnapshot
	// Options: Parallel, Timeout and Poll (zero fields: the defaults).
	Options ApplyOptions
	// Progress receives a line per step (never a value), one call at a time.
	Progress func(Step)
	// Stacks writes the plan's stack file edits (nil: none are written,
	// as with --no-stack-edit).
	Stacks StackWriter
}

// Step is one thing apply did or saw, for progress lines and the audit log.
type Step struct {
	Plan    string `json:"plan"`
	Service string `json:"service,omitempty"`
	Secret  string `json:"secret,omitempty"`
	Config  string `json:"config,omitempty"`
	Action  string `json:"action"` // create, update, watch, verified, rollback, remove, refuse
	Result  string `json:"result"` // ok, failed, or a state
	Detail  string `json:"detail,omitempty"`
	// Fingerprint of a created secret (keyed; never the value).
	Fingerprint string `json:"fingerprint,omitempty"`
	Running     int    `json:"running,omitempty"`
	Desired     int    `json:"desired,omitempty"`
}

// Subject is what the step is about: a service, a secret, or "config X".
func (s Step) Subject() string {
	if s.Config != "" {
		return s.Service + "config " + s.Config
	}
	return s.Service + s.Secret
}

// ApplyResult says what happened to each service and what state the swarm is
// in now, in words an operator can act on.
type ApplyResult struct {
	Created []string `json:"created"`
	// ConfigsCreated and ConfigsRemoved are the configs made, and removed
	// again by an undo.
	ConfigsCreated []string          `json:"configsCreated,omitempty"`
	ConfigsRemoved []string          `json:"configsRemoved,omitempty"`
	Services       map[string]string `json:"services"` // service → verified | rolled-back | failed | unchanged
	Removed        []string          `json:"removed"`
	Purged         []string          `json:"purged,omitempty"` // services whose PreviousSpec was flushed
	Stacks         []string          `json:"stacks,omitempty"` // stack files edited
	Kept           []string          `json:"kept,omitempty"`   // removal steps the swarm no longer justified
	Summary        string            `json:"summary"`
}

// ApplyError is a failed apply; the swarm has been brought back as far as
// possible and Result says where it stands.
type ApplyError struct {
	Result *ApplyResult
	Err    error
}

func (e *ApplyError) Error() string { return e.Err.Error() + "; " + e.Result.Summary }
func (e *ApplyError) Unwrap() error { return e.Err }

// Check refuses a plan that no longer matches the swarm or the source, before
// anything is changed: Verify against the swarm as read for this apply,
// then each service's version read again live.
func Check(ctx context.Context, in ApplyInput) error {
	p := in.Plan
	if in.Snapshot == nil {
		return fmt.Errorf("apply was given no view of the swarm to check plan %s against", p.ID)
	}
	if id := in.Swarm.ClusterID(); id != p.ClusterID {
		return fmt.Errorf("plan %s is for swarm %s, but this is swarm %s: make a plan against this swarm", p.ID, p.ClusterID, id)
	}
	if err := Verify(p, in.Snapshot, in.Source, func(sc ServiceChange) (*Service, error) { return in.Swarm.Service(ctx, sc.ServiceID) }); err != nil {
		return err
	}
	return nil
}

// Verify refuses plan p when it does not match swarm s and the source: for
// another swarm, source or environment; a file, key or value that moved; a
// removal the swarm does not justify; a service changed since (read through
// service, or from s when nil); and last, any plan its origin does not make
// again (Remake). It changes nothing and reads nothing but service.
func Verify(p *RotationPlan, s *SwarmSnapshot, source *SourceSnapshot, service func(ServiceChange) (*Service, error)) error {
	if s.ClusterID != p.ClusterID {
		return fmt.Errorf("plan %s is for swarm %s, but this is swarm %s: make a plan against this swarm", p.ID, p.ClusterID, s.ClusterID)
	}
	if source.URI != p.Source || source.Env != p.Env {
		return fmt.Errorf("plan %s is for %s (env %s), not %s (env %s)", p.ID, p.Source, p.Env, source.URI, source.Env)
	}
	if err := source.Manifest.CheckSwarm(source.Env, s.ClusterID); err != nil {
		return err
	}
	for _, c := range p.Creates {
		f := findFile(source, c.File)
		if f == nil {
			return fmt.Errorf("%s is gone from %s since plan %s: run plan again", c.File, p.Source, p.ID)
		}
		if now := firstNonEmpty(f.VersionID, f.ETag); now != c.SourceVersion {
			return fmt.Errorf("%s changed since plan %s (version %s, now %s): run plan again", c.File, p.ID, c.SourceVersion, now)
		}
		v, ok := entryValue(f, c.Key)
		if !ok {
			return fmt.Errorf("key %q is gone from %s since plan %s: run plan again", c.Key, c.File, p.ID)
		}
		if v.Len() >= MaxSecretSize {
			return fmt.Errorf("key %q of %s is %d bytes: a swarm secret must be under 500 KiB (512,000 bytes)", c.Key, c.File, v.Len())
		}
		if v.IsZero() {
			return fmt.Errorf("key %q of %s is empty: a swarm secret cannot be empty", c.Key, c.File)
		}
		if !ValidSecretName(c.Name) {
			return fmt.Errorf("%q is not a valid secret name", c.Name)
		}
	}
	if err := checkConfigCreates(p, source); err != nil {
		return err
	}
	for _, e := range p.StackEdits {
		sf := source.stackOf(e.Stack)
		switch {
		case sf == nil || sf.Path != e.File:
			return fmt.Errorf("stack file %s is gone since plan %s: run plan again", e.File, p.ID)
		case sf.Version != e.Version:
			return fmt.Errorf("stack file %s changed since plan %s (version %s, now %s): run plan again", e.File, p.ID, e.Version, sf.Version)
		}
	}
	if len(p.Removes) > 0 {
		if err := justifyRemovals(p, s); err != nil {
			return err
		}
	}
	if service == nil {
		service = func(sc ServiceChange) (*Service, error) {
			if i := slices.IndexFunc(s.Services, func(x Service) bool { return x.ID == sc.ServiceID }); i >= 0 {
				return &s.Services[i], nil
			}
			return nil, fmt.Errorf("service %s not found", sc.ServiceID)
		}
	}
	for _, sc := range p.Services {
		svc, err := service(sc)
		if err != nil {
			return fmt.Errorf("service %s: %w", sc.Service, err)
		}
		if svc.Version != sc.Version {
			return fmt.Errorf("service %s was changed by someone else since plan %s (version %d, now %d): run plan again", sc.Service, p.ID, sc.Version, svc.Version)
		}
	}
	// Last, the rule that holds whatever the checks above missed: the plan
	// must be the one its origin, the source and the swarm make now, so an
	// edited plan file cannot aim apply anywhere else.
	return Remake(p, s, source)
}

// Apply carries out a checked plan: create the secrets, update the services
// concurrently (bounded), watch each rollout until Docker says `completed`
// AND every running task mounts the new secrets. On any failure it rolls
// back the services it updated, removes the secrets it created that no
// service mounts, and returns an *ApplyError whose result says where the
// swarm stands.
func Apply(ctx context.Context, in ApplyInput) (*ApplyResult, error) {
	in = withDefaults(in)
	r := &ApplyResult{Services: map[string]string{}, Created: []string{}, Removed: []string{}}
	ids := map[string]string{} // created name → ID
	for _, c := range in.Plan.Creates {
		v, _ := entryValue(findFile(in.Source, c.File), c.Key)
		labels := createLabels(in, c, v)
		id, err := in.Swarm.CreateSecret(ctx, c.Name, labels, v)
		if err != nil {
			in.Progress(Step{Plan: in.Plan.ID, Secret: c.Name, Action: "create", Result: "failed", Detail: err.Error()})
			return nil, in.undo(ctx, r, ids, nil, nil, fmt.Errorf("create secret %s: %w", c.Name, err))
		}
		ids[c.Name] = id
		r.Created = append(r.Created, c.Name)
		in.Progress(Step{Plan: in.Plan.ID, Secret: c.Name, Action: "create", Result: "ok", Fingerprint: labels[LabelFingerprint]})
	}
	cfgIDs := map[string]string{} // created config name → ID
	for _, c := range in.Plan.ConfigCreates {
		f := findConfig(in.Source, c.File)
		id, err := in.Swarm.CreateConfig(ctx, c.Name, configLabels(in, c), f.Data, c.TemplateDriver)
		if err != nil {
			in.Progress(Step{Plan: in.Plan.ID, Config: c.Name, Action: "create", Result: "failed", Detail: err.Error()})
			return nil, in.undo(ctx, r, ids, cfgIDs, nil, fmt.Errorf("create config %s: %w", c.Name, err))
		}
		cfgIDs[c.Name] = id
		r.ConfigsCreated = append(r.ConfigsCreated, c.Name)
		in.Progress(Step{Plan: in.Plan.ID, Config: c.Name, Action: "create", Result: "ok", Detail: "sha256 " + c.SHA256})
	}

	var (
		mu      sync.Mutex
		updated []ServiceChange
		failed  error
	)
	// Updates start in plan order, at most Parallel at a time, so the
	// apply takes about as long as the slowest rollout, not their sum; none
	// starts after a failure.
	sem := make(chan struct{}, in.Options.Parallel)
	var wg sync.WaitGroup
	for _, sc := range in.Plan.Services {
		if !sc.Edits() {
			continue // a purge only: after every service is verified
		}
		sem <- struct{}{}
		mu.Lock()
		stop := failed != nil
		mu.Unlock()
		if stop {
			<-sem
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			refs, crefs := resolve(sc.After, ids), resolve(sc.ConfigsAfter, cfgIDs)
			sent, err := in.update(ctx, sc, refs, crefs)
			if err == nil {
				err = in.watch(ctx, sc, refs, crefs)
			}
			mu.Lock()
			defer mu.Unlock()
			if sent {
				updated = append(updated, sc)
			}
			if err != nil {
				r.Services[sc.Service] = "failed"
				failed = errors.Join(failed, fmt.Errorf("service %s: %w", sc.Service, err))
				return
			}
			r.Services[sc.Service] = "verified"
		}()
	}
	wg.Wait()
	if failed != nil {
		return nil, in.undo(ctx, r, ids, cfgIDs, updated, failed)
	}
	edited := 0
	for _, sc := range in.Plan.Services {
		if sc.Edits() {
			edited++
		}
	}
	r.Summary = fmt.Sprintf("plan %s applied: %d secrets created, %d services updated and verified (every running task mounts the new secrets)",
		in.Plan.ID, len(r.Created), edited)
	if len(r.ConfigsCreated) > 0 {
		r.Summary = fmt.Sprintf("plan %s applied: %s and %s created, %d services updated and verified (every running task mounts the new secrets and configs)",
			in.Plan.ID, plural(len(r.Created), "secret"), plural(len(r.ConfigsCreated), "config"), edited)
	}
	serr := in.editStacks(ctx, r)
	perr := in.purge(ctx, r, ids)
	if err := in.remove(ctx, r); err != nil {
		return r, errors.Join(serr, perr, err)
	}
	return r, errors.Join(serr, perr)
}

// editStacks writes the plan's stack file edits, once every service is
// verified: before, a deploy would mount a version not verified yet. A
// failed write (someone changed the file: If-Match) leaves a rotated swarm
// whose stack file still names the old version: said, with the edit to
// make by hand, not undone.
func (in ApplyInput) editStacks(ctx context.Context, r *ApplyResult) error {
	edits := in.Plan.StackEdits
	if len(edits) == 0 {
		return nil
	}
	if in.Options.NoStackEdit || in.Stacks == nil {
		for _, e := range edits {
			in.Progress(Step{Plan: in.Plan.ID, Secret: e.File, Action: "stack-edit", Result: "left to you",
				Detail: fmt.Sprintf("set secret %s's name to %s (the preview shows the diff) before the next `docker stack deploy`", e.Key, e.To)})
		}
		r.Summary += fmt.Sprintf("; %d stack file edits left to you (--no-stack-edit): until they are made, the next `docker stack deploy` reverts", len(edits))
		return nil
	}
	var failed []string
	for _, e := range edits {
		if err := in.Stacks.EditStack(ctx, e); err != nil {
			failed = append(failed, fmt.Sprintf("%s (secret %s: name %s; %v)", e.File, e.Key, e.To, err))
			in.Progress(Step{Plan: in.Plan.ID, Secret: e.File, Action: "stack-edit", Result: "failed", Detail: err.Error()})
			continue
		}
		if !slices.Contains(r.Stacks, e.File) {
			r.Stacks = append(r.Stacks, e.File)
		}
		in.Progress(Step{Plan: in.Plan.ID, Secret: e.File, Action: "stack-edit", Result: "ok", Detail: fmt.Sprintf("secret %s: name %s → %s", e.Key, e.From, e.To)})
	}
	if len(r.Stacks) > 0 {
		r.Summary += fmt.Sprintf("; %d stack files edited", len(r.Stacks))
	}
	if len(failed) > 0 {
		return fmt.Errorf("plan %s applied, but these stack file edits failed, so the next `docker stack deploy` reverts the rotation: %s; make them by hand", in.Plan.ID, strings.Join(failed, "; "))
	}
	return nil
}

// purge flushes the PreviousSpec of every service the plan says holds a
// credential: one more update with no change, which makes the spec as it is
// now the previous one and restarts nothing. It runs once every service is
// verified (a rollback goes back to the PreviousSpec), and only over the
// spec this plan made. A failure leaves a rotated swarm whose previous spec
// still shows a value: said with the command that finishes it, not undone.
func (in ApplyInput) purge(ctx context.Context, r *ApplyResult, ids map[string]string) error {
	var failed []string
	for _, sc := range in.Plan.Services {
		if sc.Purge == "" {
			continue
		}
		if err := in.purgeOne(ctx, sc, resolve(sc.After, ids)); err != nil {
			failed = append(failed, fmt.Sprintf("service %s (%v): finish it with `%s`", sc.Service, err, sc.PurgeCommand()))
			in.Progress(Step{Plan: in.Plan.ID, Service: sc.Service, Action: "purge", Result: "failed", Detail: err.Error()})
			continue
		}
		r.Purged = append(r.Purged, sc.Service)
		if _, ok := r.Services[sc.Service]; !ok {
			r.Services[sc.Service] = "purged"
		}
		in.Progress(Step{Plan: in.Plan.ID, Service: sc.Service, Action: "purge", Result: "ok", Detail: "its previous spec no longer holds the credential"})
	}
	if len(r.Purged) > 0 {
		r.Summary += fmt.Sprintf("; the previous spec of %d services flushed", len(r.Purged))
	}
	if len(failed) > 0 {
		return fmt.Errorf("plan %s applied, but `docker service inspect` still shows a credential in the previous spec of %s", in.Plan.ID, strings.Join(failed, "; "))
	}
	return nil
}

func (in ApplyInput) purgeOne(ctx context.Context, sc ServiceChange, refs []FileRef) error {
	for attempt := 1; ; attempt++ {
		svc, err := in.Swarm.Service(ctx, sc.ServiceID)
		if err != nil {
			return err
		}
		if !slices.Equal(svc.Spec.Secrets, refs) || slices.ContainsFunc(svc.Spec.Env, func(e EnvVar) bool { return slices.Contains(sc.EnvRemove, e.Name) }) {
			return fmt.Errorf("someone else changed the service since this plan updated it: not updated over their change")
		}
		err = in.Swarm.UpdateService(ctx, sc.ServiceID, svc.Version, ServiceEdit{Secrets: svc.Spec.Secrets})
		if err == nil {
			break
		}
		// Docker's updater writes the service's status after a rollout: the
		// version read a moment ago can be gone.
		if !errors.Is(err, ErrOutOfSequence) || attempt == maxRollbackAttempts {
			return err
		}
	}
	svc, err := in.Swarm.Service(ctx, sc.ServiceID)
	if err != nil {
		return err
	}
	if svc.Previous != nil && !sameEnv(svc.Previous.Env, svc.Spec.Env) {
		return fmt.Errorf("its previous spec still differs from its spec")
	}
	return nil
}

// sameEnv reports whether two envs hold the same variables and values.
func sameEnv(a, b []EnvVar) bool {
	return slices.EqualFunc(a, b, func(x, y EnvVar) bool { return x.Name == y.Name && x.Value.Equal(y.Value) })
}

// untouched reports whether svc is as it was before sc's update: its
// secrets, and the env vars the update removes still there.
func untouched(svc *Service, sc ServiceChange) bool {
	if !specIsBefore(svc.Spec, sc) {
		return false
	}
	for _, name := range sc.EnvRemove {
		if !slices.ContainsFunc(svc.Spec.Env, func(e EnvVar) bool { return e.Name == name }) {
			return false
		}
	}
	return true
}

// remove runs the plan's removal steps, last, each checked against the swarm
// as it is now: a secret some Spec names (or, for a prune, some PreviousSpec)
// is kept and said, never removed. The services are verified by then, so a
// failure here leaves a rotated swarm with a secret too many: said, not
// undone.
func (in ApplyInput) remove(ctx context.Context, r *ApplyResult) error {
	if len(in.Plan.Removes) == 0 {
		return nil
	}
	services, err := in.Swarm.Services(ctx)
	if err != nil {
		return fmt.Errorf("plan %s applied, but its removals did not run (%w): the old secrets stay (`secretdeck prune` lists them)", in.Plan.ID, err)
	}
	updated := map[string]bool{}
	for _, sc := range in.Plan.Services {
		updated[sc.ServiceID] = true
	}
	var failed []string
	for _, rm := range in.Plan.Removes {
		if err := checkRemoval(rm, services, updated); err != nil {
			r.Kept = append(r.Kept, rm.Name)
			in.Progress(Step{Plan: in.Plan.ID, Secret: rm.Name, Action: "remove", Result: "kept", Detail: err.Error()})
			continue
		}
		remove := in.Swarm.RemoveSecret
		if rm.Config {
			remove = in.Swarm.RemoveConfig
		}
		if err := remove(ctx, rm.ID); err != nil {
			failed = append(failed, fmt.Sprintf("%s (%v)", rm.Name, err))
			in.Progress(Step{Plan: in.Plan.ID, Secret: rm.Name, Action: "remove", Result: "failed", Detail: err.Error()})
			continue
		}
		r.Removed = append(r.Removed, rm.Name)
		in.Progress(Step{Plan: in.Plan.ID, Secret: rm.Name, Action: "remove", Result: "ok", Detail: rm.Why})
	}
	r.Summary += fmt.Sprintf("; %d old secrets removed", len(r.Removed))
	if len(r.Kept) > 0 {
		r.Summary += fmt.Sprintf(", %d kept (in use)", len(r.Kept))
	}
	if len(failed) > 0 {
		return fmt.Errorf("plan %s applied, but %d secret(s) could not be removed: %s", in.Plan.ID, len(failed), strings.Join(failed, "; "))
	}
	return nil
}

func withDefaults(in ApplyInput) ApplyInput {
	def := DefaultApplyOptions()
	if in.Options.Parallel <= 0 {
		in.Options.Parallel = def.Parallel
	}
	if in.Options.Timeout <= 0 {
		in.Options.Timeout = def.Timeout
	}
	if in.Options.Poll <= 0 {
		in.Options.Poll = def.Poll
	}
	if in.Progress == nil {
		in.Progress = func(Step) {}
	}
	// Services report from their own goroutines: serialise the callback.
	var mu sync.Mutex
	report := in.Progress
	in.Progress = func(s Step) {
		mu.Lock()
		defer mu.Unlock()
		report(s)
	}
	return in
}

func createLabels(in ApplyInput, c SecretCreate, v Value) map[string]string {
	labels := map[string]string{
		LabelLogical: c.Logical, LabelVersion: strconv.Itoa(c.Version),
		LabelFingerprint: string(in.Key.Fingerprint(c.Logical, v)), LabelSource: in.Plan.Source + "#" + c.File + "#" + c.Key,
		LabelSourceVersion: c.SourceVersion, LabelEnv: in.Plan.Env, LabelPlan: in.Plan.ID, LabelCreatedBy: in.By,
	}
	if c.Ansible {
		// The digest Ansible already keeps on every version it made: nothing
		// new is exposed, and its next run sees no change for this value.
		labels[LabelAnsibleVersion] = strconv.Itoa(c.Version)
		labels[LabelAnsibleKey] = AnsibleKey(v)
	}
	return labels
}

// resolve fills the IDs of refs to secrets the plan created.
func resolve(refs []FileRef, ids map[string]string) []FileRef {
	out := slices.Clone(refs)
	for i, r := range out {
		if r.ID == "" {
			out[i].ID = ids[r.Name]
		}
	}
	return out
}

// update sends the one service update, retrying once after "update out of
// sequence" when the service's references are still what the plan saw.
func (in ApplyInput) update(ctx context.Context, sc ServiceChange, refs, configs []FileRef) (sent bool, err error) {
	edit := ServiceEdit{Secrets: refs, Configs: configs, Restart: sc.Restart != "", EnvRemove: sc.EnvRemove, EnvAdd: sc.EnvAdd}
	err = in.Swarm.UpdateService(ctx, sc.ServiceID, sc.Version, edit)
	if errors.Is(err, ErrOutOfSequence) {
		svc, ierr := in.Swarm.Service(ctx, sc.ServiceID)
		if ierr != nil {
			return false, ierr
		}
		if !untouched(svc, sc) {
			return false, fmt.Errorf("someone else changed its %s or env since plan %s: stopped (run plan again)", mountedWords(sc), in.Plan.ID)
		}
		in.Progress(Step{Plan: in.Plan.ID, Service: sc.Service, Action: "update", Result: "retry", Detail: "out of sequence; its secrets are unchanged, retrying once"})
		err = in.Swarm.UpdateService(ctx, sc.ServiceID, svc.Version, edit)
	}
	if err != nil {
		in.Progress(Step{Plan: in.Plan.ID, Service: sc.Service, Action: "update", Result: "failed", Detail: err.Error()})
		return false, err
	}
	in.Progress(Step{Plan: in.Plan.ID, Service: sc.Service, Action: "update", Result: "ok"})
	return true, nil
}

// watch waits for the rollout: success is UpdateStatus completed AND every
// running task mounting the new secret IDs. paused, rollback_*, a timeout
// are failures (`docker service update` exits 0 after an automatic rollback:
// convergence alone proves nothing).
func (in ApplyInput) watch(ctx context.Context, sc ServiceChange, refs, configs []FileRef) error {
	want := make([]string, 0, len(refs)+len(configs))
	for _, r := range refs {
		want = append(want, r.ID)
	}
	for _, r := range configs {
		want = append(want, r.ID)
	}
	deadline := time.Now().Add(in.Options.Timeout)
	last := ""
	failedSeen := map[string]bool{}
	var away time.Time // since when reads fail: the engine restarting, a connection re-dialled
	for {
		svc, err := in.Swarm.Service(ctx, sc.ServiceID)
		var tasks []Task
		if err == nil {
			tasks, err = in.Swarm.Tasks(ctx, sc.ServiceID)
		}
		if err != nil {
			// The rollout goes on in the swarm while its engine does not
			// answer: read again, for a while, rather than roll back
			// through an engine that is away (which fails too).
			if away.IsZero() {
				away = time.Now()
				in.Progress(Step{Plan: in.Plan.ID, Service: sc.Service, Action: "watch", Result: "retrying", Detail: err.Error()})
			}
			if time.Now().After(deadline) || time.Since(away) > engineAwayGrace {
				return err
			}
			select {
			case <-ctx.Done():
				return context.Cause(ctx)
			case <-time.After(in.Options.Poll):
			}
			continue
		}
		away = time.Time{}
		state := "updating"
		if svc.UpdateStatus != nil && svc.UpdateStatus.State != "" {
			state = svc.UpdateStatus.State
		}
		v := verify(svc, state, tasks, want, refs, sc.Restart != "" || len(sc.EnvRemove)+len(sc.EnvAdd) > 0, in.nodes())
		for _, t := range newSpecTasks(tasks, want) {
			if (t.State == "failed" || t.State == "rejected") && !failedSeen[t.ID] {
				failedSeen[t.ID] = true // said as it happens, once: Docker may retry it
				in.Progress(Step{Plan: in.Plan.ID, Service: sc.Service, Action: "task", Result: t.State, Detail: taskError(t)})
			}
		}
		if line := fmt.Sprintf("%s %d/%d", state, v.running, v.desired); line != last {
			last = line
			in.Progress(Step{Plan: in.Plan.ID, Service: sc.Service, Action: "watch", Result: state, Running: v.running, Desired: v.desired})
		}
		if v.err != nil {
			return v.err
		}
		if v.done {
			in.Progress(Step{Plan: in.Plan.ID, Service: sc.Service, Action: "verified", Result: "ok", Running: v.running, Desired: v.desired, Detail: v.detail})
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("rollout not done after %s (state %s, %d/%d tasks running with the new %s)", in.Options.Timeout, state, v.mounting, v.desired, mountedWords(sc))
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx) // why the operator stopped it, if said
		case <-time.After(in.Options.Poll):
		}
	}
}

// engineAwayGrace is how long a watch reads again an engine that does not
// answer (a restart takes seconds) before it fails the rollout.
const engineAwayGrace = time.Minute

// nodes is what verification knows of the nodes: nil (wait for every task)
// under --wait-for-all-nodes.
func (in ApplyInput) nodes() nodeIndex {
	if in.Options.WaitForAllNodes {
		return nil
	}
	var nodes []Node
	if in.Snapshot != nil {
		nodes = in.Snapshot.Nodes
	}
	return newNodeIndex(nodes)
}

// expected is how many tasks should run: the declared replicas of a
// replicated service, else (global) what the orchestrator wants now.
func expected(svc *Service, desired int) int {
	if svc.Replicas != nil {
		return int(*svc.Replicas)
	}
	return desired
}

// taskState counts tasks meant to run, those running, and those running with
// every wanted secret mounted.
func taskState(tasks []Task, want []string) (running, desired, mounting int) {
	for _, t := range tasks {
		if t.DesiredState != "running" {
			continue
		}
		desired++
		if t.State != "running" {
			continue
		}
		running++
		ok := true
		for _, id := range want {
			ok = ok && t.Mounts(id)
		}
		if ok {
			mounting++
		}
	}
	return running, desired, mounting
}

// undo rolls back the services this plan updated and removes the secrets it
// created that no service's Spec mounts, then says where the swarm stands.
func (in ApplyInput) undo(ctx context.Context, r *ApplyResult, ids, cfgIDs map[string]string, updated []ServiceChange, cause error) error {
	ctx = context.WithoutCancel(ctx) // finish undoing even if the operator interrupted
	var problems []string
	for _, sc := range updated {
		if err := in.rollback(ctx, sc); err != nil {
			r.Services[sc.Service] = "failed"
			problems = append(problems, fmt.Sprintf("service %s could not be rolled back (%v): %s", sc.Service, err, rollbackAdvice(err, sc.Service)))
			continue
		}
		r.Services[sc.Service] = "rolled-back"
	}
	for _, sc := range in.Plan.Services {
		if _, ok := r.Services[sc.Service]; !ok {
			r.Services[sc.Service] = "unchanged"
		}
	}
	for _, name := range slices.Sorted(maps.Keys(ids)) {
		if err := in.Swarm.RemoveSecret(ctx, ids[name]); err != nil {
			problems = append(problems, fmt.Sprintf("secret %s stays (%v)", name, err))
			in.Progress(Step{Plan: in.Plan.ID, Secret: name, Action: "remove", Result: "failed", Detail: err.Error()})
			continue
		}
		r.Removed = append(r.Removed, name)
		in.Progress(Step{Plan: in.Plan.ID, Secret: name, Action: "remove", Result: "ok"})
	}
	for _, name := range slices.Sorted(maps.Keys(cfgIDs)) {
		if err := in.Swarm.RemoveConfig(ctx, cfgIDs[name]); err != nil {
			problems = append(problems, fmt.Sprintf("config %s stays (%v)", name, err))
			in.Progress(Step{Plan: in.Plan.ID, Config: name, Action: "remove", Result: "failed", Detail: err.Error()})
			continue
		}
		r.ConfigsRemoved = append(r.ConfigsRemoved, name)
		in.Progress(Step{Plan: in.Plan.ID, Config: name, Action: "remove", Result: "ok"})
	}
	var states []string
	for _, s := range slices.Sorted(maps.Keys(r.Services)) {
		states = append(states, s+" "+r.Services[s])
	}
	r.Summary = fmt.Sprintf("plan %s failed and was undone: services: %s; secrets created then removed: %d",
		in.Plan.ID, strings.Join(states, ", "), len(r.Removed))
	if len(r.ConfigsRemoved) > 0 {
		r.Summary += fmt.Sprintf("; configs created then removed: %d", len(r.ConfigsRemoved))
	}
	if len(problems) > 0 {
		r.Summary += "; NOT undone: " + strings.Join(problems, "; ")
	}
	return &ApplyError{Result: r, Err: cause}
}

// errRollbackPaused: Docker put the service's spec back but its tasks do
// not run. Its PreviousSpec is now the failed one, so `docker service
// rollback` would roll it FORWARD onto the secret this plan created (and
// removes).
var errRollbackPaused = errors.New("the rollback paused")

// rollbackAdvice is what an operator can do about a rollback that failed.
func rollbackAdvice(err error, service string) string {
	if errors.Is(err, errRollbackPaused) {
		return fmt.Sprintf("its spec is back on the old secrets but its tasks do not run: fix the cause, then `docker service update --force %s` (not `docker service rollback`: that would go forward to the failed spec)", service)
	}
	return fmt.Sprintf("run `docker service rollback %s`", service)
}

// rollback returns a service to the spec it had before this plan. Docker may
// already have rolled it back by itself (failure action rollback): a second
// rollback would roll FORWARD to the failed spec, so only wait then.
// maxRollbackAttempts bounds the retries of a rollback the engine refuses as
// out of sequence.
const maxRollbackAttempts = 5

func (in ApplyInput) rollback(ctx context.Context, sc ServiceChange) error {
	svc, err := in.Swarm.Service(ctx, sc.ServiceID)
	if err != nil {
		return err
	}
	for attempt := 1; svc.UpdateStatus == nil || !strings.HasPrefix(svc.UpdateStatus.State, "rollback"); attempt++ {
		if untouched(svc, sc) {
			return nil // the update never took
		}
		if attempt == 1 {
			in.Progress(Step{Plan: in.Plan.ID, Service: sc.Service, Action: "rollback", Result: "started"})
		}
		err := in.Swarm.Rollback(ctx, sc.ServiceID, svc.Version)
		if err == nil {
			break
		}
		// Docker's own updater writes the service (its update status) while
		// the rollout runs, so the version read a moment ago can be gone. Try
		// again while the previous spec is still the one before this plan: a
		// rollback then goes back there, never onto someone else's change.
		if !errors.Is(err, ErrOutOfSequence) || attempt == maxRollbackAttempts {
			return err
		}
		if svc, err = in.Swarm.Service(ctx, sc.ServiceID); err != nil {
			return err
		}
		if svc.Previous == nil || !specIsBefore(*svc.Previous, sc) {
			return fmt.Errorf("someone else changed the service since this plan updated it: not rolled back over their change")
		}
	}
	deadline := time.Now().Add(in.Options.Timeout)
	for {
		svc, err := in.Swarm.Service(ctx, sc.ServiceID)
		if err != nil {
			return err
		}
		state := ""
		if svc.UpdateStatus != nil {
			state = svc.UpdateStatus.State
		}
		if state == "rollback_started" && specIsBefore(svc.Spec, sc) && in.rolledBackButHeld(ctx, sc) {
			in.Progress(Step{Plan: in.Plan.ID, Service: sc.Service, Action: "rollback", Result: "ok", Detail: "its spec is back; the tasks no node can take now are not waited for"})
			return nil
		}
		if (state == "rollback_completed" || svc.RunsOnce()) && specIsBefore(svc.Spec, sc) {
			// A job or a one-shot service has no rollout to wait for (a
			// job's rollback is its next run; a one-shot's pauses on the
			// early termination of its task): its spec is what counts.
			in.Progress(Step{Plan: in.Plan.ID, Service: sc.Service, Action: "rollback", Result: "ok"})
			return nil
		}
		if state == "rollback_paused" {
			return fmt.Errorf("%w: %s", errRollbackPaused, svc.UpdateStatus.Message)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the rollback did not complete in %s (state %s)", in.Options.Timeout, state)
		}
		time.Sleep(in.Options.Poll)
	}
}

// rolledBackButHeld reports whether a rollback Docker still runs is as done
// as it can be: every task meant to run runs the old secrets, but for tasks
// no node can take now (Docker's rollback waits for them as its update did).
func (in ApplyInput) rolledBackButHeld(ctx context.Context, sc ServiceChange) bool {
	tasks, err := in.Swarm.Tasks(ctx, sc.ServiceID)
	if err != nil {
		return false
	}
	ix := newNodeIndex(nil)
	if in.Snapshot != nil {
		ix = newNodeIndex(in.Snapshot.Nodes)
	}
	before := append(idsOf(sc.Before), idsOf(sc.ConfigsBefore)...)
	held := 0
	for _, t := range tasks {
		switch {
		case !meantToRun(t):
		case ix.blocked(t) != "":
			held++
		case t.State != "running" || slices.ContainsFunc(before, func(id string) bool { return !t.Mounts(id) }):
			return false
		}
	}
	return held > 0
}

func idsOf(refs []FileRef) []string {
	var ids []string
	for _, r := range refs {
		ids = append(ids, r.ID)
	}
	return ids
}

func findFile(s *SourceSnapshot, key string) *PropertyFile {
	for i := range s.Files {
		if s.Files[i].Key == key {
			return &s.Files[i]
		}
	}
	return nil
}

func entryValue(f *PropertyFile, key string) (Value, bool) {
	if f == nil {
		return Value{}, false
	}
	if key == "" {
		return f.Raw, true
	}
	for _, e := range f.Entries {
		if e.Key == key {
			return e.Value, true
		}
	}
	return Value{}, false
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
