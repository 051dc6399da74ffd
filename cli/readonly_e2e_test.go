package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secretdeck/secretdeck/internal/leak"
	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/swarm"
)

// TestReadOnlyEveryCommandCountedAtBothEnds runs every command with the real
// --read-only flag against a counting Docker proxy and a counting S3 proxy:
// the commands that read do reach both (so "no write" is not counted on no
// traffic), none sends a single write to either, and the commands that would
// write are refused in one line. Then the engine's apply path itself (the one
// the TUI calls) with read-only options: the adapters refuse every write even
// when no command-level check stops it first.
func TestReadOnlyEveryCommandCountedAtBothEnds(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	p := sw.prefix
	keyBytes := bytes.Repeat([]byte{7}, model.FingerprintKeySize)
	key, err := model.NewFingerprintKey(keyBytes)
	if err != nil {
		t.Fatal(err)
	}
	const oldValue, newValue = "ro-Old-Value-4411", "ro-New-Value-4412"
	sw.secret("api_k_v1", oldValue, managedLabels(key, p+"api_k", 1, oldValue))
	sw.secret("api_k_v0", "ro-Orphan-Value-4410", managedLabels(key, p+"api_k", 0, "ro-Orphan-Value-4410"))
	sw.service("api", nil, nil, "api_k_v1:k")
	// The fingerprint key is there, so nothing but --read-only stands between
	// apply and its writes (no key to create first).
	bucket := srv.NewBucket(t, map[string]string{
		model.FingerprintKeyPath:  string(keyBytes),
		p + "api.properties.prod": "k = " + newValue + "\n",
	})
	// Counted in front of a scope: were read-only broken, prune --yes below
	// could remove only this test's secrets, not the shared rig's.
	docker := testrig.CountingProxy(t, testrig.ScopedProxy(t, testrig.Docker(t), p).Host)
	s3c := testrig.CountingS3Proxy(t, srv.Endpoint)
	t.Setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1") // only --s3-endpoint may be what reaches S3
	global := []string{"--read-only", "--host", docker.Host, "--s3-endpoint", s3c.Endpoint, "--source", "s3://" + bucket, "--env", "prod"}
	planFile := filepath.Join(t.TempDir(), "plan.json")

	reads := []struct {
		args []string
		code int
	}{
		{[]string{"status"}, exitOK},
		{[]string{"status", "--json"}, exitOK},
		{[]string{"drift"}, exitDrift},
		{[]string{"drift", "--json"}, exitDrift},
		{[]string{"inspect", "secret", p + "api_k_v1"}, exitOK},
		{[]string{"inspect", "service", p + "api", "--json"}, exitOK},
		{[]string{"plan"}, exitOK},
		{[]string{"plan", "--out", planFile}, exitOK},
		{[]string{"plan", "--exposed-on-node", "self"}, exitOK},
		{[]string{"inspect", "node", "self", "--json"}, exitOK},
		{[]string{"report", "--format", "md"}, exitOK},
		{[]string{"report", "--format", "json", "--since", "1d"}, exitOK},
	}
	for _, c := range reads {
		docker.Reset()
		s3c.Reset()
		r := runCLI(t, append(c.args, global...)...)
		name := strings.Join(c.args, " ")
		if r.code != c.code {
			t.Errorf("%s --read-only: exit %d, want %d; stderr: %s", name, r.code, c.code, r.stderr)
		}
		leak.Check(t, "the output of "+name, r.all(), oldValue, newValue)
		assertReadNoWrite(t, name, docker, s3c)
	}
	if b, _ := os.ReadFile(planFile); !strings.Contains(string(b), p+"api_k_v2") {
		t.Fatalf("the read-only plan does not create %sapi_k_v2, so apply below would have nothing to refuse:\n%s", p, b)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"apply", "--yes"}, "apply changes the swarm"},
		{[]string{"apply", planFile, "--yes"}, "apply changes the swarm"},
		{[]string{"prune", "--keep", "0", "--yes"}, "prune removes secrets"},
		{[]string{"unlock", "p-20261130-101500-aaaa"}, "unlock changes the source"},
	} {
		docker.Reset()
		s3c.Reset()
		assertOneLineError(t, runCLI(t, append(c.args, global...)...), c.want, "--read-only")
		if dw, s3w := docker.Writes(), s3c.Writes(); len(dw)+len(s3w) != 0 {
			t.Errorf("%s --read-only: writes reached the engine %v / S3 %v", strings.Join(c.args, " "), dw, s3w)
		}
	}
	if r := runCLI(t, append([]string{"audit"}, global...)...); r.code != exitOK {
		t.Errorf("audit --read-only: exit %d: %s", r.code, r.stderr)
	}

	// The engine path under the commands, with the options --read-only sets:
	// what the TUI's apply calls. The adapters must refuse each write.
	b, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := model.ReadPlan(b)
	if err != nil {
		t.Fatal(err)
	}
	docker.Reset()
	s3c.Reset()
	opts := &globalOptions{readOnly: true, host: docker.Host, s3Endpoint: s3c.Endpoint, source: "s3://" + bucket, env: "prod"}
	var steps []string
	_, err = executePlan(context.Background(), opts, plan, model.ApplyOptions{Timeout: 30 * time.Second, Parallel: 1}, "",
		func(s model.Step) { steps = append(steps, progressLine(s)) }, func(string) {})
	if err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("apply with read-only options: %v, want a read-only refusal; steps:\n%s", err, strings.Join(steps, "\n"))
	}
	assertReadNoWrite(t, "the apply path", docker, s3c)

	// apply stops at the fingerprint key, before any engine write: ask the
	// engine client those options open for each write directly.
	docker.Reset()
	c, err := opts.connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := c.NewWriter(plan.ClusterID)
	svc := plan.Services[0]
	for name, err := range map[string]error{
		"create": func() error {
			_, err := w.CreateSecret(context.Background(), p+"api_k_v2", nil, model.NewValueString(newValue))
			return err
		}(),
		"remove":   w.RemoveSecret(context.Background(), sw.ids[p+"api_k_v0"]),
		"update":   w.UpdateService(context.Background(), svc.ServiceID, svc.Version, model.ServiceEdit{}),
		"rollback": w.Rollback(context.Background(), svc.ServiceID, svc.Version),
	} {
		if !errors.Is(err, swarm.ErrReadOnly) {
			t.Errorf("%s through the read-only options: %v, want a read-only refusal", name, err)
		}
	}
	if dw := docker.Writes(); len(dw) != 0 {
		t.Errorf("writes reached the engine: %v", dw)
	}
	if sw.secretExists("api_k_v2") || !sw.secretExists("api_k_v0") {
		t.Error("a read-only run changed the swarm's secrets")
	}
	if got := sw.spec(sw.serviceID("api")); fmt.Sprint(got) != "[api_k_v1:k:0:0:0444]" {
		t.Errorf("a read-only run changed the service: it mounts %v", got)
	}
}

// assertReadNoWrite checks that one command read from the engine and from S3
// and wrote to neither.
func assertReadNoWrite(t *testing.T, name string, docker *testrig.Counter, s3c *testrig.S3Counter) {
	t.Helper()
	dockerReads := 0
	for k, n := range docker.Hits() {
		if strings.HasPrefix(k, "GET ") || strings.HasPrefix(k, "HEAD ") {
			dockerReads += n
		}
	}
	if dockerReads == 0 || len(s3c.Reads()) == 0 {
		t.Errorf("%s: %d engine reads, S3 reads %v: no traffic proves nothing", name, dockerReads, s3c.Reads())
	}
	if w := docker.Writes(); len(w) != 0 {
		t.Errorf("%s --read-only: writes reached the engine: %v", name, w)
	}
	if w := s3c.Writes(); len(w) != 0 {
		t.Errorf("%s --read-only: writes reached S3: %v", name, w)
	}
}
