package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
	secretsource "github.com/secretdeck/secretdeck/s3"
)

// lockObject returns the bucket's lock object, "" when there is none.
func lockObject(t *testing.T, srv testrig.S3Server, bucket string) string {
	t.Helper()
	key := secretsource.LockPath
	res, err := srv.Client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "NoSuchKey" {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(res.Body)
	return b.String()
}

// grantBoth is a manifest that declares services a and b the consumers of
// the shared key tok, so drift has nothing to say once they mount its newest.
func grantBoth(p string) string {
	return fmt.Sprintf("services:\n  shared:\n    keys:\n      %stok: {services: [%sa, %sb]}\n", p, p, p)
}

// unlockAfterKill removes the lock an apply killed with -9 left, as the
// operator does before --resume or --revert (source: "--source", URI).
func unlockAfterKill(t *testing.T, id string, source ...string) {
	t.Helper()
	if r := runCLI(t, append([]string{"unlock", id}, source...)...); r.code != 0 {
		t.Fatalf("unlock %s after kill -9: %s", id, r.all())
	}
}

// findingsOf counts drift's findings about the test's own objects.
func findingsOf(t *testing.T, prefix string, args ...string) []string {
	t.Helper()
	r := runCLI(t, append([]string{"drift", "--json"}, args...)...)
	var out driftOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("drift: %v\n%s", err, r.all())
	}
	var mine []string
	for _, f := range out.Findings {
		if strings.Contains(f.Service+f.Secret+f.Logical, prefix) {
			mine = append(mine, string(f.Kind)+" "+f.Service+f.Secret+f.Logical)
		}
	}
	return mine
}

// Two `apply --yes` started together on one source: exactly one runs, the
// other exits 1 in one line naming the holder, the swarm ends fully rotated
// (drift finds nothing), and the lock is gone.
func TestTwoAppliesAtOnceOneRunsForReal(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	p := sw.prefix
	sw.secret("tok_v1", "lock-Value-One", nil)
	ids := []string{
		sw.runningService("a", nil, "tok_v1:"+p+"tok:0:0:0400"),
		sw.runningService("b", nil, "tok_v1:"+p+"tok:0:0:0400"),
	}
	sw.waitRunning(ids...)
	bucket := srv.NewBucket(t, map[string]string{"shared.properties.prod": p + "tok = lock-Value-Two\n", model.ManifestPath: grantBoth(p)})
	args := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}

	type run struct {
		code           int
		stdout, stderr string
	}
	runs := make([]run, 2)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(builtBinary(t), append([]string{"apply", "--yes", "--secret", p + "tok"}, args...)...)
			cmd.Env = os.Environ()
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			<-start
			err := cmd.Run()
			runs[i] = run{cmd.ProcessState.ExitCode(), out.String(), errOut.String()}
			if err != nil && cmd.ProcessState == nil {
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	var won, lost *run
	for i := range runs {
		switch runs[i].code {
		case 0:
			won = &runs[i]
		case 1:
			lost = &runs[i]
		}
	}
	if won == nil || lost == nil {
		t.Fatalf("want one apply to succeed and one to exit 1, got %+v", runs)
	}
	winner := ""
	for _, line := range strings.Split(won.stdout, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "PLAN" {
			winner = f[1]
		}
	}
	msg := strings.TrimRight(lost.stderr, "\n")
	t.Logf("the refused apply: %s", msg)
	if winner == "" || strings.Contains(msg, "\n") || !strings.Contains(msg, "locked by plan "+winner) || !strings.Contains(msg, " since ") ||
		!strings.Contains(msg, "@") {
		t.Errorf("the refused apply said %q; want one line naming the holder %s and since when", msg, winner)
	}
	// Both may pass the check before the preview (neither holds the lock
	// yet): the create-only lock decides, before the first change.
	for _, line := range strings.Split(lost.stdout, "\n") {
		if f := strings.Fields(line); len(f) > 2 && (f[0] == "create" || f[0] == "update" || f[0] == "remove") {
			t.Errorf("the refused apply changed something: %q", line)
		}
	}
	if mine := findingsOf(t, p, args...); len(mine) != 0 {
		t.Errorf("drift after the two applies: %v", mine)
	}
	for _, svc := range ids {
		if got := sw.spec(svc); strings.Join(got, ",") != "tok_v2:"+p+"tok:0:0:0400" {
			t.Errorf("a service mounts %v", got)
		}
	}
	if sw.secretExists("tok_v3") {
		t.Error("a second version was made: the applies interleaved")
	}
	if l := lockObject(t, srv, bucket); l != "" {
		t.Errorf("the lock is left after the apply: %s", l)
	}
}

// kill -9 of an apply leaves its lock: the next apply (even --resume) is
// refused naming it; unlock with another ID removes nothing; unlock with its
// ID removes it, and --resume then finishes the plan.
func TestKilledApplyLeavesItsLockForReal(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	p := sw.prefix
	sw.secret("tok_v1", "lockkill-Value-One", nil)
	ids := []string{
		sw.runningService("a", nil, "tok_v1:"+p+"tok:0:0:0400"),
		sw.runningService("b", nil, "tok_v1:"+p+"tok:0:0:0400"),
	}
	sw.waitRunning(ids...)
	bucket := srv.NewBucket(t, map[string]string{"shared.properties.prod": p + "tok = lockkill-Value-Two\n", model.ManifestPath: grantBoth(p)})
	args := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}
	id := applyKilledAfterFirstUpdate(t, append(os.Environ(), "XDG_STATE_HOME="+state), append([]string{"--secret", p + "tok"}, args...)...)
	if l := lockObject(t, srv, bucket); !strings.Contains(l, id) {
		t.Fatalf("after kill -9 the lock is %q, want plan %s's", l, id)
	}
	r := runCLI(t, append([]string{"apply", "--yes", "--resume", id}, args...)...)
	assertOneLineError(t, r, "locked by plan "+id, "secretdeck unlock "+id)
	other := "p-20200101-000000-0000"
	r = runCLI(t, append([]string{"unlock", other}, args[2:4]...)...)
	assertOneLineError(t, r, "held by plan "+id, other)
	r = runCLI(t, append([]string{"unlock", id, "--read-only"}, args[2:4]...)...)
	assertOneLineError(t, r, "--read-only")
	if l := lockObject(t, srv, bucket); !strings.Contains(l, id) {
		t.Fatalf("a refused unlock removed the lock: %q", l)
	}
	if r := runCLI(t, append([]string{"unlock", id}, args[2:4]...)...); r.code != 0 || !strings.Contains(r.stdout, id) {
		t.Fatalf("unlock: %s", r.all())
	}
	if l := lockObject(t, srv, bucket); l != "" {
		t.Fatalf("unlock left %q", l)
	}
	if r := runCLI(t, append([]string{"apply", "--yes", "--resume", id}, args...)...); r.code != 0 {
		t.Fatalf("resume after unlock: %s", r.all())
	}
	if mine := findingsOf(t, p, args...); len(mine) != 0 {
		t.Errorf("drift after resume: %v", mine)
	}
	if l := lockObject(t, srv, bucket); l != "" {
		t.Errorf("resume left its lock: %s", l)
	}
}

// The workbench applies through executePlan, the same path as the command:
// with another's lock held it is refused before any change, naming the
// holder, and the holder's lock stays.
func TestWorkbenchApplyPathTakesTheLockForReal(t *testing.T) {
	srv := useRigS3(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	bucket := srv.NewBucket(t, map[string]string{"api.properties.prod": "k = v\n"})
	global := &globalOptions{host: testrig.Docker(t), source: "s3://" + bucket, env: "prod"}
	src, err := global.openSource(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	const holder = "p-20261130-101500-aaaa"
	if err := secretsource.AcquireLock(context.Background(), src, secretsource.Lock{Plan: holder, By: "ops@bastion", PID: 7, Since: time.Now()}, time.Hour); err != nil {
		t.Fatal(err)
	}
	p := &model.RotationPlan{ID: "p-20261130-101501-bbbb", Env: "prod"}
	_, err = executePlan(context.Background(), global, p, model.DefaultApplyOptions(), "", func(model.Step) {}, func(string) {})
	var held *secretsource.LockHeldError
	if !errors.As(err, &held) || held.Holder.Plan != holder || strings.Contains(err.Error(), "\n") {
		t.Fatalf("the workbench's apply with a lock held: %v", err)
	}
	if l := lockObject(t, srv, bucket); !strings.Contains(l, holder) {
		t.Errorf("the holder's lock is now %q", l)
	}
}
