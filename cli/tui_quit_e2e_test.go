package cli

import (
	"bytes"
	"encoding/json"
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

// TestQuitNeverAbandonsAnApply: in a real terminal, q right after confirming
// an apply does not leave a rollout half-watched: the process ends only once
// the apply has its verdict — exit 0 after "verified", exit 1 after a value
// that breaks the service was rolled back.
func TestQuitNeverAbandonsAnApply(t *testing.T) {
	testrig.Tool(t, "tmux")
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	p := sw.prefix
	keyBytes := bytes.Repeat([]byte{6}, model.FingerprintKeySize)
	key, _ := model.NewFingerprintKey(keyBytes)
	const old, current, breaking = "quit-Old-Value-444", "quit-New-Value-555", "quit-BOOM-Value-666"
	sw.secret("api_token_v1", old, managedLabels(key, p+"api_token", 1, old))
	id := sw.runningService("api", []string{"ECHOAPP_FAIL_IF_CONTAINS=BOOM"}, "api_token_v1:token:0:0:0400")
	sw.waitRunning(id)
	sw.decoy()
	bucket := srv.NewBucket(t, map[string]string{
		model.FingerprintKeyPath:  string(keyBytes),
		p + "api.properties.prod": "token = " + current + "\n",
	})

	for _, tc := range []struct {
		name, value, exit, verdict string
	}{
		{"verified", current, "EXIT=0", "verified"},
		{"rolled back", breaking, "EXIT=1", "rollback"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.Put(t, bucket, p+"api.properties.prod", "token = "+tc.value+"\n")
			dir := t.TempDir()
			exitFile := filepath.Join(dir, "exit")
			term := &terminal{t: t, socket: "sd-quit-" + strings.TrimSuffix(p, "_") + fmt.Sprint(len(tc.exit)+len(tc.name))}
			cmd := strings.Join([]string{
				"env", "XDG_STATE_HOME=" + dir, "TERM=xterm-256color",
				builtBinary(t), "--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod",
				"; echo EXIT=$? >" + exitFile + "; sleep 60",
			}, " ")
			term.tmux("new-session", "-d", "-s", "e2e", "-x", "100", "-y", "30", cmd)
			t.Cleanup(func() { _ = exec.Command("tmux", "-L", term.socket, "kill-server").Run() })

			var screens []string
			term.waitFor("[Secrets", "loaded at")
			term.keys(":", "drift", "Enter", "/", p+"api · "+p+"api_token", "Enter")
			screens = append(screens, term.waitFor("stale", "1/1 (filtered"))
			term.keys("Space", "p")
			// The plan is made in the background: an `a` before it is on
			// screen finds no plan to apply.
			term.waitFor("Create 1 secret(s)", "a apply")
			term.keys("a")
			term.waitFor("Apply plan")
			term.keys("y", "q")
			screens = append(screens, term.waitFor("quits when the apply has finished"))

			deadline := time.Now().Add(90 * time.Second)
			var exit []byte
			for {
				var err error
				if exit, err = os.ReadFile(exitFile); err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("secretdeck did not end after its apply:\n%s", term.tmux("capture-pane", "-p", "-t", "e2e"))
				}
				time.Sleep(200 * time.Millisecond)
			}
			if got := strings.TrimSpace(string(exit)); got != tc.exit {
				t.Errorf("exit: %s, want %s", got, tc.exit)
			}
			// When it ended, the audit log already had the apply's verdict.
			verdict := false
			log, _ := os.ReadFile(filepath.Join(dir, "secretdeck", "audit.jsonl"))
			for _, line := range strings.Split(strings.TrimSpace(string(log)), "\n") {
				var r auditRecord
				if json.Unmarshal([]byte(line), &r) == nil && r.Subject == p+"api" && r.Action == tc.verdict && r.Result == "ok" {
					verdict = true
				}
			}
			if !verdict {
				t.Errorf("the audit log has no %q step for the service when secretdeck exits (%d bytes)", tc.verdict, len(log))
			}
			for i, s := range screens {
				leak.Check(t, fmt.Sprintf("screen %d", i), s, old, current, breaking)
			}
		})
	}
	if got := strings.Join(sw.spec(id), ","); got != "api_token_v2:token:0:0:0400" {
		t.Errorf("after the verified apply and the rolled-back one, the service mounts %s, want v2", got)
	}
}
