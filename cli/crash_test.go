package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// builtBinary builds secretdeck once for the tests that run it as a process.
func builtBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "secretdeck-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "secretdeck")
		if out, err := exec.Command("go", "build", "-o", binPath, "..").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// applyKilledAfterFirstUpdate starts apply as a process and kill -9s it as
// soon as it has updated one service; it returns the plan id.
func applyKilledAfterFirstUpdate(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(builtBinary(t), append([]string{"apply", "--yes", "--parallel", "1"}, args...)...)
	cmd.Env = env
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	id := ""
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if f := strings.Fields(line); len(f) > 1 && f[0] == "PLAN" {
			id = f[1]
		}
		if strings.HasPrefix(strings.TrimSpace(line), "update") && strings.HasSuffix(line, " ok") {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			break
		}
	}
	_ = cmd.Wait()
	if id == "" {
		t.Fatal("apply printed no plan id")
	}
	return id
}

// TestApplyKilledMidwayIsLaggingThenResumedOrReverted kills apply with -9
// after its first service update: drift reports the others as lagging with
// the plan id; --resume finishes it; in a second run --revert undoes it.
func TestApplyKilledMidwayIsLaggingThenResumedOrReverted(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	p := sw.prefix
	sw.secret("tok_v1", "crash-Value-One", nil)
	ids := []string{
		sw.runningService("a", nil, "tok_v1:"+p+"tok:0:0:0400"),
		sw.runningService("b", nil, "tok_v1:"+p+"tok:0:0:0400"),
		sw.runningService("c", nil, "tok_v1:"+p+"tok:0:0:0400"),
	}
	sw.waitRunning(ids...)
	bucket := srv.NewBucket(t, map[string]string{"shared.properties.prod": p + "tok = crash-Value-Two\n"})
	args := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod", "--secret", p + "tok"}
	env := append(os.Environ(), "XDG_STATE_HOME="+state)

	lagging := func(planID string) int {
		r := runCLI(t, append([]string{"drift", "--json"}, args[:6]...)...)
		var out driftOutput
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("drift: %v\n%s", err, r.all())
		}
		n := 0
		for _, f := range out.Findings {
			if f.Kind == model.KindLagging && f.Plan == planID && strings.HasPrefix(f.Service, p) {
				n++
			}
		}
		return n
	}

	// 1. Killed after one update, then resumed.
	id := applyKilledAfterFirstUpdate(t, env, args...)
	if n := lagging(id); n != 2 {
		t.Fatalf("after kill -9: %d services lagging with plan %s, want 2", n, id)
	}
	unlockAfterKill(t, id, args[2:4]...)
	if r := runCLI(t, append([]string{"apply", "--yes", "--resume", id}, args[:6]...)...); r.code != 0 {
		t.Fatalf("resume: %s\n%s", r.stdout, r.stderr)
	}
	for _, svc := range ids {
		if got := sw.spec(svc); fmt.Sprint(got) != fmt.Sprintf("[tok_v2:%stok:0:0:0400]", p) {
			t.Errorf("after resume a service mounts %v", got)
		}
	}
	if n := lagging(id); n != 0 {
		t.Errorf("after resume: %d lagging", n)
	}

	// 2. Another change, killed after one update, then reverted.
	srv.Put(t, bucket, "shared.properties.prod", p+"tok = crash-Value-Three\n")
	id2 := applyKilledAfterFirstUpdate(t, env, args...)
	if n := lagging(id2); n != 2 {
		t.Fatalf("after the second kill: %d lagging with %s, want 2", n, id2)
	}
	unlockAfterKill(t, id2, args[2:4]...)
	if r := runCLI(t, append([]string{"apply", "--yes", "--revert", id2}, args[:6]...)...); r.code != 0 {
		t.Fatalf("revert: %s\n%s", r.stdout, r.stderr)
	}
	for _, svc := range ids {
		if got := sw.spec(svc); fmt.Sprint(got) != fmt.Sprintf("[tok_v2:%stok:0:0:0400]", p) {
			t.Errorf("after revert a service mounts %v", got)
		}
	}
	time.Sleep(time.Second)
	if sw.secretExists("tok_v3") {
		t.Error("revert left the plan's secret behind")
	}
}
