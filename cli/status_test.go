package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/internal/leak"
	"github.com/secretdeck/secretdeck/internal/seed"
	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

func TestStatusErrorsAreOneActionableLine(t *testing.T) {
	srv := useRigS3(t)
	manager := testrig.Docker(t)
	bucket := srv.NewBucket(t, map[string]string{"api.env.prod": "A=1\n", "dev/api.env": "A=2\n"})
	source := "s3://" + bucket + "/"

	cases := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{name: "unreachable engine",
			args: []string{"status", "--host", "unix:///nonexistent/secretdeck.sock"},
			want: []string{"unix:///nonexistent/secretdeck.sock"}},
		{name: "not a manager",
			args: []string{"status", "--host", testrig.WorkerDocker(t)},
			want: []string{"manager"}},
		{name: "no swarm",
			args: []string{"status", "--host", testrig.NoSwarmDocker(t)},
			want: []string{"swarm init"}},
		{name: "missing bucket",
			args: []string{"status", "--host", manager, "--source", "s3://sdtest-no-such-bucket/props", "--env", "prod"},
			want: []string{"sdtest-no-such-bucket", "does not exist"}},
		{name: "bad credentials",
			env:  map[string]string{"AWS_SECRET_ACCESS_KEY": "not-the-secret"},
			args: []string{"status", "--host", manager, "--source", source, "--env", "prod"},
			want: []string{bucket, "credentials"}},
		{name: "unknown env",
			args: []string{"status", "--host", manager, "--source", source, "--env", "stage"},
			want: []string{`"stage"`, "dev, prod"}},
		{name: "bad source",
			args: []string{"status", "--host", manager, "--source", "gs://bucket/x"},
			want: []string{"gs://bucket/x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			assertOneLineError(t, runCLI(t, tc.args...), tc.want...)
		})
	}
}

func decodeStatus(t *testing.T, r result) statusReport {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("status failed (%d): %s", r.code, r.stderr)
	}
	var rep statusReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("status --json is not JSON: %v\n%s", err, r.stdout)
	}
	return rep
}

// TestStatusJSONOnALargeSwarm runs `status --json` through a counting proxy in
// front of the real engine: 1,000 secrets and 200 services are all reported
// with their references, for the same requests as on a small swarm.
func TestStatusJSONOnALargeSwarm(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 1,000 secrets and 200 services")
	}
	sw := newRigSwarm(t)
	counter := testrig.CountingProxy(t, testrig.Docker(t))
	o := seed.Options{Prefix: sw.prefix, Secrets: 1000, Services: 200, Running: 1, Image: testrig.Image(t)}

	decodeStatus(t, runCLI(t, "status", "--json", "--host", counter.Host))
	smallHits := counter.Hits()
	counter.Reset()

	if err := seed.Seed(context.Background(), sw.api, o); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := seed.Cleanup(context.Background(), sw.api, o.Prefix); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	big := decodeStatus(t, runCLI(t, "status", "--json", "--host", counter.Host))
	bigHits := counter.Hits()

	if fmt.Sprint(smallHits) != fmt.Sprint(bigHits) {
		t.Errorf("requests grew with the swarm:\nsmall %v\nlarge %v", smallHits, bigHits)
	}
	for _, path := range []string{"GET /info", "GET /nodes", "GET /secrets", "GET /configs", "GET /services", "GET /tasks"} {
		if bigHits[path] != 1 {
			t.Errorf("%s requested %d times, want once", path, bigHits[path])
		}
	}
	// Other packages' tests create and remove objects on the same rig while
	// this runs: totals are bounded below, the test's own objects counted
	// exactly (below).
	if big.Swarm.Secrets < o.Secrets || big.Swarm.Services < o.Services {
		t.Errorf("counts below what was seeded: %+v (seeded %d secrets, %d services)", big.Swarm, o.Secrets, o.Services)
	}
	seen := 0
	for _, svc := range big.Services {
		i, err := strconv.Atoi(strings.TrimPrefix(svc.Name, o.Prefix+"service_"))
		if !strings.HasPrefix(svc.Name, o.Prefix) || err != nil {
			continue
		}
		seen++
		for j, ref := range svc.Secrets {
			s, target, uid, gid, mode := seed.Mount(o, i, j)
			if ref.Name != seed.SecretName(o.Prefix, s) || ref.Target != target || ref.UID != uid || ref.GID != gid || ref.Mode != uint32(mode) {
				t.Fatalf("%s: ref %d = %+v", svc.Name, j, ref)
			}
		}
	}
	if seen != o.Services {
		t.Errorf("%d seeded services in status, want %d", seen, o.Services)
	}
}

// TestNoValueReachesOutputErrorsOrLogs puts known values in the swarm (secret
// data, a plain env var) and in the source (valid and broken files), runs
// every read command with --debug and every error path, and looks for them.
func TestNoValueReachesOutputErrorsOrLogs(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	const (
		envValue    = "Known-Env-Value-7f3a"
		secretValue = "Known-Secret-Data-91bc"
		fileValue   = "Known-File-Value-22de"
		brokenValue = "Known-Broken-Value-5a1e"
	)
	sw.secret("api_db_pass", secretValue, nil)
	sw.service("api", []string{"DB_PASSWORD=" + envValue, "OTHER=" + fileValue}, nil, "api_db_pass:db_pass")
	bucket := srv.NewBucket(t, map[string]string{
		sw.prefix + "api.json.prod":           `{"db_pass": "` + fileValue + `"}`,
		sw.prefix + "api.yaml.dev":            "a: [" + brokenValue + "\n",
		sw.prefix + "worker.json.prod":        `{"x": ` + brokenValue + `}`,
		sw.prefix + "worker.env.prod":         "A=\"" + brokenValue + "\n",
		sw.prefix + "billing.properties.prod": "k = \\u12" + brokenValue + "\n",
	})
	base := []string{"--debug", "--host", testrig.Docker(t), "--source", "s3://" + bucket}
	var runs []result
	for _, args := range [][]string{
		{"status", "--env", "prod"}, {"status", "--json", "--env", "prod"},
		{"drift", "--env", "prod"}, {"drift", "--json", "--env", "prod"},
		{"inspect", "service", sw.prefix + "api", "--env", "prod"}, {"inspect", "service", sw.prefix + "api", "--json", "--env", "prod"},
		{"inspect", "secret", sw.prefix + "api_db_pass", "--env", "prod"}, {"inspect", "secret", sw.prefix + "api_db_pass", "--json", "--env", "prod"},
		{"status", "--env", "dev"}, {"drift", "--env", "dev", "--json"},
		{"status", "--env", "nope"}, {"inspect", "secret", "nope", "--env", "prod"},
	} {
		r := runCLI(t, append(append([]string{}, args...), base...)...)
		if r.code == exitError && !strings.Contains(strings.Join(args, " "), "nope") {
			t.Errorf("%v failed: %s", args, r.stderr)
		}
		runs = append(runs, r)
	}
	for i, r := range runs {
		values := []string{envValue, secretValue, fileValue, brokenValue}
		for _, v := range values[:4] {
			values = append(values, v[:12]) // a prefix is a leak too
		}
		leak.Check(t, fmt.Sprintf("the output of run %d", i), r.all(), values...)
	}
	if !strings.Contains(runs[0].stderr, "level=DEBUG") {
		t.Errorf("--debug logged nothing, so the log was not checked: %q", runs[0].stderr)
	}
	if !strings.Contains(runs[2].stdout, "env-exposure") || !strings.Contains(runs[2].stdout, "DB_PASSWORD") {
		t.Errorf("drift should flag the exposed env var by name:\n%s", runs[2].stdout)
	}
}

// TestStatusSaysWhichNodesAreNotReady: a node that is down is counted, in
// the text and in the JSON.
func TestStatusSaysWhichNodesAreNotReady(t *testing.T) {
	w := &world{swarm: &model.SwarmSnapshot{ClusterID: "c1", NodeRole: "manager", Nodes: []model.Node{
		{ID: "m", Role: "manager", State: "ready"}, {ID: "w1", Role: "worker", State: "down"}, {ID: "w2", Role: "worker", State: "ready", Availability: "drain"},
	}}}
	r := newStatusReport(w)
	var b strings.Builder
	if err := r.writeText(&b); err != nil {
		t.Fatal(err)
	}
	if r.Swarm.Down != 1 || !strings.Contains(b.String(), "3 nodes (1 manager, 1 NOT READY)") {
		t.Errorf("down %d:\n%s", r.Swarm.Down, b.String())
	}
}
