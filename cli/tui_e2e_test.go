package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secretdeck/secretdeck/internal/leak"
	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// terminal drives the built binary in a real terminal: a private tmux server.
type terminal struct {
	t      *testing.T
	socket string
	last   string
}

func (term *terminal) tmux(args ...string) string {
	term.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", term.socket}, args...)...).CombinedOutput()
	if err != nil {
		term.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (term *terminal) keys(keys ...string) {
	term.t.Helper()
	for _, k := range keys {
		term.tmux("send-keys", "-t", "e2e", k)
		time.Sleep(150 * time.Millisecond) // an esc followed too fast reads as alt+key
	}
}

// waitFor captures the screen until it contains every want, or fails.
func (term *terminal) waitFor(want ...string) string {
	term.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		term.last = term.tmux("capture-pane", "-p", "-t", "e2e")
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(term.last, w)
		}
		if ok {
			return term.last
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("the screen never showed %q:\n%s", want, term.last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestTUIInARealTerminal runs the built secretdeck in tmux at 80×24 against
// the rig: it finds a stale secret through the Drift pane, opens it, filters,
// opens help, and quits with exit code 0, and no screen shows a value.
func TestTUIInARealTerminal(t *testing.T) {
	testrig.Tool(t, "tmux")
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	dir := t.TempDir()
	bin := builtBinary(t)
	keyBytes := bytes.Repeat([]byte{7}, model.FingerprintKeySize)
	key, _ := model.NewFingerprintKey(keyBytes)
	const current, old = "e2e-Current-Value-3141", "e2e-Old-Value-2718"
	p := sw.prefix
	sw.secret("api_token_v1", old, managedLabels(key, p+"api_token", 1, old))
	sw.service("api", []string{"API_PASSWORD=e2e-Env-Value-1618"}, nil, "api_token_v1:token")
	sw.decoy() // rows the filters below leave out
	bucket := srv.NewBucket(t, map[string]string{
		model.FingerprintKeyPath:  string(keyBytes),
		p + "api.properties.prod": "token = " + current + "\n",
	})

	term := &terminal{t: t, socket: "sd-e2e-" + strings.TrimSuffix(p, "_")}
	exitFile := filepath.Join(dir, "exit")
	// The S3 credentials reach secretdeck through the environment the tmux
	// server inherits from this test (useRigS3), never on a command line.
	cmd := strings.Join([]string{
		"env", "XDG_STATE_HOME=" + dir, "TERM=xterm-256color",
		bin, "--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod",
		"; echo EXIT=$? >" + exitFile + "; sleep 60",
	}, " ")
	term.tmux("new-session", "-d", "-s", "e2e", "-x", "80", "-y", "24", cmd)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", term.socket, "kill-server").Run() })

	var screens []string
	screens = append(screens, term.waitFor("[Secrets", "Drift", "loaded at"))
	term.keys(":", "drift", "Enter", "/", p+"api", "Enter")
	screens = append(screens, term.waitFor("high     stale", p+"api · ", "env-exposure"))
	term.keys("Escape", "/", "stale", "Enter", "Enter")
	screens = append(screens, term.waitFor("HIGH  stale", "Press o to open the secret "+p+"api_token_v1"))
	term.keys("o")
	screens = append(screens, term.waitFor("[Secrets", "Secret       "+p+"api_token_v1", "Fingerprint  differs", "BLAST RADIUS"))
	term.keys("Escape", "/", p+"api", "Enter")
	screens = append(screens, term.waitFor("› "+p+"api_token_v1", "1/1 (filtered from"))
	term.keys("?")
	screens = append(screens, term.waitFor("Keys of the secrets pane"))
	term.keys("Escape", ":", "services", "Enter", "Escape", "/", p, "Enter", "Enter")
	screens = append(screens, term.waitFor("API_PASSWORD (18 bytes)  ← EXPOSED"))
	term.keys("Escape", "q")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, err := os.ReadFile(exitFile); err == nil {
			if strings.TrimSpace(string(b)) != "EXIT=0" {
				t.Fatalf("secretdeck exited with %s", b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("q did not quit:\n%s", term.tmux("capture-pane", "-p", "-t", "e2e"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	for i, s := range screens {
		leak.Check(t, fmt.Sprintf("screen %d", i), s, current, old, "e2e-Env-Value-1618")
	}
}
