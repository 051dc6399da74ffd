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

// TestInspectSecretShowsTheLogicalBlastRadius: asked by its logical name or by
// any version's name, a secret's blast radius is the union of every version's
// consumers (Spec and PreviousSpec), with which version each names.
func TestInspectSecretShowsTheLogicalBlastRadius(t *testing.T) {
	w := newWorld().secret("payment_key_v1").secret("payment_key_v2").secret("legacy_token").
		service("billing", "payment_key_v1:payment_key").service("checkout", "payment_key_v2:payment_key").
		service("web").file("shared.properties.prod", SharedService, "payment_key=new")
	w.last().Previous = &ServiceSpec{Secrets: []FileRef{{ID: "id-payment_key_v1", Name: "payment_key_v1", Target: "payment_key"}}}
	r := w.drift()
	for _, asked := range []string{"payment_key", "payment_key_v1", "payment_key_v2"} {
		d, err := w.swarm.InspectSecret(asked, r, w.key)
		if err != nil {
			t.Fatalf("%s: %v", asked, err)
		}
		var got []string
		for _, u := range d.LogicalBlast.Services {
			got = append(got, fmt.Sprintf("%s:%v:%v", u.Service, u.Spec, u.Previous))
		}
		if want := "[billing:[payment_key_v1]:[] checkout:[payment_key_v2]:[] web:[]:[payment_key_v1]]"; fmt.Sprint(got) != want {
			t.Errorf("%s: logical blast %v, want %s", asked, got, want)
		}
		if d.Asked != asked || d.Logical != "payment_key" {
			t.Errorf("%s: asked %q logical %q", asked, d.Asked, d.Logical)
		}
	}
	if d, _ := w.swarm.InspectSecret("payment_key", r, w.key); d.Secret.Name != "payment_key_v2" {
		t.Errorf("the logical name shows the newest version, got %s", d.Secret.Name)
	}
	_, err := w.swarm.InspectSecret("legacy_tokn", r, w.key)
	if err == nil || err.Error() != "no secret named \"legacy_tokn\"; closest: legacy_token (`docker secret ls` lists them all)" {
		t.Errorf("a typo names the closest secrets, got %v", err)
	}
}
