package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/secretdeck/secretdeck/internal/leak"
	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
	sds3 "github.com/secretdeck/secretdeck/s3"
	"github.com/secretdeck/secretdeck/swarm"
)

// TestReadOnlyAdaptersRefuseEveryWrite: with --read-only, the engine and the
// bucket see no write request at all, whoever asks.
func TestReadOnlyAdaptersRefuseEveryWrite(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	ctx := context.Background()
	sw.secret("k_v1", "ro-value", nil)
	sw.service("api", nil, nil, "k_v1:k")
	proxy := testrig.CountingProxy(t, testrig.Docker(t))
	bucket := srv.NewBucket(t, map[string]string{sw.prefix + "api.properties.prod": "k = ro-new-value\n"})

	c, err := swarm.Connect(ctx, swarm.ConnectOptions{Host: proxy.Host, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	snap, err := c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w := c.NewWriter(snap.ClusterID)
	var svcID string
	for _, s := range snap.Services {
		if s.Name == sw.prefix+"api" {
			svcID = s.ID
		}
	}
	for name, err := range map[string]error{
		"create": func() error {
			_, err := w.CreateSecret(ctx, sw.prefix+"k_v2", nil, model.NewValueString("x"))
			return err
		}(),
		"remove":   w.RemoveSecret(ctx, sw.ids[sw.prefix+"k_v1"]),
		"update":   w.UpdateService(ctx, svcID, 1, model.ServiceEdit{}),
		"rollback": w.Rollback(ctx, svcID, 1),
	} {
		if !strings.Contains(err.Error(), "read-only") {
			t.Errorf("%s: got %v, want a read-only refusal", name, err)
		}
	}
	src, err := sds3.Open(ctx, sds3.Options{URI: "s3://" + bucket, Endpoint: srv.Endpoint, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sds3.EnsureKey(ctx, src); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("EnsureKey: %v", err)
	}
	key := model.FingerprintKeyPath
	if _, err := srv.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key}); err == nil {
		t.Error("a read-only source created the fingerprint key")
	}

	// The commands too: apply is refused before it connects.
	r := runCLI(t, "apply", "--yes", "--read-only", "--host", proxy.Host, "--source", "s3://"+bucket, "--env", "prod")
	assertOneLineError(t, r, "--read-only")
	if writes := proxy.Writes(); len(writes) != 0 {
		t.Errorf("write requests reached the engine: %v", writes)
	}
}

// TestApplyLeavesNoValueAnywhere: the plan file, the output, the audit log
// hold no value, and nothing is written outside the state dir.
func TestApplyLeavesNoValueAnywhere(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	state, tmp := t.TempDir(), t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	t.Setenv("TMPDIR", tmp)
	const value = "NoLeak-Value-6c2f9e"
	sw.secret("k_v1", "NoLeak-Old-Value-11", nil)
	sw.service("api", []string{"OTHER=x"}, nil, "k_v1:k")
	bucket := srv.NewBucket(t, map[string]string{sw.prefix + "api.properties.prod": "k = " + value + "\n"})
	args := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}
	planFile := filepath.Join(t.TempDir(), "plan.json")

	outputs := []result{runCLI(t, append([]string{"plan", "--out", planFile}, args...)...)}
	outputs = append(outputs, runCLI(t, append([]string{"apply", planFile, "--yes", "--debug"}, args...)...))
	if outputs[1].code != 0 {
		t.Fatalf("apply: %s", outputs[1].all())
	}
	planBytes, _ := os.ReadFile(planFile)
	auditBytes, err := os.ReadFile(filepath.Join(state, "secretdeck", "audit.jsonl"))
	if err != nil || !strings.Contains(string(auditBytes), `"action":"verified"`) {
		t.Fatalf("audit log: %v\n%s", err, auditBytes)
	}
	for what, text := range map[string]string{
		"plan file": string(planBytes), "audit log": string(auditBytes),
		"plan output": outputs[0].all(), "apply output": outputs[1].all(),
	} {
		for _, v := range []string{value, "NoLeak-Old-Value-11"} {
			if strings.Contains(text, v) {
				t.Errorf("%s holds a value:\n%s", what, text)
			}
		}
	}
	// The source got a copy of the steps, without values either.
	var shared []byte
	objs, err := srv.Client().ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String(".secretdeck/audit/")})
	if err != nil || len(objs.Contents) != 1 {
		t.Fatalf("audit copy in the source: %v %v", err, objs)
	}
	res, err := srv.Client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: objs.Contents[0].Key})
	if err == nil {
		shared, _ = io.ReadAll(res.Body)
		res.Body.Close()
	}
	leak.Check(t, "the source's audit copy", string(shared), value)
	if !strings.Contains(string(shared), `"action":"create"`) || !strings.Contains(string(shared), `"fingerprint":"hmac-sha256-v2:`) {
		t.Errorf("the source's audit copy lacks the create step or its fingerprint (%d bytes)", len(shared))
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("files written to the temp dir: %v", entries)
	}
}
