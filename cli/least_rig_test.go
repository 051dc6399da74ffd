package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/internal/leak"
	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// findings runs drift --json and returns the findings of service svc.
func findings(t *testing.T, args []string, svc string, values ...string) []model.Finding {
	t.Helper()
	r := runCLI(t, append([]string{"drift", "--json"}, args...)...)
	for _, v := range values {
		leak.Check(t, "drift", r.all(), v)
	}
	var out driftOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("drift --json: %v\n%s", err, r.all())
	}
	var got []model.Finding
	for _, f := range out.Findings {
		if f.Service == svc {
			got = append(got, f)
		}
	}
	return got
}

func kindsOf(fs []model.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, string(f.Kind)+" "+f.Key+f.Secret)
	}
	return strings.Join(out, ", ")
}

// envNames lists a service's env var names in its Spec and PreviousSpec.
func (r *rigSwarm) envNames(id string) (spec, previous string) {
	r.t.Helper()
	res, err := r.api.ServiceInspect(context.Background(), id, client.ServiceInspectOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	names := func(env []string) string {
		var out []string
		for _, kv := range env {
			name, _, _ := strings.Cut(kv, "=")
			out = append(out, name)
		}
		return strings.Join(out, " ")
	}
	spec = names(res.Service.Spec.TaskTemplate.ContainerSpec.Env)
	if p := res.Service.PreviousSpec; p != nil {
		previous = names(p.TaskTemplate.ContainerSpec.Env)
	}
	return spec, previous
}

// TestMoveToSecretForReal: a proxy with its stats password in a plain env
// var. Drift reports it; while the source holds the same (burned) value the
// plan refuses; once the source has a new value, apply leaves no STATS_PASS
// in the Spec nor the PreviousSpec, the task reads the new value from
// /run/secrets/dfp_stats_pass, and drift is clean for the service.
func TestMoveToSecretForReal(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	p := sw.prefix
	const exposed, fresh = "moved-Stats-Pass-Exposed1", "moved-Stats-Pass-Fresh22"
	id := sw.runningService("proxy", []string{"STATS_USER=admin", "STATS_PASS=" + exposed})
	sw.waitRunning(id)
	bucket := srv.NewBucket(t, map[string]string{
		p + "proxy.properties.prod": "stats.user = admin\nstats.password = " + exposed + "\n",
		model.ManifestPath:          fmt.Sprintf("services:\n  %sproxy:\n    exclude: [stats.user]\n    convention: docker-flow-proxy\n    keys:\n      stats.password: {env: STATS_PASS}\n", p),
	})
	args := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}

	fs := findings(t, args, p+"proxy", exposed)
	if len(fs) == 0 || fs[0].Kind != model.KindEnvExposure || fs[0].Key != "STATS_PASS" || !strings.Contains(fs[0].Explanation, "dfp_stats_pass") {
		t.Fatalf("env-exposure with its move: %s", kindsOf(fs))
	}
	r := runCLI(t, append([]string{"plan", "--service", p + "proxy"}, args...)...)
	leak.Check(t, "plan", r.all(), exposed)
	if r.code != exitError || !strings.Contains(r.stderr, "burned") {
		t.Fatalf("a burned value is refused: exit %d\n%s", r.code, r.all())
	}

	srv.Put(t, bucket, p+"proxy.properties.prod", "stats.user = admin\nstats.password = "+fresh+"\n")
	r = runCLI(t, append([]string{"apply", "--yes", "--service", p + "proxy"}, args...)...)
	leak.Check(t, "apply", r.all(), exposed, fresh)
	if r.code != 0 {
		t.Fatalf("apply: exit %d\n%s", r.code, r.all())
	}
	if !strings.Contains(r.stdout, "--env-rm STATS_PASS") || !strings.Contains(r.stdout, "previous spec of 1 services flushed") {
		t.Errorf("the preview shows the variable going, the verdict the flush:\n%s", r.stdout)
	}
	spec, previous := sw.envNames(id)
	if strings.Contains(spec, "STATS_PASS") || strings.Contains(previous, "STATS_PASS") {
		t.Errorf("STATS_PASS left: spec [%s], previous spec [%s]", spec, previous)
	}
	if got := fmt.Sprint(sw.spec(id)); got != "[proxy_stats.password_v1:dfp_stats_pass:0:0:0444]" {
		t.Errorf("mounts %s", got)
	}
	sw.logsShow("proxy", fmt.Sprintf("file=/run/secrets/dfp_stats_pass size=%d mode=444 sha256=%s", len(fresh), sha(fresh)))
	if fs := findings(t, args, p+"proxy", exposed, fresh); len(fs) != 0 {
		t.Errorf("drift after the move: %s", kindsOf(fs))
	}
}

// TestUnauthorizedMountForReal: a shared key granted to billing only, also
// mounted by intruder. Drift says so; a rotation leaves the intruder on the
// OLD version; apply --revoke --service intruder takes the mount away, and
// drift no longer reports it.
func TestUnauthorizedMountForReal(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	p := sw.prefix
	const oldValue, newValue = "grant-Old-Value-0001", "grant-New-Value-0002"
	sw.secret("tok_v1", oldValue, nil)
	sw.service("billing", nil, nil, "tok_v1:"+p+"tok")
	sw.service("intruder", nil, nil, "tok_v1:"+p+"tok")
	bucket := srv.NewBucket(t, map[string]string{
		"shared.properties.prod": p + "tok = " + newValue + "\n",
		model.ManifestPath:       fmt.Sprintf("services:\n  shared:\n    keys:\n      %stok: {services: [%sbilling]}\n", p, p),
	})
	args := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}

	if fs := findings(t, args, p+"intruder", oldValue, newValue); kindsOf(fs) != "unauthorized-mount "+p+"tok_v1" {
		t.Fatalf("intruder: %s", kindsOf(fs))
	}
	if r := runCLI(t, append([]string{"apply", "--yes", "--secret", p + "tok"}, args...)...); r.code != 0 {
		t.Fatalf("rotation: exit %d\n%s", r.code, r.all())
	}
	if got, want := fmt.Sprint(sw.spec(sw.serviceID("billing"))), "[tok_v2:"+p+"tok:0:0:0444]"; got != want {
		t.Errorf("billing mounts %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(sw.spec(sw.serviceID("intruder"))), "[tok_v1:"+p+"tok:0:0:0444]"; got != want {
		t.Errorf("the intruder must stay on the old version: mounts %s, want %s", got, want)
	}
	r := runCLI(t, append([]string{"apply", "--revoke", "--service", p + "intruder", "--yes"}, args...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "--secret-rm "+p+"tok_v1") {
		t.Fatalf("revoke: exit %d\n%s", r.code, r.all())
	}
	if got := sw.spec(sw.serviceID("intruder")); len(got) != 0 {
		t.Errorf("the intruder still mounts %v", got)
	}
	if fs := findings(t, args, p+"intruder"); len(fs) != 0 {
		t.Errorf("after the revocation: %s", kindsOf(fs))
	}
}

// TestBoundEnvironmentRefusesAnotherSwarm: secretdeck.yaml binds prod to
// another cluster; apply --env prod --yes exits non-zero naming both swarms
// and changes nothing.
func TestBoundEnvironmentRefusesAnotherSwarm(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	p := sw.prefix
	sw.secret("api_tok_v1", "bound-Old-Value-001", nil)
	sw.service("api", nil, nil, "api_tok_v1:tok")
	const other = "otherclusterid0000000000"
	bucket := srv.NewBucket(t, map[string]string{
		p + "api.properties.prod": "tok = bound-New-Value-002\n",
		model.ManifestPath:        "environments:\n  prod: {swarm: " + other + "}\n",
	})
	info, err := sw.api.SwarmInspect(context.Background(), client.SwarmInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	count := func() string {
		secrets, err := sw.api.SecretList(context.Background(), client.SecretListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		svc, err := sw.api.ServiceInspect(context.Background(), p+"api", client.ServiceInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%d secrets, api at version %d", len(secrets.Items), svc.Service.Version.Index)
	}
	before := count()
	r := runCLI(t, "apply", "--yes", "--host", testrig.Docker(t), "--source", "s3://"+bucket, "--env", "prod")
	if r.code != exitError || !strings.Contains(r.stderr, other) || !strings.Contains(r.stderr, info.Swarm.ID) {
		t.Fatalf("refused, naming both swarms: exit %d\n%s", r.code, r.all())
	}
	if after := count(); after != before {
		t.Errorf("a refused apply changed the swarm: %s, then %s", before, after)
	}
}
