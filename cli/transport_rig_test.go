package cli

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// plainTCP forwards a loopback TCP port to the rig's engine socket, as an
// engine listening on tcp:// without TLS would be reached.
func plainTCP(t *testing.T) string {
	t.Helper()
	sock := strings.TrimPrefix(testrig.Docker(t), "unix://")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				u, err := net.Dial("unix", sock)
				if err != nil {
					return
				}
				defer u.Close()
				go io.Copy(u, c)
				io.Copy(c, u)
			}()
		}
	}()
	return "tcp://" + l.Addr().String()
}

// TestWritesNeedAProtectedChannel: over tcp:// without TLS, reading works
// and every change is refused — a secret's value would cross the network in
// clear — unless --insecure-transport, which is audited.
func TestWritesNeedAProtectedChannel(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	p := sw.prefix
	sw.secret("api_tok_v1", "plain-Old-1", nil)
	sw.service("api", nil, nil, "api_tok_v1:tok")
	bucket := srv.NewBucket(t, map[string]string{p + "api.properties.prod": "tok = plain-New-2\n"})
	args := []string{"--host", plainTCP(t), "--source", "s3://" + bucket, "--env", "prod"}

	if r := runCLI(t, append([]string{"drift"}, args...)...); r.code == exitError {
		t.Fatalf("reading over plain tcp works: %s", r.all())
	}
	r := runCLI(t, append([]string{"apply", "--yes"}, args...)...)
	if r.code != exitError || !strings.Contains(r.stderr, "is not encrypted (tcp:// without TLS)") || !strings.Contains(r.stderr, "--insecure-transport") {
		t.Fatalf("a change over plain tcp is refused: exit %d\n%s", r.code, r.all())
	}
	if sw.secretExists("api_tok_v2") {
		t.Fatal("a refused apply created a secret")
	}
	r = runCLI(t, append([]string{"apply", "--yes", "--insecure-transport"}, args...)...)
	if r.code != 0 || !sw.secretExists("api_tok_v2") {
		t.Fatalf("--insecure-transport allows it: exit %d\n%s", r.code, r.all())
	}
	log, _ := os.ReadFile(filepath.Join(state, "secretdeck", "audit.jsonl"))
	if !strings.Contains(string(log), `"action":"insecure-transport"`) {
		t.Errorf("its use is audited:\n%s", log)
	}
}

// TestPreviousSpecExposureForReal: a credential removed from a service's
// env by hand stays in its PreviousSpec on the real engine; drift says so
// without showing it, and the finding's own command (a second update)
// takes it out of `docker service inspect`.
func TestPreviousSpecExposureForReal(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	p := sw.prefix
	const pass = "prevspec-Stats-Pass-7"
	sw.service("proxy", []string{"STATS_PASS=" + pass}, nil)
	bucket := srv.NewBucket(t, map[string]string{p + "proxy.properties.prod": "stats.user = admin\n"})
	args := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}
	insp, err := sw.api.ServiceInspect(context.Background(), p+"proxy", client.ServiceInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spec := insp.Service.Spec
	spec.TaskTemplate.ContainerSpec.Env = nil // removed by hand
	if _, err := sw.api.ServiceUpdate(context.Background(), insp.Service.ID, client.ServiceUpdateOptions{Version: insp.Service.Version, Spec: spec}); err != nil {
		t.Fatal(err)
	}
	find := func() *model.Finding {
		for _, f := range findings(t, args, p+"proxy", pass) {
			if f.Kind == model.KindPreviousSpecExposure {
				return &f
			}
		}
		return nil
	}
	f := find()
	if f == nil || f.Key != "STATS_PASS" {
		t.Fatalf("previous-spec-exposure: %+v", f)
	}
	cmd := strings.Fields(f.Command) // docker service update NAME
	out, err := exec.Command(cmd[0], append([]string{"-H", testrig.Docker(t)}, cmd[1:]...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", f.Command, err, out)
	}
	if f := find(); f != nil {
		t.Fatalf("after its command, still: %+v", f)
	}
}
