package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/secretdeck/secretdeck/internal/leak"
	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// A worker that RUNS a task cannot be had on the shared rig without
// disturbing the tests that run beside this one: its worker is drained and
// its services are not constrained, so the moment a node of the rig's swarm
// is active, any of their tasks may be scheduled there (and die with the
// node when the test ends); joining a fresh engine to that swarm opens the
// same window. A placement constraint and a node label keep THIS test's
// task on a node, never the other tests' tasks off it. So this test makes a
// swarm of its own: two private engines (a manager and a worker, from the
// same dockerd binary as the rig, on free loopback ports), which no other
// test can see, and stops them when it ends.

// privateEngine is a dockerd this test started, and stops.
type privateEngine struct {
	dir, sock string
	cmd       *exec.Cmd
}

// freePorts returns n loopback ports free for TCP and UDP, in the range
// Docker accepts for a data path port and below the ephemeral ports.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var out []int
	for tries := 0; len(out) < n; tries++ {
		if tries > 1000 {
			t.Fatal("no free loopback port")
		}
		p := 20000 + rand.IntN(12768)
		if slices.Contains(out, p) {
			continue
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		u, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(p))
		l.Close()
		if err != nil {
			continue
		}
		u.Close()
		out = append(out, p)
	}
	return out
}

// startEngine starts a private dockerd in dir/name and waits until it
// answers; the test's end stops it by its process (never by name) and
// removes what it left.
func startEngine(t *testing.T, dir, name string) *privateEngine {
	t.Helper()
	e := &privateEngine{dir: filepath.Join(dir, name)}
	e.sock = "unix://" + filepath.Join(e.dir, "docker.sock")
	if err := os.MkdirAll(filepath.Join(e.dir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(e.dir, "dockerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	e.cmd = exec.Command(testrig.Tool(t, "dockerd"), "--iptables=false", "--ip6tables=false", "--bridge=none", "--storage-driver=vfs",
		"--data-root", filepath.Join(e.dir, "data"), "--exec-root", filepath.Join(e.dir, "exec"),
		"--pidfile", filepath.Join(e.dir, "docker.pid"), "-H", e.sock)
	e.cmd.Stdout, e.cmd.Stderr = log, log
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := e.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.stop(t); log.Close() })
	deadline := time.Now().Add(60 * time.Second)
	for exec.Command("docker", "-H", e.sock, "version").Run() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("private dockerd %s did not answer (log: %s)", name, log.Name())
		}
		time.Sleep(250 * time.Millisecond)
	}
	return e
}

func (e *privateEngine) stop(t *testing.T) {
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = e.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = e.cmd.Process.Kill()
		<-done
	}
	unmountUnder(t, e.dir)
}

// unmountUnder detaches what a stopped dockerd left mounted under dir, so
// that the test's folder can be removed.
func unmountUnder(t *testing.T, dir string) {
	f, err := os.Open("/proc/mounts")
	if err != nil {
		return
	}
	defer f.Close()
	var points []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		if fields := strings.Fields(s.Text()); len(fields) > 1 && strings.HasPrefix(fields[1], dir+"/") {
			points = append(points, fields[1])
		}
	}
	slices.Sort(points)
	slices.Reverse(points)
	for _, p := range points {
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil {
			t.Logf("unmount %s: %v", p, err)
		}
	}
}

func (e *privateEngine) docker(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", append([]string{"-H", e.sock}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestInspectNodeOfAWorkerWithATaskForReal: on a two-node swarm (a worker
// engine joined to a manager, a task running on the worker), inspect node
// of the worker lists exactly what its tasks mount: the secret its running
// task mounts now, and the one its previous task mounted (the history the
// swarm keeps); the manager holds every secret but runs nothing; and plan
// --exposed-on-node of the worker plans exactly those secrets.
func TestInspectNodeOfAWorkerWithATaskForReal(t *testing.T) {
	srv := useRigS3(t)
	image := testrig.Image(t) // from the rig's engine: nothing is pulled
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir, err := os.MkdirTemp("", "sdpair")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	ports := freePorts(t, 3)
	manager := startEngine(t, dir, "m")
	manager.docker(t, "swarm", "init", "--advertise-addr", fmt.Sprintf("127.0.0.1:%d", ports[0]),
		"--listen-addr", fmt.Sprintf("127.0.0.1:%d", ports[0]), "--data-path-port", strconv.Itoa(ports[2]))
	worker := startEngine(t, dir, "w")
	worker.docker(t, "swarm", "join", "--token", manager.docker(t, "swarm", "join-token", "-q", "worker"),
		"--advertise-addr", fmt.Sprintf("127.0.0.1:%d", ports[1]), "--listen-addr", fmt.Sprintf("127.0.0.1:%d", ports[1]),
		fmt.Sprintf("127.0.0.1:%d", ports[0]))
	workerID := worker.docker(t, "info", "--format", "{{.Swarm.NodeID}}")
	managerID := manager.docker(t, "info", "--format", "{{.Swarm.NodeID}}")
	load := func(e *privateEngine) {
		save := exec.Command("docker", "-H", testrig.Docker(t), "save", image)
		in := exec.Command("docker", "-H", e.sock, "load", "-q")
		pipe, _ := save.StdoutPipe()
		in.Stdin = pipe
		if err := save.Start(); err != nil {
			t.Fatal(err)
		}
		if out, err := in.CombinedOutput(); err != nil {
			t.Fatalf("docker load: %v\n%s", err, out)
		}
		if err := save.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	load(worker)

	const v1, v2, fresh = "worker-Value-1", "worker-Value-2", "worker-Fresh-3"
	for name, v := range map[string]string{"api_tok_v1": v1, "api_tok_v2": v2, "other_tok": "manager-Only-4"} {
		c := exec.Command("docker", "-H", manager.sock, "secret", "create", name, "-")
		c.Stdin = strings.NewReader(v)
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("secret create %s: %v\n%s", name, err, out)
		}
	}
	manager.docker(t, "service", "create", "-d", "--name", "api", "--constraint", "node.role==worker", "--restart-condition", "on-failure",
		"--update-delay", "0s", "--update-monitor", "1s", "--stop-grace-period", "1s", "--env", "ECHOAPP_INTERVAL=1s",
		"--secret", "source=api_tok_v1,target=tok", "--no-resolve-image", image)
	waitTask := func(secret string) {
		deadline := time.Now().Add(90 * time.Second)
		for {
			state := manager.docker(t, "service", "ps", "api", "--filter", "desired-state=running", "--format", "{{.CurrentState}}")
			spec := manager.docker(t, "service", "inspect", "api", "--format", "{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}}{{end}} {{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}")
			if strings.HasPrefix(state, "Running") && !strings.Contains(state, "\n") && (spec == secret || spec == secret+" completed") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("api never ran on the worker with %s: %q %q", secret, state, spec)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	waitTask("api_tok_v1")
	manager.docker(t, "service", "update", "-d", "--secret-rm", "api_tok_v1", "--secret-add", "source=api_tok_v2,target=tok", "api")
	waitTask("api_tok_v2")

	inspect := func(node string) model.NodeDetail {
		r := runCLI(t, "inspect", "node", node, "--json", "--host", manager.sock)
		var d model.NodeDetail
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &d) != nil {
			t.Fatalf("inspect node %s: exit %d\n%s", node, r.code, r.all())
		}
		return d
	}
	d := inspect(workerID)
	var got []string
	for _, s := range d.Secrets {
		got = append(got, fmt.Sprintf("%s now=%v %s", s.Name, s.Now, strings.Join(s.Services, ",")))
	}
	if want := []string{"api_tok_v1 now=false api", "api_tok_v2 now=true api"}; !slices.Equal(got, want) {
		t.Errorf("the worker's tasks mount %q, want exactly %q", got, want)
	}
	if n := d.Node; d.HoldsEverySecret || n.Role != "worker" || n.Availability != "active" || n.State != "ready" || d.Running != 1 || d.History < 1 {
		t.Errorf("the worker: %+v", d)
	}
	if m := inspect(managerID); !m.HoldsEverySecret || m.AllSecrets != 3 || len(m.Secrets) != 0 || m.Running != 0 {
		t.Errorf("the manager holds every secret and runs nothing: %+v", m)
	}
	r := runCLI(t, "inspect", "node", workerID, "--host", manager.sock)
	if r.code != 0 || !strings.Contains(r.stdout, "api_tok_v2  api_tok  yes") || !strings.Contains(r.stdout, "api_tok_v1  api_tok  no (history)") {
		t.Errorf("text: exit %d\n%s", r.code, r.all())
	}

	bucket := srv.NewBucket(t, map[string]string{"api.properties.prod": "tok = " + fresh + "\n", "other.properties.prod": "tok = x-Other-5\n"})
	r = runCLI(t, "plan", "--exposed-on-node", workerID, "--host", manager.sock, "--source", "s3://"+bucket, "--env", "prod")
	if r.code != 0 || !strings.Contains(r.stdout, "INCIDENT: secrets exposed on node") || !strings.Contains(r.stdout, "api_tok_v1, api_tok_v2") || strings.Contains(r.stdout, "other_tok") {
		t.Errorf("plan --exposed-on-node the worker: exit %d\n%s", r.code, r.all())
	}
	leak.Check(t, "inspect and plan", r.all(), v1, v2, fresh)
}
