package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/secretdeck/secretdeck/internal/leak"
	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// ptyRun is the built secretdeck running on a pseudo-terminal, as an
// operator would run it: stdin, stdout and stderr are the terminal.
type ptyRun struct {
	t    *testing.T
	cmd  *exec.Cmd
	tty  *os.File
	mu   sync.Mutex
	out  bytes.Buffer
	read chan struct{} // closed when the terminal has nothing more to read
}

// startOnPty runs secretdeck with args on a new terminal. Credentials reach
// it through env, never through its command line.
func startOnPty(t *testing.T, env []string, args ...string) *ptyRun {
	t.Helper()
	cmd := exec.Command(builtBinary(t), args...)
	cmd.Env = env
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 160})
	if err != nil {
		t.Fatal(err)
	}
	r := &ptyRun{t: t, cmd: cmd, tty: tty, read: make(chan struct{})}
	go func() {
		defer close(r.read)
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			r.mu.Lock()
			r.out.Write(buf[:n])
			r.mu.Unlock()
			if err != nil {
				return // EIO once secretdeck has exited
			}
		}
	}()
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			_ = r.cmd.Process.Kill()
			_ = r.cmd.Wait()
		}
		_ = tty.Close()
	})
	return r
}

func (r *ptyRun) screen() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// waitFor waits until the terminal shows want.
func (r *ptyRun) waitFor(want string) {
	r.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(r.screen(), want) {
		if time.Now().After(deadline) {
			r.t.Fatalf("the terminal never showed %q; it shows:\n%s", want, r.screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// answer types line and Enter.
func (r *ptyRun) answer(line string) {
	r.t.Helper()
	if _, err := r.tty.Write([]byte(line + "\r")); err != nil {
		r.t.Fatal(err)
	}
}

// exit waits for secretdeck to end and returns its exit code and everything
// the terminal showed.
func (r *ptyRun) exit() (int, string) {
	r.t.Helper()
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			r.t.Fatal(err)
		}
	case <-time.After(3 * time.Minute):
		_ = r.cmd.Process.Kill()
		r.t.Fatalf("secretdeck did not exit; the terminal shows:\n%s", r.screen())
	}
	select {
	case <-r.read:
	case <-time.After(10 * time.Second):
		r.t.Fatal("the terminal was not closed after secretdeck exited")
	}
	return r.cmd.ProcessState.ExitCode(), r.screen()
}

// TestApplyAsksOnATerminal runs apply without --yes on a real terminal: `n`
// changes nothing, `y` applies; once the environment is protected, `y` is
// refused and only its name, typed, applies.
func TestApplyAsksOnATerminal(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	state := t.TempDir()
	p := sw.prefix
	const v1, v2, v3 = "prompt-Value-One-71", "prompt-Value-Two-72", "prompt-Value-Three-73"
	sw.secret("api_k_v1", v1, nil)
	sw.service("api", nil, nil, "api_k_v1:k")
	id := sw.serviceID("api")
	bucket := srv.NewBucket(t, map[string]string{p + "api.properties.prod": "k = " + v2 + "\n"})
	env := append(os.Environ(), "XDG_STATE_HOME="+state, "TERM=dumb") // AWS_* from useRigS3
	args := []string{"apply", "--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}
	mounts := func(want string) {
		t.Helper()
		if got := sw.spec(id); fmt.Sprint(got) != "["+want+":k:0:0:0444]" {
			t.Fatalf("the service mounts %v, want %s", got, want)
		}
	}

	for _, step := range []struct {
		name, prompt, answer string
		code                 int
		says, mounts         string
		created              string // the secret the plan makes
	}{
		{"n", "Create 1 secret(s) and update 1 service(s) in prod? [y/N] ", "n", exitError, "nothing changed: not confirmed", "api_k_v1", "api_k_v2"},
		{"y", "Create 1 secret(s) and update 1 service(s) in prod? [y/N] ", "y", exitOK, "applied", "api_k_v2", "api_k_v2"},
		{"protected, y", "prod is protected: type its name to apply: ", "y", exitError, "nothing changed: not confirmed", "api_k_v2", "api_k_v3"},
		{"protected, the name", "prod is protected: type its name to apply: ", "prod", exitOK, "applied", "api_k_v3", "api_k_v3"},
	} {
		if step.name == "protected, y" {
			srv.Put(t, bucket, model.ManifestPath, "environments:\n  prod: {protected: true}\n")
			srv.Put(t, bucket, p+"api.properties.prod", "k = "+v3+"\n")
		}
		run := startOnPty(t, env, args...)
		run.waitFor(step.prompt)
		run.answer(step.answer)
		code, screen := run.exit()
		leak.Check(t, "the terminal ("+step.name+")", screen, v1, v2, v3)
		if code != step.code || !strings.Contains(screen, step.says) {
			t.Fatalf("%s: exit %d, want %d saying %q; the terminal shows:\n%s", step.name, code, step.code, step.says, screen)
		}
		mounts(step.mounts)
		if exists := sw.secretExists(step.created); exists != (step.code == exitOK) {
			t.Fatalf("%s: %s exists=%v", step.name, step.created, exists)
		}
	}
}
