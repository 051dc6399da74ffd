package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// rigSwarm is a client of the rig's engine for arranging a test's objects.
type rigSwarm struct {
	t      testing.TB
	api    *client.Client
	prefix string
	ids    map[string]string
}

func newRigSwarm(t testing.TB) *rigSwarm {
	t.Helper()
	api, err := client.New(client.WithHost(testrig.Docker(t)))
	if err != nil {
		t.Fatal(err)
	}
	r := &rigSwarm{t: t, api: api, prefix: testrig.UniqueName("dt") + "_", ids: map[string]string{}}
	t.Cleanup(r.cleanup)
	return r
}

// secret creates prefix+name holding value, with labels as key, value pairs.
func (r *rigSwarm) secret(name, value string, labels map[string]string) {
	r.t.Helper()
	res, err := r.api.SecretCreate(context.Background(), client.SecretCreateOptions{Spec: swarm.SecretSpec{
		Annotations: swarm.Annotations{Name: r.prefix + name, Labels: labels}, Data: []byte(value),
	}})
	if err != nil {
		r.t.Fatalf("create secret %s: %v", name, err)
	}
	r.ids[r.prefix+name] = res.ID
}

// managedLabels are the labels secretdeck puts on version n of logical l.
func managedLabels(key model.FingerprintKey, l string, n int, value string, extra ...string) map[string]string {
	lb := map[string]string{
		model.LabelLogical: l, model.LabelVersion: strconv.Itoa(n),
		model.LabelFingerprint: string(key.Fingerprint(l, model.NewValueString(value))),
	}
	for i := 0; i+1 < len(extra); i += 2 {
		lb[extra[i]] = extra[i+1]
	}
	return lb
}

// service creates prefix+name with 0 replicas (nothing to start), mounting
// "secret:target:mode" references and with env and labels.
func (r *rigSwarm) service(name string, env []string, labels map[string]string, mounts ...string) {
	r.t.Helper()
	var refs []*swarm.SecretReference
	for _, m := range mounts {
		parts := strings.Split(m, ":")
		sname := r.prefix + parts[0]
		mode := os.FileMode(0o444)
		if len(parts) > 2 && parts[2] == "0400" {
			mode = 0o400
		}
		refs = append(refs, &swarm.SecretReference{SecretID: r.ids[sname], SecretName: sname,
			File: &swarm.SecretReferenceFileTarget{Name: parts[1], UID: "0", GID: "0", Mode: mode}})
	}
	zero := uint64(0)
	_, err := r.api.ServiceCreate(context.Background(), client.ServiceCreateOptions{Spec: swarm.ServiceSpec{
		Annotations:  swarm.Annotations{Name: r.prefix + name, Labels: labels},
		TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: testrig.Image(r.t), Env: env, Secrets: refs}},
		Mode:         swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &zero}},
	}})
	if err != nil {
		r.t.Fatalf("create service %s: %v", name, err)
	}
}

// decoy makes a secret and a service (with a credential-looking env var,
// hence a finding) whose names match none of the test's own filters: a test
// that filters a list needs rows it filters out, on a clean rig as on a used
// one, and must not borrow them from other tests.
func (r *rigSwarm) decoy() {
	r.t.Helper()
	r.secret("zz_decoy_token", "decoy-Secret-Value-0001", nil)
	r.service("zz_decoy", []string{"DECOY_PASSWORD=decoy-Env-Value-0002"}, nil)
}

// cleanup removes the test's services, then its secrets (and those
// secretdeck made for it, which carry the prefix). A failure fails the test:
// leftovers would change what later tests and runs see.
func (r *rigSwarm) cleanup() {
	ctx := context.Background()
	defer r.api.Close()
	services, err := r.api.ServiceList(ctx, client.ServiceListOptions{})
	if err != nil {
		r.t.Errorf("cleanup: list services: %v", err)
		return
	}
	for _, s := range services.Items {
		if strings.HasPrefix(s.Spec.Name, r.prefix) {
			if _, err := r.api.ServiceRemove(ctx, s.ID, client.ServiceRemoveOptions{}); err != nil {
				r.t.Errorf("cleanup: remove service %s: %v", s.Spec.Name, err)
			}
		}
	}
	secrets, err := r.api.SecretList(ctx, client.SecretListOptions{})
	if err != nil {
		r.t.Errorf("cleanup: list secrets: %v", err)
		return
	}
	left := map[string]string{} // ID → name
	for _, s := range secrets.Items {
		if strings.HasPrefix(s.Spec.Name, r.prefix) {
			left[s.ID] = s.Spec.Name
		}
	}
	configs, err := r.api.ConfigList(ctx, client.ConfigListOptions{})
	if err != nil {
		r.t.Errorf("cleanup: list configs: %v", err)
		return
	}
	for _, c := range configs.Items {
		if strings.HasPrefix(c.Spec.Name, r.prefix) {
			left["config:"+c.ID] = c.Spec.Name
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for id, name := range left {
		for {
			var err error
			if cid, ok := strings.CutPrefix(id, "config:"); ok {
				_, err = r.api.ConfigRemove(ctx, cid, client.ConfigRemoveOptions{})
			} else {
				_, err = r.api.SecretRemove(ctx, id, client.SecretRemoveOptions{})
			}
			if err == nil || strings.Contains(err.Error(), "not found") { // gone with its service, or by the test itself
				break
			}
			if !strings.Contains(err.Error(), "in use") || time.Now().After(deadline) {
				r.t.Errorf("cleanup: remove secret %s: %v", name, err)
				break
			}
			time.Sleep(200 * time.Millisecond) // still in use until its services' tasks are gone
		}
	}
}

// TestDriftFindsEveryKindForReal arranges, on the real engine and versitygw,
// one case of every finding kind and checks `drift --json`.
func TestDriftFindsEveryKindForReal(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	p := sw.prefix
	key, err := model.NewFingerprintKey(bytes.Repeat([]byte{42}, model.FingerprintKeySize))
	if err != nil {
		t.Fatal(err)
	}

	// Swarm first: runtime-stale needs the file to change after the service.
	sw.secret("api_db_pass_v1", "old-db-pass", managedLabels(key, p+"api_db_pass", 1, "old-db-pass"))     // stale
	sw.secret("api_token", "tok", nil)                                                                    // unverifiable
	sw.secret("api_cache_key_v1", "cache-1", managedLabels(key, p+"api_cache_key", 1, "cache-key-value")) // lagging…
	sw.secret("api_cache_key_v2", "cache-2", managedLabels(key, p+"api_cache_key", 2, "cache-key-value", model.LabelPlan, "plan-77"))
	sw.secret("api_tls_v1", "tls", managedLabels(key, p+"api_tls", 1, "tls-cert-value")) // target-mismatch (mode)
	sw.secret("api_sess_v1", "s1", managedLabels(key, p+"api_sess", 1, "old-session"))   // orphan
	sw.secret("api_sess_v2", "s2", managedLabels(key, p+"api_sess", 2, "session-value"))
	sw.secret("api_extra", "x", nil)                                                                         // undeclared
	sw.secret("worker_queue_pass_v1", "q", managedLabels(key, p+"worker_queue_pass", 1, "queue-pass-value")) // not-mounted
	sw.secret("web_cookie_v1", "c", managedLabels(key, p+"web_cookie", 1, "old-cookie"))                     // stale + stack-owned
	sw.service("api", []string{"PROPS_FILE=" + p + "api.properties.prod", "DB_PASSWORD=literal-in-clear"}, nil,
		"api_db_pass_v1:db_pass", "api_token:token", "api_cache_key_v1:cache_key", "api_tls_v1:tls:0400",
		"api_sess_v2:sess", "api_extra:extra")
	sw.service("worker", nil, nil)
	sw.service("web", nil, map[string]string{model.StackNamespaceLabel: p + "shop"}, "web_cookie_v1:cookie")
	// runtime-stale: a running service that reads its own file, which
	// changes after its task started (api runs no task: nothing is stale).
	sw.waitRunning(sw.runningService("reader", []string{"PROPS_FILE=" + p + "reader.properties.prod"}))
	time.Sleep(1100 * time.Millisecond) // LastModified has a one-second resolution

	manifest := "services:\n  " + p + "api:\n    keys:\n      tls: {mode: \"0440\"}\n"
	bucket := srv.NewBucket(t, map[string]string{
		model.FingerprintKeyPath:      string(bytes.Repeat([]byte{42}, model.FingerprintKeySize)),
		model.ManifestPath:            manifest,
		p + "api.properties.prod":     "db_pass=new-db-pass\ntoken=tok\ncache_key=cache-key-value\ntls=tls-cert-value\nsess=session-value\nnew_key=brand-new\n",
		p + "worker.properties.prod":  "queue_pass=queue-pass-value\nblob=" + strings.Repeat("x", model.MaxSecretSize) + "\n",
		p + "web.properties.prod":     "cookie=new-cookie\n",
		p + "reader.properties.prod":  "endpoint=https://example.invalid\n",
		p + "ghost.properties.prod":   "x=1\n",
		p + "broken.yaml.prod":        "a: [1, 2\nb: c\n",
		"dev/" + p + "api.properties": "db_pass=dev\n",
	})

	r := runCLI(t, "drift", "--json", "--host", testrig.Docker(t), "--source", "s3://"+bucket, "--env", "prod")
	if r.code != exitDrift {
		t.Fatalf("exit code %d, want %d (drift found); stderr: %s", r.code, exitDrift, r.stderr)
	}
	var out driftOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("drift --json: %v\n%s", err, r.stdout)
	}
	if !out.FingerprintKey {
		t.Error("the fingerprint key in the bucket was not used")
	}
	got := map[model.Kind][]string{}
	for _, f := range out.Findings {
		if strings.Contains(f.Service+f.Secret+f.File+f.Logical, p) {
			got[f.Kind] = append(got[f.Kind], strings.ReplaceAll(f.Service+"|"+f.Secret+"|"+f.File+"|"+f.Key+"|"+f.Plan, p, ""))
		}
	}
	want := map[model.Kind][]string{
		model.KindMissing:        {"api||api.properties.prod|new_key|"},
		model.KindNotMounted:     {"worker|worker_queue_pass_v1|worker.properties.prod|queue_pass|"},
		model.KindStale:          {"api|api_db_pass_v1|api.properties.prod|db_pass|", "web|web_cookie_v1|web.properties.prod|cookie|"},
		model.KindUnverifiable:   {"api|api_token|api.properties.prod|token|"},
		model.KindLagging:        {"api|api_cache_key_v1|api.properties.prod|cache_key|plan-77"},
		model.KindTargetMismatch: {"api|api_tls_v1|api.properties.prod|tls|"},
		model.KindOrphan:         {"|api_sess_v1|||"},
		model.KindUndeclared:     {"api|api_extra|||"},
		model.KindUnknownService: {"ghost||ghost.properties.prod||"},
		model.KindRuntimeStale:   {"reader||reader.properties.prod|PROPS_FILE|"},
		model.KindEnvExposure:    {"api|||DB_PASSWORD|"},
		model.KindStackOwned:     {"web||||"},
		model.KindUnparsable:     {"broken||broken.yaml.prod||"},
		model.KindOversize:       {"worker||worker.properties.prod|blob|"},
	}
	for _, k := range model.Kinds {
		slices.Sort(got[k])
		if strings.Join(got[k], ",") != strings.Join(want[k], ",") {
			t.Errorf("%s: got %q, want %q", k, got[k], want[k])
		}
	}
}
