package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/secretdeck/secretdeck/internal/leak"
	"github.com/secretdeck/secretdeck/internal/testrig"
)

// applyInterrupted runs apply as a process and sends it SIGINT `signals`
// times, as soon as it has sent its first service update (the moment an
// abandoned apply would leave a service updating, unverified). It returns
// the exit code, stdout and stderr.
func applyInterrupted(t *testing.T, env []string, signals int, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(builtBinary(t), append([]string{"apply", "--yes", "--timeout", "90s"}, args...)...)
	cmd.Env = env
	var stderr syncBuffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	sc := bufio.NewScanner(io.TeeReader(out, &stdout))
	sent := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if sent || !strings.HasPrefix(line, "update") || !strings.HasSuffix(line, " ok") {
			continue
		}
		sent = true
		for i := range signals {
			if i > 0 { // the second comes once the first was understood
				waitFor(t, &stderr, "press ctrl+c again")
			}
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
		}
	}
	_ = cmd.Wait()
	if !sent {
		t.Fatalf("apply sent no service update:\n%s\n%s", stdout.String(), stderr.String())
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitFor(t *testing.T, b *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(b.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("never printed %q:\n%s", want, b.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestApplyOnInterrupt: the first SIGINT never abandons an apply: it says so
// and the apply goes on to its verdict (exit 0 only when verified, the audit
// log says `verified`); a second one stops it the safe way: the service is
// rolled back, the new secret removed, exit 1.
func TestApplyOnInterrupt(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	p := sw.prefix
	state := t.TempDir()
	env := append(os.Environ(), "XDG_STATE_HOME="+state)
	sw.secret("one_key_v1", "sig-Value-One", nil)
	sw.secret("two_key_v1", "sig-Value-Two", nil)
	one := sw.runningService("one", nil, "one_key_v1:key:0:0:0400")
	two := sw.runningService("two", nil, "two_key_v1:key:0:0:0400")
	sw.waitRunning(one, two)
	bucket := srv.NewBucket(t, map[string]string{
		p + "one.properties.prod": "key = sig-New-One\n",
		p + "two.properties.prod": "key = sig-New-Two\n",
	})
	args := func(service string) []string {
		return []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod", "--service", p + service}
	}

	t.Run("one interrupt: the apply finishes, verified, exit 0", func(t *testing.T) {
		code, stdout, stderr := applyInterrupted(t, env, 1, args("one")...)
		if code != 0 || !strings.Contains(stderr, "finishing the apply: it will stop when verified or rolled back; press ctrl+c again") {
			t.Fatalf("exit %d, want 0 with the notice:\n%s\n%s", code, stdout, stderr)
		}
		if got := sw.spec(one); fmt.Sprint(got) != "[one_key_v2:key:0:0:0400]" {
			t.Errorf("the service mounts %v", got)
		}
		log, _ := os.ReadFile(filepath.Join(state, "secretdeck", "audit.jsonl"))
		if !strings.Contains(string(log), `"action":"verified","subject":"`+p+`one","result":"ok"`) {
			t.Errorf("the audit log has no verified step for %sone:\n%s", p, log)
		}
		leak.Check(t, "apply's output", stdout+stderr, "sig-New-One", "sig-Value-One")
	})

	t.Run("two interrupts: rolled back, the new secret removed, exit 1", func(t *testing.T) {
		code, stdout, stderr := applyInterrupted(t, env, 2, args("two")...)
		if code != exitError || !strings.Contains(stderr, "stopped by a second interrupt") || !strings.Contains(stderr, "rolled-back") {
			t.Fatalf("exit %d, want 1 saying it was stopped and rolled back:\n%s\n%s", code, stdout, stderr)
		}
		if got := sw.spec(two); fmt.Sprint(got) != "[two_key_v1:key:0:0:0400]" {
			t.Errorf("the service mounts %v after the stop", got)
		}
		sw.waitRunning(two)
		if sw.secretExists("two_key_v2") {
			t.Error("the secret the stopped apply created is still there")
		}
		leak.Check(t, "apply's output", stdout+stderr, "sig-New-Two", "sig-Value-Two")
	})
}
