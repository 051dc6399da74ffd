package model

import (
	"strings"
	"testing"
	"time"
)

func TestParseNaming(t *testing.T) {
	for _, c := range []struct {
		template, err string
	}{
		{"", ""},
		{"{name}_v{n}", ""},
		{"{name}-r{n}", ""},
		{"{name}_{date:2006_01_02}", ""},
		{"prod-{name}.{date:20060102}", ""},
		{"{n}_v", "has no {name}"},
		{"{name}_v", "has no {n} nor {date:LAYOUT}"},
		{"{name}{n}", "need text between them"},
		{"{name}_{date:}", "not a Go date layout"},
		{"{name}_{date:day}", "not a Go date layout"},
		{"{name}_{rev}", "only {name}, {n} and {date:LAYOUT}"},
		{"{name}_{n}_{n}", "only one of each"},
	} {
		_, err := ParseNaming(c.template)
		if (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%q: %v, want %q", c.template, err, c.err)
		}
	}
	if _, err := ParseManifest(ManifestPath, []byte("services: {api: {keys: {k: {naming: '{name}'}}}}")); err == nil || !strings.Contains(err.Error(), "services.api.keys.k.naming") {
		t.Errorf("the manifest names where a bad template is: %v", err)
	}
}

func TestNamingParse(t *testing.T) {
	date, _ := ParseNaming("{name}_{date:2006_01_02}")
	rev, _ := ParseNaming("{name}-r{n}")
	for _, c := range []struct {
		n    Naming
		name string
		want int
		ok   bool
	}{
		{DefaultNaming, "api_key_v3", 3, true},
		{DefaultNaming, "api_key_2024_06_01", 0, false},
		{date, "api_key_2024_06_01", 20240601000000, true},
		{date, "api_key_2024_13_01", 0, false},
		{date, "api_key_v2", 0, false},
		{date, "api_key_x_2024_06_01", 0, false}, // another logical secret's
		{rev, "api_key-r12", 12, true},
		{rev, "api_key-r-1", 0, false},
		{rev, "api_key-r", 0, false},
	} {
		if n, ok := c.n.Parse(c.name, "api_key"); n != c.want || ok != c.ok {
			t.Errorf("%s %s: %d %v, want %d %v", c.n, c.name, n, ok, c.want, c.ok)
		}
	}
}

// TestDatedVersions: with a date rule, the team's dated secrets are versions
// of one logical secret (the older one an old version, not an unrelated
// orphan), the next rotation is named by today's date, and a second one the
// same day is refused at plan time.
func TestDatedVersions(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	mk := func(naming string) *world {
		w := newWorld().secret("api_key_2024_01_01").secret("api_key_2024_06_01").
			service("api", "api_key_2024_06_01:api_key").file("shared.properties.prod", SharedService, "api_key=fresh-Key-1")
		w.man, _ = ParseManifest(ManifestPath, []byte(naming))
		w.swarm.ClusterID, w.source.URI = "c1", "s3://b/p"
		w.source.Key, w.source.Manifest = w.key, w.man
		return w
	}
	w := mk("naming: '{name}_{date:2006_01_02}'")
	r := w.drift()
	assertFindings(t, r, "unverifiable api/api_key/api_key_2024_06_01", "orphan /api_key/api_key_2024_01_01", "open-grant /api_key/")
	d, err := w.swarm.InspectSecret("api_key_2024_06_01", r, w.key)
	if err != nil || d.Logical != "api_key" || len(d.Versions) != 2 || d.Versions[0].Name != "api_key_2024_01_01" ||
		d.Versions[0].AdoptedBy != "its name ({name}_{date:2006_01_02})" {
		t.Fatalf("inspect: %v %+v", err, d)
	}
	p, err := NewPlan(PlanInput{Drift: r, Swarm: &w.swarm, Source: &w.source, ID: "p-1", Now: now})
	if err != nil || len(p.Creates) != 1 || p.Creates[0].Name != "api_key_2026_11_30" || p.Creates[0].Version != 20261130000000 {
		t.Fatalf("plan: %v %+v", err, p)
	}
	if err := Remake(p, &w.swarm, &w.source); err != nil {
		t.Errorf("a dated plan is made again the same: %v", err)
	}
	w.secret("api_key_2026_11_30")
	if _, err := NewPlan(PlanInput{Drift: w.drift(), Swarm: &w.swarm, Source: &w.source, ID: "p-2", Now: now}); err == nil || !strings.Contains(err.Error(), "api_key_2026_11_30") {
		t.Errorf("a second version the same day is refused at plan time: %v", err)
	}

	// The nearest rule wins: the key's over the service's over the top's.
	w = mk("naming: '{name}-r{n}'\nservices: {shared: {naming: '{name}_v{n}', keys: {api_key: {naming: '{name}_{date:2006_01_02}'}}}}")
	if p := planFor(t, w); p.Creates[0].Name != "api_key_"+t0.Format("2006_01_02") {
		t.Errorf("creates %+v", p.Creates)
	}
}
