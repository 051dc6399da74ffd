package swarm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/model"
)

// filteringAPI answers list calls with the engine's filter semantics (as
// checked on dockerd: a name or id filter is a case-insensitive prefix, a
// label filter exact, tasks by service ID) and records what each call
// returned, so a test can tell a whole list from a filtered one.
type filteringAPI struct {
	*fakeAPI
	mu       sync.Mutex
	unfilter []string // methods called without a filter
	objects  int      // objects returned by list calls
}

func (f *filteringAPI) note(method string, filters client.Filters, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(filters) == 0 {
		f.unfilter = append(f.unfilter, method)
	}
	f.objects += n
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// matches applies the name, id and label filters to one object.
func matches(filters client.Filters, name, id string, labels map[string]string) bool {
	for term, values := range filters {
		ok := false
		for v := range values {
			switch term {
			case "name":
				ok = ok || hasPrefixFold(name, v)
			case "id":
				ok = ok || strings.HasPrefix(id, v)
			case "label":
				k, val, _ := strings.Cut(v, "=")
				ok = ok || labels[k] == val
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (f *filteringAPI) SecretList(_ context.Context, o client.SecretListOptions) (client.SecretListResult, error) {
	var out []swarm.Secret
	for _, s := range f.secrets {
		if matches(o.Filters, s.Spec.Name, s.ID, s.Spec.Labels) {
			out = append(out, s)
		}
	}
	f.note("SecretList", o.Filters, len(out))
	return client.SecretListResult{Items: out}, f.listErr["SecretList"]
}

func (f *filteringAPI) ServiceList(_ context.Context, o client.ServiceListOptions) (client.ServiceListResult, error) {
	var out []swarm.Service
	for _, s := range f.services {
		if matches(o.Filters, s.Spec.Name, s.ID, s.Spec.Labels) {
			out = append(out, s)
		}
	}
	f.note("ServiceList", o.Filters, len(out))
	return client.ServiceListResult{Items: out}, f.listErr["ServiceList"]
}

func (f *filteringAPI) TaskList(_ context.Context, o client.TaskListOptions) (client.TaskListResult, error) {
	var out []swarm.Task
	for _, t := range f.tasks {
		if len(o.Filters["service"]) == 0 || o.Filters["service"][t.ServiceID] {
			out = append(out, t)
		}
	}
	f.note("TaskList", o.Filters, len(out))
	return client.TaskListResult{Items: out}, f.listErr["TaskList"]
}

func (f *filteringAPI) NodeList(ctx context.Context, o client.NodeListOptions) (client.NodeListResult, error) {
	res, err := f.fakeAPI.NodeList(ctx, o)
	f.note("NodeList", o.Filters, len(res.Items))
	return res, err
}

// inspectFake is a swarm where names are tricky for filters: versions of
// one logical secret under labels and under names, a labelled version whose
// name shares no prefix with its logical secret, a decoy differing only in
// case, a name that extends another, services naming versions in Spec and
// PreviousSpec, and bystanders with tasks of their own.
func inspectFake() *filteringAPI {
	f := &fakeAPI{info: managerInfo(), nodes: []swarm.Node{
		{ID: "nodemanager", Description: swarm.NodeDescription{Hostname: "m1"}, Spec: swarm.NodeSpec{Role: swarm.NodeRoleManager}},
		{ID: "nodeworker", Description: swarm.NodeDescription{Hostname: "w1"}, Spec: swarm.NodeSpec{Role: swarm.NodeRoleWorker}},
	}}
	id := func(kind string, i int) string { return fmt.Sprintf("%s%024d", kind, i) } // 25 characters, like the engine's
	labelled := func(l string, n int) map[string]string {
		return map[string]string{model.LabelLogical: l, model.LabelVersion: fmt.Sprint(n)}
	}
	secrets := []struct {
		name   string
		labels map[string]string
	}{
		{"pay", nil}, {"pay_v1", labelled("pay", 1)}, {"pay_v2", labelled("pay", 2)},
		{"rotated_by_hand_9f3e", labelled("pay", 3)}, {"PAY_V7", nil}, {"pay_other", nil},
		{"payment_key_v1", nil}, {"legacy", nil}, {"legacy_v2", nil}, {"unused", nil},
	}
	for i, s := range secrets {
		f.secrets = append(f.secrets, swarm.Secret{ID: id("s", i), Meta: meta(uint64(i)),
			Spec: swarm.SecretSpec{Annotations: swarm.Annotations{Name: s.name, Labels: s.labels}}})
	}
	ref := func(names ...string) []*swarm.SecretReference {
		var out []*swarm.SecretReference
		for _, n := range names {
			for _, s := range f.secrets {
				if s.Spec.Name == n {
					out = append(out, &swarm.SecretReference{SecretID: s.ID, SecretName: n,
						File: &swarm.SecretReferenceFileTarget{Name: "t_" + n, UID: "0", GID: "0", Mode: 0o400}})
				}
			}
		}
		return out
	}
	services := []struct {
		name       string
		spec, prev []string
	}{
		{"billing", []string{"pay_v1"}, nil},
		{"checkout", []string{"pay_v2", "legacy"}, []string{"pay_v1"}},
		{"rollback_only", []string{"payment_key_v1"}, []string{"rotated_by_hand_9f3e"}},
		{"cache", []string{"legacy_v2"}, nil},
		{"cache2", nil, nil},
		{"bystander", []string{"pay_other", "PAY_V7"}, nil},
	}
	for i, s := range services {
		svc := swarm.Service{ID: id("v", i), Meta: meta(uint64(100 + i)), Spec: swarm.ServiceSpec{
			Annotations:  swarm.Annotations{Name: s.name, Labels: map[string]string{"com.docker.stack.namespace": "shop"}},
			TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: "app:1", Secrets: ref(s.spec...), Env: []string{"A=1"}}}}}
		if s.prev != nil {
			prev := svc.Spec
			prev.TaskTemplate.ContainerSpec = &swarm.ContainerSpec{Image: "app:1", Secrets: ref(s.prev...)}
			svc.PreviousSpec = &prev
		}
		f.services = append(f.services, svc)
		for j := range 3 {
			node := []string{"nodemanager", "nodeworker"}[j%2]
			f.tasks = append(f.tasks, swarm.Task{ID: fmt.Sprintf("t%d_%d", i, j), ServiceID: svc.ID, NodeID: node, Slot: j + 1,
				Meta: swarm.Meta{CreatedAt: t0.Add(time.Duration(i*10+j) * time.Second)}, DesiredState: swarm.TaskStateRunning,
				Status: swarm.TaskStatus{State: swarm.TaskStateRunning},
				Spec:   swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Secrets: ref(append(s.spec, s.prev...)[j%max(1, len(s.spec)+len(s.prev)):]...)}}})
		}
	}
	return &filteringAPI{fakeAPI: f}
}

// asJSON is what `inspect --json` prints of a detail, or its error.
func asJSON(v any, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return "marshal: " + err.Error()
	}
	return string(b)
}

// What inspect prints from the filtered loads is what it printed from the
// whole swarm, for every name it may be asked: each secret's name and ID,
// a logical secret's name, a name that does not exist.
func TestInspectReadsOnlyWhatItNeedsAndSaysTheSame(t *testing.T) {
	ctx := context.Background()
	api := inspectFake()
	whole, err := LoadSnapshot(ctx, api)
	if err != nil {
		t.Fatal(err)
	}
	all := api.objects
	var asks []string
	for _, s := range api.secrets {
		asks = append(asks, s.Spec.Name, s.ID)
	}
	asks = append(asks, "pay", "legacy", "payment_key", "pa", "nope", "pay_v9")
	for _, name := range asks {
		api := inspectFake()
		calls := counting(api)
		part, err := LoadForSecret(ctx, calls, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, found := whole.SecretAsked(name); found && calls.calls["Info"] != 0 {
			t.Errorf("inspect secret %s asked the engine's Info (%s): the list calls say whether it is a manager", name, calls)
		}
		want := asJSON(whole.InspectSecret(name, nil, model.FingerprintKey{}))
		if got := asJSON(part.InspectSecret(name, nil, model.FingerprintKey{})); got != want {
			t.Errorf("inspect secret %s from the filtered load:\n%s\nfrom the whole swarm:\n%s", name, got, want)
		}
		if _, found := whole.SecretAsked(name); found && (len(api.unfilter) > 2 || api.objects >= all) {
			// Services and nodes are listed whole; secrets and tasks never.
			t.Errorf("inspect secret %s read %d objects of %d, unfiltered: %v", name, api.objects, all, api.unfilter)
		}
	}
	for _, s := range api.services {
		for _, name := range []string{s.Spec.Name, s.ID, "nope", "cache"} {
			api := inspectFake()
			part, err := LoadForService(ctx, api, name)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			want := asJSON(whole.InspectService(name, nil))
			if got := asJSON(part.InspectService(name, nil)); got != want {
				t.Errorf("inspect service %s from the filtered load:\n%s\nfrom the whole swarm:\n%s", name, got, want)
			}
			if _, found := whole.ServiceAsked(name); found && len(api.unfilter) > 0 {
				t.Errorf("inspect service %s listed whole: %v", name, api.unfilter)
			}
		}
	}
}

// A secret that the filters miss is looked up in the whole swarm, whose
// names the error lists; an engine that is no manager says so.
func TestInspectLoadsFailAsSnapshotDoes(t *testing.T) {
	ctx := context.Background()
	api := inspectFake()
	_, err := LoadForSecret(ctx, api, "pya")
	if len(api.unfilter) == 0 {
		t.Errorf("a name that matches nothing should read the whole swarm for its error, read only filtered lists")
	}
	if err != nil {
		t.Fatal(err)
	}
	// The engine refuses a worker's or a stray engine's list calls; Info
	// says which it is, as before a whole snapshot.
	refused := errors.New("Error response from daemon: This node is not a swarm manager.")
	for _, c := range []struct {
		state  swarm.LocalNodeState
		manage bool
		want   error
	}{
		{swarm.LocalNodeStateActive, false, ErrNotManager},
		{swarm.LocalNodeStateInactive, false, ErrSwarmInactive},
		{swarm.LocalNodeStateLocked, false, ErrSwarmInactive},
	} {
		for _, load := range []func(context.Context, SnapshotAPI, string) (*model.SwarmSnapshot, error){LoadForSecret, LoadForService} {
			api := inspectFake()
			api.info.LocalNodeState, api.info.ControlAvailable = c.state, c.manage
			api.listErr = map[string]error{"SecretList": refused, "ServiceList": refused, "NodeList": refused, "TaskList": refused}
			_, got := load(ctx, api, "pay")
			_, want := LoadSnapshot(ctx, api)
			var nodeErr *NodeError
			if !errors.Is(got, c.want) || !errors.As(got, &nodeErr) || got.Error() != want.Error() {
				t.Errorf("%s engine: %v, want %v", c.state, got, want)
			}
		}
	}
	// A list error on a manager is the list's.
	api = inspectFake()
	api.listErr = map[string]error{"ServiceList": errors.New("boom")}
	if _, err := LoadForSecret(ctx, api, "pay"); err == nil || !strings.Contains(err.Error(), "list services: boom") {
		t.Errorf("a failed list on a manager: %v", err)
	}
}

// tasksOf reads the tasks of the services asked for and only theirs: by a
// filter for a few, from the whole list for many, and from the whole list
// again when the engine refuses the filter (a service removed meanwhile).
func TestTasksOfReadsOnlyTheServicesAsked(t *testing.T) {
	ctx := context.Background()
	api := &filteringAPI{fakeAPI: largeFake(100, 80, 160)}
	for _, n := range []int{1, tasksByServiceLimit, tasksByServiceLimit + 1, 80} {
		var ids []string
		for _, s := range api.services[:n] {
			ids = append(ids, s.ID)
		}
		api.unfilter = nil
		tasks, err := tasksOf(ctx, api, ids)
		if err != nil {
			t.Fatal(err)
		}
		if len(tasks) != 2*n {
			t.Errorf("%d services: %d tasks, want %d", n, len(tasks), 2*n)
		}
		if whole := len(api.unfilter) > 0; whole != (n > tasksByServiceLimit) {
			t.Errorf("%d services: whole list read = %v", n, whole)
		}
	}
	refusing := &refusingFilters{filteringAPI: api}
	tasks, err := tasksOf(ctx, refusing, []string{api.services[0].ID})
	if err != nil || len(tasks) != 2 {
		t.Errorf("after a refused filter: %d tasks, %v", len(tasks), err)
	}
}

// refusingFilters fails a task list by service, as the engine does when
// one of the services is gone.
type refusingFilters struct{ *filteringAPI }

func (r *refusingFilters) TaskList(ctx context.Context, o client.TaskListOptions) (client.TaskListResult, error) {
	if len(o.Filters["service"]) > 0 {
		return client.TaskListResult{}, errors.New("Error response from daemon: service x not found")
	}
	return r.filteringAPI.TaskList(ctx, o)
}
