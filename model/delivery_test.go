package model

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// seedService is the seed's pattern: my_service mounts only its AWS keys as
// secrets and reads my_service.json.prod itself, named by MY_PROPS_FILE;
// one task runs since t0.
func seedService() *world {
	w := newWorld().managed("my_service_aws_access_key_id", 1, "AKIA").managed("my_service_aws_secret_access_key", 1, "s3cr3t").
		service("my_service", "my_service_aws_access_key_id_v1:aws_access_key_id", "my_service_aws_secret_access_key_v1:aws_secret_access_key").
		running(t0).
		file("my_service.json.prod", "my_service", "db.password=pw", "api.token=tok")
	w.last().Spec.Env = []EnvVar{{Name: "MY_PROPS_FILE", Value: NewValueString("my_service.json.prod")}}
	w.swarm.Services[0].Version = 10
	w.source.Key = w.key
	w.source.Files[0].LastModified = t0.Add(-time.Hour) // read by the task
	return w
}

func TestRuntimeDelivery(t *testing.T) {
	w := seedService()
	r := w.drift()
	// (Its AWS keys are undeclared secrets: ordinary secrets, their own drift.)
	if slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.File == "my_service.json.prod" }) {
		t.Fatalf("a service that reads its own file: no finding per key, got %v", kinds(r))
	}
	if len(r.Deliveries) != 1 || r.Deliveries[0].Mode != DeliveryRuntime || !strings.Contains(r.Deliveries[0].Why, "env MY_PROPS_FILE names the file") {
		t.Fatalf("deliveries: %+v", r.Deliveries)
	}

	// The file changes after the task started: a restart is due.
	w.source.Files[0].LastModified = t0.Add(time.Hour)
	stale := func() int {
		n := 0
		for _, f := range w.drift().Findings {
			if f.Kind == KindRuntimeStale && f.Service == "my_service" {
				n++
			}
		}
		return n
	}
	if n := stale(); n != 1 {
		t.Fatalf("changed file: %d runtime-stale, want 1", n)
	}
	// A task Docker started after the change has the new file.
	w.swarm.Tasks[0].CreatedAt = t0.Add(2 * time.Hour)
	if n := stale(); n != 0 {
		t.Fatalf("a task started after the change: %d runtime-stale", n)
	}

	// A service that mounts an entry of its file gets secrets, as before.
	w = seedService()
	w.secret("my_service_db.password_v1")
	w.last().Spec.Secrets = append(w.last().Spec.Secrets, FileRef{ID: "id-my_service_db.password_v1", Name: "my_service_db.password_v1", Target: "db.password"})
	r = w.drift()
	if r.Deliveries[0].Mode != DeliverySecrets || !slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Kind == KindMissing }) {
		t.Fatalf("mounted entries keep secrets delivery: %+v %v", r.Deliveries, kinds(r))
	}

	// The manifest decides when it says so.
	w = seedService()
	w.man = &Manifest{Services: map[string]ServicePolicy{"my_service": {Delivery: DeliverySecrets}}}
	if r := w.drift(); r.Deliveries[0].Mode != DeliverySecrets || len(r.Findings) == 0 {
		t.Fatalf("delivery: secrets in the manifest: %+v", r.Deliveries)
	}
}

// A runtime-stale finding plans a restart: one update with ForceUpdate,
// its secrets unchanged, its docker command with --force; apply verifies
// that every running task started after the update began.
func TestRestartPlanAndApply(t *testing.T) {
	w := seedService()
	w.source.Files[0].LastModified = t0.Add(time.Hour)
	p := planFor(t, w)
	if len(p.Services) != 1 || len(p.Creates) != 0 {
		t.Fatalf("one restart, nothing created: %+v", p)
	}
	sc := p.Services[0]
	if sc.Restart != "my_service.json.prod changed after its tasks started" || !slices.Equal(sc.Before, sc.After) ||
		!strings.HasPrefix(sc.DockerCommand(), "docker service update --force my_service") {
		t.Fatalf("the restart: %+v %q", sc, sc.DockerCommand())
	}
	f := newFakeSwarm(w)
	res, err := Apply(context.Background(), applyInput(w, f, p))
	if err != nil {
		t.Fatal(err)
	}
	if res.Services["my_service"] != "verified" || !slices.Contains(f.calls, "update --force my_service") {
		t.Fatalf("result %+v, calls %v", res, f.calls)
	}
}

func TestVerifyARestartCountsOnlyNewTasks(t *testing.T) {
	one := uint64(1)
	begun := t0.Add(time.Minute)
	svc := &Service{Name: "s", Mode: "replicated", Replicas: &one, UpdateStatus: &UpdateStatus{State: "completed", StartedAt: begun}}
	task := func(at time.Time) []Task {
		return []Task{{ID: "t", DesiredState: "running", State: "running", CreatedAt: at, SecretIDs: []string{"a"}}}
	}
	if v := verify(svc, "completed", task(t0), []string{"a"}, nil, true); v.done {
		t.Error("a task older than the restart is not restarted")
	}
	if v := verify(svc, "completed", task(begun.Add(time.Second)), []string{"a"}, nil, true); !v.done {
		t.Error("a task started by the restart verifies it")
	}
	if v := verify(svc, "completed", task(t0), []string{"a"}, nil, false); !v.done {
		t.Error("without a restart, the same task verifies a swap")
	}
	noStart := &Service{Name: "s", Mode: "replicated", Replicas: &one, UpdateStatus: &UpdateStatus{State: "completed"}}
	if v := verify(noStart, "completed", task(begun), []string{"a"}, nil, true); v.done {
		t.Error("no start time of the update: nothing proves the restart")
	}
}
