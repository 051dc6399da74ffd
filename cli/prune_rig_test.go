package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// TestPruneKeepZeroLeavesWhatARollbackNeeds: a running service was moved from
// v1 to v2 by a plain update, so its PreviousSpec names v1; v0 is named by
// nothing. `prune --keep 0` removes v0 and keeps v1, and `docker service
// rollback` still works afterwards, back to a running task on v1.
//
// prune acts on the whole swarm and has no scope flag: it runs behind a proxy
// that shows it only this test's secrets and refuses any other removal, so it
// cannot touch the objects of tests running next to it.
func TestPruneKeepZeroLeavesWhatARollbackNeeds(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir()) // prune audits each removal
	sw := newRigSwarm(t)
	p := sw.prefix
	key, err := model.NewFingerprintKey(bytes.Repeat([]byte{9}, model.FingerprintKeySize))
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n <= 2; n++ {
		v := fmt.Sprintf("prune-Value-%d", n)
		sw.secret(fmt.Sprintf("api_pass_v%d", n), v, managedLabels(key, p+"api_pass", n, v))
	}
	id := sw.runningService("api", nil, "api_pass_v1:pass:0:0:0400")
	sw.waitRunning(id)
	sw.mountInstead(id, "api_pass_v2")
	sw.waitUpdateState(id, swarm.UpdateStateCompleted)
	sw.waitMounting(id, "api_pass_v2")
	if prev := sw.previousSecrets(id); prev != sw.ids[p+"api_pass_v1"] {
		t.Fatalf("the service's PreviousSpec mounts %q, want only %sapi_pass_v1", prev, p)
	}

	// An orphan outside the scope (this test's too, under another prefix):
	// prune would remove it without the proxy.
	outside := newRigSwarm(t)
	outside.secret("x_v1", "prune-Outside-1", managedLabels(key, outside.prefix+"x", 1, "prune-Outside-1"))
	outside.secret("x_v2", "prune-Outside-2", managedLabels(key, outside.prefix+"x", 2, "prune-Outside-2"))

	scope := testrig.ScopedProxy(t, testrig.Docker(t), p)
	r := runCLI(t, "prune", "--keep", "0", "--yes", "--host", scope.Host)
	if r.code != exitOK {
		t.Fatalf("prune: exit %d\n%s", r.code, r.all())
	}
	if refused := scope.Refused(); len(refused) != 0 {
		t.Errorf("prune tried to remove secrets outside this test: %v", refused)
	}
	if !outside.secretExists("x_v1") || strings.Contains(r.stdout, outside.prefix) {
		t.Fatalf("prune reached beyond its scope:\n%s", r.stdout)
	}
	for name, want := range map[string]bool{"api_pass_v0": false, "api_pass_v1": true, "api_pass_v2": true} {
		if sw.secretExists(name) != want {
			t.Errorf("after prune --keep 0, %s exists=%v, want %v\n%s", name, !want, want, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "Remove 1 secret(s)") || !hasStep(r.stdout, "prune", p+"api_pass_v0", "ok") {
		t.Errorf("prune must say it removed exactly %sapi_pass_v0:\n%s", p, r.stdout)
	}

	// The rollback the kept version exists for.
	insp, err := sw.api.ServiceInspect(context.Background(), id, client.ServiceInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sw.api.ServiceUpdate(context.Background(), id, client.ServiceUpdateOptions{
		Version: insp.Service.Version, Spec: insp.Service.Spec, Rollback: "previous",
	}); err != nil {
		t.Fatalf("docker service rollback after prune: %v", err)
	}
	sw.waitUpdateState(id, swarm.UpdateStateRollbackCompleted)
	if got := sw.spec(id); fmt.Sprint(got) != "[api_pass_v1:pass:0:0:0400]" {
		t.Errorf("after the rollback the service mounts %v", got)
	}
	sw.waitMounting(id, "api_pass_v1")
}

// mountInstead updates the service the way `docker service update
// --secret-rm/--secret-add` does: one update, same target, so the engine
// keeps the old spec as PreviousSpec.
func (r *rigSwarm) mountInstead(id, name string) {
	r.t.Helper()
	insp, err := r.api.ServiceInspect(context.Background(), id, client.ServiceInspectOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	spec := insp.Service.Spec
	old := spec.TaskTemplate.ContainerSpec.Secrets[0]
	spec.TaskTemplate.ContainerSpec.Secrets = []*swarm.SecretReference{{
		SecretID: r.ids[r.prefix+name], SecretName: r.prefix + name,
		File: &swarm.SecretReferenceFileTarget{Name: old.File.Name, UID: old.File.UID, GID: old.File.GID, Mode: old.File.Mode},
	}}
	if _, err := r.api.ServiceUpdate(context.Background(), id, client.ServiceUpdateOptions{Version: insp.Service.Version, Spec: spec}); err != nil {
		r.t.Fatalf("update service %s: %v", id, err)
	}
}

// previousSecrets is the IDs of the secrets the service's PreviousSpec mounts.
func (r *rigSwarm) previousSecrets(id string) string {
	r.t.Helper()
	insp, err := r.api.ServiceInspect(context.Background(), id, client.ServiceInspectOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	var ids []string
	if prev := insp.Service.PreviousSpec; prev != nil && prev.TaskTemplate.ContainerSpec != nil {
		for _, s := range prev.TaskTemplate.ContainerSpec.Secrets {
			ids = append(ids, s.SecretID)
		}
	}
	return strings.Join(ids, ",")
}
