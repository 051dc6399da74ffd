package swarm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/internal/seed"
	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// TestSnapshotOfARotatedService checks every field secretdeck reasons about,
// on a real service whose secret was swapped once, as a rotation does.
func TestSnapshotOfARotatedService(t *testing.T) {
	c := connectRig(t)
	ctx := context.Background()
	api := c.API()
	p := testrig.UniqueName("snap") + "_"
	mk := func(name, value string) string {
		res, err := api.SecretCreate(ctx, client.SecretCreateOptions{Spec: swarm.SecretSpec{
			Annotations: swarm.Annotations{Name: p + name, Labels: map[string]string{seed.Label: p}}, Data: []byte(value)}})
		if err != nil {
			t.Fatal(err)
		}
		return res.ID
	}
	cfg, err := api.ConfigCreate(ctx, client.ConfigCreateOptions{Spec: swarm.ConfigSpec{
		Annotations: swarm.Annotations{Name: p + "conf"}, Data: []byte("listen 80\n")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := seed.Cleanup(context.Background(), api, p); err != nil { // services, then the labelled secrets
			t.Errorf("cleanup: %v", err)
		}
		if _, err := api.ConfigRemove(context.Background(), cfg.ID, client.ConfigRemoveOptions{}); err != nil {
			t.Errorf("cleanup: remove config: %v", err)
		}
	})
	db1, db2, tls := mk("db_v1", "one-secret-value"), mk("db_v2", "two-secret-value"), mk("tls", "cert")
	const envValue = "literal=with=equals"
	ref := func(id, name, target, uid, gid string, mode uint32) *swarm.SecretReference {
		return &swarm.SecretReference{SecretID: id, SecretName: p + name,
			File: &swarm.SecretReferenceFileTarget{Name: target, UID: uid, GID: gid, Mode: os.FileMode(mode)}}
	}
	one, grace := uint64(1), time.Second
	spec := swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: p + "api", Labels: map[string]string{seed.Label: p, model.StackNamespaceLabel: "shop"}},
		TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{
			Image: testrig.Image(t), Env: []string{"DB_PASSWORD=" + envValue, "EMPTY="}, StopGracePeriod: &grace,
			Secrets: []*swarm.SecretReference{ref(db1, "db_v1", "db", "1000", "1001", 0o400), ref(tls, "tls", "tls.pem", "0", "0", 0o444)},
			Configs: []*swarm.ConfigReference{{ConfigID: cfg.ID, ConfigName: p + "conf",
				File: &swarm.ConfigReferenceFileTarget{Name: "/etc/app.conf", UID: "0", GID: "0", Mode: 0o444}}},
		}},
		Mode:         swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &one}},
		UpdateConfig: &swarm.UpdateConfig{Parallelism: 1, Delay: 0, Monitor: time.Second, FailureAction: swarm.UpdateFailureActionRollback, Order: swarm.UpdateOrderStopFirst},
	}
	created, err := api.ServiceCreate(ctx, client.ServiceCreateOptions{Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	// Swap db_v1 for db_v2 keeping target/uid/gid/mode, in one update.
	insp, err := api.ServiceInspect(ctx, created.ID, client.ServiceInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spec = insp.Service.Spec
	spec.TaskTemplate.ContainerSpec.Secrets[0] = ref(db2, "db_v2", "db", "1000", "1001", 0o400)
	if _, err := api.ServiceUpdate(ctx, created.ID, client.ServiceUpdateOptions{Version: insp.Service.Version, Spec: spec}); err != nil {
		t.Fatal(err)
	}

	snap, svc := waitForRollout(t, c, created.ID)
	if snap.ClusterID == "" || snap.NodeID == "" || snap.NodeRole != "manager" || len(snap.Nodes) < 1 || snap.Endpoint != c.Endpoint() {
		t.Errorf("swarm identity: %q %q %q %d nodes %+v", snap.ClusterID, snap.NodeID, snap.NodeRole, len(snap.Nodes), snap.Endpoint)
	}
	want := []model.FileRef{
		{ID: db2, Name: p + "db_v2", Target: "db", UID: "1000", GID: "1001", Mode: 0o400},
		{ID: tls, Name: p + "tls", Target: "tls.pem", UID: "0", GID: "0", Mode: 0o444},
	}
	if !reflect.DeepEqual(svc.Spec.Secrets, want) {
		t.Errorf("spec secrets %+v", svc.Spec.Secrets)
	}
	wantPrev := []model.FileRef{{ID: db1, Name: p + "db_v1", Target: "db", UID: "1000", GID: "1001", Mode: 0o400}, want[1]}
	if svc.Previous == nil || !reflect.DeepEqual(svc.Previous.Secrets, wantPrev) {
		t.Errorf("previous spec %+v", svc.Previous)
	}
	if svc.Stack != "shop" || svc.Mode != "replicated" || svc.Replicas == nil || *svc.Replicas != 1 || svc.Version <= insp.Service.Version.Index ||
		svc.UpdateConfig == nil || svc.UpdateConfig.FailureAction != "rollback" || svc.UpdateConfig.Order != "stop-first" || svc.Spec.Image != testrig.Image(t) {
		t.Errorf("service fields %+v", svc)
	}
	if svc.UpdateStatus.StartedAt.IsZero() || svc.UpdateStatus.CompletedAt.Before(svc.UpdateStatus.StartedAt) {
		t.Errorf("update status %+v", svc.UpdateStatus)
	}
	if len(svc.Spec.Env) != 2 || svc.Spec.Env[0].Name != "DB_PASSWORD" || svc.Spec.Env[0].Value.Reveal() != envValue || !svc.Spec.Env[1].Value.IsZero() {
		t.Errorf("env %d vars", len(svc.Spec.Env))
	}
	if want := (model.FileRef{ID: cfg.ID, Name: p + "conf", Target: "/etc/app.conf", UID: "0", GID: "0", Mode: 0o444}); len(svc.Spec.Configs) != 1 || svc.Spec.Configs[0] != want {
		t.Errorf("config refs %+v", svc.Spec.Configs)
	}
	var gotConfig bool
	for _, c := range snap.Configs {
		if c.ID == cfg.ID {
			gotConfig = string(c.Data) == "listen 80\n" && c.Size == 10 && c.Name == p+"conf"
		}
	}
	if !gotConfig {
		t.Error("the config with its data is missing")
	}
	var runningIDs []string
	for _, task := range snap.Tasks {
		if task.ServiceID == svc.ID && task.State == "running" && task.DesiredState == "running" {
			runningIDs = task.SecretIDs
		}
	}
	if !reflect.DeepEqual(runningIDs, []string{db2, tls}) {
		t.Errorf("the running task mounts %v, want db_v2 and tls", runningIDs)
	}
	// The snapshot holds no value in clear: secret data never comes back, and
	// env values redact themselves in every output.
	j, _ := json.Marshal(snap)
	out := string(j) + fmt.Sprintf("%v %+v %#v", svc, svc, svc)
	for _, v := range []string{envValue, "one-secret-value", "two-secret-value"} {
		if strings.Contains(out, v) {
			t.Errorf("a value leaked into the snapshot's output")
		}
	}
}

// waitForRollout reloads until the service's update completed and one task runs.
func waitForRollout(t *testing.T, c *Client, id string) (*model.SwarmSnapshot, model.Service) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		snap, err := c.Snapshot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var svc model.Service
		for _, s := range snap.Services {
			if s.ID == id {
				svc = s
			}
		}
		running, _ := snap.TaskCounts()
		if svc.UpdateStatus != nil && svc.UpdateStatus.State == "completed" && running[id] == 1 {
			return snap, svc
		}
		if time.Now().After(deadline) {
			t.Fatalf("rollout did not complete: %+v", svc.UpdateStatus)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// TestSnapshotRefusesWorkerAndNoSwarm uses the rig's worker engine and its
// engine in no swarm: one actionable line naming the endpoint, and the real
// engine's list errors map to the same sentinels.
func TestSnapshotRefusesWorkerAndNoSwarm(t *testing.T) {
	for _, c := range []struct {
		host     string
		sentinel error
		want     string
	}{
		{testrig.WorkerDocker(t), ErrNotManager, "is a swarm worker, not a manager: run secretdeck on a manager node, or point --host/--context at one"},
		{testrig.NoSwarmDocker(t), ErrSwarmInactive, "is not part of a swarm: run `docker swarm init`"},
	} {
		cl, err := Connect(context.Background(), ConnectOptions{Host: c.host})
		if err != nil {
			t.Fatal(err)
		}
		_, err = cl.Snapshot(context.Background())
		var nodeErr *NodeError
		if !errors.Is(err, c.sentinel) || !errors.As(err, &nodeErr) || nodeErr.Endpoint.Host != c.host ||
			!strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.host+" (from --host)") {
			t.Errorf("%s: got %v", c.host, err)
		}
		// Past the Info check (a node demoted mid-load), the engine's own
		// refusal maps to the same sentinel.
		_, err = cl.API().SecretList(context.Background(), client.SecretListOptions{})
		if err = classify(err); !errors.Is(err, c.sentinel) {
			t.Errorf("%s: list error %v", c.host, err)
		}
		_ = cl.Close()
	}
}
