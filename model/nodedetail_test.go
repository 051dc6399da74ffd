package model

import (
	"fmt"
	"strings"
	"testing"
)

// TestInspectNode: a worker's detail lists exactly what its tasks mount now
// (also a task assigned and not yet running: it got its secrets) and what
// the task history says they mounted, with their services; nothing that
// ran elsewhere. A manager holds every secret.
func TestInspectNode(t *testing.T) {
	w := incident().managed("queue_pass", 1, "q")
	w.swarm.Tasks = append(w.swarm.Tasks,
		Task{ID: "t-assigned", ServiceID: "svc-web", NodeID: "w1", DesiredState: "running", State: "assigned", SecretIDs: []string{"id-queue_pass_v1"}},
		Task{ID: "t-gone", ServiceID: "svc-web", NodeID: "w1", DesiredState: "shutdown", State: "complete", SecretIDs: []string{"id-removed_since_v1"}})
	d, err := w.swarm.InspectNode("worker-1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range d.Secrets {
		got = append(got, fmt.Sprintf("%s now=%v %s %d", s.Name, s.Now, strings.Join(s.Services, ","), s.Tasks))
	}
	want := []string{
		"api_db_pass_v1 now=true api 1",
		"billing_key_v1 now=false billing 1",
		"cache_key_v1 now=false cache 1",
		"hand_made now=true api 1",
		"queue_pass_v1 now=true web 1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("secrets of worker-1:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if d.HoldsEverySecret || d.Running != 2 || d.History != 3 || d.Removed != 1 || d.Node.ID != "w1" {
		t.Errorf("detail %+v", d)
	}
	m, err := w.swarm.InspectNode("self")
	if err != nil || !m.HoldsEverySecret || m.AllSecrets != len(w.swarm.Secrets) || len(m.Secrets) != 0 {
		t.Errorf("the manager: %+v, %v", m, err)
	}
}

// A node's tasks get the configs they mount there too: now and in the
// history the swarm keeps; a config removed since is left out.
func TestInspectNodeConfigs(t *testing.T) {
	w := incident()
	w.swarm.Configs = append(w.swarm.Configs, Config{ID: "cfg-nginx", Name: "nginx_conf_v2"}, Config{ID: "cfg-old", Name: "app_yaml_v1"})
	w.swarm.Tasks = append(w.swarm.Tasks,
		Task{ID: "t-c1", ServiceID: "svc-web", NodeID: "w1", DesiredState: "running", State: "running", ConfigIDs: []string{"cfg-nginx"}},
		Task{ID: "t-c2", ServiceID: "svc-api", NodeID: "w1", DesiredState: "shutdown", State: "shutdown", ConfigIDs: []string{"cfg-old", "cfg-nginx", "cfg-removed"}},
		Task{ID: "t-c3", ServiceID: "svc-api", NodeID: "m1", DesiredState: "running", State: "running", ConfigIDs: []string{"cfg-old"}})
	d, err := w.swarm.InspectNode("worker-1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range d.Configs {
		got = append(got, fmt.Sprintf("%s now=%v %s %d", c.Name, c.Now, strings.Join(c.Services, ","), c.Tasks))
	}
	if want := "app_yaml_v1 now=false api 1; nginx_conf_v2 now=true api,web 2"; strings.Join(got, "; ") != want {
		t.Errorf("configs of worker-1: %q, want %q", strings.Join(got, "; "), want)
	}
	if d.AllConfigs != 2 {
		t.Errorf("AllConfigs %d", d.AllConfigs)
	}
}
