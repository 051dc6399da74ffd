package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/internal/testrig"
)

// drainedWorker is the ID of the rig's worker node, which is drained.
func drainedWorker(t *testing.T) string {
	wapi, err := client.New(client.WithHost(testrig.WorkerDocker(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer wapi.Close()
	info, err := wapi.Info(context.Background(), client.InfoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return info.Info.Swarm.NodeID
}

// pinnedTo creates prefix+name, one replica pinned to node: on the drained
// worker, or on the node that is down, its task stays pending "no suitable
// node".
func (r *rigSwarm) pinnedTo(node, name string, mount string) string {
	r.t.Helper()
	id := r.runningService(name, nil, mount)
	res, err := r.api.ServiceInspect(context.Background(), id, client.ServiceInspectOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	spec := res.Service.Spec
	spec.TaskTemplate.Placement = &swarm.Placement{Constraints: []string{"node.id==" + node}}
	if _, err := r.api.ServiceUpdate(context.Background(), id, client.ServiceUpdateOptions{Version: res.Service.Version, Spec: spec}); err != nil {
		r.t.Fatal(err)
	}
	return id
}

// TestApplyDoesNotWaitForANodeThatCannotRunTheTask: a rotation of a service
// pinned to a node that is down (the rig's lost worker, its engine stopped),
// or drained, names the node in the preview, is verified without waiting for
// its task (far under the timeout), and says so; with --wait-for-all-nodes it
// fails and is rolled back, also without waiting out Docker's rollback,
// which waits for the same task.
func TestApplyDoesNotWaitForANodeThatCannotRunTheTask(t *testing.T) {
	for _, c := range []struct{ name, node, state string }{
		{"a node that is down", testrig.LostNode(t), "which is down"},
		{"a drained node", drainedWorker(t), "which is drained"},
	} {
		t.Run(c.name, func(t *testing.T) { pinnedRotation(t, c.node, c.state) })
	}
}

func pinnedRotation(t *testing.T, node, state string) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	p := sw.prefix
	sw.secret("pinned_tok_v1", "pinned-Old-Value-1", nil)
	id := sw.pinnedTo(node, "pinned", "pinned_tok_v1:tok:0:0:0444")
	bucket := srv.NewBucket(t, map[string]string{p + "pinned.properties.prod": "tok = pinned-New-Value-2\n"})
	args := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod", "--timeout", "60s"}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(runCLI(t, append([]string{"plan"}, args[:6]...)...).stdout, "no suitable node") {
		if time.Now().After(deadline) {
			t.Fatal("the pinned task never showed as unschedulable")
		}
		time.Sleep(500 * time.Millisecond)
	}

	start := time.Now()
	r := runCLI(t, append([]string{"apply", "--yes"}, args...)...)
	took := time.Since(start)
	if r.code != 0 {
		t.Fatalf("apply: exit %d\n%s", r.code, r.all())
	}
	if !strings.Contains(r.stdout, "pinned to node ") || !strings.Contains(r.stdout, state) || !strings.Contains(r.stdout, "cannot run now, not waited for") ||
		!strings.Contains(r.stdout, "not waited for; they start with the new secrets") {
		t.Errorf("the preview names the node, the verdict says what it did:\n%s", r.stdout)
	}
	if took > 30*time.Second {
		t.Errorf("apply took %s: it waited for a task no node can take", took)
	}
	if got := sw.spec(id); len(got) != 1 || !strings.HasPrefix(got[0], "pinned_tok_v2:") {
		t.Errorf("mounts %v", got)
	}

	srv.Put(t, bucket, p+"pinned.properties.prod", "tok = pinned-New-Value-3\n")
	start = time.Now()
	r = runCLI(t, append([]string{"apply", "--yes", "--wait-for-all-nodes", "--timeout", "6s"}, args[:6]...)...)
	if r.code != exitError || !strings.Contains(r.all(), "rolled-back") {
		t.Fatalf("--wait-for-all-nodes: the strict rule fails and rolls back: exit %d\n%s", r.code, r.all())
	}
	if took := time.Since(start); took > 40*time.Second {
		t.Errorf("the rollback waited %s for a task no node can take", took)
	}
	if got := sw.spec(id); len(got) != 1 || !strings.HasPrefix(got[0], "pinned_tok_v2:") {
		t.Errorf("after the rollback, mounts %v", got)
	}
}
