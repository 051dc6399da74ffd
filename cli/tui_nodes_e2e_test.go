package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/internal/leak"
	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// TestTUINodesPaneInARealTerminal runs the built secretdeck in tmux at
// 80×24 with NO_COLOR against the rig: the Nodes pane lists the manager
// (leader, every secret) and the workers; its detail is inspect node's;
// space stages what the manager exposed, p previews the incident plan, a
// and y apply it; W writes the incident report to the file typed, 0600,
// with no value in it; help names the pane's keys.
func TestTUINodesPaneInARealTerminal(t *testing.T) {
	testrig.Tool(t, "tmux")
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	dir := t.TempDir()
	keyBytes := bytes.Repeat([]byte{13}, model.FingerprintKeySize)
	key, _ := model.NewFingerprintKey(keyBytes)
	const old, current = "nodes-Old-Value-4142", "nodes-New-Value-1732"
	p := sw.prefix
	sw.secret("api_tok_v1", old, managedLabels(key, p+"api_tok", 1, old))
	api := sw.runningService("api", nil, "api_tok_v1:tok:0:0:0444")
	sw.waitRunning(api)
	bucket := srv.NewBucket(t, map[string]string{
		model.FingerprintKeyPath:  string(keyBytes),
		p + "api.properties.prod": "tok = " + current + "\n",
	})
	info, err := sw.api.Info(context.Background(), client.InfoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	manager := info.Info.Swarm.NodeID

	exitFile := filepath.Join(dir, "exit")
	report := filepath.Join(dir, "incident.md")
	term := &terminal{t: t, socket: "sd-nodes-" + strings.TrimSuffix(p, "_")}
	cmd := strings.Join([]string{
		"env", "XDG_STATE_HOME=" + dir, "TERM=xterm-256color", "NO_COLOR=1",
		builtBinary(t), "--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod",
		"; echo EXIT=$? >" + exitFile + "; sleep 60",
	}, " ")
	term.tmux("new-session", "-d", "-s", "e2e", "-x", "80", "-y", "24", cmd)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", term.socket, "kill-server").Run() })

	var screens []string
	screens = append(screens, term.waitFor("[Secrets", "loaded at"))
	term.keys(":", "nodes", "Enter")
	screens = append(screens, term.waitFor("[Nodes]", "HOSTNAME", "ROLE", "EXPOSES", manager[:12]+" leader", " drain  down "))
	term.keys("/", manager[:12], "Enter", "Enter")
	screens = append(screens, term.waitFor("Node ", "("+manager+")", "Role          manager (leader)", "As a manager it holds the Raft store"))
	term.keys("Escape", "Space")
	// The row's mark, not the status line's "1 staged": a reload (any other
	// test's change on the shared rig is a swarm event) gives the status
	// line back to "loaded at".
	screens = append(screens, term.waitFor("› + "))
	term.keys("p")
	screens = append(screens, term.waitFor("PLAN ", "+ "+p+"api_tok_v2"))
	term.keys("a")
	screens = append(screens, term.waitFor("y"))
	term.keys("y")
	screens = append(screens, term.waitFor("verified"))
	if !sw.secretExists("api_tok_v2") {
		t.Errorf("the incident plan did not rotate %sapi_tok", p)
	}
	term.keys(":", "nodes", "Enter", "W")
	screens = append(screens, term.waitFor("report file:", "mode 0600"))
	term.keys(report, "Enter")
	screens = append(screens, term.waitFor("Incident report written to "+report[:min(len(report), 30)]))
	term.keys("?")
	screens = append(screens, term.waitFor("Keys of the nodes pane", "space  stage what it exposed", "W      write incident report"))
	term.keys("Escape", "q")
	deadline := time.Now().Add(30 * time.Second)
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
	st, err := os.Stat(report)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("the report's mode is %o", st.Mode().Perm())
	}
	data, _ := os.ReadFile(report)
	if !strings.Contains(string(data), "# Incident report: swarm") || !strings.Contains(string(data), p+"api_tok_v2") {
		t.Errorf("the report:\n%s", data)
	}
	leak.Check(t, "the report", string(data), old, current)
	for i, s := range screens {
		leak.Check(t, fmt.Sprintf("screen %d", i), s, old, current)
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, "\x1b[") {
				t.Errorf("screen %d has colour under NO_COLOR: %q", i, l)
			}
		}
	}
}
