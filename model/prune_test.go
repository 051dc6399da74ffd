package model

import (
	"strings"
	"testing"
)

// TestPruneNamed: `prune NAME` removes one named secret that nothing names,
// made by secretdeck or not; anything else gets one line saying why.
func TestPruneNamed(t *testing.T) {
	w := newWorld().managed("k", 1, "a").managed("k", 2, "b").managed("k", 3, "c", LabelPlan, "p-9").
		secret("legacy_token").secret("in_use").service("api", "k_v2:k", "in_use:u")
	w.last().Previous = &ServiceSpec{Secrets: []FileRef{{ID: "id-k_v1", Name: "k_v1", Target: "k"}}}
	w.service("web", "in_use:u")
	for name, want := range map[string]string{
		"legacy_token":    "",
		"id-legacy_token": "",
		"k_v1":            "k_v1 is not removable: service api's rollback would mount it (PreviousSpec)",
		"k_v2":            "k_v2 is not removable: service api mounts it",
		"in_use":          "in_use is not removable: service api mounts it, service web mounts it",
		"k_v3":            "k_v3 is not removable: it is the newest version of k, made by plan p-9; `secretdeck apply --resume p-9` mounts it",
		"legacy_tokn":     `no secret named "legacy_tokn"; closest: legacy_token`,
	} {
		s, err := w.swarm.PruneNamed(name)
		switch {
		case want == "" && (err != nil || s.Name != "legacy_token"):
			t.Errorf("prune %s: %v, %q", name, err, s.Name)
		case want != "" && (err == nil || !strings.HasPrefix(err.Error(), want)):
			t.Errorf("prune %s: %v, want %q", name, err, want)
		}
	}
}
