package swarm

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/swarm"

	"github.com/secretdeck/secretdeck/model"

	"github.com/secretdeck/secretdeck/internal/leak"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func meta(index uint64) swarm.Meta {
	return swarm.Meta{Version: swarm.Version{Index: index}, CreatedAt: t0, UpdatedAt: t0.Add(time.Hour)}
}

func TestConvertNode(t *testing.T) {
	for _, c := range []struct {
		in   swarm.Node
		want model.Node
	}{
		{swarm.Node{ID: "n1", Description: swarm.NodeDescription{Hostname: "m1", Engine: swarm.EngineDescription{EngineVersion: "29.1.0"}},
			Spec:          swarm.NodeSpec{Role: swarm.NodeRoleManager, Availability: swarm.NodeAvailabilityActive},
			Status:        swarm.NodeStatus{State: swarm.NodeStateReady, Addr: "10.0.0.1"},
			ManagerStatus: &swarm.ManagerStatus{Leader: true}},
			model.Node{ID: "n1", Hostname: "m1", Role: "manager", Leader: true, Availability: "active", State: "ready", Addr: "10.0.0.1", EngineVersion: "29.1.0"}},
		{swarm.Node{ID: "n2", Description: swarm.NodeDescription{Hostname: "w1"},
			Spec:   swarm.NodeSpec{Role: swarm.NodeRoleWorker, Availability: swarm.NodeAvailabilityDrain},
			Status: swarm.NodeStatus{State: swarm.NodeStateDown}},
			model.Node{ID: "n2", Hostname: "w1", Role: "worker", Availability: "drain", State: "down"}},
	} {
		if got := convertNode(&c.in); got != c.want {
			t.Errorf("got %+v, want %+v", got, c.want)
		}
	}
}

func TestConvertSecretAndConfig(t *testing.T) {
	labels := map[string]string{model.LabelLogical: "api_db"}
	s := swarm.Secret{ID: "s1", Meta: meta(7), Spec: swarm.SecretSpec{
		Annotations: swarm.Annotations{Name: "api_db_v2", Labels: labels}, Driver: &swarm.Driver{Name: "vault"}}}
	want := model.Secret{ID: "s1", Name: "api_db_v2", Labels: labels, Version: 7, CreatedAt: t0, UpdatedAt: t0.Add(time.Hour), Driver: "vault"}
	if got := convertSecret(&s); !reflect.DeepEqual(got, want) {
		t.Errorf("secret: got %+v", got)
	}
	c := swarm.Config{ID: "c1", Meta: meta(3), Spec: swarm.ConfigSpec{Annotations: swarm.Annotations{Name: "nginx.conf"}, Data: []byte("listen 80;\n")}}
	got := convertConfig(&c)
	if got.Name != "nginx.conf" || string(got.Data) != "listen 80;\n" || got.Size != 11 || got.Version != 3 {
		t.Errorf("config: got %+v", got)
	}
}

func TestConvertMode(t *testing.T) {
	three := uint64(3)
	for _, c := range []struct {
		in       swarm.ServiceMode
		mode     string
		replicas *uint64
	}{
		{swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &three}}, "replicated", &three},
		{swarm.ServiceMode{Global: &swarm.GlobalService{}}, "global", nil},
		{swarm.ServiceMode{ReplicatedJob: &swarm.ReplicatedJob{}}, "replicated-job", nil},
		{swarm.ServiceMode{GlobalJob: &swarm.GlobalJob{}}, "global-job", nil},
		{swarm.ServiceMode{}, "", nil},
	} {
		if mode, replicas := convertMode(c.in); mode != c.mode || replicas != c.replicas {
			t.Errorf("got %s %v, want %s %v", mode, replicas, c.mode, c.replicas)
		}
	}
}

func TestConvertEnvSplitsOnTheFirstEquals(t *testing.T) {
	got := convertEnv([]string{"DB_PASSWORD=a=b=c", "EMPTY=", "BARE"})
	want := [][2]string{{"DB_PASSWORD", "a=b=c"}, {"EMPTY", ""}, {"BARE", ""}}
	if len(got) != len(want) {
		t.Fatalf("got %d vars", len(got))
	}
	for i, w := range want {
		if got[i].Name != w[0] || got[i].Value.Reveal() != w[1] {
			t.Errorf("var %d: %s=%d bytes, want %s", i, got[i].Name, got[i].Value.Len(), w[0])
		}
	}
	leak.Check(t, "the formatted env vars", fmt.Sprintf("%v %+v", got, got), "a=b=c")
	if convertEnv(nil) != nil {
		t.Error("no env is nil")
	}
}

func TestConvertService(t *testing.T) {
	one := uint64(1)
	started, done := t0.Add(time.Minute), t0.Add(2*time.Minute)
	spec := func(secret, name string, mode uint32) swarm.ServiceSpec {
		return swarm.ServiceSpec{
			Annotations: swarm.Annotations{Name: "shop_api", Labels: map[string]string{model.StackNamespaceLabel: "shop"}},
			TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{
				Image: "shop/api:1", Env: []string{"MODE=prod"},
				Secrets: []*swarm.SecretReference{
					{SecretID: secret, SecretName: name, File: &swarm.SecretReferenceFileTarget{Name: "db", UID: "1000", GID: "1001", Mode: 0o400 | 0o2000}},
					{SecretID: "cred", SecretName: "gmsa"}, // runtime target: no file
				},
				Configs: []*swarm.ConfigReference{{ConfigID: "c1", ConfigName: "conf", File: &swarm.ConfigReferenceFileTarget{Name: "/etc/app.conf", UID: "0", GID: "0", Mode: 0o444}}},
			}},
			Mode:         swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &one}},
			UpdateConfig: &swarm.UpdateConfig{Parallelism: 2, Delay: time.Second, FailureAction: "rollback", Monitor: 5 * time.Second, MaxFailureRatio: 0.5, Order: "start-first"},
		}
	}
	cur, prev := spec("s2", "db_v2", 0o400), spec("s1", "db_v1", 0o400)
	in := swarm.Service{ID: "svc", Meta: meta(42), Spec: cur, PreviousSpec: &prev,
		UpdateStatus: &swarm.UpdateStatus{State: swarm.UpdateStateCompleted, StartedAt: &started, CompletedAt: &done, Message: "update completed"}}
	got := convertService(&in)

	wantSecrets := []model.FileRef{{ID: "s2", Name: "db_v2", Target: "db", UID: "1000", GID: "1001", Mode: 0o400}, {ID: "cred", Name: "gmsa"}}
	if !reflect.DeepEqual(got.Spec.Secrets, wantSecrets) {
		t.Errorf("secrets %+v", got.Spec.Secrets)
	}
	if got.Previous == nil || got.Previous.Secrets[0].ID != "s1" || got.Previous.Secrets[0].Target != "db" {
		t.Errorf("previous %+v", got.Previous)
	}
	if want := (model.FileRef{ID: "c1", Name: "conf", Target: "/etc/app.conf", UID: "0", GID: "0", Mode: 0o444}); got.Spec.Configs[0] != want {
		t.Errorf("configs %+v", got.Spec.Configs)
	}
	if got.ID != "svc" || got.Name != "shop_api" || got.Version != 42 || got.Stack != "shop" || got.Mode != "replicated" ||
		*got.Replicas != 1 || got.Spec.Image != "shop/api:1" || got.CreatedAt != t0 {
		t.Errorf("service %+v", got)
	}
	if want := (model.UpdateConfig{Parallelism: 2, Delay: time.Second, FailureAction: "rollback", Monitor: 5 * time.Second, MaxFailureRatio: 0.5, Order: "start-first"}); *got.UpdateConfig != want {
		t.Errorf("update config %+v", got.UpdateConfig)
	}
	if want := (model.UpdateStatus{State: "completed", StartedAt: started, CompletedAt: done, Message: "update completed"}); *got.UpdateStatus != want {
		t.Errorf("update status %+v", got.UpdateStatus)
	}
	if j, _ := json.Marshal(got); strings.Contains(string(j), "MODE=prod") || strings.Contains(string(j), `"prod"`) {
		t.Errorf("env value in JSON: %s", j)
	}
}

func TestConvertServiceWithoutContainerSpec(t *testing.T) {
	got := convertService(&swarm.Service{ID: "p", Spec: swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "plugin"}}})
	if got.Spec.Secrets == nil || len(got.Spec.Secrets) != 0 || got.Previous != nil || got.UpdateConfig != nil || got.UpdateStatus != nil || got.Mode != "" {
		t.Errorf("got %+v", got)
	}
}

func TestConvertTask(t *testing.T) {
	in := swarm.Task{ID: "t1", Meta: meta(9), ServiceID: "svc", NodeID: "n1", Slot: 2,
		DesiredState: swarm.TaskStateRunning,
		Status:       swarm.TaskStatus{State: swarm.TaskStateRejected, Message: "preparing", Err: "secret not found"},
		Spec: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Secrets: []*swarm.SecretReference{
			{SecretID: "s2", SecretName: "db_v2"}, {SecretID: "s3", SecretName: "tls"}}}}}
	want := model.Task{ID: "t1", ServiceID: "svc", NodeID: "n1", Slot: 2, DesiredState: "running", State: "rejected",
		Message: "preparing", Err: "secret not found", CreatedAt: t0, UpdatedAt: t0.Add(time.Hour), SecretIDs: []string{"s2", "s3"}}
	if got := convertTask(&in); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
	if got := convertTask(&swarm.Task{ID: "t2"}); got.SecretIDs != nil {
		t.Errorf("no container spec: %+v", got)
	}
}

// What the swarm says and every face prints — node names, task errors, env
// var names, labels — reaches the model escaped: a name cannot drive the
// terminal that shows it.
func TestConvertEscapesWhatATerminalWouldObey(t *testing.T) {
	const evil = "x\x1b]0;PWNED\a"
	n := convertNode(&swarm.Node{Description: swarm.NodeDescription{Hostname: evil, Engine: swarm.EngineDescription{EngineVersion: evil}}})
	task := convertTask(&swarm.Task{Status: swarm.TaskStatus{Err: evil, Message: evil}})
	sec := convertSecret(&swarm.Secret{Spec: swarm.SecretSpec{Annotations: swarm.Annotations{Labels: map[string]string{evil: evil}}}})
	env := convertEnv([]string{evil + "=value\x1b"})
	for what, got := range map[string]string{"hostname": n.Hostname, "engine version": n.EngineVersion, "task error": task.Err, "task message": task.Message,
		"env name": env[0].Name, "label": fmt.Sprint(sec.Labels)} {
		if strings.ContainsAny(got, "\x1b\a") || !strings.Contains(got, `x\x1b]0;PWNED\a`) {
			t.Errorf("%s: %q", what, got)
		}
	}
	if env[0].Value.Reveal() != "value\x1b" {
		t.Error("a value is kept byte for byte: it is never printed")
	}
}
