package cli

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/internal/leak"
	"github.com/secretdeck/secretdeck/internal/testrig"
)

// updateState is the service's UpdateStatus.State ("" before any update).
func (r *rigSwarm) updateState(id string) swarm.UpdateState {
	r.t.Helper()
	res, err := r.api.ServiceInspect(context.Background(), id, client.ServiceInspectOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	if res.Service.UpdateStatus == nil {
		return ""
	}
	return res.Service.UpdateStatus.State
}

// waitUpdateState waits until the service's update reaches state.
func (r *rigSwarm) waitUpdateState(id string, state swarm.UpdateState) {
	r.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		got := r.updateState(id)
		if got == state {
			return
		}
		// Paused states stay until someone acts: waiting longer changes nothing.
		if got == swarm.UpdateStatePaused || got == swarm.UpdateStateRollbackPaused || time.Now().After(deadline) {
			r.t.Fatalf("service %s: update state %q, want %q", id, got, state)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitMounting waits until the service's one running task mounts the secret
// prefix+name, by ID: what the container really got, not what the spec says.
func (r *rigSwarm) waitMounting(serviceID, name string) {
	r.t.Helper()
	want := r.secretID(name)
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := r.api.TaskList(context.Background(), client.TaskListOptions{Filters: client.Filters{}.Add("service", serviceID).Add("desired-state", "running")})
		if err == nil && len(res.Items) == 1 && res.Items[0].Status.State == swarm.TaskStateRunning &&
			slices.ContainsFunc(res.Items[0].Spec.ContainerSpec.Secrets, func(s *swarm.SecretReference) bool { return s.SecretID == want }) {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("service %s has no running task mounting %s", serviceID, name)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// secretID is the ID of prefix+name, created by the test or by secretdeck.
func (r *rigSwarm) secretID(name string) string {
	r.t.Helper()
	if id, ok := r.ids[r.prefix+name]; ok {
		return id
	}
	res, err := r.api.SecretInspect(context.Background(), r.prefix+name, client.SecretInspectOptions{})
	if err != nil {
		r.t.Fatalf("secret %s: %v", name, err)
	}
	return res.Secret.ID
}

// pausingPair makes services a and b, both mounting tok_v1 (holding value)
// and pausing their update when a task fails; b's tasks exit when their
// secret holds BOOM.
func (r *rigSwarm) pausingPair(value string) (a, b string) {
	r.t.Helper()
	r.secret("tok_v1", value, nil)
	mount := "tok_v1:" + r.prefix + "tok:0:0:0400"
	a = r.runningServiceOnFailure("a", swarm.UpdateFailureActionPause, nil, mount)
	b = r.runningServiceOnFailure("b", swarm.UpdateFailureActionPause, []string{"ECHOAPP_FAIL_IF_CONTAINS=BOOM"}, mount)
	return a, b
}

// applyTokOneAtATime applies the rotation of the shared tok one service at a
// time, in plan order (by name): a is verified before b starts. It must fail.
func applyTokOneAtATime(t *testing.T, bucket, prefix string) result {
	t.Helper()
	r := runCLI(t, "apply", "--yes", "--parallel", "1", "--timeout", "90s",
		"--host", testrig.Docker(t), "--source", "s3://"+bucket, "--env", "prod", "--secret", prefix+"tok")
	if r.code != exitError {
		t.Fatalf("exit %d, want 1:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	return r
}

// TestApplyRollsBackEveryServiceItUpdatedWhenALaterOneFails: two running
// services mount one secret; the new value breaks the second, whose updates
// PAUSE on failure, so Docker undoes nothing by itself. secretdeck rolls
// back the first (already verified) and the second, removes the secret it
// created, exits 1 and says where the swarm stands; the audit log has the
// rollback steps; both containers run the old secret again.
func TestApplyRollsBackEveryServiceItUpdatedWhenALaterOneFails(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	p := sw.prefix
	const oldValue, breaking = "multi-Old-Value-5501", "multi-BOOM-Value-5502"
	first, second := sw.pausingPair(oldValue)
	sw.waitRunning(first, second)
	bucket := srv.NewBucket(t, map[string]string{"shared.properties.prod": p + "tok = " + breaking + "\n"})

	r := applyTokOneAtATime(t, bucket, p)
	leak.Check(t, "apply's output", r.all(), oldValue, breaking)
	for _, step := range [][]string{
		{"verified", p + "a", "ok"},
		{"watch", p + "b", "paused"},
		{"rollback", p + "a", "started"}, {"rollback", p + "a", "ok"},
		{"rollback", p + "b", "started"}, {"rollback", p + "b", "ok"},
		{"remove", p + "tok_v2", "ok"},
	} {
		if !hasStep(r.stdout, step...) {
			t.Errorf("apply printed no step %q:\n%s", step, r.stdout)
		}
	}
	for _, w := range []string{"service " + p + "b: rollout paused", p + "a rolled-back", p + "b rolled-back", "secrets created then removed: 1"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("the error must say where the swarm stands (%q):\n%s", w, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "NOT undone") {
		t.Errorf("something was left undone:\n%s", r.stderr)
	}

	// The engine agrees: with FailureAction=pause only secretdeck can have
	// rolled these back.
	want := fmt.Sprintf("[tok_v1:%stok:0:0:0400]", p)
	for name, id := range map[string]string{"a": first, "b": second} {
		if s := sw.updateState(id); s != swarm.UpdateStateRollbackCompleted {
			t.Errorf("service %s: update state %q, want rollback_completed", name, s)
		}
		if got := sw.spec(id); fmt.Sprint(got) != want {
			t.Errorf("service %s mounts %v after the failed apply, want %s", name, got, want)
			continue
		}
		sw.waitMounting(id, "tok_v1")
	}
	if sw.secretExists("tok_v2") {
		t.Error("the secret the failed plan created is still in the swarm")
	}

	log, err := openAuditLog()
	if err != nil {
		t.Fatal(err)
	}
	recs, err := log.read()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, rec := range recs {
		lines = append(lines, rec.Action+" "+rec.Subject+" "+rec.Result)
	}
	for _, w := range []string{"rollback " + p + "a ok", "rollback " + p + "b ok", "remove " + p + "tok_v2 ok"} {
		if !slices.Contains(lines, w) {
			t.Errorf("the audit log has no %q: %q", w, lines)
		}
	}
	raw, _ := os.ReadFile(log.path)
	leak.Check(t, "the audit log", string(raw), oldValue, breaking)
}

// TestApplySaysWhatItCouldNotUndo: the second service's previous spec cannot
// run either (its current secret already breaks it), so its rollback pauses
// too. secretdeck still rolls back the first, and does not call the second
// undone: it names it as NOT undone, and exits 1.
func TestApplySaysWhatItCouldNotUndo(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	p := sw.prefix
	const oldValue, breaking = "undo-Old-BOOM-Value-6601", "undo-New-BOOM-Value-6602"
	first, second := sw.pausingPair(oldValue)
	sw.waitRunning(first)
	bucket := srv.NewBucket(t, map[string]string{"shared.properties.prod": p + "tok = " + breaking + "\n"})

	r := applyTokOneAtATime(t, bucket, p)
	leak.Check(t, "apply's output", r.all(), oldValue, breaking)
	if s := sw.updateState(second); s != swarm.UpdateStateRollbackPaused {
		t.Fatalf("the second service: update state %q, want rollback_paused (the case under test)", s)
	}
	for _, w := range []string{
		p + "a rolled-back", p + "b failed",
		"NOT undone: service " + p + "b could not be rolled back (the rollback paused",
		// Its PreviousSpec is now the failed spec: `docker service rollback`
		// would go forward onto the removed secret.
		"then `docker service update --force " + p + "b` (not `docker service rollback`",
	} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("the error must say where the swarm stands (%q):\n%s", w, r.stderr)
		}
	}
	if hasStep(r.stdout, "rollback", p+"b", "ok") {
		t.Errorf("a paused rollback was reported as done:\n%s", r.stdout)
	}
	if s := sw.updateState(first); s != swarm.UpdateStateRollbackCompleted {
		t.Errorf("the first service: update state %q, want rollback_completed", s)
	}
	if got := sw.spec(first); fmt.Sprint(got) != fmt.Sprintf("[tok_v1:%stok:0:0:0400]", p) {
		t.Errorf("the first service mounts %v, want it rolled back", got)
	}
	// What the advice says: the paused service's spec is back on the old secret.
	if got := sw.spec(second); fmt.Sprint(got) != fmt.Sprintf("[tok_v1:%stok:0:0:0400]", p) {
		t.Errorf("the paused service's spec names %v, want the old secret as the advice says", got)
	}
}

// hasStep says whether out has a progress line whose first fields are want.
func hasStep(out string, want ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= len(want) && slices.Equal(f[:len(want)], want) {
			return true
		}
	}
	return false
}
