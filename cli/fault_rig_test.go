package cli

import (
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/internal/testrig"
)

// The swarm's leader stops (its engine shut down) after apply updated its
// first service, while secretdeck talks to another manager: three managers
// keep quorum, a new leader is elected, and the swarm ends rotated, back,
// or in a state drift names and --resume finishes.
func TestFaultLeaderStoppedMidApply(t *testing.T) {
	ms := testrig.Managers(t)
	leader, leaderNode := leaderOf(t, ms, ms[0])
	conn := ms[0]
	for _, e := range ms {
		if e.Name != leader.Name {
			conn = e
			break
		}
	}
	f := newFaultCase(t, conn.Host, leaderNode, 3, "fault-Value-Two")
	restartLater(t, ms, leader)
	run := f.startApply(nil)
	if !run.until(t, "update", "ok") {
		t.Fatalf("apply ended before its first update:\n%s", run.output())
	}
	leader.Stop(t)
	code := run.wait(t)
	t.Logf("leader %s stopped; apply through %s exited %d:\n%s", leader.Name, conn.Name, code, run.output())
	oneLineErrors(t, run.stderr.String())
	if code != 0 {
		f.releaseLeftLock(run.planID(), run.output())
	}
	t.Logf("promise: %s", f.promise(run.planID(), false))
}

// The engine secretdeck is connected to restarts while apply watches a
// rollout: apply either carries on once it answers again, or stops saying
// in one line what to run; either way the promise holds.
func TestFaultConnectedEngineRestartedMidWatch(t *testing.T) {
	ms := testrig.Managers(t)
	leader, _ := leaderOf(t, ms, ms[0])
	conn := ms[0]
	for _, e := range ms {
		if e.Name != leader.Name {
			conn = e
			break
		}
	}
	f := newFaultCase(t, conn.Host, nodeOf(t, conn), 2, "fault-Value-Two")
	restartLater(t, ms, conn)
	run := f.startApply(nil)
	if !run.until(t, "watch", f.sw.prefix+"a") {
		t.Fatalf("apply ended before it watched:\n%s", run.output())
	}
	conn.Stop(t)
	conn.Start(t)
	code := run.wait(t)
	t.Logf("%s restarted mid-watch; apply exited %d:\n%s", conn.Name, code, run.output())
	oneLineErrors(t, run.stderr.String())
	if code != 0 {
		f.releaseLeftLock(run.planID(), run.output())
	}
	waitManagersReachable(t, ms)
	t.Logf("promise: %s", f.promise(run.planID(), false))
}

// The connection to the engine (a proxy standing in for ssh://) is cut
// after apply updated its first service, and stays cut: apply cannot roll
// back either, says so in one line with what to run, and releases its lock;
// with the connection back, drift names the plan and --resume finishes it.
func TestFaultEngineConnectionCutMidApply(t *testing.T) {
	ms := testrig.Managers(t)
	cut := testrig.NewCutProxy(t, ms[0].Host)
	f := newFaultCase(t, ms[0].Host, "", 3, "fault-Value-Two")
	f.host = cut.Addr
	run := f.startApply(nil, "--timeout", "15s") // how long the watch reads again an engine that is away
	if !run.until(t, "update", "ok") {
		t.Fatalf("apply ended before its first update:\n%s", run.output())
	}
	cut.Cut()
	code := run.wait(t)
	t.Logf("connection cut; apply exited %d:\n%s", code, run.output())
	if code != 1 {
		t.Errorf("apply exited %d after losing the engine, want 1", code)
	}
	oneLineErrors(t, run.stderr.String())
	if l := lockObject(t, f.srv, f.bucket); l != "" {
		t.Errorf("apply left its lock although S3 was reachable: %s", l)
	}
	if !strings.Contains(run.stderr.String(), "--resume "+run.planID()) && !strings.Contains(run.stderr.String(), "--revert "+run.planID()) {
		t.Errorf("apply did not say to resume or revert %s:\n%s", run.planID(), run.stderr.String())
	}
	f.host = ms[0].Host
	t.Logf("promise: %s", f.promise(run.planID(), false))
}

// S3 becomes unreachable once the secrets are made, and the new value
// breaks service b: the rollback and the removal of the new secret still
// work (they need only the engine), the audit copy and the lock's release
// that need S3 are reported, each in one line saying what to do, and once S3
// is back `unlock` frees the source.
func TestFaultS3UnreachableAfterCreate(t *testing.T) {
	testrig.Managers(t)
	f := newFaultCase(t, testrig.Docker(t), "", 2, "fault-BOOM-Two")
	cut := testrig.NewCutProxy(t, strings.TrimPrefix(f.srv.Endpoint, "http://"))
	run := f.startApply([]string{"AWS_ENDPOINT_URL_S3=http://" + cut.Addr})
	if !run.until(t, "create", "ok") {
		t.Fatalf("apply ended before it created:\n%s", run.output())
	}
	cut.Cut()
	code := run.wait(t)
	t.Logf("S3 cut; apply exited %d:\n%s", code, run.output())
	if code != 1 {
		t.Errorf("apply exited %d, want 1 (b's rollout fails)", code)
	}
	oneLineErrors(t, run.stderr.String())
	out := run.output()
	for _, want := range []string{"rollback", "audit log could not be copied", "secretdeck unlock " + run.planID()} {
		if !strings.Contains(out, want) {
			t.Errorf("apply's output does not say %q", want)
		}
	}
	if m := f.mounts(); !all(m, "tok_v1") || f.sw.secretExists("tok_v2") {
		t.Errorf("with S3 gone the rollback did not finish: services mount %v, tok_v2 exists: %v", m, f.sw.secretExists("tok_v2"))
	}
	cut.Mend()
	f.releaseLeftLock(run.planID(), out)
	if got := f.promise(run.planID(), true); got != "back" {
		t.Errorf("promise: %s, want back", got)
	}
}

// kill -9 of apply at each of its steps (create, update, watch, prune): the
// lock it leaves is removed with unlock, and then --resume finishes the plan
// or --revert undoes it, from wherever it stopped.
func TestFaultKilledAtEachStep(t *testing.T) {
	testrig.Managers(t)
	for _, step := range []string{"create", "update", "watch", "remove"} {
		for _, revert := range []bool{false, true} {
			name := step + "/resume"
			if revert {
				name = step + "/revert"
			}
			t.Run(name, func(t *testing.T) {
				f := newFaultCase(t, testrig.Docker(t), "", 2, "fault-Value-Two")
				run := f.startApply(nil)
				if !run.until(t, step, "") {
					t.Fatalf("apply ended before a %s step:\n%s", step, run.output())
				}
				run.kill9(t)
				id := run.planID()
				if l := lockObject(t, f.srv, f.bucket); !strings.Contains(l, id) {
					t.Errorf("kill -9 at %s left the lock %q, want plan %s's", step, l, id)
				}
				f.releaseLeftLock(id, run.output())
				got := f.promise(id, revert)
				t.Logf("killed at %s: %s", step, got)
				if step == "remove" && got != "rotated" {
					t.Errorf("killed while pruning, after every service was verified: %s, want rotated", got)
				}
			})
		}
	}
}
