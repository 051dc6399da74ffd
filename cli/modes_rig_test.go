package cli

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/internal/leak"
	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// runOnce creates prefix+name running the echo image once (it reports its
// secrets and exits 0, or 1 when one contains ECHOAPP_FAIL_IF_CONTAINS), as
// a replicated job or as a one-shot service (restart condition none), and
// waits for that first run to complete.
func (r *rigSwarm) runOnce(name string, job bool, env []string, secret, target string) string {
	r.t.Helper()
	refs := []*swarm.SecretReference{{SecretID: r.ids[r.prefix+secret], SecretName: r.prefix + secret,
		File: &swarm.SecretReferenceFileTarget{Name: target, UID: "0", GID: "0", Mode: os.FileMode(0o400)}}}
	one := uint64(1)
	spec := swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: r.prefix + name},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{Image: testrig.Image(r.t), Env: append([]string{"ECHOAPP_ONCE=1"}, env...), Secrets: refs},
			RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionNone},
		},
		Mode:         swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &one}},
		UpdateConfig: &swarm.UpdateConfig{Parallelism: 1, Monitor: 2 * time.Second, FailureAction: swarm.UpdateFailureActionPause},
	}
	if job {
		spec.Mode = swarm.ServiceMode{ReplicatedJob: &swarm.ReplicatedJob{MaxConcurrent: &one, TotalCompletions: &one}}
		spec.UpdateConfig = nil
	}
	res, err := r.api.ServiceCreate(context.Background(), client.ServiceCreateOptions{Spec: spec})
	if err != nil {
		r.t.Fatalf("create service %s: %v", name, err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		tasks, err := r.api.TaskList(context.Background(), client.TaskListOptions{Filters: client.Filters{}.Add("service", res.ID)})
		if err == nil && len(tasks.Items) > 0 && tasks.Items[0].Status.State == swarm.TaskStateComplete {
			return res.ID
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("service %s never completed its first run", name)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestApplyVerifiesJobsAndOneShotServices: a replicated job and a one-shot
// service mounting a rotated secret are verified when their new run
// completes — not timed out and rolled back, as a rule for long-running
// services would — and a job whose new run fails makes apply fail with the
// task's error, and roll back.
func TestApplyVerifiesJobsAndOneShotServices(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	p := sw.prefix
	sw.secret("job_tok_v1", "job-old-value", nil)
	sw.secret("once_tok_v1", "once-old-value", nil)
	sw.runOnce("job", true, []string{"ECHOAPP_FAIL_IF_CONTAINS=BOOM"}, "job_tok_v1", "tok")
	sw.runOnce("once", false, nil, "once_tok_v1", "tok")
	bucket := srv.NewBucket(t, map[string]string{
		p + "job.properties.prod":  "tok = job-new-value\n",
		p + "once.properties.prod": "tok = once-new-value\n",
	})
	args := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}
	start := time.Now()
	r := runCLI(t, append([]string{"apply", "--yes", "--timeout", "90s"}, args...)...)
	if r.code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if took := time.Since(start); took > 60*time.Second {
		t.Errorf("apply took %s: it waited for something that never comes", took)
	}
	for _, w := range []string{"the job's new run completed", "its new tasks ran or completed"} {
		if !strings.Contains(r.stdout+r.stderr, w) {
			t.Errorf("apply says %q:\n%s", w, r.stdout)
		}
	}
	// The rig's swarm holds other tests' services: only this test's findings count.
	d := runCLI(t, append([]string{"drift", "--json"}, args...)...)
	var out driftOutput
	if err := json.Unmarshal([]byte(d.stdout), &out); err != nil {
		t.Fatalf("drift --json: %v\n%s", err, d.stdout)
	}
	for _, f := range out.Findings {
		if (f.Service == p+"job" || f.Service == p+"once") && f.Severity >= model.SeverityMedium {
			t.Errorf("drift after the apply: %s %s %s", f.Severity, f.Kind, f.Explanation)
		}
	}
	if got := sw.spec(sw.serviceID("job")); len(got) != 1 || !strings.HasPrefix(got[0], "job_tok_v2:tok") {
		t.Errorf("the job mounts %v", got)
	}

	// The job's next value makes its run exit 1: apply fails with the task's error.
	srv.Put(t, bucket, p+"job.properties.prod", "tok = job-BOOM-value\n")
	r = runCLI(t, append([]string{"apply", "--yes", "--timeout", "90s"}, args...)...)
	if r.code != exitError || !strings.Contains(r.stderr, "job "+p+"job: task ") || !strings.Contains(r.stderr, "failed") {
		t.Fatalf("a failed run fails the apply with its task: exit %d\n%s", r.code, r.stderr)
	}
	if got := sw.spec(sw.serviceID("job")); len(got) != 1 || !strings.HasPrefix(got[0], "job_tok_v2:tok") {
		t.Errorf("the job is rolled back to v2, mounts %v", got)
	}
	leak.Check(t, "apply", r.all(), "job-new-value", "job-BOOM-value", "once-new-value", "job-old-value", "once-old-value")
}
