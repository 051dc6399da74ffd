package model

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestBlastRadius(t *testing.T) {
	s := &SwarmSnapshot{
		Nodes: []Node{
			{ID: "n1", Hostname: "manager1", Role: "manager"},
			{ID: "n2", Hostname: "manager2", Role: "manager"},
			{ID: "n3", Hostname: "worker1", Role: "worker"},
			{ID: "n4", Hostname: "worker2", Role: "worker"},
		},
		Secrets: []Secret{{ID: "s1", Name: "db_v1", CreatedAt: t0}, {ID: "s2", Name: "db_v2", CreatedAt: t0}},
		Services: []Service{
			{ID: "a", Name: "api", CreatedAt: t0, Spec: ServiceSpec{Secrets: []FileRef{{ID: "s2", Name: "db_v2", Target: "db"}}},
				Previous: &ServiceSpec{Secrets: []FileRef{{ID: "s1", Name: "db_v1", Target: "db"}}}},
			{ID: "b", Name: "worker", Stack: "jobs", CreatedAt: t0, Spec: ServiceSpec{Secrets: []FileRef{{ID: "s1", Name: "db_v1", Target: "db", Mode: 0o400}}}},
			{ID: "c", Name: "web", CreatedAt: t0},
		},
		Tasks: []Task{
			{ID: "t1", ServiceID: "a", NodeID: "n3", SecretIDs: []string{"s1"}, CreatedAt: t0},
			{ID: "t2", ServiceID: "a", NodeID: "n4", SecretIDs: []string{"s2"}, CreatedAt: t0.Add(time.Hour)},
			{ID: "t3", ServiceID: "b", NodeID: "n3", SecretIDs: []string{"s1"}, CreatedAt: t0},
			{ID: "t4", ServiceID: "c", NodeID: "n4", CreatedAt: t0},
		},
	}
	br := s.Blast("s1")
	if br.Secret != "db_v1" || !br.Complete {
		t.Errorf("secret/complete: %+v", br)
	}
	if len(br.Services) != 2 || br.Services[0].Service != "api" || !br.Services[0].Previous || br.Services[0].Spec ||
		br.Services[1].Service != "worker" || !br.Services[1].Spec || br.Services[1].Ref.Mode != 0o400 {
		t.Errorf("services: %+v", br.Services)
	}
	if !reflect.DeepEqual(br.Tasks, []string{"t1", "t3"}) || !reflect.DeepEqual(br.Nodes, []string{"worker1"}) ||
		!reflect.DeepEqual(br.Managers, []string{"manager1", "manager2"}) {
		t.Errorf("tasks %v nodes %v managers %v", br.Tasks, br.Nodes, br.Managers)
	}

	// Only tasks created long after the secret are left: history was pruned.
	s.Tasks = s.Tasks[1:2]
	br = s.Blast("s2")
	if br.Complete || br.Incomplete == "" {
		t.Errorf("a pruned task history must be reported: %+v", br)
	}
}

func TestInspect(t *testing.T) {
	w := newWorld().managed("api_k", 1, "old").managed("api_k", 2, "new", LabelPlan, "p-9").service("api", "api_k_v2:k").
		file("api.properties.prod", "api", "k=new")
	w.last().Previous = &ServiceSpec{Secrets: []FileRef{{ID: "id-api_k_v1", Name: "api_k_v1", Target: "k"}}}
	w.last().Spec.Env = []EnvVar{{Name: "API_TOKEN", Value: NewValueString("literal-token")}}
	r := w.drift()
	d, err := w.swarm.InspectSecret("api_k_v2", r, w.key)
	if err != nil {
		t.Fatal(err)
	}
	if d.Logical != "api_k" || d.Version != 2 || !d.Managed || d.Fingerprint != "match" || len(d.Versions) != 2 ||
		d.Versions[0].Previous[0] != "api" || d.Versions[1].MountedBy[0] != "api" || d.Versions[1].Plan != "p-9" {
		t.Errorf("secret detail wrong: %+v", d)
	}
	sd, err := w.swarm.InspectService("api", r)
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.Env) != 1 || !sd.Env[0].Exposed || sd.Env[0].Length != len("literal-token") || len(sd.Findings) != 1 {
		t.Errorf("service detail wrong: %+v", sd)
	}
	if _, err := w.swarm.InspectSecret("nope", r, w.key); err == nil || !strings.Contains(err.Error(), "no secret named \"nope\" (`docker secret ls` lists them all)") {
		t.Errorf("want a not-found error, got %v", err)
	}
}
