package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSwarm is a SwarmWriter over an in-memory swarm. Each update completes
// at once unless the service's name is in failOn (then Docker "rolls back by
// itself"), and outOfSequence makes the first update of a service fail so.
type fakeSwarm struct {
	mu            sync.Mutex
	cluster       string
	services      map[string]*Service
	secrets       map[string]string // id → name
	failOn        map[string]bool
	outOfSequence map[string]bool
	calls         []string
	next          int
}

func newFakeSwarm(w *world) *fakeSwarm {
	f := &fakeSwarm{cluster: "c1", services: map[string]*Service{}, secrets: map[string]string{}, failOn: map[string]bool{}, outOfSequence: map[string]bool{}}
	for i := range w.swarm.Services {
		s := w.swarm.Services[i]
		s.Version = 10
		s.UpdateStatus = &UpdateStatus{State: "completed"}
		f.services[s.ID] = &s
	}
	for _, s := range w.swarm.Secrets {
		f.secrets[s.ID] = s.Name
	}
	return f
}

func (f *fakeSwarm) log(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeSwarm) ClusterID() string { return f.cluster }

func (f *fakeSwarm) CreateSecret(_ context.Context, name string, labels map[string]string, v Value) (string, error) {
	f.log("create %s fp=%v plan=%s", name, labels[LabelFingerprint] != "", labels[LabelPlan])
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	id := fmt.Sprint("new", f.next)
	f.secrets[id] = name
	return id, nil
}

func (f *fakeSwarm) RemoveSecret(_ context.Context, id string) error {
	f.log("remove %s", f.secrets[id])
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.secrets, id)
	return nil
}

func (f *fakeSwarm) Service(_ context.Context, id string) (*Service, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := *f.services[id]
	s.Spec.Secrets = slices.Clone(s.Spec.Secrets)
	return &s, nil
}

func (f *fakeSwarm) SetSecrets(_ context.Context, id string, version uint64, refs []FileRef) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.services[id]
	if f.outOfSequence[s.Name] {
		delete(f.outOfSequence, s.Name)
		s.Version++ // someone bumped it (e.g. a scale), secrets unchanged
		f.calls = append(f.calls, "out-of-sequence "+s.Name)
		return fmt.Errorf("%w: rpc error", ErrOutOfSequence)
	}
	if version != s.Version {
		return fmt.Errorf("%w: version %d, have %d", ErrOutOfSequence, version, s.Version)
	}
	f.calls = append(f.calls, "update "+s.Name)
	prev := s.Spec
	s.Previous = &prev
	s.Spec.Secrets = slices.Clone(refs)
	s.Version++
	if f.failOn[s.Name] { // Docker's failure action: it rolled back by itself
		s.Spec = *s.Previous
		s.UpdateStatus = &UpdateStatus{State: "rollback_completed", Message: "update paused due to failure or early termination of task"}
		return nil
	}
	s.UpdateStatus = &UpdateStatus{State: "completed"}
	return nil
}

func (f *fakeSwarm) Rollback(_ context.Context, id string, version uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.services[id]
	f.calls = append(f.calls, "rollback "+s.Name)
	s.Spec, s.Previous = *s.Previous, &s.Spec
	s.UpdateStatus = &UpdateStatus{State: "rollback_completed"}
	return nil
}

func (f *fakeSwarm) Tasks(_ context.Context, id string) ([]Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.services[id]
	var ids []string
	for _, r := range s.Spec.Secrets {
		ids = append(ids, r.ID)
	}
	return []Task{{ID: "t-" + id, ServiceID: id, DesiredState: "running", State: "running", SecretIDs: ids}}, nil
}

// threeConsumers is a shared secret mounted by three services at v1, with a
// new value in the source.
func threeConsumers() *world {
	w := newWorld().managed("tok", 1, "old").
		service("a", "tok_v1:tok").service("b", "tok_v1:tok").service("c", "tok_v1:tok").
		file("shared.properties.prod", SharedService, "tok=new")
	w.swarm.ClusterID = "c1"
	w.source.URI = "s3://b/p"
	w.source.Files[0].ETag = "e1"
	for i := range w.swarm.Services {
		w.swarm.Services[i].Spec.Secrets[0].UID = fmt.Sprint(1000 + i)
		w.swarm.Services[i].Version = 10
	}
	return w
}

func planFor(t *testing.T, w *world) *RotationPlan {
	t.Helper()
	p, err := NewPlan(PlanInput{Drift: w.drift(), Swarm: &w.swarm, Source: &w.source, ID: "p-1", Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlanOneUpdatePerServiceKeepingMounts(t *testing.T) {
	w := threeConsumers()
	p := planFor(t, w)
	if len(p.Creates) != 1 || p.Creates[0].Name != "tok_v2" || p.Creates[0].SourceVersion != "e1" {
		t.Fatalf("creates %+v", p.Creates)
	}
	if len(p.Services) != 3 {
		t.Fatalf("services %+v", p.Services)
	}
	for i, s := range p.Services {
		if len(s.After) != 1 || s.After[0].Name != "tok_v2" || s.After[0].UID != fmt.Sprint(1000+i) || s.After[0].Target != "tok" {
			t.Errorf("%s after %+v", s.Service, s.After)
		}
		if !strings.Contains(s.DockerCommand(), "--secret-rm tok_v1 --secret-add source=tok_v2,target=tok,uid="+fmt.Sprint(1000+i)+",gid=0,mode=0444 "+s.Service) {
			t.Errorf("command %q", s.DockerCommand())
		}
	}
	b, _ := json.Marshal(p)
	if strings.Contains(string(b), "new") && strings.Contains(string(b), `"new"`) {
		t.Errorf("the plan holds a value: %s", b)
	}
	if _, err := ReadPlan(b); err != nil {
		t.Errorf("a plan reads back: %v", err)
	}
	if _, err := ReadPlan([]byte(strings.Replace(string(b), `"tok_v2"`, `"tok_v9"`, 1))); err == nil {
		t.Error("an edited plan must be refused")
	}
}

func applyInput(w *world, f SwarmWriter, p *RotationPlan) ApplyInput {
	return ApplyInput{Plan: p, Swarm: f, Source: &w.source, Key: w.key, By: "ops@host", Poll: time.Millisecond, Timeout: time.Second}
}

func TestApplyCreatesUpdatesAndVerifies(t *testing.T) {
	w := threeConsumers()
	f := newFakeSwarm(w)
	f.outOfSequence["b"] = true
	res, err := Apply(context.Background(), applyInput(w, f, planFor(t, w)))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(res.Services) != "map[a:verified b:verified c:verified]" || len(res.Created) != 1 {
		t.Errorf("result %+v", res)
	}
	if f.calls[0] != "create tok_v2 fp=true plan=p-1" || !slices.Contains(f.calls, "out-of-sequence b") {
		t.Errorf("calls %v", f.calls)
	}
}

func TestApplyFailureRollsBackAndRemoves(t *testing.T) {
	w := threeConsumers()
	f := newFakeSwarm(w)
	f.failOn["b"] = true
	in := applyInput(w, f, planFor(t, w))
	in.Concurrency = 1 // a, then b fails, then c
	_, err := Apply(context.Background(), in)
	var ae *ApplyError
	if !errors.As(err, &ae) {
		t.Fatalf("want an ApplyError, got %v", err)
	}
	if got := fmt.Sprint(ae.Result.Services); got != "map[a:rolled-back b:rolled-back c:unchanged]" {
		t.Errorf("services %s: a verified then rolled back, b rolled back by Docker, c never started", got)
	}
	for _, s := range f.services {
		if s.Spec.Secrets[0].Name != "tok_v1" {
			t.Errorf("%s still mounts %s", s.Name, s.Spec.Secrets[0].Name)
		}
	}
	if slices.Contains(f.calls, "rollback b") {
		t.Error("b was rolled back by Docker already: a second rollback would roll it FORWARD")
	}
	if !slices.Contains(f.calls, "remove tok_v2") || !strings.Contains(err.Error(), "secrets created then removed: 1") {
		t.Errorf("calls %v, err %v", f.calls, err)
	}
}

func TestCheckRefusesMovedPlans(t *testing.T) {
	w := threeConsumers()
	p := planFor(t, w)
	cases := map[string]func(*fakeSwarm, *SourceSnapshot){
		"another swarm":   func(f *fakeSwarm, _ *SourceSnapshot) { f.cluster = "c2" },
		"file changed":    func(_ *fakeSwarm, s *SourceSnapshot) { s.Files[0].ETag = "e2" },
		"service changed": func(f *fakeSwarm, _ *SourceSnapshot) { f.services["svc-b"].Version = 11 },
		"value became a blob": func(_ *fakeSwarm, s *SourceSnapshot) {
			s.Files[0].Entries[0].Value = NewValueString(strings.Repeat("x", MaxSecretSize))
		},
	}
	want := map[string]string{"another swarm": "is for swarm c1, but this is swarm c2", "file changed": "changed since plan",
		"service changed": "was changed by someone else", "value became a blob": "512,000 bytes"}
	for name, mutate := range cases {
		w := threeConsumers()
		f := newFakeSwarm(w)
		mutate(f, &w.source)
		err := Check(context.Background(), applyInput(w, f, p))
		if err == nil || !strings.Contains(err.Error(), want[name]) {
			t.Errorf("%s: %v", name, err)
		}
		if len(f.calls) != 0 {
			t.Errorf("%s: Check changed something: %v", name, f.calls)
		}
	}
}

func TestRevertPlan(t *testing.T) {
	w := newWorld().managed("tok", 1, "old").managed("tok", 2, "new", LabelPlan, "p-9").
		service("a", "tok_v2:tok").service("b", "tok_v1:tok")
	p, err := NewRevertPlan(&w.swarm, &w.source, "p-9", "p-10", t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Services) != 1 || p.Services[0].Service != "a" || p.Services[0].After[0].Name != "tok_v1" {
		t.Fatalf("revert %+v", p.Services)
	}
	if got := w.swarm.PlanLogicals("p-9"); fmt.Sprint(got) != "[tok]" {
		t.Errorf("plan logicals %v", got)
	}
}

func TestPruneCandidates(t *testing.T) {
	w := newWorld().managed("k", 1, "a").managed("k", 2, "b").managed("k", 3, "c").managed("k", 4, "d").
		secret("k_v0").service("api", "k_v4:k")
	w.last().Previous = &ServiceSpec{Secrets: []FileRef{{ID: "id-k_v2", Name: "k_v2", Target: "k"}}}
	names := func(ss []Secret) string {
		var out []string
		for _, s := range ss {
			out = append(out, s.Name)
		}
		return strings.Join(out, ",")
	}
	// keep 1: v4 (current) and v3 stay; v2 is a rollback's; v1 goes; k_v0 is not secretdeck's.
	if got := names(w.swarm.PruneCandidates([]string{"k"}, 1, false)); got != "k_v1" {
		t.Errorf("keep 1: %s", got)
	}
	if got := names(w.swarm.PruneCandidates(nil, 0, true)); got != "k_v0,k_v1,k_v3" {
		t.Errorf("keep 0 with unmanaged: %s", got)
	}
}

func TestPlanANewVersionGoesToEveryConsumer(t *testing.T) {
	w := threeConsumers()
	p, err := NewPlan(PlanInput{Drift: w.drift(), Swarm: &w.swarm, Source: &w.source, ID: "p-1", Now: t0,
		Select: func(f Finding) bool { return f.Service == "b" }})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Creates) != 1 || len(p.Services) != 3 {
		t.Fatalf("selecting b's finding rotates the secret for a, b and c: %d creates, %d services", len(p.Creates), len(p.Services))
	}
}

// midRollout hides the service's tasks and status for the first polls, as
// Docker does right after an update of a stop-first service: no task is
// desired, and a service never updated before has no status yet.
type midRollout struct {
	*fakeSwarm
	polls int
}

func (m *midRollout) Service(ctx context.Context, id string) (*Service, error) {
	s, err := m.fakeSwarm.Service(ctx, id)
	if m.polls < 3 && s != nil {
		s.UpdateStatus = nil
	}
	return s, err
}

func (m *midRollout) Tasks(ctx context.Context, id string) ([]Task, error) {
	m.polls++
	if m.polls <= 3 {
		return nil, nil
	}
	return m.fakeSwarm.Tasks(ctx, id)
}

func TestApplyDoesNotVerifyMidRollout(t *testing.T) {
	w := threeConsumers()
	one := uint64(1)
	w.swarm.Services = w.swarm.Services[:1]
	w.swarm.Services[0].Replicas = &one
	f := &midRollout{fakeSwarm: newFakeSwarm(w)}
	var steps []string
	in := applyInput(w, f, planFor(t, w))
	in.Progress = func(s Step) { steps = append(steps, s.Action+" "+s.Result) }
	if _, err := Apply(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if f.polls <= 3 || !slices.Contains(steps, "verified ok") {
		t.Fatalf("verified after %d polls: %v", f.polls, steps)
	}
}
