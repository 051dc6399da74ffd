package model

import (
	"slices"
	"strings"
	"testing"
)

// Two files that map to one logical secret with two values (api.json.prod
// "db_pass" and prod/api.env "db pass") give it no desired value: each says
// why, and no plan creates the secret — not twice, not with either value.
func TestTwoFilesOneSecretTwoValues(t *testing.T) {
	w := newWorld().managed("api_db_pass", 1, "old").service("api", "api_db_pass_v1:db_pass").
		file("api.json.prod", "api", "db_pass=first").file("prod/api.env", "api", "db pass=second")
	w.source.Key = w.key
	r := w.drift()
	for _, ds := range r.Desired {
		if ds.Logical == "api_db_pass" {
			t.Fatalf("a secret with two values is desired: %+v", ds)
		}
	}
	var files []string
	for _, f := range r.Findings {
		if f.Kind == KindUnparsable && strings.Contains(f.Explanation, `both map to secret "api_db_pass"`) {
			files = append(files, f.File)
		}
	}
	if slices.Sort(files); !slices.Equal(files, []string{"api.json.prod", "prod/api.env"}) {
		t.Fatalf("each file says why: %v\n%v", files, kinds(r))
	}
	if _, err := NewPlan(PlanInput{Drift: r, Swarm: &w.swarm, Source: &w.source, ID: "p-1", Now: t0}); err == nil {
		t.Fatal("a plan was made for a secret with two values")
	}
}

// The same value under one logical name (the manifest maps two services'
// keys to one secret) is one desired secret with both consumers.
func TestTwoFilesOneSecretOneValue(t *testing.T) {
	w := newWorld().service("api").service("web").
		file("api.properties.prod", "api", "db=same").file("web.properties.prod", "web", "db=same")
	w.man = &Manifest{Services: map[string]ServicePolicy{
		"api": {Keys: map[string]KeyPolicy{"db": {MountPolicy: MountPolicy{Secret: "shared_db"}}}},
		"web": {Keys: map[string]KeyPolicy{"db": {MountPolicy: MountPolicy{Secret: "shared_db"}}}},
	}}
	r := w.drift()
	var got []DesiredSecret
	for _, ds := range r.Desired {
		if ds.Logical == "shared_db" {
			got = append(got, ds)
		}
	}
	if len(got) != 1 || !slices.Equal(got[0].Consumers, []string{"api", "web"}) {
		t.Fatalf("one desired secret, both consumers: %+v", got)
	}
}
