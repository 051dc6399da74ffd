package model

import (
	"strconv"
	"strings"
	"testing"
)

// ansibleSecret adds a secret as Ansible's docker_secret makes it with
// rolling_versions: NAME_v<n>, ansible_version=n, ansible_key=sha224(value).
func (w *world) ansibleSecret(name string, n int, value string) *world {
	w.secret(name)
	s := &w.swarm.Secrets[len(w.swarm.Secrets)-1]
	s.Labels = map[string]string{LabelAnsibleVersion: strconv.Itoa(n), LabelAnsibleKey: AnsibleKey(NewValueString(value))}
	return w
}

// TestAnsibleKeyIsEvidence: a secret Ansible made is checked by the digest
// Ansible wrote: the same value is no finding and no plan, another is stale.
func TestAnsibleKeyIsEvidence(t *testing.T) {
	mk := func(source string) *world {
		w := newWorld().ansibleSecret("api_key_v1", 1, "ans-Old-1").ansibleSecret("api_key_v2", 2, "ans-Same-2").
			service("api", "api_key_v2:key").file("api.properties.prod", "api", "key="+source)
		w.swarm.ClusterID, w.source.URI = "c1", "s3://b/p"
		return w
	}
	w := mk("ans-Same-2")
	assertFindings(t, w.drift(), "orphan /api_key/api_key_v1")
	m, evidence := w.key.Check(w.swarm.Secrets[1].Labels, "api_key", NewValueString("ans-Same-2"))
	if m != FingerprintMatches || evidence != EvidenceAnsible {
		t.Errorf("check: %v %s", m, evidence)
	}
	w.source.Key = w.key
	if _, err := NewPlan(PlanInput{Drift: w.drift(), Swarm: &w.swarm, Source: &w.source, ID: "p-1", Now: t0}); err == nil {
		t.Error("nothing to rotate: the plan must be empty")
	}

	w = mk("ans-New-3")
	r := w.drift()
	assertFindings(t, r, "stale api/api_key/api_key_v2", "orphan /api_key/api_key_v1")
	if !strings.Contains(r.Findings[0].Explanation, "ansible_key") || strings.Contains(r.Findings[0].Explanation, "ans-") {
		t.Errorf("explanation %q", r.Findings[0].Explanation)
	}
	p := planFor(t, w)
	if len(p.Creates) != 1 || p.Creates[0].Name != "api_key_v3" || !p.Creates[0].Ansible {
		t.Fatalf("creates %+v", p.Creates)
	}
	labels := createLabels(applyInput(w, newFakeSwarm(w), p), p.Creates[0], NewValueString("ans-New-3"))
	if labels[LabelAnsibleVersion] != "3" || labels[LabelAnsibleKey] != AnsibleKey(NewValueString("ans-New-3")) || labels[LabelFingerprint] == "" {
		t.Errorf("labels %v", labels)
	}

	w = mk("ans-New-3")
	off := false
	w.man = &Manifest{Compat: CompatPolicy{Ansible: &off}}
	if p := planFor(t, w); p.Creates[0].Ansible {
		t.Error("compat: {ansible: false} gives no Ansible labels")
	}
}

// TestVersionNumbersOverMixedEvidence: the next version is past every
// existing one, whether its number is in its name, its ansible_version
// label, both or neither.
func TestVersionNumbersOverMixedEvidence(t *testing.T) {
	cases := []struct {
		name  string
		build func(w *world)
		want  string
	}{
		{"names only", func(w *world) { w.secret("api_key_v1").secret("api_key_v4") }, "api_key_v5"},
		{"a label past the names", func(w *world) {
			w.ansibleSecret("api_key_v2", 7, "a")
		}, "api_key_v8"},
		{"both agree", func(w *world) { w.ansibleSecret("api_key_v1", 1, "a").ansibleSecret("api_key_v2", 2, "b") }, "api_key_v3"},
		{"a secretdeck version after Ansible's", func(w *world) {
			w.ansibleSecret("api_key_v1", 1, "a").managed("api_key", 2, "b")
		}, "api_key_v3"},
		{"neither: the bare name is version 0", func(w *world) { w.secret("api_key") }, "api_key_v1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			c.build(w)
			w.service("api", w.swarm.Secrets[len(w.swarm.Secrets)-1].Name+":key").file("api.properties.prod", "api", "key=fresh-Value-9")
			w.swarm.ClusterID, w.source.URI = "c1", "s3://b/p"
			p := planFor(t, w)
			if len(p.Creates) != 1 || p.Creates[0].Name != c.want {
				t.Errorf("creates %+v, want %s", p.Creates, c.want)
			}
		})
	}
}

// TestATakenNameIsRefusedAtPlanTime: a secret that holds the next
// version's name but belongs to something else is refused by plan, not
// discovered as AlreadyExists half-way through an apply.
func TestATakenNameIsRefusedAtPlanTime(t *testing.T) {
	w := newWorld().managed("api_key", 1, "old").service("api", "api_key_v1:key").file("api.properties.prod", "api", "key=new-Value-1")
	w.swarm.Secrets = append(w.swarm.Secrets, Secret{ID: "id-x", Name: "api_key_v2", Labels: map[string]string{LabelLogical: "other", LabelVersion: "1"}})
	w.swarm.ClusterID, w.source.URI = "c1", "s3://b/p"
	w.source.Key = w.key
	_, err := NewPlan(PlanInput{Drift: w.drift(), Swarm: &w.swarm, Source: &w.source, ID: "p-1", Now: t0})
	if err == nil || !strings.Contains(err.Error(), "api_key_v2") || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("err %v", err)
	}
}
