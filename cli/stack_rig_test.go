package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/secretdeck/secretdeck/internal/testrig"
)

// deployStack runs `docker stack deploy -c` with data as the stack file, as
// a pipeline does on its next release.
func deployStack(t *testing.T, name, data string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "stack.yml")
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(testrig.Tool(t, "docker"), "-H", testrig.Docker(t), "stack", "deploy", "--detach=true", "-c", file, name).CombinedOutput()
	if err != nil {
		t.Fatalf("docker stack deploy: %v\n%s", err, out)
	}
}

// removeStack removes a stack and waits for its network to go: Docker
// removes a network only once the stack's tasks have left it. A leftover
// fails the test (it would change what later runs see).
func removeStack(t *testing.T, name string) {
	host := testrig.Docker(t)
	_ = exec.Command("docker", "-H", host, "stack", "rm", name).Run()
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := exec.Command("docker", "-H", host, "network", "ls", "-q", "--filter", "name="+name+"_default").Output()
		if err == nil && strings.TrimSpace(string(out)) == "" {
			return
		}
		_ = exec.Command("docker", "-H", host, "network", "rm", name+"_default").Run()
		if time.Now().After(deadline) {
			t.Errorf("cleanup: network %s_default of the test's stack is still there", name)
			return
		}
		time.Sleep(time.Second)
	}
}

// getObject reads key of bucket from the rig's S3 server.
func getObject(t *testing.T, srv testrig.S3Server, bucket, key string) string {
	t.Helper()
	res, err := srv.Client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitMounts waits until service id's spec mounts want (spec() form).
func (r *rigSwarm) waitMounts(id, want string) {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for fmt.Sprint(r.spec(id)) != want {
		if time.Now().After(deadline) {
			r.t.Fatalf("service mounts %v, want %s", r.spec(id), want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestStackRotationSurvivesTheNextDeploy: a stack deployed from a file in
// the source; apply rotates its secret and edits the file; a deploy of the
// file as the source now holds it keeps the new version and drift is clean;
// a deploy of the OLD file is stack-reverted, not lagging; a stack file
// changed between plan and apply is refused.
func TestStackRotationSurvivesTheNextDeploy(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	p := sw.prefix
	name := strings.TrimSuffix(p, "_")
	t.Cleanup(func() { // before the rig swarm's cleanup: the stack's network goes too
		removeStack(t, name)
	})
	sw.secret("payment_key_v1", "stack-Old-Value-1", nil)
	old := fmt.Sprintf(`version: "3.8"
services:
  web:
    image: %s
    environment: [ECHOAPP_INTERVAL=1s]
    secrets:
      # the payment provider's key
      - source: payment
        target: payment_key
    deploy:
      update_config: {monitor: 2s, order: stop-first}
secrets:
  payment:
    external: true
    name: %spayment_key_v1 # rotated by secretdeck
`, testrig.Image(t), p)
	key := "stacks/" + name + ".yml"
	bucket := srv.NewBucket(t, map[string]string{key: old, p + "web.properties.prod": "payment_key = stack-New-Value-2\n"})
	args := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}
	deployStack(t, name, old)
	id := sw.serviceID("web")
	sw.waitRunning(id)

	out := filepath.Join(t.TempDir(), "plan.json")
	if r := runCLI(t, append([]string{"plan", "--service", p + "web", "--out", out}, args...)...); r.code != 0 || !strings.Contains(r.stdout, "Then edit 1 stack file(s)") {
		t.Fatalf("plan: exit %d\n%s", r.code, r.all())
	}
	srv.Put(t, bucket, key, old+"# touched by someone else\n")
	r := runCLI(t, append([]string{"apply", "--yes", out}, args...)...)
	if r.code != exitError || !strings.Contains(r.stderr, "stack file "+key+" changed since plan") || sw.secretExists("payment_key_v2") {
		t.Fatalf("a stack file changed between plan and apply is refused, nothing done: exit %d\n%s", r.code, r.all())
	}
	srv.Put(t, bucket, key, old)

	r = runCLI(t, append([]string{"apply", "--yes", "--service", p + "web"}, args...)...)
	if r.code != 0 {
		t.Fatalf("apply: exit %d\n%s", r.code, r.all())
	}
	if !strings.Contains(r.stdout, "-    name: "+p+"payment_key_v1 # rotated by secretdeck") || !strings.Contains(r.stdout, "+    name: "+p+"payment_key_v2 # rotated by secretdeck") ||
		!strings.Contains(r.stdout, "1 stack files edited") {
		t.Errorf("the preview shows the edit as a diff, the verdict says it was made:\n%s", r.stdout)
	}
	edited := getObject(t, srv, bucket, key)
	if edited != strings.Replace(old, "payment_key_v1", "payment_key_v2", 1) {
		t.Fatalf("the stack file in the source, byte for byte but the name:\n%s", edited)
	}

	deployStack(t, name, edited) // the next release
	time.Sleep(2 * time.Second)
	if got := fmt.Sprint(sw.spec(id)); got != "[payment_key_v2:payment_key:0:0:0444]" {
		t.Errorf("after the next deploy, mounts %s", got)
	}
	if fs := findings(t, args, p+"web"); len(fs) != 0 {
		t.Errorf("drift after the next deploy: %s", kindsOf(fs))
	}

	deployStack(t, name, old) // someone deploys the file as it was
	sw.waitMounts(id, "[payment_key_v1:payment_key:0:0:0444]")
	fs := findings(t, args, p+"web")
	if k := kindsOf(fs); !strings.Contains(k, "stack-reverted") || strings.Contains(k, "lagging") {
		t.Errorf("a deploy of the old file: %s", k)
	}
}

// TestLocalStackFileIsEdited: with --stack-file STACK=PATH (a git
// checkout), the rotation edits that file in place, byte for byte but the
// name, and the next deploy from it keeps the new version.
func TestLocalStackFileIsEdited(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	p := sw.prefix
	name := strings.TrimSuffix(p, "_")
	t.Cleanup(func() { removeStack(t, name) })
	sw.secret("api_token_v1", "local-Old-Value-1", nil)
	data := fmt.Sprintf("version: \"3.8\"\nservices:\n  api:\n    image: %s\n    secrets: [api_token]\nsecrets:\n  api_token: {external: true, name: %sapi_token_v1}\n", testrig.Image(t), p)
	file := filepath.Join(t.TempDir(), "stack.yml")
	if err := os.WriteFile(file, []byte(data), 0o640); err != nil {
		t.Fatal(err)
	}
	deployStack(t, name, data)
	// Running, the service is past the allocator's own write of it (its
	// endpoint), which would make the plan's version stale.
	sw.waitRunning(sw.serviceID("api"))
	bucket := srv.NewBucket(t, map[string]string{p + "api.properties.prod": "api_token = local-New-Value-2\n"})
	r := runCLI(t, "apply", "--yes", "--service", p+"api", "--stack-file", name+"="+file,
		"--host", testrig.Docker(t), "--source", "s3://"+bucket, "--env", "prod")
	if r.code != 0 {
		t.Fatalf("apply: exit %d\n%s", r.code, r.all())
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != strings.Replace(data, "api_token_v1", "api_token_v2", 1) {
		t.Errorf("the local stack file:\n%s", got)
	}
	if info, _ := os.Stat(file); info.Mode().Perm() != 0o640 {
		t.Errorf("the file's mode changed: %v", info.Mode())
	}
	deployStack(t, name, string(got))
	if got := fmt.Sprint(sw.spec(sw.serviceID("api"))); got != "[api_token_v2:api_token:0:0:0444]" {
		t.Errorf("after the next deploy, mounts %s", got)
	}
}

// TestStackFileSecretForReal: a stack's file: secret whose file changed makes
// `docker stack deploy` fail as Docker does; drift says stack-file-secret,
// and after apply (a new name in the stack file) the deploy succeeds.
func TestStackFileSecretForReal(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	p := sw.prefix
	name := strings.TrimSuffix(p, "_")
	t.Cleanup(func() { removeStack(t, name) })
	stackFile := fmt.Sprintf("version: \"3.8\"\nservices:\n  web:\n    image: %s\n    secrets: [{source: tls, target: tls.pem}]\nsecrets:\n  tls:\n    file: ./tls.pem\n", testrig.Image(t))
	dir := t.TempDir()
	write := func(file, data string) {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	deploy := func() ([]byte, error) {
		return exec.Command("docker", "-H", testrig.Docker(t), "stack", "deploy", "--detach=true", "-c", filepath.Join(dir, "stack.yml"), name).CombinedOutput()
	}
	write("stack.yml", stackFile)
	write("tls.pem", "cert one\n")
	// The source first, then the deploy: the file is older than the secret
	// Docker makes from it.
	key := "stacks/" + name + ".yml"
	bucket := srv.NewBucket(t, map[string]string{key: stackFile, "stacks/tls.pem": "cert one\n", p + "other.properties.prod": "x = y\n"})
	if out, err := deploy(); err != nil {
		t.Fatalf("first deploy: %v\n%s", err, out)
	}
	args := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}
	if k := kindsOf(findings(t, args, p+"web")); strings.Contains(k, "stack-file-secret") {
		t.Fatalf("the file is older than the secret: %s", k)
	}

	time.Sleep(1100 * time.Millisecond) // S3 keeps modification times to the second
	srv.Put(t, bucket, "stacks/tls.pem", "cert two\n")
	write("tls.pem", "cert two\n")
	if out, err := deploy(); err == nil || !strings.Contains(string(out), "only updates to Labels are allowed") {
		t.Fatalf("docker stack deploy fails as Docker does: %v\n%s", err, out)
	}
	if k := kindsOf(findings(t, args, p+"web")); !strings.Contains(k, "stack-file-secret") {
		t.Fatalf("drift: %s", k)
	}
	r := runCLI(t, append([]string{"apply", "--yes", "--service", p + "web"}, args...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "+    name: "+p+"tls_v1") {
		t.Fatalf("apply: exit %d\n%s", r.code, r.all())
	}
	write("stack.yml", getObject(t, srv, bucket, key))
	if out, err := deploy(); err != nil {
		t.Fatalf("the deploy after apply: %v\n%s", err, out)
	}
	sw.waitMounts(sw.serviceID("web"), "[tls_v1:tls.pem:0:0:0444]")
	if k := kindsOf(findings(t, args, p+"web")); strings.Contains(k, "stack-file-secret") {
		t.Errorf("after the deploy: %s", k)
	}
}
