package model

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

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
	w.source.Key, w.source.Manifest = w.key, w.man // as the loader gives them
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
	p.ID = "p-20261122-150000-0a1f" // as secretdeck names plans it writes
	p.Seal()
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
	return ApplyInput{Plan: p, Swarm: f, Source: &w.source, Key: w.key, By: "ops@host", Snapshot: &w.swarm, Options: ApplyOptions{Poll: time.Millisecond, Timeout: time.Second}}
}

func TestApplyCreatesUpdatesAndVerifies(t *testing.T) {
	w := threeConsumers()
	f := newFakeSwarm(w)
	f.script["b"] = &rollout{outOfSequence: 1} // someone scaled b meanwhile: its secrets are what the plan saw
	var retries []string
	in := applyInput(w, f, planFor(t, w))
	in.Progress = func(s Step) {
		if s.Result == "retry" {
			retries = append(retries, s.Service+": "+s.Detail)
		}
	}
	res, err := Apply(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(res.Services) != "map[a:verified b:verified c:verified]" || fmt.Sprint(res.Created) != "[tok_v2]" ||
		res.Summary != "plan p-1 applied: 1 secrets created, 3 services updated and verified (every running task mounts the new secrets)" {
		t.Errorf("result %+v", res)
	}
	if got := fmt.Sprint(slices.Sorted(slices.Values(f.calls))); got != "[create tok_v2 fp=true plan=p-1 out-of-sequence b update a update b update c]" {
		t.Errorf("calls %s", got)
	}
	if fmt.Sprint(retries) != "[b: out of sequence; its secrets are unchanged, retrying once]" {
		t.Errorf("retries %q", retries)
	}
	// Each service mounts the created secret by its ID, with its own uid kept.
	for i, id := range []string{"svc-a", "svc-b", "svc-c"} {
		if r := f.services[id].Spec.Secrets[0]; r.ID != "new1" || r.Name != "tok_v2" || r.UID != fmt.Sprint(1000+i) {
			t.Errorf("%s mounts %+v", id, r)
		}
	}
}

// TestCheckRefusesMovedPlans: a plan is applied only to the swarm, source,
// values and service versions it was made from, and Check changes nothing.
func TestCheckRefusesMovedPlans(t *testing.T) {
	type scene struct {
		f *fakeSwarm
		s *SourceSnapshot
		p *RotationPlan
	}
	cases := []struct {
		name   string
		change func(w scene)
		want   string // "" when the plan still applies
	}{
		{"nothing moved", func(scene) {}, ""},
		{"another swarm", func(w scene) { w.f.cluster = "c2" },
			"plan p-1 is for swarm c1, but this is swarm c2: make a plan against this swarm"},
		{"another source", func(w scene) { w.s.URI = "s3://other/p" },
			"plan p-1 is for s3://b/p (env prod), not s3://other/p (env prod)"},
		{"another environment", func(w scene) { w.s.Env = "staging" },
			"plan p-1 is for s3://b/p (env prod), not s3://b/p (env staging)"},
		{"file gone", func(w scene) { w.s.Files = nil },
			"shared.properties.prod is gone from s3://b/p since plan p-1: run plan again"},
		{"file changed", func(w scene) { w.s.Files[0].ETag = "e2" },
			"shared.properties.prod changed since plan p-1 (version e1, now e2): run plan again"},
		{"a new S3 version of the same bytes", func(w scene) {
			w.p.Creates[0].SourceVersion, w.s.Files[0].VersionID = "v1", "v2"
		}, "shared.properties.prod changed since plan p-1 (version v1, now v2): run plan again"},
		{"the S3 version planned, whatever the ETag", func(w scene) {
			w.p.Creates[0].SourceVersion, w.s.Files[0].VersionID, w.s.Files[0].ETag = "v1", "v1", "e9"
		}, ""},
		{"key gone", func(w scene) { w.s.Files[0].Entries = nil },
			`key "tok" is gone from shared.properties.prod since plan p-1: run plan again`},
		{"value emptied", func(w scene) { w.s.Files[0].Entries[0].Value = Value{} },
			`key "tok" of shared.properties.prod is empty: a swarm secret cannot be empty`},
		{"value became a blob", func(w scene) {
			w.s.Files[0].Entries[0].Value = NewValueString(strings.Repeat("x", MaxSecretSize))
		}, `key "tok" of shared.properties.prod is 512000 bytes: a swarm secret must be under 500 KiB (512,000 bytes)`},
		{"a value just under the limit", func(w scene) {
			w.s.Files[0].Entries[0].Value = NewValueString(strings.Repeat("x", MaxSecretSize-1))
		}, ""},
		{"an invalid secret name", func(w scene) { w.p.Creates[0].Name = "tok_v2!" }, `"tok_v2!" is not a valid secret name`},
		{"service gone", func(w scene) { delete(w.f.services, "svc-b") }, "service b: service svc-b not found"},
		{"service changed", func(w scene) { w.f.services["svc-b"].Version = 11 },
			"service b was changed by someone else since plan p-1 (version 10, now 11): run plan again"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := threeConsumers()
			f := newFakeSwarm(w)
			p := planFor(t, w)
			c.change(scene{f, &w.source, p})
			err := Check(context.Background(), applyInput(w, f, p))
			if got := fmt.Sprint(err); (c.want == "" && err != nil) || (c.want != "" && got != c.want) {
				t.Errorf("Check:\n got %s\nwant %s", got, cmpOr(c.want, "<nil>"))
			}
			if len(f.calls) != 0 {
				t.Errorf("Check changed something: %v", f.calls)
			}
		})
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

// TestApplyDoesNotVerifyMidRollout: a rollout is verified only once every
// task the service declares runs, whatever the status says meanwhile: right
// after an update of a stop-first service no task is desired, and a service
// never updated before has no status yet.
func TestApplyDoesNotVerifyMidRollout(t *testing.T) {
	one, two := uint64(1), uint64(2)
	cases := []struct {
		name     string
		replicas *uint64 // nil: a global service
		script   rollout
		want     string
	}{
		{"no status and no task yet", &one,
			rollout{states: []string{"", "", "completed"}, tasks: []string{"", "", "running"}},
			"[watch updating 0/0 watch completed 1/1 verified ok 1/1]"},
		{"completed while the second replica is not scheduled yet", &two,
			rollout{tasks: []string{"running", "running starting", "running running"}},
			"[watch completed 1/1 watch completed 1/2 watch completed 2/2 verified ok 2/2]"},
		{"a global service completed before its task exists", nil,
			rollout{tasks: []string{"", "starting", "running"}},
			"[watch completed 0/0 watch completed 0/1 watch completed 1/1 verified ok 1/1]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := threeConsumers()
			w.swarm.Services = w.swarm.Services[:1]
			w.swarm.Services[0].Replicas = c.replicas
			f := newFakeSwarm(w)
			f.script["a"] = &c.script
			var steps []string
			in := applyInput(w, f, planFor(t, w))
			in.Progress = func(s Step) {
				if s.Action == "watch" || s.Action == "verified" {
					steps = append(steps, fmt.Sprintf("%s %s %d/%d", s.Action, s.Result, s.Running, s.Desired))
				}
			}
			if _, err := Apply(context.Background(), in); err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(steps); got != c.want {
				t.Errorf("steps:\n got %s\nwant %s", got, c.want)
			}
		})
	}
}
