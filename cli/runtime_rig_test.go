package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/internal/leak"
	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// TestServiceThatReadsItsOwnFile: the seed's pattern on the real swarm — a
// service mounts only its AWS keys and reads my_service.json.prod itself
// (MY_PROPS_FILE). drift reports no key of that file; once the file changes,
// runtime-stale; apply restarts the service once and verifies that every
// task started after that; then drift is clean for it.
func TestServiceThatReadsItsOwnFile(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	p := sw.prefix
	sw.secret("aws_access_key_id", "AKIA-runtime-test", nil)
	sw.secret("aws_secret_access_key", "runtime-Secret-Key-1", nil)
	bucket := srv.NewBucket(t, map[string]string{p + "my_service.json.prod": `{"db": {"password": "runtime-Db-Pass-1"}}`})
	time.Sleep(1100 * time.Millisecond) // S3 times have a resolution of a second: the task starts after the file
	id := sw.runningService("my_service", []string{"MY_PROPS_FILE=" + p + "my_service.json.prod"},
		"aws_access_key_id:aws_access_key_id:0:0:0400", "aws_secret_access_key:aws_secret_access_key:0:0:0400")
	sw.waitRunning(id)
	args := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}
	findings := func() []model.Finding {
		t.Helper()
		r := runCLI(t, append([]string{"drift", "--json"}, args...)...)
		var out driftOutput
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("drift --json: %v\n%s", err, r.all())
		}
		var mine []model.Finding
		for _, f := range out.Findings {
			if f.Service == p+"my_service" && f.Kind != model.KindUndeclared {
				mine = append(mine, f)
			}
		}
		return mine
	}
	if fs := findings(); len(fs) != 0 {
		t.Fatalf("the file's keys are the service's to read, not secrets: %+v", fs)
	}
	if st := runCLI(t, append([]string{"status", "--json"}, args...)...); !strings.Contains(st.stdout, `"mode": "runtime"`) ||
		!strings.Contains(st.stdout, "env MY_PROPS_FILE names the file") {
		t.Errorf("status --json says how the file is delivered:\n%s", st.stdout)
	}

	time.Sleep(1500 * time.Millisecond) // S3 times have a resolution of a second
	srv.Put(t, bucket, p+"my_service.json.prod", `{"db": {"password": "runtime-Db-Pass-2"}}`)
	changed := time.Now()
	fs := findings()
	if len(fs) != 1 || fs[0].Kind != model.KindRuntimeStale || !strings.Contains(fs[0].Command, "secretdeck plan --service "+p+"my_service") {
		t.Fatalf("a changed file: runtime-stale with its command, got %+v", fs)
	}
	r := runCLI(t, append([]string{"apply", "--yes", "--timeout", "90s", "--service", p + "my_service"}, args...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "restart: "+p+"my_service.json.prod changed after its tasks started") ||
		!strings.Contains(r.stdout, "docker service update \\\n        --force") {
		t.Fatalf("apply restarts it: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	tasks, err := sw.api.TaskList(context.Background(), client.TaskListOptions{Filters: client.Filters{}.Add("service", id).Add("desired-state", "running")})
	if err != nil || len(tasks.Items) != 1 || tasks.Items[0].Status.State != swarm.TaskStateRunning || tasks.Items[0].CreatedAt.Before(changed.Add(-time.Second)) {
		t.Fatalf("the running task started after the change: %+v %v", tasks.Items, err)
	}
	if fs := findings(); len(fs) != 0 {
		t.Fatalf("after the restart, drift is clean for it: %+v", fs)
	}
	leak.Check(t, "apply", r.all(), "runtime-Db-Pass-1", "runtime-Db-Pass-2", "AKIA-runtime-test", "runtime-Secret-Key-1")
}

// TestRestoreSourceOnFailure: a plan that restarts a service (its runtime
// file changed) and rotates one of its secrets to a value that breaks it
// fails as one update, is rolled back, and with --restore-source-on-failure
// the runtime file's previous version is the bucket's newest again.
func TestRestoreSourceOnFailure(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	keyBytes := bytes.Repeat([]byte{3}, model.FingerprintKeySize)
	key, _ := model.NewFingerprintKey(keyBytes)
	p := sw.prefix
	bucket := srv.NewBucket(t, map[string]string{
		model.FingerprintKeyPath:  string(keyBytes),
		p + "svc.properties.prod": "key = restore-Good-Value\n",
		p + "svc.json.prod":       `{"mode": "first"}`,
	})
	time.Sleep(1100 * time.Millisecond)
	sw.secret("svc_key_v1", "restore-Good-Value", managedLabels(key, p+"svc_key", 1, "restore-Good-Value"))
	id := sw.runningService("svc", []string{"MY_PROPS_FILE=" + p + "svc.json.prod", "ECHOAPP_FAIL_IF_CONTAINS=BOOM"}, "svc_key_v1:key:0:0:0400")
	sw.waitRunning(id)
	time.Sleep(1100 * time.Millisecond)
	srv.Put(t, bucket, p+"svc.json.prod", `{"mode": "second"}`)
	srv.Put(t, bucket, p+"svc.properties.prod", "key = restore-BOOM-Value\n")

	args := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}
	r := runCLI(t, append([]string{"apply", "--yes", "--timeout", "90s", "--restore-source-on-failure", "--service", p + "svc"}, args...)...)
	if r.code != exitError || !strings.Contains(r.stderr, p+"svc.json.prod restored to its previous version") {
		t.Fatalf("a failed restart restores the file: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	k := p + "svc.json.prod"
	res, err := srv.Client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &k})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if b, _ := io.ReadAll(res.Body); string(b) != `{"mode": "first"}` {
		t.Fatalf("the bucket's newest version: %s", b)
	}
	if got := sw.spec(id); len(got) != 1 || !strings.HasPrefix(got[0], "svc_key_v1:key") {
		t.Errorf("the service is back on its old secret: %v", got)
	}
	log, _ := os.ReadFile(filepath.Join(os.Getenv("XDG_STATE_HOME"), "secretdeck", "audit.jsonl"))
	if !strings.Contains(string(log), `"action":"restore-source"`) {
		t.Errorf("the restore is audited:\n%s", log)
	}
	leak.Check(t, "apply", r.all()+string(log), "restore-Good-Value", "restore-BOOM-Value")
}
