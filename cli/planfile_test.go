package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// TestApplyPlanFileNeedsNoOtherFlags: like a terraform plan file, a plan
// names its source and environment; `apply FILE` takes them from it. A
// --source or --env that says otherwise is refused and nothing changes.
func TestApplyPlanFileNeedsNoOtherFlags(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("SECRETDECK_SOURCE", "")
	t.Setenv("SECRETDECK_ENV", "")
	p := sw.prefix
	sw.secret("key_v1", "old-planfile-value", nil)
	sw.service("api", nil, nil, "key_v1:key")
	bucket := srv.NewBucket(t, map[string]string{
		p + "api.properties.prod": "key = new-planfile-value\n",
		p + "api.properties.dev":  "key = dev-planfile-value\n",
	})
	other := srv.NewBucket(t, map[string]string{p + "api.properties.prod": "key = other-bucket-value\n"})
	// The engine comes from DOCKER_HOST, as an operator's shell has it.
	t.Setenv("DOCKER_HOST", testrig.Docker(t))
	planFile := filepath.Join(t.TempDir(), "rotate.json")
	if r := runCLI(t, "plan", "--source", "s3://"+bucket, "--env", "prod", "--out", planFile); r.code != 0 {
		t.Fatalf("plan: %s", r.all())
	}

	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--source", "s3://" + other}, "is for s3://" + bucket + " (env prod), not s3://" + other},
		{[]string{"--env", "dev"}, "(env prod), not s3://" + bucket + " (env dev)"},
	} {
		r := runCLI(t, append([]string{"apply", planFile, "--yes"}, tc.flags...)...)
		assertOneLineErrorAfterPreview(t, r, tc.want)
		if sw.secretExists("key_v2") {
			t.Fatalf("apply %v was refused but created a secret", tc.flags)
		}
	}

	r := runCLI(t, "apply", planFile, "--yes")
	if r.code != 0 {
		t.Fatalf("apply FILE with no other flag: %s", r.all())
	}
	// key_v1, mounted at the entry's target, names the logical secret: the
	// rotation makes key_v2 (one name for one thing).
	if got := strings.Join(sw.spec(sw.serviceID("api")), ","); got != "key_v2:key:0:0:0444" {
		t.Errorf("after apply the service mounts %s, want key_v2\n%s", got, r.stdout)
	}
}

// TestApplyRefusesWithoutItsAuditLog: an apply whose audit log cannot be
// written does not start (one line naming the path) and changes nothing.
func TestApplyRefusesWithoutItsAuditLog(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	p := sw.prefix
	sw.secret("key_v1", "old-audit-value", nil)
	sw.service("api", nil, nil, "key_v1:key")
	bucket := srv.NewBucket(t, map[string]string{p + "api.properties.prod": "key = new-audit-value\n"})
	state := t.TempDir()
	// A file where the state directory should be: nothing can be created in it.
	if err := os.WriteFile(filepath.Join(state, "secretdeck"), []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_STATE_HOME", state)

	r := runCLI(t, "apply", "--yes", "--host", testrig.Docker(t), "--source", "s3://"+bucket, "--env", "prod")
	assertOneLineErrorAfterPreview(t, r, "nothing applied", filepath.Join(state, "secretdeck", "audit.jsonl"))
	if sw.secretExists("api_key_v1") {
		t.Error("an apply without its audit log created a secret")
	}
	if got := strings.Join(sw.spec(sw.serviceID("api")), ","); got != "key_v1:key:0:0:0444" {
		t.Errorf("an apply without its audit log changed the service: %s", got)
	}
}

// TestApplyRefusesARemovalThePlanFileAdded: a plan file's digest is no
// signature. Whoever can write one and re-seal it must not make apply
// remove a secret the swarm does not justify (here: the newest version of
// another logical secret, which nothing mounts). It is refused before
// anything changes, on the real engine.
func TestApplyRefusesARemovalThePlanFileAdded(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	p := sw.prefix
	sw.secret("key_v1", "old-tamper-value", nil)
	sw.service("api", nil, nil, "key_v1:key")
	sw.secret("victim_v1", "victim-value", map[string]string{model.LabelLogical: p + "victim", model.LabelVersion: "1"})
	bucket := srv.NewBucket(t, map[string]string{p + "api.properties.prod": "key = new-tamper-value\n"})
	planFile := filepath.Join(t.TempDir(), "rotate.json")
	args := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}
	if r := runCLI(t, append([]string{"plan", "--out", planFile}, args...)...); r.code != 0 {
		t.Fatalf("plan: %s", r.all())
	}
	b, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := model.ReadPlan(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, why := range []string{model.RemovePrune, model.RemoveRevert} {
		pl.Removes = []model.SecretRemoval{{ID: sw.ids[p+"victim_v1"], Name: p + "victim_v1", Logical: p + "victim", Why: why}}
		pl.Seal()
		tampered, _ := json.Marshal(pl)
		if err := os.WriteFile(planFile, tampered, 0o600); err != nil {
			t.Fatal(err)
		}
		r := runCLI(t, append([]string{"apply", planFile, "--yes"}, args...)...)
		assertOneLineErrorAfterPreview(t, r, "which the swarm does not justify")
		if !sw.secretExists("victim_v1") {
			t.Fatalf("a removal (%s) added to a plan file removed %svictim_v1", why, p)
		}
		if sw.secretExists("api_key_v1") {
			t.Fatalf("a refused plan (%s) created a secret", why)
		}
	}
}
