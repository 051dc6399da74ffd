package model

import (
	"fmt"
	"testing"
)

// TestInspectSecretListsItsFindings: a secret's detail lists the findings
// about it and about other versions of its logical secret, and no other.
func TestInspectSecretListsItsFindings(t *testing.T) {
	w := newWorld().managed("api_k", 1, "old").managed("api_k", 2, "new").secret("old_token").
		service("api", "api_k_v2:k").file("api.properties.prod", "api", "k=new")
	r := w.drift()
	for name, want := range map[string]string{
		"api_k_v1":  "[orphan/api_k/api_k_v1]", // the first secret of the swarm
		"api_k_v2":  "[orphan/api_k/api_k_v1]",
		"old_token": "[orphan//old_token]",
	} {
		d, err := w.swarm.InspectSecret(name, r, w.key)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got []string
		for _, f := range d.Findings {
			got = append(got, fmt.Sprintf("%s/%s/%s", f.Kind, f.Logical, f.Secret))
		}
		if fmt.Sprint(got) != want {
			t.Errorf("%s: findings %v, want %s", name, got, want)
		}
	}
}

// TestInspectServiceCountsItsTasks: a service's detail counts and lists its
// own tasks, as `docker service ls` does: running now, and meant to run.
func TestInspectServiceCountsItsTasks(t *testing.T) {
	w := newWorld().service("api").service("web")
	w.swarm.Tasks = []Task{
		{ID: "t1", ServiceID: "svc-api", DesiredState: "running", State: "running"},
		{ID: "t2", ServiceID: "svc-api", DesiredState: "running", State: "starting"},
		{ID: "t3", ServiceID: "svc-api", DesiredState: "shutdown", State: "shutdown"},
		{ID: "t4", ServiceID: "svc-web", DesiredState: "running", State: "running"},
	}
	d, err := w.swarm.InspectService("api", nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, task := range d.Tasks {
		ids = append(ids, task.ID)
	}
	if d.Running != 1 || d.Desired != 2 || fmt.Sprint(ids) != "[t1 t2 t3]" {
		t.Errorf("running %d, desired %d, tasks %v", d.Running, d.Desired, ids)
	}
	for _, ref := range []string{"web", "svc-web"} { // by name or by ID
		if d, err := w.swarm.InspectService(ref, nil); err != nil || d.Service.Name != "web" || d.Running != 1 {
			t.Errorf("InspectService(%s): %v, %+v", ref, err, d)
		}
	}
}
