package model

import (
	"strings"
	"testing"
	"time"
)

func TestParseMaxAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "12w": 84 * 24 * time.Hour, "2160h": 90 * 24 * time.Hour, "36h30m": 36*time.Hour + 30*time.Minute} {
		m, err := ParseMaxAge(in)
		if d, on := m.Limit(); err != nil || !on || d != want {
			t.Errorf("%s: %v %v %v", in, d, on, err)
		}
	}
	if m, err := ParseMaxAge("off"); err != nil || m.IsZero() {
		t.Errorf("off: %v", err)
	} else if _, on := m.Limit(); on {
		t.Error("off is no limit")
	}
	for _, bad := range []string{"", "0d", "-3d", "90", "d", "1y", "3.5d", "99999999w"} {
		if _, err := ParseMaxAge(bad); err == nil {
			t.Errorf("%q is no age", bad)
		}
	}
}

// TestMaxAgeNearestWins: a service's policy, then its environment's, then
// the top's; off at a nearer level turns a farther one off.
func TestMaxAgeNearestWins(t *testing.T) {
	m, err := ParseManifest(ManifestPath, []byte(`policy: {max-age: 90d}
environments:
  prod: {policy: {max-age: 30d}}
  dev: {}
services:
  api: {policy: {max-age: 12w}}
  legacy: {policy: {max-age: "off"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		env, svc string
		want     time.Duration
		where    string
		on       bool
	}{
		{"prod", "api", 84 * 24 * time.Hour, "services.api.policy.max-age: 12w", true},
		{"prod", "web", 30 * 24 * time.Hour, "environments.prod.policy.max-age: 30d", true},
		{"dev", "web", 90 * 24 * time.Hour, "policy.max-age: 90d", true},
		{"prod", "legacy", 0, "services.legacy.policy.max-age: off", false},
	} {
		d, where, on := m.MaxAgeFor(c.env, c.svc)
		if d != c.want || where != c.where || on != c.on {
			t.Errorf("%s/%s: %v %q %v", c.env, c.svc, d, where, on)
		}
	}
	if _, _, on := (*Manifest)(nil).MaxAgeFor("prod", "api"); on {
		t.Error("no manifest, no policy")
	}
	_, err = ParseManifest(ManifestPath, []byte("services:\n  api:\n    policy: {max-age: 90 days}\n"))
	if pe, ok := err.(*ParseError); !ok || pe.Line != 3 || !strings.Contains(pe.Msg, "max-age is not an age like 90d") {
		t.Errorf("a bad max-age: %v", err)
	}
}

// aged is a world where api mounts api_db_pass_v1, made at made, holding
// the source's value, under the manifest m.
func aged(t *testing.T, made time.Time, manifest string) *world {
	t.Helper()
	w := newWorld().managed("api_db_pass", 1, "same-Value-1").service("api", "api_db_pass_v1:db_pass").
		file("api.properties.prod", "api", "db_pass=same-Value-1")
	w.swarm.Secrets[0].CreatedAt = made
	w.swarm.ClusterID = "c1"
	if manifest != "" {
		m, err := ParseManifest(ManifestPath, []byte(manifest))
		if err != nil {
			t.Fatal(err)
		}
		w.man, w.source.Manifest = m, m
	}
	w.source.Key = w.key
	return w
}

func driftAt(w *world, now time.Time) *DriftReport {
	return Drift(DriftInput{Swarm: &w.swarm, Source: &w.source, Manifest: w.man, Key: w.key, Now: now})
}

// TestExpired: a mounted version older than the nearest max-age is expired,
// with the date it was made and where the policy is set; a younger one, a
// secret nothing mounts, a service whose policy is off, or no policy at all
// give no finding.
func TestExpired(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		name     string
		age      time.Duration
		manifest string
		want     string // the explanation's tail, "" for no finding
	}{
		{"older than the top policy", 100 * day, "policy: {max-age: 90d}\n", "made 2026-07-24 (100 days ago), older than secretdeck.yaml allows (policy.max-age: 90d)"},
		{"younger", 89 * day, "policy: {max-age: 90d}\n", ""},
		{"the environment's is stricter", 40 * day, "policy: {max-age: 90d}\nenvironments: {prod: {policy: {max-age: 30d}}}\n", "(environments.prod.policy.max-age: 30d)"},
		{"the service's wins", 100 * day, "policy: {max-age: 30d}\nservices: {api: {policy: {max-age: 26w}}}\n", ""},
		{"off for the service", 1000 * day, "policy: {max-age: 30d}\nservices: {api: {policy: {max-age: \"off\"}}}\n", ""},
		{"no policy", 1000 * day, "", ""},
		{"hours", 3 * time.Hour, "policy: {max-age: 2h}\n", "made 2026-11-01 (0 days ago), older than secretdeck.yaml allows (policy.max-age: 2h)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := aged(t, t0.Add(-c.age), c.manifest)
			r := driftAt(w, t0)
			var got []Finding
			for _, f := range r.Findings {
				if f.Kind == KindExpired {
					got = append(got, f)
				}
			}
			switch {
			case c.want == "" && len(got) > 0:
				t.Errorf("no finding expected: %s", got[0].Explanation)
			case c.want != "" && (len(got) != 1 || !strings.Contains(got[0].Explanation, c.want) || got[0].Secret != "api_db_pass_v1" ||
				got[0].Severity != SeverityMedium || !Fixable(got[0]) || !strings.HasPrefix(got[0].Command, "secretdeck plan --secret api_db_pass")):
				t.Errorf("want one expired finding saying %q, got %+v", c.want, got)
			}
		})
	}
	// An old version nothing mounts is an orphan, never expired.
	w := aged(t, t0.Add(-100*day), "policy: {max-age: 90d}\n").managed("api_db_pass", 0, "older")
	w.swarm.Secrets[1].CreatedAt = t0.Add(-900 * day)
	assertFindings(t, driftAt(w, t0), "expired api/api_db_pass/api_db_pass_v1", "orphan /api_db_pass/api_db_pass_v0")
}

// TestExpiredPlanMakesANewVersion: an expired secret is rotated to a new
// version even though its fingerprint matches the source (mounting it again
// would fix nothing); a young newest version that holds the value is
// mounted instead; Remake makes the same plan.
func TestExpiredPlanMakesANewVersion(t *testing.T) {
	day := 24 * time.Hour
	w := aged(t, t0.Add(-100*day), "policy: {max-age: 90d}\n")
	plan := func(w *world, sel func(Finding) bool) *RotationPlan {
		t.Helper()
		p, err := NewPlan(PlanInput{Drift: driftAt(w, t0), Swarm: &w.swarm, Source: &w.source, ID: "p-20261101-120000-0a1f", Now: t0, Select: sel})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := plan(w, nil)
	if rotated(p) != "api_db_pass_v2" || len(p.Services) != 1 || p.Services[0].After[0].Name != "api_db_pass_v2" {
		t.Fatalf("creates %q, services %+v", rotated(p), p.Services)
	}
	if err := Remake(p, &w.swarm, &w.source); err != nil {
		t.Fatalf("Remake: %v", err)
	}
	// A half-done rotation: v2, made yesterday with the value, is newest.
	w = aged(t, t0.Add(-100*day), "policy: {max-age: 90d}\n").managed("api_db_pass", 2, "same-Value-1")
	w.swarm.Secrets[1].CreatedAt = t0.Add(-day)
	p = plan(w, nil)
	if rotated(p) != "" || p.Services[0].After[0].Name != "api_db_pass_v2" {
		t.Fatalf("the young v2 is mounted: creates %q, after %+v", rotated(p), p.Services[0].After)
	}
	// Selected without its expired finding (lagging only), nothing forces a
	// version either: mounting v2 is the plan.
	p = plan(w, func(f Finding) bool { return f.Kind == KindLagging })
	if rotated(p) != "" {
		t.Fatalf("creates %q", rotated(p))
	}
}
