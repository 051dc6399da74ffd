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
	if v := verify(svc, "completed", task(t0), []string{"a"}, nil, true, nil); v.done {
		t.Error("a task older than the restart is not restarted")
	}
	if v := verify(svc, "completed", task(begun.Add(time.Second)), []string{"a"}, nil, true, nil); !v.done {
		t.Error("a task started by the restart verifies it")
	}
	if v := verify(svc, "completed", task(t0), []string{"a"}, nil, false, nil); !v.done {
		t.Error("without a restart, the same task verifies a swap")
	}
	noStart := &Service{Name: "s", Mode: "replicated", Replicas: &one, UpdateStatus: &UpdateStatus{State: "completed"}}
	if v := verify(noStart, "completed", task(begun), []string{"a"}, nil, true, nil); v.done {
		t.Error("no start time of the update: nothing proves the restart")
	}
}

// Who may read what: a secret's consumers are what the source declares.
// Another service mounting one of its versions is an unauthorized-mount
// finding (high, with the command that revokes it) and never gets the next
// version in a rotation.
func TestUnauthorizedMount(t *testing.T) {
	cases := []struct {
		name  string
		world *world
		want  []string // "kind service/logical/secret" of the high findings
	}{
		{"another service mounts a service's own secret",
			newWorld().managed("api_k", 1, "old").service("api", "api_k_v1:k").service("intruder", "api_k_v1:k").
				file("api.properties.prod", "api", "k=new"),
			[]string{"unauthorized-mount intruder/api_k/api_k_v1", "stale api/api_k/api_k_v1"}},
		{"a shared key with a services: list",
			func() *world {
				w := newWorld().managed("pay", 1, "old").service("billing", "pay_v1:pay").service("intruder", "pay_v1:pay").
					file("shared.properties.prod", SharedService, "pay=new")
				w.man = &Manifest{Services: map[string]ServicePolicy{SharedService: {Keys: map[string]KeyPolicy{"pay": {Services: []string{"billing"}}}}}}
				return w
			}(),
			[]string{"unauthorized-mount intruder/pay/pay_v1", "stale billing/pay/pay_v1"}},
		{"a shared key without a list: whoever mounts it (today's rule)",
			newWorld().managed("pay", 1, "old").service("billing", "pay_v1:pay").service("other", "pay_v1:pay").
				file("shared.properties.prod", SharedService, "pay=new"),
			[]string{"stale billing/pay/pay_v1", "stale other/pay/pay_v1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.world.source.Key = tc.world.key
			r := tc.world.drift()
			var got []string
			for _, f := range r.Findings {
				if f.Severity == SeverityHigh {
					got = append(got, string(f.Kind)+" "+f.Service+"/"+f.Logical+"/"+f.Secret)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("high findings %q, want %q", got, tc.want)
			}
			p, err := NewPlan(PlanInput{Drift: r, Swarm: &tc.world.swarm, Source: &tc.world.source, ID: "p-1", Now: t0})
			if err != nil {
				t.Fatal(err)
			}
			for _, sc := range p.Services {
				if sc.Service == "intruder" {
					t.Fatalf("a rotation hands the new version to a service never granted it: %+v", sc)
				}
			}
			for _, f := range r.Findings {
				if f.Kind == KindUnauthorizedMount && f.Command != "docker service update --secret-rm "+f.Secret+" intruder" {
					t.Errorf("command %q", f.Command)
				}
			}
		})
	}
}

// An environment bound to a swarm in secretdeck.yaml cannot be planned or
// applied against another: the wrong context refuses, before any change.
func TestEnvironmentBoundToItsSwarm(t *testing.T) {
	w := threeConsumers() // swarm c1
	w.man = &Manifest{Environments: map[string]EnvironmentPolicy{"prod": {Swarm: "c1"}}}
	p := planFor(t, w)
	if err := Check(context.Background(), applyInput(w, newFakeSwarm(w), p)); err != nil {
		t.Fatalf("the bound swarm: %v", err)
	}
	w.source.Manifest = &Manifest{Environments: map[string]EnvironmentPolicy{"prod": {Swarm: "c-staging"}}}
	f := newFakeSwarm(w)
	if err := Check(context.Background(), applyInput(w, f, p)); err == nil || !strings.Contains(err.Error(), "environment prod is bound to swarm c-staging") || len(f.calls) != 0 {
		t.Fatalf("another swarm: %v %v", err, f.calls)
	}
	if _, err := NewPlan(PlanInput{Drift: w.drift(), Swarm: &w.swarm, Source: &w.source, ID: "p-2", Now: t0}); err == nil || !strings.Contains(err.Error(), "this is swarm c1") {
		t.Fatalf("plan against another swarm: %v", err)
	}
}

// Wiring: an env var that points a service at nothing, or at another
// environment's values, is a finding; one that points where it should is not.
func TestWiring(t *testing.T) {
	w := newWorld().managed("api_db_pass", 1, "v").service("api", "api_db_pass_v1:db_pass").file("api.json.prod", "api", "db_pass=v")
	w.source.Envs, w.source.URI = []string{"dev", "prod"}, "s3://ops-props/services"
	w.last().Spec.Env = []EnvVar{
		{Name: "MY_BUCKET_NAME", Value: NewValueString("other-props")},            // reads its file from elsewhere
		{Name: "SOURCE_BUCKET", Value: NewValueString("ops-props")},               // the source's: fine
		{Name: "BUCKET_URL", Value: NewValueString("https://x.example/y")},        // not a bucket name
		{Name: "DB_PASSWORD_FILE", Value: NewValueString("/run/secrets/db_pass")}, // mounted: fine
		{Name: "API_TOKEN_FILE", Value: NewValueString("/run/secrets/api_token")}, // nothing there
		{Name: "MY_PROPS_FILE", Value: NewValueString("s3://props/api.json.dev")}, // dev's values in prod
		{Name: "OTHER_PROPS", Value: NewValueString("dev/api.json")},              // the same, folder layout
		{Name: "RIGHT_PROPS", Value: NewValueString("api.json.prod")},             // fine
		{Name: "UNRELATED", Value: NewValueString("web.json.dev")},                // another service's: not this check
	}
	w.service("web") // reads no property file itself: its bucket is its own business
	w.last().Spec.Env = []EnvVar{{Name: "MY_BUCKET_NAME", Value: NewValueString("other-props")}}
	var got []string
	for _, f := range w.drift().Findings {
		if f.Kind == KindWiring {
			got = append(got, f.Key)
			if strings.Contains(f.Explanation, "/run/secrets/api_token") || strings.Contains(f.Explanation, "s3://props") || strings.Contains(f.Explanation, "other-props") {
				t.Errorf("an env value shown: %s", f.Explanation)
			}
		}
	}
	slices.Sort(got)
	if want := []string{"API_TOKEN_FILE", "MY_BUCKET_NAME", "MY_PROPS_FILE", "OTHER_PROPS"}; !slices.Equal(got, want) {
		t.Fatalf("wiring findings for %v, want %v", got, want)
	}
}

func TestBinding(t *testing.T) {
	var none *Manifest
	m := &Manifest{Environments: map[string]EnvironmentPolicy{"prod": {Swarm: "c1"}}}
	for _, tc := range []struct {
		m       *Manifest
		cluster string
		holds   bool
		says    string
	}{
		{none, "c1", true, "add to secretdeck.yaml: environments: {prod: {swarm: c1}}"},
		{m, "c1", true, "env prod is bound to this swarm (c1)"},
		{m, "c2", false, "env prod is bound to swarm c1, and this is swarm c2: plans are refused here"},
	} {
		text, holds := tc.m.Binding("prod", tc.cluster)
		if holds != tc.holds || !strings.Contains(text, tc.says) {
			t.Errorf("Binding(prod, %s) = %q, %v", tc.cluster, text, holds)
		}
	}
}

// A credential removed from a service's env by hand stays in its
// PreviousSpec, which `docker service inspect` shows: a finding whose
// command flushes it. Still in the current spec, it is an env-exposure only.
func TestPreviousSpecExposure(t *testing.T) {
	w := newWorld().service("proxy")
	w.last().Previous = &ServiceSpec{Env: []EnvVar{{Name: "STATS_PASS", Value: NewValueString("old-pass")}, {Name: "LOG_LEVEL", Value: NewValueString("debug")}}}
	var got []Finding
	for _, f := range w.drift().Findings {
		if f.Kind == KindPreviousSpecExposure {
			got = append(got, f)
		}
	}
	if len(got) != 1 || got[0].Key != "STATS_PASS" || got[0].Command != "docker service update proxy" || strings.Contains(got[0].Explanation, "old-pass") {
		t.Fatalf("findings: %+v", got)
	}
	w.last().Spec.Env = []EnvVar{{Name: "STATS_PASS", Value: NewValueString("old-pass")}}
	for _, f := range w.drift().Findings {
		if f.Kind == KindPreviousSpecExposure {
			t.Fatalf("still in the spec: an env-exposure, not this: %+v", f)
		}
	}
}
