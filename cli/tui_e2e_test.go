package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
// the rig: it finds a stale secret through the Drift pane, opens it, comes
// back with esc, filters, reads the help (every key of the pane with its
// meaning), cannot switch the environment without confirming, and quits with
// exit code 0; no screen shows a value.
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
		p + "api.properties.dev":  "token = e2e-Dev-Value-1414\n",
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
	term.keys("Escape")
	screens = append(screens, term.waitFor("[Drift", "HIGH  stale"))
	term.keys("Escape", ":", "secrets", "Enter", "/", p+"api", "Enter")
	screens = append(screens, term.waitFor("› "+p+"api_token_v1", "1/1 (filtered from"))
	term.keys("?")
	screens = append(screens, term.waitFor("Keys of the secrets pane", "space  stage", "p      preview plan", "e          switch env"))
	term.keys("Escape", ":", "plan", "Enter", "?")
	screens = append(screens, term.waitFor("Keys of the plan pane", "a  apply", "u  unstage"))
	// The environment: a pick, then a confirmation; n keeps prod.
	term.keys("Escape", "e")
	screens = append(screens, term.waitFor("Environment", "› prod  (current)"))
	term.keys("Up", "Enter")
	screens = append(screens, term.waitFor("Switch from prod to dev?"))
	term.keys("n", "Escape")
	screens = append(screens, term.waitFor("env prod"))
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
		leak.Check(t, fmt.Sprintf("screen %d", i), s, current, old, "e2e-Env-Value-1618", "e2e-Dev-Value-1414")
	}
}

// startTUI runs the built secretdeck with args in a private tmux server of
// w×h, with its own state directory; the file it returns gets "EXIT=<code>"
// when the process ends.
func startTUI(t *testing.T, name string, w, h int, args ...string) (*terminal, string) {
	t.Helper()
	testrig.Tool(t, "tmux")
	dir := t.TempDir()
	exitFile := filepath.Join(dir, "exit")
	term := &terminal{t: t, socket: "sd-" + name}
	cmd := strings.Join(append(append([]string{"env", "XDG_STATE_HOME=" + dir, "TERM=xterm-256color", builtBinary(t)}, args...),
		"; echo EXIT=$? >"+exitFile+"; sleep 60"), " ")
	term.tmux("new-session", "-d", "-s", "e2e", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), cmd)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", term.socket, "kill-server").Run() })
	return term, exitFile
}

// TestTUIReadOnlyInARealTerminal: --read-only says so in the header and
// offers no apply: not in the footer, not under the plan, not in the help.
func TestTUIReadOnlyInARealTerminal(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	keyBytes := bytes.Repeat([]byte{5}, model.FingerprintKeySize)
	key, _ := model.NewFingerprintKey(keyBytes)
	const current, old = "ro-Current-Value-2236", "ro-Old-Value-1732"
	p := sw.prefix
	sw.secret("api_token_v1", old, managedLabels(key, p+"api_token", 1, old))
	sw.service("api", nil, nil, "api_token_v1:token")
	bucket := srv.NewBucket(t, map[string]string{
		model.FingerprintKeyPath:  string(keyBytes),
		p + "api.properties.prod": "token = " + current + "\n",
	})
	term, _ := startTUI(t, "ro-"+strings.TrimSuffix(p, "_"), 80, 24,
		"--host", testrig.Docker(t), "--source", "s3://"+bucket, "--env", "prod", "--read-only", "--no-reveal")
	var screens []string
	screens = append(screens, term.waitFor("READ-ONLY", "NO-REVEAL", "[Secrets", "loaded at"))
	term.keys(":", "drift", "Enter", "/", p+"api · "+p+"api_token", "Enter", "Space", "p")
	s := term.waitFor("PLAN ", "u unstage")
	term.keys("NPage")
	s += term.waitFor("read-only: this plan is a preview")
	screens = append(screens, s)
	if strings.Contains(s, "a apply") {
		t.Fatalf("read-only offers a apply:\n%s", s)
	}
	term.keys("?")
	s = term.waitFor("Keys of the plan pane")
	screens = append(screens, s)
	if regexp.MustCompile(`\ba +apply|\bx +reveal|\bR +resume`).MatchString(s) {
		t.Fatalf("read-only and no-reveal help offers what they refuse:\n%s", s)
	}
	term.keys("Escape", "a")
	screens = append(screens, term.waitFor("read-only: nothing is applied"))
	for i, s := range screens {
		leak.Check(t, fmt.Sprintf("screen %d", i), s, current, old)
	}
}
