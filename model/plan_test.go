package model

import (
	"fmt"
	"strings"
	"testing"
)

// refsLine prints a service change's references after the plan: "name@target uid:gid mode".
func refsLine(rs []FileRef) string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s@%s %s:%s %04o", r.Name, r.Target, r.UID, r.GID, r.Mode))
	}
	return strings.Join(out, ", ")
}

// planWith plans every fixable finding sel picks (nil: all), with the key the
// source's fingerprints were made with.
func planWith(t *testing.T, w *world, sel func(Finding) bool) *RotationPlan {
	t.Helper()
	w.source.Key = w.key
	p, err := NewPlan(PlanInput{Drift: w.drift(), Swarm: &w.swarm, Source: &w.source, ID: "p-1", Now: t0, Select: sel})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPlanSwapsTheRefAtTheTarget: each service change replaces the reference
// at the desired target (or the one a version of the same secret is mounted
// at), keeps its uid, gid and mode, and leaves every other mount alone.
func TestPlanSwapsTheRefAtTheTarget(t *testing.T) {
	cases := []struct {
		name    string
		world   *world
		creates string
		after   string // the one service's references after the plan
	}{
		{"mount an existing version next to another secret",
			newWorld().managed("api_db_pass", 1, "s3cret!").secret("tls_cert").service("api", "tls_cert:tls_cert").
				file("api.properties.prod", "api", "db_pass=s3cret!"),
			"", "tls_cert@tls_cert 0:0 0444, api_db_pass_v1@db_pass 0:0 0444"},
		{"move a version mounted at another target, keeping its owner and mode",
			func() *world {
				w := newWorld().managed("api_db_pass", 1, "v").managed("api_other", 1, "o").
					service("api", "api_db_pass_v1:old_name", "api_other_v1:other").file("api.properties.prod", "api", "db_pass=v")
				ref := &w.last().Spec.Secrets[0]
				ref.UID, ref.Mode = "1000", 0o400
				return w
			}(),
			"", "api_db_pass_v1@db_pass 1000:0 0400, api_other_v1@other 0:0 0444"},
		{"finish a rotation where the service also mounts the new version elsewhere",
			newWorld().managed("api_db_pass", 1, "v").managed("api_db_pass", 2, "v").
				service("api", "api_db_pass_v1:db_pass", "api_db_pass_v2:db_pass_next").file("api.properties.prod", "api", "db_pass=v"),
			"", "api_db_pass_v2@db_pass 0:0 0444, api_db_pass_v2@db_pass_next 0:0 0444"},
		{"rotate a stale value: a new version",
			newWorld().managed("api_db_pass", 3, "old").service("api", "api_db_pass_v3:db_pass").file("api.properties.prod", "api", "db_pass=new"),
			"api_db_pass_v4", "api_db_pass_v4@db_pass 0:0 0444"},
		{"a version label lost: the number comes from the name",
			func() *world {
				w := newWorld().managed("api_db_pass", 3, "old").service("api", "api_db_pass_v3:db_pass").file("api.properties.prod", "api", "db_pass=new")
				delete(w.swarm.Secrets[0].Labels, LabelVersion)
				return w
			}(),
			"api_db_pass_v4", "api_db_pass_v4@db_pass 0:0 0444"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := planWith(t, c.world, nil)
			var creates []string
			for _, cr := range p.Creates {
				creates = append(creates, cr.Name)
			}
			if got := strings.Join(creates, ","); got != c.creates {
				t.Errorf("creates %q, want %q", got, c.creates)
			}
			if len(p.Services) != 1 {
				t.Fatalf("%d service changes, want 1", len(p.Services))
			}
			if got := refsLine(p.Services[0].After); got != c.after {
				t.Errorf("after:\n got %s\nwant %s", got, c.after)
			}
		})
	}
}

// TestPlanOnlyCreates: a shared key no service mounts yet gets its secret,
// with no service change.
func TestPlanOnlyCreates(t *testing.T) {
	w := newWorld().service("api").file("shared.properties.prod", SharedService, "token=abcdefgh")
	p := planWith(t, w, nil)
	if len(p.Creates) != 1 || p.Creates[0].Name != "token_v1" || len(p.Services) != 0 {
		t.Errorf("creates %+v, services %+v", p.Creates, p.Services)
	}
}

// TestPlanSelectsServices: mounting an existing version goes only to the
// services whose findings were picked; each change lists the findings it
// fixes, and how many running tasks it restarts.
func TestPlanSelectsServices(t *testing.T) {
	w := newWorld().managed("tok", 1, "v").service("a").service("b").file("shared.properties.prod", SharedService, "tok=v")
	m, err := ParseManifest(ManifestPath, []byte("services:\n  shared:\n    keys:\n      tok: {services: [a, b]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	w.man = m
	w.swarm.Tasks = []Task{
		{ID: "t1", ServiceID: "svc-a", DesiredState: "running", State: "running"},
		{ID: "t2", ServiceID: "svc-a", DesiredState: "running", State: "running"},
		{ID: "t3", ServiceID: "svc-b", DesiredState: "running", State: "running"},
		{ID: "t4", ServiceID: "svc-b", DesiredState: "shutdown", State: "failed"},
	}
	all := planWith(t, w, nil)
	var got []string
	for _, s := range all.Services {
		got = append(got, fmt.Sprintf("%s restarts %d fixes %v", s.Service, s.Restarts, s.Fixes))
	}
	want := "[a restarts 2 fixes [not-mounted/a/tok/tok_v1/shared.properties.prod/tok] b restarts 1 fixes [not-mounted/b/tok/tok_v1/shared.properties.prod/tok]]"
	if fmt.Sprint(got) != want {
		t.Errorf("changes:\n got %v\nwant %s", got, want)
	}
	onlyA := planWith(t, w, func(f Finding) bool { return f.Service == "a" })
	if len(onlyA.Services) != 1 || onlyA.Services[0].Service != "a" {
		t.Errorf("selecting a's finding changes %+v", onlyA.Services)
	}
}

// TestPlanNothingToDoSaysWhy: an empty plan names up to three findings that
// block it (an oversize value, a file that does not parse), else says that
// nothing selected can be fixed by a rotation.
func TestPlanNothingToDoSaysWhy(t *testing.T) {
	blob := strings.Repeat("x", MaxSecretSize)
	cases := []struct {
		name  string
		world *world
		sel   func(Finding) bool
		want  string
	}{
		{"one oversize value",
			newWorld().service("api").file("api.properties.prod", "api", "blob="+blob),
			nil, "nothing to do: blob of api.properties.prod is 512000 bytes: a swarm secret must be under 500 KiB (512,000 bytes)"},
		{"four oversize values: three are named",
			newWorld().service("api").file("api.properties.prod", "api", "a="+blob, "b="+blob, "c="+blob, "d="+blob),
			nil, "nothing to do: a of api.properties.prod is 512000 bytes: a swarm secret must be under 500 KiB (512,000 bytes); " +
				"b of api.properties.prod is 512000 bytes: a swarm secret must be under 500 KiB (512,000 bytes); " +
				"c of api.properties.prod is 512000 bytes: a swarm secret must be under 500 KiB (512,000 bytes)"},
		{"a key that normalizes to nothing",
			newWorld().service("api").file("api.properties.prod", "api", "$$$=v"),
			nil, `nothing to do: key "$$$" of api.properties.prod normalizes to an empty secret name; rename it or map it in secretdeck.yaml`},
		{"an oversize value not selected",
			newWorld().service("api").file("api.properties.prod", "api", "blob="+blob),
			func(Finding) bool { return false }, "nothing to do: no selected finding can be fixed by a rotation"},
		{"only an orphan",
			newWorld().secret("old_token"),
			nil, "nothing to do: no selected finding can be fixed by a rotation"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewPlan(PlanInput{Drift: c.world.drift(), Swarm: &c.world.swarm, Source: &c.world.source, ID: "p-1", Now: t0, Select: c.sel})
			if fmt.Sprint(err) != c.want {
				t.Errorf("error:\n got %v\nwant %s", err, c.want)
			}
		})
	}
}

// TestPlanSecretsAndLogicals: what a resume or a revert of plan p-9 works
// on is found by the secretdeck.plan label, and nothing else.
func TestPlanSecretsAndLogicals(t *testing.T) {
	w := newWorld().managed("tok", 1, "a", LabelPlan, "p-8").managed("tok", 2, "b", LabelPlan, "p-9").
		managed("key", 3, "c", LabelPlan, "p-9").managed("other", 1, "d").secret("db_pass_v7")
	if got := w.swarm.PlanLogicals("p-9"); fmt.Sprint(got) != "[key tok]" {
		t.Errorf("logicals of p-9: %v", got)
	}
	rev, err := NewRevertPlan(&w.swarm, &w.source, "p-9", "p-10", t0)
	if err != nil {
		t.Fatal(err)
	}
	var removes []string
	for _, r := range rev.Removes {
		removes = append(removes, r.ID+":"+r.Name+":"+r.Why)
	}
	if got := strings.Join(removes, ","); got != "id-key_v3:key_v3:revert,id-tok_v2:tok_v2:revert" {
		t.Errorf("a revert of p-9 removes %s", got)
	}
	for id, want := range map[string]string{"id-tok_v2": "tok", "id-db_pass_v7": "db_pass", "id-gone": ""} {
		if got := w.swarm.LogicalOf(id); got != want {
			t.Errorf("LogicalOf(%s) = %q, want %q", id, got, want)
		}
	}
}
