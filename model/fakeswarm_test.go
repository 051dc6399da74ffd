package model

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// fakeSwarm is a SwarmWriter over an in-memory swarm that can disagree with
// apply. By default an update completes at once and every task mounts what
// its service's spec names; script[service name] says otherwise.
//
// It moves on by reads, never by time: each Service read after an update (or
// a rollback) shows the next state of the script, the last one for good. A
// test that wants a timeout scripts a rollout that never converges; every
// other wait converges within a few reads, so a short Timeout cannot race.
type fakeSwarm struct {
	mu        sync.Mutex
	cluster   string
	services  map[string]*Service  // by ID
	secrets   map[string]string    // ID → name
	configs   map[string]string    // ID → name
	script    map[string]*rollout  // by service name
	createErr map[string]error     // by secret name: CreateSecret fails so
	removeErr map[string]error     // by secret name: RemoveSecret fails so
	runs      map[string]*underway // by service ID: its last update, under way
	calls     []string
	next      int
}

// rollout scripts what the engine does with one service's update.
type rollout struct {
	states  []string // UpdateStatus.State, one per read after the update ("" is no status yet); nil: completed
	message string   // UpdateStatus.Message
	// tasks: the states of the tasks meant to run, one list per Tasks read
	// after the update ("running starting"); nil: every replica running.
	tasks []string
	// oldTasks: the running tasks keep the secret IDs they mounted before
	// the update, whatever the status says.
	oldTasks bool
	// taskErr is the error the tasks show (the scheduler's "no suitable
	// node" for a task no node can take).
	taskErr     string
	rollback    []string // states after secretdeck's Rollback; nil: rollback_completed
	rollbackErr error    // Rollback fails so and changes nothing
	// rollbackOutOfSequence: this many Rollback calls find the version
	// moved (Docker's updater wrote the status meanwhile) and are refused.
	rollbackOutOfSequence int
	// serviceErr, tasksErr: the first Service or Tasks read after the update
	// fails so (the engine went away for a moment).
	serviceErr, tasksErr error
	// outOfSequence: this many updates are refused, someone else's update of
	// the service having gone first; theirSecrets: that update changed its
	// secrets.
	outOfSequence int
	theirSecrets  bool
	// noChange: how the engine takes an update that changes nothing (a
	// purge): refused this many times as out of sequence (the updater wrote
	// the status), and then, with keepPrevious, taken without replacing the
	// PreviousSpec.
	noChangeOutOfSequence int
	keepPrevious          bool
}

// underway is an update under way: what is left of its script.
type underway struct {
	rollout
	before   []string  // secret and config IDs the tasks mounted before the update
	reverted bool      // the spec went back to the PreviousSpec
	restart  time.Time // when a restart (ForceUpdate) began; zero: none
}

func newFakeSwarm(w *world) *fakeSwarm {
	f := &fakeSwarm{cluster: "c1", services: map[string]*Service{}, secrets: map[string]string{}, configs: map[string]string{}, script: map[string]*rollout{},
		createErr: map[string]error{}, removeErr: map[string]error{}, runs: map[string]*underway{}}
	for i := range w.swarm.Services {
		s := w.swarm.Services[i]
		s.Version = 10
		s.UpdateStatus = &UpdateStatus{State: "completed"}
		f.services[s.ID] = &s
	}
	for _, s := range w.swarm.Secrets {
		f.secrets[s.ID] = s.Name
	}
	for _, c := range w.swarm.Configs {
		f.configs[c.ID] = c.Name
	}
	return f
}

func (f *fakeSwarm) CreateConfig(_ context.Context, name string, labels map[string]string, data []byte, driver string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("create config %s sha=%v driver=%s plan=%s", name, labels[LabelSHA256] == ConfigSHA256(data), driver, labels[LabelPlan]))
	if err := f.createErr[name]; err != nil {
		return "", err
	}
	f.next++
	id := fmt.Sprint("newcfg", f.next)
	f.configs[id] = name
	return id, nil
}

// RemoveConfig refuses, as Docker does, a config that a service's spec names.
func (f *fakeSwarm) RemoveConfig(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := f.configs[id]
	f.calls = append(f.calls, "remove config "+name)
	for _, sid := range slices.Sorted(maps.Keys(f.services)) {
		if s := f.services[sid]; findID(s.Spec.Configs, id) != nil {
			return fmt.Errorf("config %s is in use by service %s", name, s.Name)
		}
	}
	delete(f.configs, id)
	return nil
}

func (f *fakeSwarm) ClusterID() string { return f.cluster }

func (f *fakeSwarm) CreateSecret(_ context.Context, name string, labels map[string]string, _ Value) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("create %s fp=%v plan=%s", name, labels[LabelFingerprint] != "", labels[LabelPlan]))
	if err := f.createErr[name]; err != nil {
		return "", err
	}
	f.next++
	id := fmt.Sprint("new", f.next)
	f.secrets[id] = name
	return id, nil
}

// RemoveSecret refuses, as Docker does, a secret that a service's spec names.
func (f *fakeSwarm) RemoveSecret(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := f.secrets[id]
	f.calls = append(f.calls, "remove "+name)
	if err := f.removeErr[name]; err != nil {
		return err
	}
	for _, sid := range slices.Sorted(maps.Keys(f.services)) {
		if s := f.services[sid]; findID(s.Spec.Secrets, id) != nil {
			return fmt.Errorf("secret %s is in use by service %s", name, s.Name)
		}
	}
	delete(f.secrets, id)
	return nil
}

func (f *fakeSwarm) Service(_ context.Context, id string) (*Service, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.services[id]
	if s == nil {
		return nil, fmt.Errorf("service %s not found", id)
	}
	if r := f.runs[id]; r != nil {
		if err := r.serviceErr; err != nil {
			r.serviceErr = nil
			return nil, err
		}
		f.step(s, r)
	}
	c := *s
	c.Spec.Secrets = slices.Clone(s.Spec.Secrets)
	c.Spec.Configs = slices.Clone(s.Spec.Configs)
	c.Spec.Env = slices.Clone(s.Spec.Env)
	if s.UpdateStatus != nil {
		st := *s.UpdateStatus
		c.UpdateStatus = &st
	}
	return &c, nil
}

// step shows the next state of a rollout. A rollback_* state the test
// scripted for the update itself is Docker's failure action: the engine
// puts the PreviousSpec back by itself.
func (f *fakeSwarm) step(s *Service, r *underway) {
	state := r.states[0]
	if len(r.states) > 1 {
		r.states = r.states[1:]
	}
	s.UpdateStatus = nil
	if state != "" {
		s.UpdateStatus = &UpdateStatus{State: state, Message: r.message, StartedAt: r.restart}
	}
	if strings.HasPrefix(state, "rollback") && !r.reverted {
		revertSpec(s)
		r.reverted = true
	}
}

func revertSpec(s *Service) {
	current := s.Spec
	s.Spec = *s.Previous
	s.Previous = &current
	s.Version++
}

func (f *fakeSwarm) UpdateService(_ context.Context, id string, version uint64, edit ServiceEdit) error {
	refs := edit.Secrets
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.services[id]
	sc := f.script[s.Name]
	if sc == nil {
		sc = &rollout{}
	}
	if slices.Equal(refs, s.Spec.Secrets) && (edit.Configs == nil || slices.Equal(edit.Configs, s.Spec.Configs)) && !edit.Restart && len(edit.EnvRemove)+len(edit.EnvAdd) == 0 {
		switch {
		case sc.noChangeOutOfSequence > 0:
			sc.noChangeOutOfSequence--
			s.Version++
			f.calls = append(f.calls, "out-of-sequence update "+s.Name)
			return fmt.Errorf("%w: rpc error", ErrOutOfSequence)
		case sc.keepPrevious:
			s.Version++
			f.calls = append(f.calls, "update "+s.Name)
			return nil
		}
	}
	if sc.outOfSequence > 0 {
		sc.outOfSequence--
		s.Version++
		if sc.theirSecrets {
			s.Spec.Secrets = append(slices.Clone(s.Spec.Secrets), FileRef{ID: "id-theirs", Name: "theirs", Target: "theirs"})
		}
		f.calls = append(f.calls, "out-of-sequence "+s.Name)
		return fmt.Errorf("%w: rpc error", ErrOutOfSequence)
	}
	if version != s.Version {
		return fmt.Errorf("%w: version %d, have %d", ErrOutOfSequence, version, s.Version)
	}
	for _, r := range refs {
		if _, ok := f.secrets[r.ID]; !ok {
			return fmt.Errorf("secret %s not found (ID %q)", r.Name, r.ID)
		}
	}
	for _, r := range edit.Configs {
		if _, ok := f.configs[r.ID]; !ok {
			return fmt.Errorf("config %s not found (ID %q)", r.Name, r.ID)
		}
	}
	r := &underway{rollout: *sc, before: append(idsOf(s.Spec.Secrets), idsOf(s.Spec.Configs)...)}
	call := "update "
	if edit.Restart {
		call = "update --force "
	}
	for _, e := range edit.EnvRemove {
		call += "--env-rm " + e + " "
	}
	for _, e := range edit.EnvAdd {
		call += "--env-add " + e + " "
	}
	f.calls = append(f.calls, call+s.Name)
	if edit.Restart || len(edit.EnvRemove)+len(edit.EnvAdd) > 0 { // Docker replaces every task
		r.restart = time.Now()
	}
	r.states = slices.Clone(orDefault(sc.states, []string{"completed"}))
	f.runs[id] = r
	prev := s.Spec
	s.Previous = &prev
	s.Spec.Secrets = slices.Clone(refs)
	if edit.Configs != nil {
		s.Spec.Configs = slices.Clone(edit.Configs)
	}
	s.Spec.Env = slices.DeleteFunc(slices.Clone(s.Spec.Env), func(e EnvVar) bool { return slices.Contains(edit.EnvRemove, e.Name) })
	for _, kv := range edit.EnvAdd {
		name, v, _ := strings.Cut(kv, "=")
		s.Spec.Env = append(s.Spec.Env, EnvVar{Name: name, Value: NewValueString(v)})
	}
	s.Version++
	s.UpdateStatus = nil // Docker clears it with every update
	return nil
}

// Rollback puts the PreviousSpec back at once, as Docker does, then the
// rollout shows the scripted rollback states.
func (f *fakeSwarm) Rollback(_ context.Context, id string, version uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.services[id]
	f.calls = append(f.calls, "rollback "+s.Name)
	r := f.runs[id]
	switch {
	case r == nil:
		return fmt.Errorf("service %s has no previous spec", s.Name)
	case r.rollbackErr != nil:
		return r.rollbackErr
	case r.rollbackOutOfSequence > 0:
		r.rollbackOutOfSequence--
		s.Version++ // the updater wrote the service
		f.calls = append(f.calls, "out-of-sequence rollback "+s.Name)
		return fmt.Errorf("%w: rpc error", ErrOutOfSequence)
	case version != s.Version:
		return fmt.Errorf("%w: version %d, have %d", ErrOutOfSequence, version, s.Version)
	}
	revertSpec(s)
	r.reverted = true
	r.states = slices.Clone(orDefault(r.rollback, []string{"rollback_completed"}))
	s.UpdateStatus = &UpdateStatus{State: "rollback_started", Message: "manually requested rollback"}
	return nil
}

// Services lists every service as it is now.
func (f *fakeSwarm) Services(context.Context) ([]Service, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "services")
	out := make([]Service, 0, len(f.services))
	for _, id := range slices.Sorted(maps.Keys(f.services)) {
		out = append(out, *f.services[id])
	}
	return out, nil
}

// Tasks returns the service's tasks meant to run: its replicas (one unless
// set) all running, unless the script says otherwise.
func (f *fakeSwarm) Tasks(_ context.Context, id string) ([]Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.services[id]
	mounted := append(idsOf(s.Spec.Secrets), idsOf(s.Spec.Configs)...)
	states := []string{"running"}
	if s.Replicas != nil {
		states = slices.Repeat([]string{"running"}, int(*s.Replicas))
	}
	if r := f.runs[id]; r != nil {
		if err := r.tasksErr; err != nil {
			r.tasksErr = nil
			return nil, err
		}
		if r.oldTasks {
			mounted = r.before
		}
		if len(r.tasks) > 0 {
			states = strings.Fields(r.tasks[0])
			if len(r.tasks) > 1 {
				r.tasks = r.tasks[1:]
			}
		}
	}
	tasks := make([]Task, len(states))
	for i, st := range states {
		tasks[i] = Task{ID: fmt.Sprintf("t-%s-%d", id, i), ServiceID: id, DesiredState: "running", State: st}
		for _, m := range mounted { // the fake's IDs say which is which
			if _, ok := f.configs[m]; ok {
				tasks[i].ConfigIDs = append(tasks[i].ConfigIDs, m)
			} else {
				tasks[i].SecretIDs = append(tasks[i].SecretIDs, m)
			}
		}
		if r := f.runs[id]; r != nil {
			tasks[i].Err = r.taskErr
		}
		if r := f.runs[id]; r != nil && !r.restart.IsZero() {
			tasks[i].CreatedAt = r.restart.Add(time.Second) // replaced by the restart
		}
	}
	return tasks, nil
}

// mounts says what each service mounts now: "a:tok_v1 b:tok_v2".
func (f *fakeSwarm) mounts() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, id := range slices.Sorted(maps.Keys(f.services)) {
		s := f.services[id]
		var names []string
		for _, r := range s.Spec.Secrets {
			names = append(names, r.Name)
		}
		out = append(out, s.Name+":"+strings.Join(names, ","))
	}
	return strings.Join(out, " ")
}

func orDefault(a, b []string) []string {
	if len(a) > 0 {
		return a
	}
	return b
}
