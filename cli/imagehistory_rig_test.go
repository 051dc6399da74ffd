package cli

import (
	"context"
	"encoding/json"
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
)

// buildLeakyImage builds, on the rig's engine and offline, an image FROM
// the rig's echo image with `--build-arg NPM_TOKEN`: the classic builder
// records the value in the history of the RUN line (`|1 NPM_TOKEN=… /app`),
// which is what `docker history` shows to anyone who can pull the image.
// (This engine's docker CLI has no buildx, so BuildKit is not there; the
// classic builder is what records build args here.) The value reaches the
// docker CLI through its environment, never its argv nor a file. The image
// is removed when the test ends, after its services.
func buildLeakyImage(t *testing.T, tag, token string) {
	t.Helper()
	dir := t.TempDir()
	dockerfile := "FROM " + testrig.Image(t) + "\n" +
		"ARG NPM_TOKEN\n" +
		// The image has no /bin/sh: the RUN runs the echo program once.
		"ENV ECHOAPP_ONCE=1 ECHOAPP_DIR=/nonexistent\n" +
		"RUN [\"/app\"]\n" +
		"ENV ECHOAPP_ONCE=0 ECHOAPP_DIR=/run/secrets ECHOAPP_INTERVAL=1s\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testrig.Tool(t, "docker"), "-H", testrig.Docker(t), "build", "--network", "none", "--build-arg", "NPM_TOKEN", "-t", tag, dir)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0", "NPM_TOKEN="+token)
	out, err := cmd.CombinedOutput()
	leak.Check(t, "docker build's output", string(out), token)
	if err != nil {
		t.Fatalf("docker build: %v (%d bytes of output, not printed: it may hold the value)", err, len(out))
	}
	t.Cleanup(func() {
		api, err := client.New(client.WithHost(testrig.Docker(t)))
		if err != nil {
			t.Error(err)
			return
		}
		defer api.Close()
		deadline := time.Now().Add(30 * time.Second)
		for { // its service's container goes a moment after the service
			_, err := api.ImageRemove(context.Background(), tag, client.ImageRemoveOptions{PruneChildren: true})
			if err == nil || time.Now().After(deadline) {
				if err != nil {
					t.Errorf("cleanup: remove image %s: %v", tag, err)
				}
				return
			}
			time.Sleep(300 * time.Millisecond)
		}
	})
}

// serviceOfImage creates prefix+name running image: one task when run,
// none otherwise.
func (r *rigSwarm) serviceOfImage(name, image string, run bool) string {
	r.t.Helper()
	replicas, grace := uint64(0), time.Second
	if run {
		replicas = 1
	}
	res, err := r.api.ServiceCreate(context.Background(), client.ServiceCreateOptions{Spec: swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: r.prefix + name},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{Image: image, StopGracePeriod: &grace},
			RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionOnFailure},
		},
		Mode: swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &replicas}},
	}})
	if err != nil {
		r.t.Fatalf("create service %s: %v", name, err)
	}
	return res.ID
}

// TestImageHistoryExposureForReal: an image built with `--build-arg
// NPM_TOKEN=<a value of the source>` and run as a service is reported by
// drift (text and JSON) and by the incident report as
// image-history-exposure, naming the image, the history entry and
// NPM_TOKEN — and the value appears nowhere in what secretdeck prints. An
// image the engine does not hold is said to be unchecked.
func TestImageHistoryExposureForReal(t *testing.T) {
	srv := useRigS3(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	token := "npm_Rig-Token-" + testrig.UniqueName("v")
	tag := "secretdeck-test/" + testrig.UniqueName("leaky") + ":1"
	absent := "secretdeck-test/" + testrig.UniqueName("absent") + ":1"
	buildLeakyImage(t, tag, token)
	sw := newRigSwarm(t)
	p := sw.prefix
	web := sw.serviceOfImage("web", tag, true)
	sw.serviceOfImage("ghost", absent, false)
	sw.waitRunning(web)
	bucket := srv.NewBucket(t, map[string]string{
		p + "web.properties.prod": "npm.token = " + token + "\n",
	})
	where := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}
	var seen strings.Builder
	cli := func(args ...string) result {
		r := runCLI(t, append(args, where...)...)
		seen.WriteString(r.all())
		return r
	}

	r := cli("drift", "--json")
	if r.code != exitDrift {
		t.Fatalf("drift --json: exit %d\n%s", r.code, r.stderr)
	}
	var out driftOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	var exposure, unchecked int
	for _, f := range out.Findings {
		switch {
		case f.Kind == "image-history-exposure" && f.Image == tag:
			exposure++
			if f.Key != "NPM_TOKEN" || f.Severity.String() != "high" || f.Service != p+"web" || f.File != p+"web.properties.prod" || f.Layer < 1 ||
				!strings.Contains(f.Explanation, "build arg NPM_TOKEN") || !strings.Contains(f.Explanation, tag) {
				t.Errorf("the finding names image, entry, arg and file: %+v", f)
			}
		case f.Kind == "image-unchecked" && f.Image == absent:
			unchecked++
			if f.Service != p+"ghost" || f.Severity.String() != "info" {
				t.Errorf("the unchecked image: %+v", f)
			}
		case f.Image == tag || f.Image == absent:
			t.Errorf("unexpected finding: %+v", f)
		}
	}
	if exposure != 1 || unchecked != 1 {
		t.Errorf("%d image-history-exposure and %d image-unchecked findings for this test's images, want 1 and 1\n%s", exposure, unchecked, r.stdout)
	}

	r = cli("drift")
	if r.code != exitDrift || !strings.Contains(r.stdout, "image-history-exposure") || !strings.Contains(r.stdout, "image "+tag) || !strings.Contains(r.stdout, "key NPM_TOKEN") {
		t.Errorf("drift (text): exit %d\n%s", r.code, r.all())
	}
	r = cli("report", "--format", "md")
	if r.code != 0 || !strings.Contains(r.stdout, "`image-history-exposure`") || !strings.Contains(r.stdout, "NPM_TOKEN") || !strings.Contains(r.stdout, "`image-unchecked`") {
		t.Errorf("report: exit %d\n%s", r.code, r.all())
	}
	r = cli("report", "--format", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"image": "`+tag+`"`) {
		t.Errorf("report --format json: exit %d\n%s", r.code, r.stderr)
	}
	leak.Check(t, "the output of drift and report", seen.String(), token)

	// The workbench loads the same: its Drift pane lists the finding.
	log, err := openAuditLog()
	if err != nil {
		t.Fatal(err)
	}
	loader := &worldLoader{global: &globalOptions{host: testrig.Docker(t), source: "s3://" + bucket, env: "prod"}, audit: log}
	defer loader.close()
	d, err := loader.Load(context.Background(), "prod")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range d.Findings() {
		found = found || f.Kind == "image-history-exposure" && f.Image == tag && f.Key == "NPM_TOKEN"
	}
	if !found {
		t.Errorf("the workbench's drift has no image-history-exposure for %s", tag)
	}
}
