package cli

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/internal/leak"
	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// TestTUIRotationInARealTerminal stages a stale secret from the Drift pane,
// previews, confirms and watches the rollout to "verified", then sees the
// finding gone; then a value that breaks the service: the screen shows the
// rollback and the final state. No screen shows a value.
func TestTUIRotationInARealTerminal(t *testing.T) {
	testrig.Tool(t, "tmux")
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	dir := t.TempDir()
	p := sw.prefix
	keyBytes := bytes.Repeat([]byte{5}, model.FingerprintKeySize)
	key, _ := model.NewFingerprintKey(keyBytes)
	const old, current, breaking = "tui-Old-Value-111", "tui-New-Value-222", "tui-BOOM-Value-333"
	sw.secret("api_token_v1", old, managedLabels(key, p+"api_token", 1, old))
	sw.waitRunning(sw.runningService("api", []string{"ECHOAPP_FAIL_IF_CONTAINS=BOOM"}, "api_token_v1:token:0:0:0400"))
	sw.decoy() // rows the filters below leave out
	bucket := srv.NewBucket(t, map[string]string{
		model.FingerprintKeyPath:  string(keyBytes),
		p + "api.properties.prod": "token = " + current + "\n",
	})

	term := &terminal{t: t, socket: "sd-rot-" + strings.TrimSuffix(p, "_")}
	// The S3 credentials reach secretdeck through the environment the tmux
	// server inherits from this test (useRigS3), never on a command line.
	cmd := strings.Join([]string{
		"env", "XDG_STATE_HOME=" + dir, "TERM=xterm-256color",
		builtBinary(t), "--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod",
		"--parallel", "2", "--timeout", "2m", // apply's options, given to the workbench
		"; sleep 60",
	}, " ")
	term.tmux("new-session", "-d", "-s", "e2e", "-x", "100", "-y", "30", cmd)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", term.socket, "kill-server").Run() })

	var screens []string
	term.waitFor("[Secrets", "loaded at")
	term.keys(":", "drift", "Enter", "/", p+"api · "+p+"api_token", "Enter")
	screens = append(screens, term.waitFor("stale", "1/1 (filtered"))
	term.keys("Space", "p")
	screens = append(screens, term.waitFor("PLAN ", "+ "+p+"api_token_v2 → token  0:0 0400", "$ docker service update \\", "--secret-rm "+p+"api_token_v1 \\",
		"Applied with parallel 2 · timeout 2m0s · keep 1 previous"))
	term.keys("a")
	screens = append(screens, term.waitFor("Apply plan", "create 1 secret and update 1 service"))
	term.keys("y")
	screens = append(screens, term.waitFor("APPLIED plan", "verified ok", "[##########] 1/1"))
	term.keys(":", "drift", "Enter")
	screens = append(screens, term.waitFor("0/0 (filtered from"))

	// Now a value that makes the container exit.
	srv.Put(t, bucket, p+"api.properties.prod", "token = "+breaking+"\n")
	term.keys("r")
	term.waitFor("stale")
	term.keys("Space", "p")
	term.waitFor("Create 1 secret(s)", "a apply") // the plan is made in the background
	term.keys("a")
	term.waitFor("Apply plan")
	term.keys("y")
	screens = append(screens, term.waitFor("FAILED plan", "rolled-back", "secrets created then removed: 1"))
	for i, s := range screens {
		leak.Check(t, fmt.Sprintf("screen %d", i), s, old, current, breaking)
	}
	if got := sw.spec(sw.serviceID("api")); strings.Join(got, ",") != "api_token_v2:token:0:0:0400" {
		t.Errorf("after the failed apply the service mounts %v", got)
	}
}
