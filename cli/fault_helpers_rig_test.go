package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// Fault tests: they need the multi-manager rig (scripts/test --faults) and
// each asserts the promise: after any single fault the swarm is fully
// rotated, fully back where it was, or in a state drift names and
// `apply --resume` (or --revert) finishes.

// faultCase is one fault test's world: services mounting tok_v1 on the
// engine at host, kept off the node avoid (the one a test stops), and a
// bucket whose tok is a new value, declared for all of them.
type faultCase struct {
	t      *testing.T
	sw     *rigSwarm
	srv    testrig.S3Server
	bucket string
	host   string
	ids    []string
	state  string
}

func newRigSwarmOn(t *testing.T, host string) *rigSwarm {
	t.Helper()
	api, err := client.New(client.WithHost(host))
	if err != nil {
		t.Fatal(err)
	}
	r := &rigSwarm{t: t, api: api, prefix: testrig.UniqueName("ft") + "_", ids: map[string]string{}}
	t.Cleanup(r.cleanup)
	return r
}

// newFaultCase makes n services (a, b, c…) mounting tok_v1 on host; a
// value containing BOOM makes service b's new tasks fail (failing).
func newFaultCase(t *testing.T, host, avoid string, n int, newValue string) *faultCase {
	t.Helper()
	f := &faultCase{t: t, srv: useRigS3(t), host: host, state: t.TempDir()}
	t.Setenv("XDG_STATE_HOME", f.state)
	f.sw = newRigSwarmOn(t, host)
	p := f.sw.prefix
	// An old version secretdeck made, which nothing mounts: the plan's
	// prune step removes it.
	f.sw.secret("tok_v0", "fault-Value-Zero", map[string]string{model.LabelLogical: p + "tok", model.LabelVersion: "0"})
	f.sw.secret("tok_v1", "fault-Value-One", nil)
	var names []string
	for i := range n {
		name := string(rune('a' + i))
		env := []string{}
		if name == "b" {
			env = append(env, "ECHOAPP_FAIL_IF_CONTAINS=BOOM")
		}
		f.ids = append(f.ids, f.service(name, avoid, env))
		names = append(names, p+name)
	}
	f.sw.waitRunning(f.ids...)
	manifest := fmt.Sprintf("services:\n  shared:\n    keys:\n      %stok: {services: [%s]}\n", p, strings.Join(names, ", "))
	f.bucket = f.srv.NewBucket(t, map[string]string{"shared.properties.prod": p + "tok = " + newValue + "\n", model.ManifestPath: manifest})
	return f
}

// service is runningService kept off node avoid, pausing on failure (so
// that undoing a failed update is secretdeck's job, not Docker's).
func (f *faultCase) service(name, avoid string, env []string) string {
	r := f.sw
	r.t.Helper()
	one, grace := uint64(1), time.Second
	var placement *swarm.Placement
	if avoid != "" {
		placement = &swarm.Placement{Constraints: []string{"node.id!=" + avoid}}
	}
	res, err := r.api.ServiceCreate(context.Background(), client.ServiceCreateOptions{Spec: swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: r.prefix + name},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{Image: testrig.Image(r.t), Env: append([]string{"ECHOAPP_INTERVAL=1s"}, env...), StopGracePeriod: &grace,
				Secrets: []*swarm.SecretReference{{SecretID: r.ids[r.prefix+"tok_v1"], SecretName: r.prefix + "tok_v1",
					File: &swarm.SecretReferenceFileTarget{Name: r.prefix + "tok", UID: "0", GID: "0", Mode: 0o400}}}},
			RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionOnFailure},
			Placement:     placement,
		},
		Mode:           swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &one}},
		UpdateConfig:   &swarm.UpdateConfig{Parallelism: 1, Monitor: 2 * time.Second, FailureAction: swarm.UpdateFailureActionPause, Order: swarm.UpdateOrderStopFirst},
		RollbackConfig: &swarm.UpdateConfig{Parallelism: 1, Monitor: time.Second, FailureAction: swarm.UpdateFailureActionPause, Order: swarm.UpdateOrderStopFirst},
	}})
	if err != nil {
		r.t.Fatalf("create service %s: %v", name, err)
	}
	return res.ID
}

// args are the flags every command of the case takes; more follow.
func (f *faultCase) args(more ...string) []string {
	return append([]string{"--host", f.host, "--source", "s3://" + f.bucket, "--env", "prod"}, more...)
}

// applyRun is an apply started as a process, read line by line.
type applyRun struct {
	cmd    *exec.Cmd
	lines  chan string
	mu     sync.Mutex
	stdout strings.Builder
	stderr bytes.Buffer
	plan   string
}

// startApply starts `apply --yes --parallel 1` with the case's flags.
func (f *faultCase) startApply(extraEnv []string, more ...string) *applyRun {
	f.t.Helper()
	cmd := exec.Command(builtBinary(f.t), append([]string{"apply", "--yes", "--parallel", "1", "--timeout", "60s"},
		f.args(append([]string{"--secret", f.sw.prefix + "tok"}, more...)...)...)...)
	cmd.Env = append(append(os.Environ(), "XDG_STATE_HOME="+f.state), extraEnv...)
	a := &applyRun{cmd: cmd, lines: make(chan string, 1000)}
	cmd.Stderr = &a.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		f.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			a.mu.Lock()
			a.stdout.WriteString(line + "\n")
			if fl := strings.Fields(line); len(fl) > 1 && fl[0] == "PLAN" {
				a.plan = fl[1]
			}
			a.mu.Unlock()
			a.lines <- line
		}
		close(a.lines)
	}()
	f.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return a
}

// until waits for a progress line "ACTION SUBJECT… RESULT…" whose action
// is action and that contains want; false when apply ended first.
func (a *applyRun) until(t *testing.T, action, want string) bool {
	t.Helper()
	timeout := time.After(90 * time.Second)
	for {
		select {
		case line, ok := <-a.lines:
			if !ok {
				return false
			}
			if fl := strings.Fields(line); len(fl) > 1 && fl[0] == action && strings.Contains(line, want) {
				return true
			}
		case <-timeout:
			t.Fatalf("no %q line with %q in 90s:\n%s", action, want, a.output())
		}
	}
}

// wait waits for apply to end and returns its exit code.
func (a *applyRun) wait(t *testing.T) int {
	t.Helper()
	for range a.lines { // drain
	}
	err := a.cmd.Wait()
	if a.cmd.ProcessState == nil {
		t.Fatal(err)
	}
	return a.cmd.ProcessState.ExitCode()
}

func (a *applyRun) output() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stdout.String() + a.stderr.String()
}

func (a *applyRun) planID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.plan
}

// kill9 kills apply with SIGKILL and waits for it.
func (a *applyRun) kill9(t *testing.T) {
	t.Helper()
	_ = a.cmd.Process.Signal(syscall.SIGKILL)
	a.wait(t)
}

// oneLineErrors checks that every error apply printed is one line that says
// what to do next: each stderr line stands alone.
func oneLineErrors(t *testing.T, stderr string) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		if line != "" && !strings.HasPrefix(line, "secretdeck: ") {
			t.Errorf("stderr line %q is not a secretdeck message of its own (an error across lines?)", line)
		}
	}
}

// mounts is what each service mounts, "tok_vN" or several.
func (f *faultCase) mounts() []string {
	var out []string
	for _, id := range f.ids {
		var names []string
		for _, s := range f.sw.spec(id) {
			names = append(names, strings.SplitN(s, ":", 2)[0])
		}
		out = append(out, strings.Join(names, "+"))
	}
	return out
}

func all(list []string, want string) bool {
	for _, s := range list {
		if s != want {
			return false
		}
	}
	return len(list) > 0
}

// findings is drift's findings about the case's objects, as "kind subject".
func (f *faultCase) findings() []model.Finding {
	f.t.Helper()
	r := runCLI(f.t, append([]string{"drift", "--json"}, f.args()...)...)
	var out driftOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		f.t.Fatalf("drift: %v\n%s", err, r.all())
	}
	var mine []model.Finding
	for _, fd := range out.Findings {
		if strings.Contains(fd.Service+fd.Secret+fd.Logical, f.sw.prefix) {
			mine = append(mine, fd)
		}
	}
	return mine
}

// releaseLeftLock removes the lock an apply that died left, as the
// operator would: the apply's own output said to.
func (f *faultCase) releaseLeftLock(planID, said string) {
	f.t.Helper()
	if l := lockObject(f.t, f.srv, f.bucket); l != "" {
		if !strings.Contains(l, planID) {
			f.t.Fatalf("the lock left is not plan %s's: %s", planID, l)
		}
		if r := runCLI(f.t, "unlock", planID, "--source", "s3://"+f.bucket); r.code != 0 {
			f.t.Fatalf("unlock: %s", r.all())
		}
	}
}

// promise checks what every fault must leave: the swarm fully rotated (all
// on tok_v2, drift silent), fully back (all on tok_v1, no tok_v2 left), or
// a state drift names with the plan id, which `apply --resume` (or with
// revert, `apply --revert`) then finishes. It returns which it was.
func (f *faultCase) promise(planID string, revert bool) string {
	f.t.Helper()
	m := f.mounts()
	switch {
	case all(m, "tok_v2"):
		if fd := f.findings(); len(fd) != 0 {
			f.t.Errorf("fully rotated, yet drift finds %v", kinds(fd))
		}
		return "rotated"
	case all(m, "tok_v1") && !f.sw.secretExists("tok_v2"):
		return "back"
	}
	named := false
	for _, fd := range f.findings() {
		if fd.Plan == planID || strings.Contains(fd.Command, planID) {
			named = true
		}
	}
	if !named {
		f.t.Fatalf("half-done (%v) and drift does not name plan %s: %v", m, planID, kinds(f.findings()))
	}
	verb, want := "--resume", "tok_v2"
	if revert {
		verb, want = "--revert", "tok_v1"
	}
	r := runCLI(f.t, append([]string{"apply", "--yes", verb, planID}, f.args()...)...)
	if r.code != 0 {
		f.t.Fatalf("apply %s %s after the fault: %s", verb, planID, r.all())
	}
	if m := f.mounts(); !all(m, want) {
		f.t.Fatalf("after apply %s the services mount %v, want %s", verb, m, want)
	}
	if revert {
		deadline := time.Now().Add(20 * time.Second)
		for f.sw.secretExists("tok_v2") && time.Now().Before(deadline) {
			time.Sleep(250 * time.Millisecond)
		}
		if f.sw.secretExists("tok_v2") {
			f.t.Error("revert left the plan's tok_v2")
		}
		return "reverted"
	}
	if fd := f.findings(); len(fd) != 0 {
		f.t.Errorf("after --resume drift finds %v", kinds(fd))
	}
	return "resumed"
}

func kinds(fd []model.Finding) []string {
	var out []string
	for _, f := range fd {
		out = append(out, string(f.Kind)+" "+f.Service+f.Secret+f.Logical+" "+f.Plan)
	}
	return out
}

// leaderOf returns the engine of the swarm's leader and its node ID, asked
// of engine via.
func leaderOf(t *testing.T, ms []testrig.Engine, via testrig.Engine) (testrig.Engine, string) {
	t.Helper()
	api, err := client.New(client.WithHost(via.Host))
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		nodes, err := api.NodeList(context.Background(), client.NodeListOptions{})
		if err == nil {
			for _, n := range nodes.Items {
				if n.ManagerStatus != nil && n.ManagerStatus.Leader {
					for _, e := range ms {
						if strings.HasPrefix(n.ManagerStatus.Addr, e.Addr+":") {
							return e, n.ID
						}
					}
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no leader found through %s: %v", via.Name, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// nodeOf returns the node ID of engine e.
func nodeOf(t *testing.T, e testrig.Engine) string {
	t.Helper()
	out, err := exec.Command("docker", "-H", e.Host, "info", "--format", "{{.Swarm.NodeID}}").Output()
	if err != nil {
		t.Fatalf("node of %s: %v", e.Name, err)
	}
	return strings.TrimSpace(string(out))
}

// restartLater starts engine e again when the test ends, and waits until
// every manager is reachable again, so the next test finds the rig whole.
func restartLater(t *testing.T, ms []testrig.Engine, e testrig.Engine) {
	t.Cleanup(func() {
		if e.PID(t) == 0 {
			e.Start(t)
		}
		waitManagersReachable(t, ms)
	})
}

func waitManagersReachable(t *testing.T, ms []testrig.Engine) {
	t.Helper()
	api, err := client.New(client.WithHost(ms[0].Host))
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	deadline := time.Now().Add(90 * time.Second)
	for {
		nodes, err := api.NodeList(context.Background(), client.NodeListOptions{})
		reachable := 0
		if err == nil {
			for _, n := range nodes.Items {
				if n.ManagerStatus != nil && n.ManagerStatus.Reachability == swarm.ReachabilityReachable && n.Status.State == swarm.NodeStateReady {
					reachable++
				}
			}
		}
		if reachable == len(ms) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d managers reachable again after 90s (%v)", reachable, len(ms), err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
