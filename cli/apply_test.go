package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/internal/leak"
	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// runningService creates prefix+name with one replica of the echo image that
// reports its secrets every second, rolling out fast, rolling back on
// failure. Mounts are "secret:target:uid:gid:mode".
func (r *rigSwarm) runningService(name string, env []string, mounts ...string) string {
	r.t.Helper()
	return r.runningServiceOnFailure(name, swarm.UpdateFailureActionRollback, env, mounts...)
}

// runningServiceOnFailure is runningService whose updates end in action when
// a task fails: with pause, Docker leaves the failed update where it is and
// undoing it is up to secretdeck.
func (r *rigSwarm) runningServiceOnFailure(name string, action swarm.FailureAction, env []string, mounts ...string) string {
	r.t.Helper()
	var refs []*swarm.SecretReference
	for _, m := range mounts {
		p := strings.Split(m, ":")
		var mode uint32
		fmt.Sscanf(p[4], "%o", &mode)
		refs = append(refs, &swarm.SecretReference{SecretID: r.ids[r.prefix+p[0]], SecretName: r.prefix + p[0],
			File: &swarm.SecretReferenceFileTarget{Name: p[1], UID: p[2], GID: p[3], Mode: os.FileMode(mode)}})
	}
	one, grace := uint64(1), time.Second
	res, err := r.api.ServiceCreate(context.Background(), client.ServiceCreateOptions{Spec: swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: r.prefix + name},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{Image: testrig.Image(r.t), Env: append([]string{"ECHOAPP_INTERVAL=1s"}, env...), Secrets: refs, StopGracePeriod: &grace},
			RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionOnFailure},
		},
		Mode:           swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &one}},
		UpdateConfig:   &swarm.UpdateConfig{Parallelism: 1, Monitor: 2 * time.Second, FailureAction: action, Order: swarm.UpdateOrderStopFirst},
		RollbackConfig: &swarm.UpdateConfig{Parallelism: 1, Monitor: time.Second, FailureAction: swarm.UpdateFailureActionPause, Order: swarm.UpdateOrderStopFirst},
	}})
	if err != nil {
		r.t.Fatalf("create service %s: %v", name, err)
	}
	return res.ID
}

// waitRunning waits until every service with the prefix runs its task.
func (r *rigSwarm) waitRunning(ids ...string) {
	r.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for _, id := range ids {
		for {
			res, err := r.api.TaskList(context.Background(), client.TaskListOptions{Filters: client.Filters{}.Add("service", id).Add("desired-state", "running")})
			if err == nil && len(res.Items) == 1 && res.Items[0].Status.State == swarm.TaskStateRunning {
				break
			}
			if time.Now().After(deadline) {
				r.t.Fatalf("service %s does not run", id)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// spec returns a service's secret references as "name:target:uid:gid:mode".
func (r *rigSwarm) spec(id string) []string {
	r.t.Helper()
	res, err := r.api.ServiceInspect(context.Background(), id, client.ServiceInspectOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for _, s := range res.Service.Spec.TaskTemplate.ContainerSpec.Secrets {
		out = append(out, fmt.Sprintf("%s:%s:%s:%s:%04o", strings.TrimPrefix(s.SecretName, r.prefix), s.File.Name, s.File.UID, s.File.GID, s.File.Mode))
	}
	return out
}

// logsShow waits until the service's recent output shows want.
func (r *rigSwarm) logsShow(name, want string) {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _ := exec.Command("docker", "-H", testrig.Docker(r.t), "service", "logs", "--raw", "--since", "5s", r.prefix+name).CombinedOutput()
		if strings.Contains(string(out), want) {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("service %s never printed %q; last output:\n%s", name, want, out)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func (r *rigSwarm) secretExists(name string) bool {
	res, err := r.api.SecretList(context.Background(), client.SecretListOptions{Filters: client.Filters{}.Add("name", r.prefix+name)})
	if err != nil {
		r.t.Fatal(err)
	}
	for _, s := range res.Items {
		if s.Spec.Name == r.prefix+name {
			return true
		}
	}
	return false
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestApplyRotatesASharedSecretKeepingEachMount rotates one secret mounted by
// three services with different uid/gid/mode: each keeps its mount, and every
// container then reads the NEW value at the SAME path.
func TestApplyRotatesASharedSecretKeepingEachMount(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	p := sw.prefix
	const oldValue, newValue = "apply-Old-Token-0001", "apply-New-Token-0002"
	sw.secret("tok_v1", oldValue, nil)
	ids := []string{
		sw.runningService("a", nil, "tok_v1:"+p+"tok:1000:1000:0400"),
		sw.runningService("b", nil, "tok_v1:"+p+"tok:0:0:0444"),
		sw.runningService("c", nil, "tok_v1:"+p+"tok:33:33:0440"),
	}
	sw.waitRunning(ids...)
	bucket := srv.NewBucket(t, map[string]string{"shared.properties.prod": p + "tok = " + newValue + "\n"})
	args := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod", "--secret", p + "tok"}

	r := runCLI(t, append([]string{"apply", "--yes"}, args...)...)
	if r.code != 0 {
		t.Fatalf("apply failed (%d):\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, v := range []string{oldValue, newValue} {
		if strings.Contains(r.all(), v) {
			t.Errorf("apply printed a value:\n%s", r.all())
		}
	}
	want := [][]string{{"tok_v2:" + p + "tok:1000:1000:0400"}, {"tok_v2:" + p + "tok:0:0:0444"}, {"tok_v2:" + p + "tok:33:33:0440"}}
	for i, id := range ids {
		if got := sw.spec(id); fmt.Sprint(got) != fmt.Sprint(want[i]) {
			t.Errorf("service %d mounts %v, want %v", i, got, want[i])
		}
	}
	for i, name := range []string{"a", "b", "c"} {
		mode := []string{"400", "444", "440"}[i]
		sw.logsShow(name, fmt.Sprintf("file=/run/secrets/%stok size=%d mode=%s sha256=%s", p, len(newValue), mode, sha(newValue)))
	}
	if d := runCLI(t, append([]string{"drift", "--json"}, args[:6]...)...); strings.Contains(d.stdout, `"`+p+`tok_v1"`) && strings.Contains(d.stdout, `"stale"`) {
		t.Errorf("the rotated secret still drifts:\n%s", d.stdout)
	}
}

// TestApplyRollsBackWhenTheNewValueBreaksTheService: a value that makes the
// container exit fails the apply; the service is back on its old secret and
// running; the new secret is gone; exit code 1.
func TestApplyRollsBackWhenTheNewValueBreaksTheService(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	p := sw.prefix
	sw.secret("api_key_v1", "good-key-value", nil)
	id := sw.runningService("api", []string{"ECHOAPP_FAIL_IF_CONTAINS=BOOM"}, "api_key_v1:key:0:0:0400")
	sw.waitRunning(id)
	bucket := srv.NewBucket(t, map[string]string{p + "api.properties.prod": "key = bad-BOOM-value\n"})

	r := runCLI(t, "apply", "--yes", "--timeout", "90s", "--host", testrig.Docker(t), "--source", "s3://"+bucket, "--env", "prod")
	if r.code != exitError {
		t.Fatalf("exit %d, want 1:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, w := range []string{"rolled-back", "secrets created then removed: 1"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("the error must say where the swarm stands (%q):\n%s", w, r.stderr)
		}
	}
	leak.Check(t, "the output of the failed apply", r.all(), "bad-BOOM-value", "good-key-value")
	if got := sw.spec(id); fmt.Sprint(got) != "[api_key_v1:key:0:0:0400]" {
		t.Errorf("the service mounts %v after the failed apply", got)
	}
	sw.waitRunning(id)
	if sw.secretExists("api_key_v2") {
		t.Error("the secret the failed plan created is still there")
	}
}

// TestApplyRefusesAPlanOverAServiceSomeoneChanged: between plan and apply,
// someone updates the service: apply refuses and changes nothing.
func TestApplyRefusesAPlanOverAServiceSomeoneChanged(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	p := sw.prefix
	sw.secret("api_key_v1", "v1", nil)
	sw.service("api", nil, nil, "api_key_v1:key")
	bucket := srv.NewBucket(t, map[string]string{p + "api.properties.prod": "key = v2-value\n"})
	args := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}
	planFile := filepath.Join(t.TempDir(), "plan.json")
	if r := runCLI(t, append([]string{"plan", "--out", planFile}, args...)...); r.code != 0 {
		t.Fatalf("plan: %s", r.stderr)
	}
	// Someone else changes the service.
	insp, err := sw.api.ServiceInspect(context.Background(), p+"api", client.ServiceInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spec := insp.Service.Spec
	spec.TaskTemplate.ContainerSpec.Env = []string{"CHANGED=1"}
	if _, err := sw.api.ServiceUpdate(context.Background(), insp.Service.ID, client.ServiceUpdateOptions{Version: insp.Service.Version, Spec: spec}); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, append([]string{"apply", planFile, "--yes"}, args...)...)
	assertOneLineErrorAfterPreview(t, r, "service "+p+"api was changed by someone else", "run plan again")
	if sw.secretExists("api_key_v2") {
		t.Error("a refused apply created a secret")
	}

	// A plan file edited by hand is refused too.
	b, _ := os.ReadFile(planFile)
	edited := strings.Replace(string(b), `"restarts": 0`, `"restarts": 9`, 1)
	if edited == string(b) {
		t.Fatal("the edit changed nothing")
	}
	if err := os.WriteFile(planFile, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	assertOneLineError(t, runCLI(t, append([]string{"apply", planFile, "--yes"}, args...)...), "was changed after `secretdeck plan` wrote it")

	// A genuine plan, for another swarm.
	p2, err := model.ReadPlan(b)
	if err != nil {
		t.Fatal(err)
	}
	p2.ClusterID = "another-swarm-id"
	p2.Seal()
	other, _ := json.Marshal(p2)
	if err := os.WriteFile(planFile, other, 0o600); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, append([]string{"apply", planFile, "--yes"}, args...)...)
	assertOneLineErrorAfterPreview(t, r, "is for swarm another-swarm-id, but this is swarm")
	if sw.secretExists("api_key_v2") {
		t.Error("a refused apply created a secret")
	}
}

// TestApplyBadInputsChangeNothing: an oversize value, a key that normalizes
// to nothing, a missing bucket: one clear line each, nothing created.
func TestApplyBadInputsChangeNothing(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	p := sw.prefix
	sw.service("api", nil, nil)
	bucket := srv.NewBucket(t, map[string]string{p + "api.properties.prod": "blob = " + strings.Repeat("x", 512000) + "\n$$$ = v\n"})
	args := []string{"apply", "--yes", "--host", testrig.Docker(t), "--env", "prod"}
	assertOneLineError(t, runCLI(t, append(args, "--source", "s3://"+bucket)...), "nothing to do", "512000 bytes", "normalizes to an empty secret name")
	assertOneLineError(t, runCLI(t, append(args, "--source", "s3://sdtest-no-such-bucket")...), "does not exist")
	if sw.secretExists("api_blob_v1") {
		t.Error("an oversize value became a secret")
	}
}

// assertOneLineErrorAfterPreview is assertOneLineError for apply, which
// prints the plan before it checks it.
func assertOneLineErrorAfterPreview(t *testing.T, r result, want ...string) {
	t.Helper()
	r.stdout = ""
	assertOneLineError(t, r, want...)
}

// TestPrune removes old versions nothing uses, never one a rollback needs.
func TestPrune(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir()) // prune audits each removal
	sw := newRigSwarm(t)
	p := sw.prefix
	for n := 1; n <= 4; n++ {
		sw.secret(fmt.Sprintf("k_v%d", n), "v", map[string]string{"secretdeck.logical": p + "k", "secretdeck.version": fmt.Sprint(n)})
	}
	sw.secret("k_v0", "unmanaged", nil)
	sw.service("api", nil, nil, "k_v4:k")
	// prune has no scope flag: the proxy shows it only this test's secrets,
	// so it cannot prune what other tests on the rig are using.
	host := testrig.ScopedProxy(t, testrig.Docker(t), p).Host
	r := runCLI(t, "prune", "--keep", "1", "--yes", "--host", host)
	if r.code != 0 {
		t.Fatalf("prune: %s", r.all())
	}
	for name, want := range map[string]bool{"k_v0": true, "k_v1": false, "k_v2": false, "k_v3": true, "k_v4": true} {
		if sw.secretExists(name) != want {
			t.Errorf("%s exists=%v, want %v\n%s", name, !want, want, r.stdout)
		}
	}
	r = runCLI(t, "prune", "--keep", "0", "--host", host)
	if r.code != exitError || !strings.Contains(r.stderr, "not a terminal") || !sw.secretExists("k_v3") {
		t.Errorf("without --yes and a terminal, prune must ask and remove nothing: %s", r.all())
	}
}

// serviceID is the ID of prefix+name.
func (r *rigSwarm) serviceID(name string) string {
	r.t.Helper()
	res, err := r.api.ServiceInspect(context.Background(), r.prefix+name, client.ServiceInspectOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	return res.Service.ID
}
