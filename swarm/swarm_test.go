package swarm

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/internal/seed"
	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

func connectRig(t *testing.T) *Client {
	t.Helper()
	c, err := Connect(context.Background(), ConnectOptions{Host: testrig.Docker(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestConnectNegotiatesAndIgnoresDockerAPIVersion(t *testing.T) {
	t.Setenv("DOCKER_API_VERSION", "1.40") // must not pin the client
	c := connectRig(t)
	ep := c.Endpoint()
	if ep.Host != testrig.Docker(t) || ep.Source != "--host" || ep.APIVersion != "1.41" {
		t.Fatalf("endpoint %+v: want the rig's host, from --host, negotiated to the engine's API 1.41", ep)
	}
}

func TestConnectUnreachableNamesTheEndpoint(t *testing.T) {
	_, err := Connect(context.Background(), ConnectOptions{Host: "unix:///nonexistent/secretdeck.sock"})
	var ce *ConnectError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "unix:///nonexistent/secretdeck.sock") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("got %v", err)
	}
}

func TestSnapshotRefusesWorkerAndNoSwarm(t *testing.T) {
	for _, c := range []struct {
		host     string
		sentinel error
		want     string
	}{
		{testrig.WorkerDocker(t), ErrNotManager, "is a swarm worker, not a manager"},
		{testrig.NoSwarmDocker(t), ErrSwarmInactive, "is not part of a swarm: run `docker swarm init`"},
	} {
		cl, err := Connect(context.Background(), ConnectOptions{Host: c.host})
		if err != nil {
			t.Fatal(err)
		}
		_, err = cl.Snapshot(context.Background())
		_ = cl.Close()
		if !errors.Is(err, c.sentinel) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.host) {
			t.Errorf("%s: got %v", c.host, err)
		}
	}
}

// TestContexts resolves a docker context made by the real docker CLI.
func TestContexts(t *testing.T) {
	host := testrig.Docker(t)
	dir := t.TempDir()
	for _, args := range [][]string{
		{"context", "create", "rig", "--docker", "host=" + host},
		{"context", "create", "elsewhere", "--docker", "host=unix:///nonexistent/other.sock"},
		{"context", "use", "rig"},
	} {
		if out, err := exec.Command("docker", append([]string{"--config", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("docker %v: %v\n%s", args, err, out)
		}
	}
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	cases := []struct {
		name         string
		opts         ConnectOptions
		host, source string
		context      string
	}{
		{"currentContext of config.json", ConnectOptions{Getenv: env("DOCKER_CONFIG", dir)}, host, "config", "rig"},
		{"DOCKER_CONTEXT wins over config", ConnectOptions{Getenv: env("DOCKER_CONFIG", dir, "DOCKER_CONTEXT", "elsewhere")}, "unix:///nonexistent/other.sock", "DOCKER_CONTEXT", "elsewhere"},
		{"DOCKER_HOST wins over DOCKER_CONTEXT", ConnectOptions{Getenv: env("DOCKER_CONFIG", dir, "DOCKER_CONTEXT", "elsewhere", "DOCKER_HOST", host)}, host, "DOCKER_HOST", "default"},
		{"--context wins over DOCKER_HOST", ConnectOptions{Context: "rig", Getenv: env("DOCKER_CONFIG", dir, "DOCKER_HOST", "unix:///x.sock")}, host, "--context", "rig"},
		{"--host wins over all", ConnectOptions{Host: host, Getenv: env("DOCKER_CONFIG", dir, "DOCKER_CONTEXT", "elsewhere")}, host, "--host", "default"},
		{"nothing: the default socket", ConnectOptions{Getenv: env("DOCKER_CONFIG", t.TempDir())}, DefaultHost, "default", "default"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ep, _, err := resolve(c.opts, c.opts.Getenv)
			if err != nil || ep.Host != c.host || ep.Source != c.source || ep.Context != c.context {
				t.Fatalf("got %+v, %v", ep, err)
			}
		})
	}
	// And the context really connects.
	cl, err := Connect(context.Background(), ConnectOptions{Context: "rig", Getenv: env("DOCKER_CONFIG", dir)})
	if err != nil {
		t.Fatal(err)
	}
	_ = cl.Close()
	if _, _, err := resolve(ConnectOptions{Context: "nope", Getenv: env("DOCKER_CONFIG", dir)}, env("DOCKER_CONFIG", dir)); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown context: %v", err)
	}
	if _, _, err := resolve(ConnectOptions{Host: host, Context: "rig"}, env()); err == nil {
		t.Error("--host with --context must be refused")
	}
}

// countingAPI counts the calls a snapshot makes.
type countingAPI struct {
	SnapshotAPI
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingAPI) count(m string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[m]++
}

func (c *countingAPI) Info(ctx context.Context, o client.InfoOptions) (client.SystemInfoResult, error) {
	c.count("Info")
	return c.SnapshotAPI.Info(ctx, o)
}

func (c *countingAPI) NodeList(ctx context.Context, o client.NodeListOptions) (client.NodeListResult, error) {
	c.count("NodeList")
	return c.SnapshotAPI.NodeList(ctx, o)
}

func (c *countingAPI) SecretList(ctx context.Context, o client.SecretListOptions) (client.SecretListResult, error) {
	c.count("SecretList")
	return c.SnapshotAPI.SecretList(ctx, o)
}

func (c *countingAPI) ConfigList(ctx context.Context, o client.ConfigListOptions) (client.ConfigListResult, error) {
	c.count("ConfigList")
	return c.SnapshotAPI.ConfigList(ctx, o)
}

func (c *countingAPI) ServiceList(ctx context.Context, o client.ServiceListOptions) (client.ServiceListResult, error) {
	c.count("ServiceList")
	return c.SnapshotAPI.ServiceList(ctx, o)
}

func (c *countingAPI) TaskList(ctx context.Context, o client.TaskListOptions) (client.TaskListResult, error) {
	c.count("TaskList")
	return c.SnapshotAPI.TaskList(ctx, o)
}

var oneCallEach = "map[ConfigList:1 Info:1 NodeList:1 SecretList:1 ServiceList:1 TaskList:1]"

// TestSnapshotOfALargeSwarm seeds 1,000 secrets and 200 services on the real
// engine: the snapshot has them all with their references, for the same six
// calls as ever.
func TestSnapshotOfALargeSwarm(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 1,000 secrets and 200 services")
	}
	c := connectRig(t)
	ctx := context.Background()
	o := seed.Options{Prefix: testrig.UniqueName("big") + "_", Secrets: 1000, Services: 200, Running: 2, Image: testrig.Image(t)}
	t.Cleanup(func() {
		if err := seed.Cleanup(context.Background(), c.API(), o.Prefix); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	start := time.Now()
	if err := seed.Seed(ctx, c.API(), o); err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d secrets and %d services in %s", o.Secrets, o.Services, time.Since(start).Round(time.Millisecond))

	api := &countingAPI{SnapshotAPI: c.API(), calls: map[string]int{}}
	snap, err := LoadSnapshot(ctx, api, c.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	if got := fmtCalls(api.calls); got != oneCallEach {
		t.Errorf("calls: %s, want %s", got, oneCallEach)
	}
	secrets := map[string]string{}
	for _, s := range snap.Secrets {
		if strings.HasPrefix(s.Name, o.Prefix) {
			secrets[s.ID] = s.Name
		}
	}
	if len(secrets) != o.Secrets {
		t.Fatalf("%d seeded secrets in the snapshot, want %d", len(secrets), o.Secrets)
	}
	n := 0
	for _, svc := range snap.Services {
		if !strings.HasPrefix(svc.Name, o.Prefix) {
			continue
		}
		i, err := strconv.Atoi(strings.TrimPrefix(svc.Name, o.Prefix+"service_"))
		if err != nil {
			t.Fatalf("service %s: %v", svc.Name, err)
		}
		n++
		for j, ref := range svc.Spec.Secrets {
			s, target, uid, gid, mode := seed.Mount(o, i, j)
			if ref.Name != seed.SecretName(o.Prefix, s) || secrets[ref.ID] != ref.Name || ref.Target != target ||
				ref.UID != uid || ref.GID != gid || ref.Mode != uint32(mode) {
				t.Fatalf("service %s ref %d = %+v, want %s at %s %s:%s %o", svc.Name, j, ref, seed.SecretName(o.Prefix, s), target, uid, gid, mode)
			}
		}
	}
	if n != o.Services {
		t.Fatalf("%d seeded services in the snapshot, want %d", n, o.Services)
	}

	// The same calls on a small swarm: the count does not grow with size.
	small := &countingAPI{SnapshotAPI: c.API(), calls: map[string]int{}}
	if err := seed.Cleanup(ctx, c.API(), o.Prefix); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSnapshot(ctx, small, c.Endpoint()); err != nil {
		t.Fatal(err)
	}
	if got := fmtCalls(small.calls); got != oneCallEach {
		t.Errorf("calls on a small swarm: %s", got)
	}
}

// TestSnapshotOfARotatedService checks every field secretdeck reasons about,
// on a real service that was updated once.
func TestSnapshotOfARotatedService(t *testing.T) {
	c := connectRig(t)
	ctx := context.Background()
	api := c.API()
	p := testrig.UniqueName("snap") + "_"
	mk := func(name, value string) string {
		res, err := api.SecretCreate(ctx, client.SecretCreateOptions{Spec: swarm.SecretSpec{
			Annotations: swarm.Annotations{Name: p + name, Labels: map[string]string{seed.Label: p}}, Data: []byte(value)}})
		if err != nil {
			t.Fatal(err)
		}
		return res.ID
	}
	db1, db2, tls := mk("db_v1", "one"), mk("db_v2", "two"), mk("tls", "cert")
	cfg, err := api.ConfigCreate(ctx, client.ConfigCreateOptions{Spec: swarm.ConfigSpec{
		Annotations: swarm.Annotations{Name: p + "conf"}, Data: []byte("listen 80\n")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = seed.Cleanup(context.Background(), api, p)
		_, _ = api.ConfigRemove(context.Background(), cfg.ID, client.ConfigRemoveOptions{})
	})
	one := uint64(1)
	spec := swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: p + "api", Labels: map[string]string{seed.Label: p, model.StackNamespaceLabel: "shop"}},
		TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{
			Image: testrig.Image(t), Env: []string{"DB_PASSWORD=literal=with=equals", "EMPTY="},
			Secrets: []*swarm.SecretReference{
				{SecretID: db1, SecretName: p + "db_v1", File: &swarm.SecretReferenceFileTarget{Name: "db", UID: "1000", GID: "1001", Mode: 0o400}},
				{SecretID: tls, SecretName: p + "tls", File: &swarm.SecretReferenceFileTarget{Name: "tls.pem", UID: "0", GID: "0", Mode: 0o444}},
			},
			Configs: []*swarm.ConfigReference{{ConfigID: cfg.ID, ConfigName: p + "conf", File: &swarm.ConfigReferenceFileTarget{Name: "/etc/app.conf", UID: "0", GID: "0", Mode: 0o444}}},
		}},
		Mode:         swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &one}},
		UpdateConfig: &swarm.UpdateConfig{Parallelism: 1, Monitor: time.Second, FailureAction: swarm.UpdateFailureActionRollback, Order: swarm.UpdateOrderStopFirst},
	}
	created, err := api.ServiceCreate(ctx, client.ServiceCreateOptions{Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	// Swap db_v1 for db_v2 keeping target/uid/gid/mode, as a rotation does.
	insp, err := api.ServiceInspect(ctx, created.ID, client.ServiceInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spec = insp.Service.Spec
	spec.TaskTemplate.ContainerSpec.Secrets[0] = &swarm.SecretReference{SecretID: db2, SecretName: p + "db_v2",
		File: &swarm.SecretReferenceFileTarget{Name: "db", UID: "1000", GID: "1001", Mode: 0o400}}
	if _, err := api.ServiceUpdate(ctx, created.ID, client.ServiceUpdateOptions{Version: insp.Service.Version, Spec: spec}); err != nil {
		t.Fatal(err)
	}

	var svc model.Service
	var snap *model.SwarmSnapshot
	deadline := time.Now().Add(60 * time.Second)
	for {
		snap, err = c.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range snap.Services {
			if s.ID == created.ID {
				svc = s
			}
		}
		running, _ := snap.TaskCounts()
		if svc.UpdateStatus != nil && svc.UpdateStatus.State == "completed" && running[svc.ID] == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rollout did not complete: %+v", svc.UpdateStatus)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if snap.ClusterID == "" || snap.NodeID == "" || snap.NodeRole != "manager" || len(snap.Nodes) < 1 {
		t.Errorf("swarm identity: %q %q %q %d nodes", snap.ClusterID, snap.NodeID, snap.NodeRole, len(snap.Nodes))
	}
	want := []model.FileRef{
		{ID: db2, Name: p + "db_v2", Target: "db", UID: "1000", GID: "1001", Mode: 0o400},
		{ID: tls, Name: p + "tls", Target: "tls.pem", UID: "0", GID: "0", Mode: 0o444},
	}
	if !equalRefs(svc.Spec.Secrets, want) {
		t.Errorf("spec secrets %+v", svc.Spec.Secrets)
	}
	if svc.Previous == nil || svc.Previous.Secrets[0].ID != db1 || svc.Previous.Secrets[0].Mode != 0o400 {
		t.Errorf("previous spec %+v", svc.Previous)
	}
	if svc.Stack != "shop" || svc.Mode != "replicated" || *svc.Replicas != 1 || svc.Version == 0 ||
		svc.UpdateConfig.FailureAction != "rollback" || svc.UpdateConfig.Order != "stop-first" {
		t.Errorf("service fields %+v", svc)
	}
	if len(svc.Spec.Env) != 2 || svc.Spec.Env[0].Name != "DB_PASSWORD" || svc.Spec.Env[0].Value.Reveal() != "literal=with=equals" {
		t.Errorf("env %+v", svc.Spec.Env)
	}
	if len(svc.Spec.Configs) != 1 || svc.Spec.Configs[0].Target != "/etc/app.conf" {
		t.Errorf("configs %+v", svc.Spec.Configs)
	}
	for _, c := range snap.Configs {
		if c.ID == cfg.ID && string(c.Data) != "listen 80\n" {
			t.Errorf("config data %q", c.Data)
		}
	}
	var runningWithDB2 bool
	for _, task := range snap.Tasks {
		if task.ServiceID == svc.ID && task.State == "running" {
			runningWithDB2 = strings.Join(task.SecretIDs, ",") == db2+","+tls
		}
	}
	if !runningWithDB2 {
		t.Errorf("the running task should mount db_v2 and tls")
	}
	// Docker never returns secret data: nothing to redact in the snapshot.
	for _, s := range snap.Secrets {
		if s.Labels[seed.Label] == p && s.Driver != "" {
			t.Errorf("unexpected driver %q", s.Driver)
		}
	}
}

func equalRefs(a, b []model.FileRef) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestClassify(t *testing.T) {
	for msg, want := range map[string]error{
		"Error response from daemon: rpc error: code = Unknown desc = update out of sequence":                                     ErrOutOfSequence,
		"Error response from daemon: rpc error: code = InvalidArgument desc = secret 'x' is in use by the following service: api": ErrInUse,
		"Error response from daemon: rpc error: code = InvalidArgument desc = conflicting target":                                 ErrConflictingTarget,
		"Error response from daemon: This node is not a swarm manager.":                                                           ErrNotManager,
	} {
		if err := classify(errors.New(msg)); !errors.Is(err, want) {
			t.Errorf("classify(%q) = %v, want %v", msg, err, want)
		}
	}
	if err := classify(os.ErrClosed); !errors.Is(err, os.ErrClosed) {
		t.Error("other errors pass through")
	}
}
