package model

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func removalNames(rs []SecretRemoval) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name+":"+r.Why)
	}
	return strings.Join(out, ",")
}

// versions of tok: v1..v4 made by secretdeck, api mounts v4 with a stale
// value, so a plan creates v5.
func fourVersions() *world {
	w := newWorld()
	for n := 1; n <= 4; n++ {
		w.managed("api_tok", n, fmt.Sprint("old-", n))
	}
	w.secret("api_tok_v0") // adopted by its name: never pruned by a plan
	w.service("api", "api_tok_v4:tok").file("api.properties.prod", "api", "tok=new")
	w.swarm.ClusterID, w.source.URI = "c1", "s3://b"
	return w
}

func TestPlanRemovalsKeepWhatARollbackNeeds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		keep  int
		setup func(w *world)
		want  string
	}{
		// After the plan: v5 mounted, v4 in api's PreviousSpec; keep 1 keeps v5, v4.
		{"keep 1", 1, nil, "api_tok_v1:prune,api_tok_v2:prune,api_tok_v3:prune"},
		{"keep 2", 2, nil, "api_tok_v1:prune,api_tok_v2:prune"},
		// keep 0: v4 stays all the same, the PreviousSpec of api names it then.
		{"keep 0", 0, nil, "api_tok_v1:prune,api_tok_v2:prune,api_tok_v3:prune"},
		{"keep -1 removes nothing", -1, nil, ""},
		{"another service's PreviousSpec keeps v2", 1, func(w *world) {
			w.service("worker")
			w.last().Previous = &ServiceSpec{Secrets: []FileRef{{ID: "id-api_tok_v2", Name: "api_tok_v2", Target: "tok"}}}
		}, "api_tok_v1:prune,api_tok_v3:prune"},
		{"another service's Spec keeps v1", 1, func(w *world) { w.service("legacy", "api_tok_v1:tok") },
			"api_tok_v2:prune,api_tok_v3:prune"},
		// api's own PreviousSpec is replaced by the update (its Spec then):
		// what only it named goes.
		{"the updated service's old PreviousSpec does not keep v3", 1, func(w *world) {
			w.swarm.Services[0].Previous = &ServiceSpec{Secrets: []FileRef{{ID: "id-api_tok_v3", Name: "api_tok_v3", Target: "tok"}}}
		}, "api_tok_v1:prune,api_tok_v2:prune,api_tok_v3:prune"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := fourVersions()
			if tc.setup != nil {
				tc.setup(w)
			}
			p, err := NewPlan(PlanInput{Drift: w.drift(), Swarm: &w.swarm, Source: &w.source, ID: "p-1", Now: t0,
				Options: ApplyOptions{Keep: tc.keep, Parallel: 1, Timeout: 1}})
			if err != nil {
				t.Fatal(err)
			}
			if got := removalNames(p.Removes); got != tc.want {
				t.Errorf("removes %q, want %q", got, tc.want)
			}
		})
	}
}

// Zero options are the defaults: keep 1.
func TestPlanRemovalsDefaultKeepsOne(t *testing.T) {
	w := fourVersions()
	p := planFor(t, w)
	if got := removalNames(p.Removes); got != "api_tok_v1:prune,api_tok_v2:prune,api_tok_v3:prune" {
		t.Errorf("removes %q", got)
	}
}

func TestApplyRemovesLastAndOnlyWhatIsStillUnused(t *testing.T) {
	w := fourVersions()
	p := planFor(t, w)
	f := newFakeSwarm(w)
	// Between plan and apply, someone mounts v2 again and points a rollback at v3.
	f.services["svc-api"].Spec.Secrets = append(f.services["svc-api"].Spec.Secrets, FileRef{ID: "id-api_tok_v2", Name: "api_tok_v2", Target: "other"})
	p.Services[0].Before = slices.Clone(f.services["svc-api"].Spec.Secrets)
	p.Services[0].After = append(p.Services[0].After, FileRef{ID: "id-api_tok_v2", Name: "api_tok_v2", Target: "other"})
	f.services["svc-x"] = &Service{ID: "svc-x", Name: "x", Version: 10, Previous: &ServiceSpec{Secrets: []FileRef{{ID: "id-api_tok_v3"}}}}
	var steps []string
	in := applyInput(w, f, p)
	in.Progress = func(s Step) { steps = append(steps, s.Action+" "+s.Secret+s.Service+" "+s.Result) }
	res, err := Apply(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Removed, ",") != "api_tok_v1" || strings.Join(res.Kept, ",") != "api_tok_v2,api_tok_v3" {
		t.Errorf("removed %v, kept %v", res.Removed, res.Kept)
	}
	if _, ok := f.secrets["id-api_tok_v1"]; ok {
		t.Error("v1 is still in the swarm")
	}
	for _, id := range []string{"id-api_tok_v2", "id-api_tok_v3", "id-api_tok_v4"} {
		if _, ok := f.secrets[id]; !ok {
			t.Errorf("%s was removed", id)
		}
	}
	// The removals come after every verification.
	lastVerified, firstRemove := -1, -1
	for i, s := range steps {
		if strings.HasPrefix(s, "verified") {
			lastVerified = i
		}
		if strings.HasPrefix(s, "remove") && firstRemove < 0 {
			firstRemove = i
		}
	}
	if firstRemove < lastVerified {
		t.Errorf("a removal ran before the services were verified:\n%s", strings.Join(steps, "\n"))
	}
	if !strings.Contains(res.Summary, "1 old secrets removed, 2 kept (in use)") {
		t.Errorf("summary %q", res.Summary)
	}
}

func TestApplyRunsNoRemovalAfterAFailure(t *testing.T) {
	w := fourVersions()
	p := planFor(t, w)
	f := newFakeSwarm(w)
	f.script["api"] = &rollout{states: []string{"paused"}, message: "task failed"}
	_, err := Apply(context.Background(), applyInput(w, f, p))
	if err == nil {
		t.Fatal("a paused rollout is a failure")
	}
	for n := 1; n <= 3; n++ {
		if _, ok := f.secrets[fmt.Sprintf("id-api_tok_v%d", n)]; !ok {
			t.Errorf("v%d was removed by a failed apply", n)
		}
	}
}

func TestApplySaysWhichRemovalFailed(t *testing.T) {
	w := fourVersions()
	p := planFor(t, w)
	f := newFakeSwarm(w)
	f.removeErr["api_tok_v2"] = errors.New("engine went away")
	res, err := Apply(context.Background(), applyInput(w, f, p))
	if err == nil || !strings.Contains(err.Error(), "applied, but 1 secret(s) could not be removed: api_tok_v2 (engine went away)") {
		t.Fatalf("error %v", err)
	}
	if res == nil || res.Services["api"] != "verified" || strings.Join(res.Removed, ",") != "api_tok_v1,api_tok_v3" {
		t.Errorf("result %+v", res)
	}
}

// A resume of a plan whose services are all done still removes what the
// plan's prune step did not get to (kill -9 during the prune).
func TestResumeFinishesTheRemovals(t *testing.T) {
	w := fourVersions()
	w.managed("api_tok", 5, "new", LabelPlan, "p-old")
	w.swarm.Services[0].Spec.Secrets[0] = FileRef{ID: "id-api_tok_v5", Name: "api_tok_v5", Target: "tok", UID: "0", GID: "0", Mode: 0o444}
	w.swarm.Services[0].Previous = &ServiceSpec{Secrets: []FileRef{{ID: "id-api_tok_v4", Name: "api_tok_v4", Target: "tok"}}}
	in := PlanInput{Drift: w.drift(), Swarm: &w.swarm, Source: &w.source, ID: "p-2", Now: t0}
	p, err := NewResumePlan(in, "p-old")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Creates) != 0 || len(p.Services) != 0 || removalNames(p.Removes) != "api_tok_v1:prune,api_tok_v2:prune,api_tok_v3:prune" {
		t.Errorf("resume: creates %v, services %v, removes %q", p.Creates, p.Services, removalNames(p.Removes))
	}
	if _, err := NewResumePlan(in, "p-unknown"); err == nil || !strings.Contains(err.Error(), "nothing to resume") {
		t.Errorf("an unknown plan id: %v", err)
	}
}

// A revert's removals are the reverted plan's secrets, removed although the
// PreviousSpec of the reverted service names them (that is what is undone).
func TestRevertRemovesThePlansSecrets(t *testing.T) {
	w := fourVersions()
	w.managed("api_tok", 5, "new", LabelPlan, "p-bad")
	w.swarm.Services[0].Spec.Secrets[0] = FileRef{ID: "id-api_tok_v5", Name: "api_tok_v5", Target: "tok", UID: "0", GID: "0", Mode: 0o444}
	p, err := NewRevertPlan(&w.swarm, &w.source, "p-bad", "p-rev", t0)
	if err != nil {
		t.Fatal(err)
	}
	if removalNames(p.Removes) != "api_tok_v5:revert" || len(p.Services) != 1 || p.Services[0].After[0].Name != "api_tok_v4" {
		t.Fatalf("revert plan: services %+v removes %q", p.Services, removalNames(p.Removes))
	}
	f := newFakeSwarm(w)
	res, err := Apply(context.Background(), applyInput(w, f, p))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Removed, ",") != "api_tok_v5" {
		t.Errorf("removed %v, kept %v", res.Removed, res.Kept)
	}
	if !strings.HasSuffix(res.Summary, "; 1 old secrets removed") {
		t.Errorf("a summary with nothing kept says nothing of it: %q", res.Summary)
	}
}

func TestCheckRemoval(t *testing.T) {
	prev := func(id string) *ServiceSpec { return &ServiceSpec{Secrets: []FileRef{{ID: id}}} }
	services := []Service{
		{ID: "svc-api", Name: "api", Spec: ServiceSpec{Secrets: []FileRef{{ID: "mounted"}}}, Previous: prev("rollback")},
		{ID: "svc-web", Name: "web", Previous: prev("web-rollback")},
	}
	updated := map[string]bool{"svc-api": true} // the plan reverts api, not web
	for _, tc := range []struct {
		rm   SecretRemoval
		want string
	}{
		// A revert keeps what the PreviousSpec of a service it does not update names.
		{SecretRemoval{ID: "web-rollback", Why: RemoveRevert}, "previous spec of service web names it"},
		{SecretRemoval{ID: "free", Why: RemovePrune}, ""},
		{SecretRemoval{ID: "mounted", Why: RemovePrune}, "service api mounts it"},
		{SecretRemoval{ID: "mounted", Why: RemoveRevert}, "service api mounts it"},
		{SecretRemoval{ID: "rollback", Why: RemovePrune}, "previous spec of service api names it"},
		{SecretRemoval{ID: "rollback", Why: RemoveRevert}, ""},
		// A reason apply does not know is held to the strictest rule.
		{SecretRemoval{ID: "rollback", Why: "whatever"}, "previous spec of service api names it"},
	} {
		err := checkRemoval(tc.rm, services, updated)
		if (tc.want == "" && err != nil) || (tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want))) {
			t.Errorf("%+v: %v, want %q", tc.rm, err, tc.want)
		}
	}
}

// A plan file is not trusted to say what to remove: a removal the swarm does
// not justify is refused before anything changes. (Check refuses any plan
// its origin does not make again — see TestCheckRefusesEditedPlans — and
// holds every removal to these rules besides.)
func TestCheckRefusesUnjustifiedRemovals(t *testing.T) {
	w := fourVersions()
	w.managed("api_tok", 5, "new", LabelPlan, "p-bad")
	w.managed("other", 1, "x")
	w.managed("other", 2, "y")
	for _, tc := range []struct {
		name string
		rm   SecretRemoval
		want string // "" : justified
	}{
		{"an older version", SecretRemoval{ID: "id-api_tok_v1", Name: "api_tok_v1", Logical: "api_tok", Why: RemovePrune}, ""},
		{"another logical's older version", SecretRemoval{ID: "id-other_v1", Name: "other_v1", Logical: "other", Why: RemovePrune}, ""},
		{"the newest version", SecretRemoval{ID: "id-other_v2", Name: "other_v2", Logical: "other", Why: RemovePrune}, "does not justify"},
		{"a secret secretdeck did not make", SecretRemoval{ID: "id-api_tok_v0", Name: "api_tok_v0", Logical: "api_tok", Why: RemovePrune}, "not a version of api_tok made by secretdeck"},
		{"a logical it is not", SecretRemoval{ID: "id-api_tok_v1", Name: "api_tok_v1", Logical: "other", Why: RemovePrune}, "not a version of other"},
		{"an ID that is not in the swarm", SecretRemoval{ID: "id-nope", Name: "api_tok_v1", Logical: "api_tok", Why: RemovePrune}, "not in this swarm"},
		{"a name that does not match the ID", SecretRemoval{ID: "id-api_tok_v1", Name: "api_tok_v2", Logical: "api_tok", Why: RemovePrune}, "not in this swarm"},
		{"a revert of the plan that made it", SecretRemoval{ID: "id-api_tok_v5", Name: "api_tok_v5", Logical: "api_tok", Why: RemoveRevert, Plan: "p-bad"}, ""},
		{"a revert naming another plan", SecretRemoval{ID: "id-api_tok_v5", Name: "api_tok_v5", Logical: "api_tok", Why: RemoveRevert, Plan: "p-other"}, "does not justify"},
		{"a revert of a secret no plan made", SecretRemoval{ID: "id-api_tok_v4", Name: "api_tok_v4", Logical: "api_tok", Why: RemoveRevert}, "does not justify"},
		{"an unknown reason", SecretRemoval{ID: "id-api_tok_v1", Name: "api_tok_v1", Logical: "api_tok", Why: "whatever"}, "does not justify"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &RotationPlan{ID: "p-x", ClusterID: w.swarm.ClusterID, Source: w.source.URI, Env: w.source.Env, Removes: []SecretRemoval{tc.rm}}
			err := justifyRemovals(p, &w.swarm)
			if (tc.want == "" && err != nil) || (tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want))) {
				t.Fatalf("Check: %v, want %q", err, tc.want)
			}
		})
	}
	// Without a view of the swarm, a plan that removes is refused.
	p := &RotationPlan{ID: "p-x", ClusterID: w.swarm.ClusterID, Source: w.source.URI, Env: w.source.Env,
		Removes: []SecretRemoval{{ID: "id-api_tok_v1", Name: "api_tok_v1", Logical: "api_tok", Why: RemovePrune}}}
	in := applyInput(w, newFakeSwarm(w), p)
	in.Snapshot = nil
	if err := Check(context.Background(), in); err == nil || !strings.Contains(err.Error(), "no view of the swarm") {
		t.Errorf("no snapshot: %v", err)
	}
}
