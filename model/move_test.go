package model

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// proxyWorld is a proxy with a credential in its env (STATS_PASS=env) and
// a property file whose stats.password holds src.
func proxyWorld(env, src string) *world {
	w := newWorld().service("proxy").file("proxy.properties.prod", "proxy", "stats.password="+src)
	w.last().Spec.Env = []EnvVar{{Name: "STATS_USER", Value: NewValueString("admin")}, {Name: "STATS_PASS", Value: NewValueString(env)}}
	w.last().Version = 10
	w.swarm.ClusterID, w.source.URI = "c1", "s3://b/p"
	w.source.Files[0].ETag = "e1"
	return w
}

func exposure(t *testing.T, r *DriftReport, env string) Finding {
	t.Helper()
	for _, f := range r.Findings {
		if f.Kind == KindEnvExposure && f.Key == env {
			return f
		}
	}
	t.Fatalf("no env-exposure of %s in %q", env, kinds(r))
	return Finding{}
}

// TestMoveToSecretNeedsToKnowWhereTheAppReads: a move is planned only where
// the manifest or a named convention says where the application reads the
// secret; otherwise the finding says which manifest line would allow it.
func TestMoveToSecretNeedsToKnowWhereTheAppReads(t *testing.T) {
	cases := []struct {
		name     string
		env      string // STATS_PASS's value; the source holds new-stats-pass
		man      string
		image    string
		target   string // "" when no move is possible
		setEnv   string
		wantHint string
	}{
		{"no link, the value names the key", "new-stats-pass", "", "nginx:1", "", "", "services.proxy.keys.stats.password.env: STATS_PASS in secretdeck.yaml"},
		{"no link, no value to go by", "", "", "nginx:1", "", "", "services.proxy.keys.<key>.env: STATS_PASS in secretdeck.yaml, with <key> an entry of proxy.properties.prod"},
		{"manifest env link", "", "services: {proxy: {keys: {stats.password: {env: STATS_PASS}}}}", "nginx:1", "stats.password", "", ""},
		{"manifest env link and target", "", "services: {proxy: {keys: {stats.password: {env: STATS_PASS, target: stats_pass}}}}", "nginx:1", "stats_pass", "", ""},
		{"Docker Flow Proxy, by its image", "", "services: {proxy: {keys: {stats.password: {env: STATS_PASS}}}}", "dockerflow/docker-flow-proxy:18.04@sha256:abc", "dfp_stats_pass", "", ""},
		{"Docker Flow Proxy, by the manifest", "", "services: {proxy: {convention: docker-flow-proxy, keys: {stats.password: {env: STATS_PASS}}}}", "my/proxy", "dfp_stats_pass", "", ""},
		{"file-env image", "", "services: {proxy: {file-env: true, keys: {stats.password: {env: STATS_PASS}}}}", "postgres:17", "stats.password", "STATS_PASS_FILE=/run/secrets/stats.password", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := proxyWorld(cmp.Or(c.env, "old-stats-pass"), "new-stats-pass")
			w.last().Spec.Image = c.image
			if c.man != "" {
				m, err := ParseManifest(ManifestPath, []byte(c.man))
				if err != nil {
					t.Fatal(err)
				}
				w.man = m
			}
			r := w.drift()
			f := exposure(t, r, "STATS_PASS")
			m := r.Move(f)
			if c.target == "" {
				if m != nil || Fixable(f) {
					t.Fatalf("a move without knowing where the app reads: %+v", m)
				}
				if !strings.Contains(f.Hint, c.wantHint) {
					t.Errorf("hint %q does not say %q", f.Hint, c.wantHint)
				}
				return
			}
			if m == nil || !Fixable(f) {
				t.Fatalf("no move: %s (hint %q)", f.Explanation, f.Hint)
			}
			if m.Target != c.target || m.SetEnv != c.setEnv || m.Burned || m.Logical != "proxy_stats.password" {
				t.Errorf("move %+v", *m)
			}
			if f.Command != "secretdeck plan --service proxy --source s3://b/p --env prod" {
				t.Errorf("command %q", f.Command)
			}
		})
	}
}

// TestMovePlanRemovesTheVariableInTheSameUpdate: the one update of the
// service mounts the secret AND removes the variable, then a purge flushes
// the previous spec; a burned value is refused unless accepted.
func TestMovePlanRemovesTheVariableInTheSameUpdate(t *testing.T) {
	man := "services: {proxy: {convention: docker-flow-proxy, keys: {stats.password: {env: STATS_PASS}}}}"
	mk := func(env string) *world {
		w := proxyWorld(env, "new-stats-pass")
		m, err := ParseManifest(ManifestPath, []byte(man))
		if err != nil {
			t.Fatal(err)
		}
		w.man = m
		return w
	}

	w := mk("new-stats-pass") // the value the source holds: everyone has seen it
	w.source.Key, w.source.Manifest = w.key, w.man
	_, err := NewPlan(PlanInput{Drift: w.drift(), Swarm: &w.swarm, Source: &w.source, ID: "p-1", Now: t0})
	if err == nil || !strings.Contains(err.Error(), "burned") || !strings.Contains(err.Error(), "--accept-exposed-value") || strings.Contains(err.Error(), "new-stats-pass") {
		t.Fatalf("a burned value must be refused, naming the way out and not the value: %v", err)
	}
	p, err := NewPlan(PlanInput{Drift: w.drift(), Swarm: &w.swarm, Source: &w.source, ID: "p-1", Now: t0, AcceptExposed: true})
	if err != nil || !p.Made.AcceptExposed {
		t.Fatalf("accepted: %v %+v", err, p)
	}
	if err := Remake(p, &w.swarm, &w.source); err != nil {
		t.Errorf("a plan that accepted the exposed value is made again the same: %v", err)
	}

	w = mk("old-stats-pass")
	p = planFor(t, w)
	if len(p.Services) != 1 || len(p.Creates) != 1 {
		t.Fatalf("plan %+v", p)
	}
	sc := p.Services[0]
	if fmt.Sprint(sc.EnvRemove) != "[STATS_PASS]" || sc.Purge == "" || len(sc.After) != 1 || sc.After[0].Target != "dfp_stats_pass" {
		t.Errorf("change %+v", sc)
	}
	if got := sc.DockerCommand(); got != "docker service update --env-rm STATS_PASS --secret-add source=proxy_stats.password_v1,target=dfp_stats_pass,uid=0,gid=0,mode=0444 proxy" {
		t.Errorf("command %q", got)
	}
	f := newFakeSwarm(w)
	res, err := Apply(context.Background(), applyInput(w, f, p))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.calls, "; "); got != "create proxy_stats.password_v1 fp=true plan=p-1; update --env-rm STATS_PASS proxy; update proxy" {
		t.Errorf("calls: %s", got)
	}
	svc := f.services["svc-proxy"]
	if slices.ContainsFunc(svc.Spec.Env, func(e EnvVar) bool { return e.Name == "STATS_PASS" }) ||
		slices.ContainsFunc(svc.Previous.Env, func(e EnvVar) bool { return e.Name == "STATS_PASS" }) {
		t.Errorf("STATS_PASS is left in the spec or the previous spec: %+v / %+v", svc.Spec.Env, svc.Previous.Env)
	}
	if fmt.Sprint(res.Purged) != "[proxy]" || !strings.Contains(res.Summary, "previous spec of 1 services flushed") {
		t.Errorf("result %+v", res)
	}
}

// TestFailedMoveIsRolledBackWithItsVariable: a move whose rollout fails
// goes back to the spec with the variable (Docker's PreviousSpec), and no
// purge runs: it would make the failed spec the one to go back to.
func TestFailedMoveIsRolledBackWithItsVariable(t *testing.T) {
	w := proxyWorld("old-stats-pass", "new-stats-pass")
	w.man, _ = ParseManifest(ManifestPath, []byte("services: {proxy: {keys: {stats.password: {env: STATS_PASS}}}}"))
	p := planFor(t, w)
	f := newFakeSwarm(w)
	f.script["proxy"] = &rollout{states: []string{"updating", "paused"}, message: "task failed"}
	_, err := Apply(context.Background(), applyInput(w, f, p))
	if err == nil {
		t.Fatal("a paused rollout is a failure")
	}
	if got := strings.Join(f.calls, "; "); strings.Contains(got, "; update proxy") || !strings.Contains(got, "rollback proxy") {
		t.Errorf("calls: %s", got)
	}
	if !slices.ContainsFunc(f.services["svc-proxy"].Spec.Env, func(e EnvVar) bool { return e.Name == "STATS_PASS" }) {
		t.Error("the rollback must bring the variable back: the application reads it")
	}
}

// TestPreviousSpecExposureIsPurgedByAnUpdateWithNoChange: the default plan
// flushes a credential left in a PreviousSpec, after the other services are
// verified, restarting nothing.
func TestPreviousSpecExposureIsPurgedByAnUpdateWithNoChange(t *testing.T) {
	w := threeConsumers()
	w.service("api")
	api := w.last()
	api.Version = 10
	api.Previous = &ServiceSpec{Env: []EnvVar{{Name: "DB_PASSWORD", Value: NewValueString("hunter22")}}}
	p := planFor(t, w)
	i := slices.IndexFunc(p.Services, func(c ServiceChange) bool { return c.Service == "api" })
	if i < 0 || p.Services[i].Edits() || !strings.Contains(p.Services[i].Purge, "DB_PASSWORD") || p.Services[i].DockerCommand() != "docker service update api" {
		t.Fatalf("plan %+v", p.Services)
	}
	f := newFakeSwarm(w)
	if _, err := Apply(context.Background(), applyInput(w, f, p)); err != nil {
		t.Fatal(err)
	}
	if last := f.calls[len(f.calls)-1]; last != "update api" {
		t.Errorf("the purge runs last, once the rotation is verified: %q", f.calls)
	}
	if !sameEnv(f.services["svc-api"].Previous.Env, f.services["svc-api"].Spec.Env) {
		t.Error("the previous spec still holds the credential")
	}
}

// TestRevocationOnlyWhenAskedFor: an unauthorized mount is never part of a
// rotation of its secret; a plan revokes it only with Revoke.
func TestRevocationOnlyWhenAskedFor(t *testing.T) {
	w := newWorld().managed("tok", 1, "old").
		service("billing", "tok_v1:tok").service("intruder", "tok_v1:tok").
		file("shared.properties.prod", SharedService, "tok=new")
	w.man, _ = ParseManifest(ManifestPath, []byte("services: {shared: {keys: {tok: {services: [billing]}}}}"))
	w.swarm.ClusterID, w.source.URI = "c1", "s3://b/p"
	assertFindings(t, w.drift(), "unauthorized-mount intruder/tok/tok_v1", "stale billing/tok/tok_v1")
	p := planFor(t, w)
	for _, sc := range p.Services {
		if sc.Service == "intruder" {
			t.Fatalf("the intruder is in the rotation: %+v", sc)
		}
	}
	w.source.Key, w.source.Manifest = w.key, w.man
	revoke := func(f Finding) bool { return f.Kind == KindUnauthorizedMount }
	if _, err := NewPlan(PlanInput{Drift: w.drift(), Swarm: &w.swarm, Source: &w.source, Select: revoke, ID: "p-2", Now: t0}); err == nil {
		t.Error("a revocation not asked for must not be planned")
	}
	p, err := NewPlan(PlanInput{Drift: w.drift(), Swarm: &w.swarm, Source: &w.source, Select: revoke, Revoke: true, ID: "p-2", Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Services) != 1 || p.Services[0].Service != "intruder" || len(p.Services[0].After) != 0 || fmt.Sprint(p.Services[0].Revoke) != "[tok_v1]" {
		t.Fatalf("plan %+v", p.Services)
	}
	if got := p.Services[0].DockerCommand(); got != "docker service update --secret-rm tok_v1 intruder" {
		t.Errorf("command %q", got)
	}
	if err := Remake(p, &w.swarm, &w.source); err != nil {
		t.Errorf("a revocation is made again the same: %v", err)
	}
}

// TestWindowsSecretPathIsNotALiteral: a variable pointing at a secret
// mounted in a Windows container is the recommended way, not an exposure.
func TestWindowsSecretPathIsNotALiteral(t *testing.T) {
	w := newWorld().service("win")
	w.last().Spec.Env = []EnvVar{
		{Name: "DB_PASSWORD_PATH2", Value: NewValueString(`C:\ProgramData\Docker\secrets\db_password`)},
		{Name: "API_TOKEN", Value: NewValueString(`c:/ProgramData/Docker/secrets/api_token`)},
		{Name: "SECRET_KEY", Value: NewValueString(`C:hunter2`)},
	}
	assertFindings(t, w.drift(), "env-exposure win//")
}

// TestPurgeNeverUpdatesOverSomeoneElsesChange: the purge sends the spec it
// reads back; if that is not the spec the plan made, it refuses and says
// how to finish, leaving the rotation verified.
func TestPurgeNeverUpdatesOverSomeoneElsesChange(t *testing.T) {
	w := proxyWorld("old-stats-pass", "new-stats-pass")
	w.man, _ = ParseManifest(ManifestPath, []byte("services: {proxy: {keys: {stats.password: {env: STATS_PASS}}}}"))
	p := planFor(t, w)
	f := newFakeSwarm(w)
	in := applyInput(w, f, p)
	in.Progress = func(s Step) {
		if s.Action == "verified" { // someone mounts another secret meanwhile
			f.mu.Lock()
			svc := f.services["svc-proxy"]
			svc.Spec.Secrets = append(slices.Clone(svc.Spec.Secrets), FileRef{ID: "id-theirs", Name: "theirs", Target: "theirs"})
			f.mu.Unlock()
		}
	}
	res, err := Apply(context.Background(), in)
	if err == nil || !strings.Contains(err.Error(), "someone else changed the service") || !strings.Contains(err.Error(), "finish it with `docker service update proxy`") {
		t.Fatalf("err %v", err)
	}
	if res == nil || res.Services["proxy"] != "verified" || len(res.Purged) != 0 {
		t.Errorf("result %+v", res)
	}
	if got := f.calls[len(f.calls)-1]; got != "update --env-rm STATS_PASS proxy" {
		t.Errorf("no update over their change: last call %q", got)
	}
}

// TestPurgeRetriesOutOfSequenceAndChecksTheResult: the purge's update is
// retried while Docker's updater moves the version on, and the previous spec
// is read back: an engine that kept it is said, not taken for done.
func TestPurgeRetriesOutOfSequenceAndChecksTheResult(t *testing.T) {
	mk := func(script *rollout) (*fakeSwarm, *ApplyResult, error) {
		w := proxyWorld("old-stats-pass", "new-stats-pass")
		w.man, _ = ParseManifest(ManifestPath, []byte("services: {proxy: {keys: {stats.password: {env: STATS_PASS}}}}"))
		p := planFor(t, w)
		f := newFakeSwarm(w)
		f.script["proxy"] = script
		res, err := Apply(context.Background(), applyInput(w, f, p))
		return f, res, err
	}
	f, res, err := mk(&rollout{noChangeOutOfSequence: 2})
	if err != nil || fmt.Sprint(res.Purged) != "[proxy]" || strings.Count(strings.Join(f.calls, ";"), "out-of-sequence update proxy") != 2 {
		t.Errorf("retried: %v %+v %q", err, res, f.calls)
	}
	_, res, err = mk(&rollout{noChangeOutOfSequence: maxRollbackAttempts})
	if err == nil || len(res.Purged) != 0 || !strings.Contains(err.Error(), "update out of sequence") {
		t.Errorf("gives up after %d attempts: %v %+v", maxRollbackAttempts, err, res)
	}
	_, res, err = mk(&rollout{keepPrevious: true})
	if err == nil || len(res.Purged) != 0 || !strings.Contains(err.Error(), "its previous spec still differs from its spec") {
		t.Errorf("read back: %v %+v", err, res)
	}
}
