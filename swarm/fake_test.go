package swarm

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
)

// fakeAPI is an in-memory SnapshotAPI for unit tests of conversion, error
// mapping and call counts; the real engine is tested in *_rig_test.go.
type fakeAPI struct {
	info     swarm.Info
	infoErr  error
	nodes    []swarm.Node
	secrets  []swarm.Secret
	configs  []swarm.Config
	services []swarm.Service
	tasks    []swarm.Task
	listErr  map[string]error // by method name
}

func managerInfo() swarm.Info {
	return swarm.Info{NodeID: "node-1", LocalNodeState: swarm.LocalNodeStateActive, ControlAvailable: true,
		Cluster: &swarm.ClusterInfo{ID: "cluster-1"}}
}

func (f *fakeAPI) Info(context.Context, client.InfoOptions) (client.SystemInfoResult, error) {
	return client.SystemInfoResult{Info: system.Info{Swarm: f.info}}, f.infoErr
}

func (f *fakeAPI) NodeList(context.Context, client.NodeListOptions) (client.NodeListResult, error) {
	return client.NodeListResult{Items: f.nodes}, f.listErr["NodeList"]
}

func (f *fakeAPI) SecretList(context.Context, client.SecretListOptions) (client.SecretListResult, error) {
	return client.SecretListResult{Items: f.secrets}, f.listErr["SecretList"]
}

func (f *fakeAPI) ConfigList(context.Context, client.ConfigListOptions) (client.ConfigListResult, error) {
	return client.ConfigListResult{Items: f.configs}, f.listErr["ConfigList"]
}

func (f *fakeAPI) ServiceList(context.Context, client.ServiceListOptions) (client.ServiceListResult, error) {
	return client.ServiceListResult{Items: f.services}, f.listErr["ServiceList"]
}

func (f *fakeAPI) TaskList(context.Context, client.TaskListOptions) (client.TaskListResult, error) {
	return client.TaskListResult{Items: f.tasks}, f.listErr["TaskList"]
}

// largeFake is a swarm of the given size: every service mounts five
// secrets, tasks spread over the services.
func largeFake(secrets, services, tasks int) *fakeAPI {
	f := &fakeAPI{info: managerInfo()}
	for i := range 5 {
		f.nodes = append(f.nodes, swarm.Node{ID: fmt.Sprintf("n%d", i), Description: swarm.NodeDescription{Hostname: fmt.Sprintf("host%d", i)}})
	}
	for i := range secrets {
		f.secrets = append(f.secrets, swarm.Secret{ID: fmt.Sprintf("s%05d", i), Meta: meta(uint64(i)),
			Spec: swarm.SecretSpec{Annotations: swarm.Annotations{Name: fmt.Sprintf("secret_%05d", (i*7919)%secrets)}}})
	}
	one := uint64(1)
	for i := range services {
		var refs []*swarm.SecretReference
		for j := range 5 {
			s := (i*5 + j) % secrets
			refs = append(refs, &swarm.SecretReference{SecretID: fmt.Sprintf("s%05d", s), SecretName: fmt.Sprintf("secret_%05d", s),
				File: &swarm.SecretReferenceFileTarget{Name: fmt.Sprintf("key_%d", j), UID: "0", GID: "0", Mode: 0o400}})
		}
		spec := swarm.ServiceSpec{Annotations: swarm.Annotations{Name: fmt.Sprintf("svc_%05d", (i*7907)%services)},
			TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: "app:1", Secrets: refs, Env: []string{"A=1", "B=2"}}},
			Mode:         swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &one}}}
		prev := spec
		f.services = append(f.services, swarm.Service{ID: fmt.Sprintf("v%05d", i), Meta: meta(9), Spec: spec, PreviousSpec: &prev})
	}
	for i := range tasks {
		sv := f.services[i%services]
		f.tasks = append(f.tasks, swarm.Task{ID: fmt.Sprintf("t%05d", i), ServiceID: sv.ID, Slot: tasks - i,
			Meta: swarm.Meta{CreatedAt: t0.Add(time.Duration(i) * time.Second)},
			Spec: swarm.TaskSpec{ContainerSpec: sv.Spec.TaskTemplate.ContainerSpec}})
	}
	return f
}

// countingAPI counts the calls a snapshot makes, around any SnapshotAPI.
type countingAPI struct {
	SnapshotAPI
	mu    sync.Mutex
	calls map[string]int
}

func counting(api SnapshotAPI) *countingAPI {
	return &countingAPI{SnapshotAPI: api, calls: map[string]int{}}
}

func (c *countingAPI) count(m string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[m]++
}

// String lists the counts in a stable order, for comparisons and messages.
func (c *countingAPI) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(c.calls)) {
		parts = append(parts, fmt.Sprintf("%s:%d", k, c.calls[k]))
	}
	return strings.Join(parts, " ")
}

const oneCallEach = "ConfigList:1 Info:1 NodeList:1 SecretList:1 ServiceList:1 TaskList:1"

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
