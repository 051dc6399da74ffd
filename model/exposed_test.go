package model

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// node adds a node; tasks are put on nodes with onNode.
func (w *world) node(id, hostname, role string) *world {
	w.swarm.Nodes = append(w.swarm.Nodes, Node{ID: id, Hostname: hostname, Role: role, Availability: "active", State: "ready"})
	return w
}

// onNode adds a task of service svc on node, mounting secrets by name, in
// state ("running", or "shutdown" for the task history).
func (w *world) onNode(node, svc, state string, secrets ...string) *world {
	t := Task{ID: fmt.Sprintf("t%d", len(w.swarm.Tasks)), ServiceID: "svc-" + svc, NodeID: node, DesiredState: state, State: state, CreatedAt: t0}
	if state != "running" {
		t.DesiredState = "shutdown"
	}
	for _, s := range secrets {
		t.SecretIDs = append(t.SecretIDs, "id-"+s)
	}
	w.swarm.Tasks = append(w.swarm.Tasks, t)
	return w
}

// incident is a swarm of a manager (m1) and two workers (w1, w2):
//   - api runs on w1 with api_db_pass_v1; the source has a new value;
//   - web runs on w2 with web_tok_v1; the source has a new value;
//   - cache runs on w2 with cache_key_v1 (a new value in the source), and a
//     task of it that ended ran on w1: the task history exposes it there;
//   - billing runs on w2 with billing_key_v2, in sync; v1 ran on w1 before
//     (history) and holds another value: rotated since;
//   - hand_made is mounted by api on w1, declared by no property file.
func incident() *world {
	w := newWorld().node("m1", "mgr", "manager").node("w1", "worker-1", "worker").node("w2", "worker-2", "worker").
		managed("api_db_pass", 1, "api-Old-1").managed("web_tok", 1, "web-Old-1").managed("cache_key", 1, "cache-Old-1").
		managed("billing_key", 1, "billing-Old-1").managed("billing_key", 2, "billing-Now-2").secret("hand_made").
		service("api", "api_db_pass_v1:db_pass", "hand_made:hand").service("web", "web_tok_v1:tok").
		service("cache", "cache_key_v1:key").service("billing", "billing_key_v2:key").
		file("api.properties.prod", "api", "db_pass=api-New-2").file("web.properties.prod", "web", "tok=web-New-2").
		file("cache.properties.prod", "cache", "key=cache-New-2").file("billing.properties.prod", "billing", "key=billing-Now-2").
		onNode("w1", "api", "running", "api_db_pass_v1", "hand_made").onNode("w2", "web", "running", "web_tok_v1").
		onNode("w2", "cache", "running", "cache_key_v1").onNode("w1", "cache", "shutdown", "cache_key_v1").
		onNode("w2", "billing", "running", "billing_key_v2").onNode("w1", "billing", "shutdown", "billing_key_v1")
	w.swarm.ClusterID, w.swarm.NodeID = "c1", "m1"
	w.source.Key = w.key
	return w
}

func exposurePlan(w *world, e *Exposure, allow bool) (*RotationPlan, error) {
	return NewPlan(PlanInput{Drift: w.drift(), Swarm: &w.swarm, Source: &w.source, ID: "p-20261122-150000-0a1f", Now: t0,
		Exposure: e, AllowSameValue: allow})
}

func rotated(p *RotationPlan) string {
	var out []string
	for _, c := range p.Creates {
		out = append(out, c.Name)
	}
	return strings.Join(out, ",")
}

// TestExposedOnNode: a worker exposes what its tasks mount now and mounted
// in the task history; a manager exposes every secret. The plan rotates
// exactly the exposed secrets the source declares, and names the others.
func TestExposedOnNode(t *testing.T) {
	for _, c := range []struct {
		node                  string
		logicals, undeclared  string
		rotates               string
		manager, wantNodeOrID bool
	}{
		{"w1", "api_db_pass billing_key cache_key", "hand_made", "api_db_pass_v2,cache_key_v2", false, true},
		{"worker-2", "billing_key cache_key web_tok", "", "", false, true}, // billing_key_v2 is in sync: refused below
		{"mgr", "api_db_pass billing_key cache_key web_tok", "hand_made", "", true, true},
		{"self", "api_db_pass billing_key cache_key web_tok", "hand_made", "", true, true},
	} {
		t.Run(c.node, func(t *testing.T) {
			w := incident()
			e, err := ExposedOnNode(&w.swarm, w.drift(), w.key, c.node)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, x := range e.Logicals {
				got = append(got, x.Logical)
			}
			if strings.Join(got, " ") != c.logicals || strings.Join(e.Undeclared, " ") != c.undeclared || e.Manager != c.manager {
				t.Errorf("exposed %q, undeclared %q, manager %v", got, e.Undeclared, e.Manager)
			}
			if c.rotates == "" {
				return
			}
			p, err := exposurePlan(w, e, false)
			if err != nil {
				t.Fatal(err)
			}
			if rotated(p) != c.rotates || p.Made.ExposedOnNode != "w1" {
				t.Errorf("rotates %q (origin node %q), want %q", rotated(p), p.Made.ExposedOnNode, c.rotates)
			}
			for _, sc := range p.Services {
				if sc.Service == "web" {
					t.Errorf("web never ran on %s, and is in the plan", c.node)
				}
			}
		})
	}
}

// TestExposedValueStillInTheSource: a rotation that would mount the exposed
// value again is refused, naming the secrets and files; --allow-same-value
// plans the others and leaves those as they are.
func TestExposedValueStillInTheSource(t *testing.T) {
	w := incident()
	e, err := ExposedOnNode(&w.swarm, w.drift(), w.key, "w2")
	if err != nil {
		t.Fatal(err)
	}
	same := e.SameValue()
	if len(same) != 1 || same[0].Logical != "billing_key" {
		t.Fatalf("same value: %+v", same)
	}
	_, err = exposurePlan(w, e, false)
	if err == nil || !strings.Contains(err.Error(), "still holds the value exposed on node worker-2 (w2) for billing_key") ||
		!strings.Contains(err.Error(), "billing.properties.prod") || !strings.Contains(err.Error(), "--allow-same-value") {
		t.Fatalf("refusal: %v", err)
	}
	p, err := exposurePlan(w, e, true)
	if err != nil {
		t.Fatal(err)
	}
	if rotated(p) != "cache_key_v2,web_tok_v2" || !p.Made.AllowSameValue {
		t.Errorf("allowed: rotates %q, origin %+v", rotated(p), p.Made)
	}
	// The manager holds billing_key_v1 too, whose value is not the source's:
	// one exposed version in the source is enough to refuse.
	e, _ = ExposedOnNode(&w.swarm, w.drift(), w.key, "m1")
	if _, err := exposurePlan(w, e, false); err == nil || !strings.Contains(err.Error(), "a manager") {
		t.Fatalf("manager: %v", err)
	}
}

// TestExposureWithoutFingerprints: an exposed secret made outside
// secretdeck cannot be told apart from a new value: it is rotated, and said
// to be unverifiable, never refused nor passed over.
func TestExposureWithoutFingerprints(t *testing.T) {
	w := newWorld().node("w1", "w", "worker").secret("legacy_pass").service("legacy", "legacy_pass:pass").
		file("legacy.properties.prod", "legacy", "pass=whatever-It-Is").onNode("w1", "legacy", "running", "legacy_pass")
	w.source.Key = w.key
	e, err := ExposedOnNode(&w.swarm, w.drift(), w.key, "w1")
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Logicals) != 1 || !e.Logicals[0].Unverifiable || e.Logicals[0].SameValue {
		t.Fatalf("%+v", e.Logicals)
	}
	p, err := exposurePlan(w, e, false)
	if err != nil || rotated(p) != "legacy_pass_v1" {
		t.Fatalf("plan %v, err %v", p, err)
	}
}

// TestFindNode: hostnames are often shared (every engine of the rig is
// "vm"), so a shared one is an error naming the IDs, never a guess.
func TestFindNode(t *testing.T) {
	w := newWorld().node("abc123", "vm", "manager").node("abd456", "vm", "worker").node("xyz789", "solo", "worker")
	w.swarm.NodeID = "abc123"
	for name, want := range map[string]string{"abc123": "abc123", "abd": "abd456", "solo": "xyz789", "self": "abc123",
		"vm": `"vm" names 2 nodes: abc123 (manager), abd456 (worker)`, "ab": `"ab" names 2 nodes`, "nope": `no node named "nope"`} {
		n, err := w.swarm.FindNode(name)
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			got = n.ID
		}
		if !strings.HasPrefix(got, want) {
			t.Errorf("FindNode(%q) = %q, want %q…", name, got, want)
		}
	}
}

// sameValueWorld: api_db_pass_v1 leaked. billing_key_v3 holds the same value
// under another name; web_tok_v1 another value; old_key_v1 (declared by no
// file) the same value too.
func sameValueWorld(api, billing string) *world {
	w := newWorld().managed("api_db_pass", 1, "Leaked-Value-1").managed("billing_key", 3, "Leaked-Value-1").
		managed("web_tok", 1, "Other-Value-2").managed("old_key", 1, "Leaked-Value-1").
		service("api", "api_db_pass_v1:db_pass").service("billing", "billing_key_v3:key").service("web", "web_tok_v1:tok").
		file("api.properties.prod", "api", "db_pass="+api).file("billing.properties.prod", "billing", "key="+billing).
		file("web.properties.prod", "web", "tok=Other-Value-3")
	w.source.Key = w.key
	return w
}

// TestSameValueAs: the secrets whose newest version holds the leaked value
// are found by fingerprint, whichever source entry still holds it.
func TestSameValueAs(t *testing.T) {
	for _, c := range []struct {
		name, api, billing, asked string
		want, err                 string
		refused                   bool
		rotates                   string
	}{
		{"nothing changed yet: refused", "Leaked-Value-1", "Leaked-Value-1", "api_db_pass_v1", "api_db_pass billing_key", "", true, ""},
		{"by its logical name", "Leaked-Value-1", "Leaked-Value-1", "api_db_pass", "api_db_pass billing_key", "", true, ""},
		{"api has a new value, billing still holds the leaked one", "New-1", "Leaked-Value-1", "api_db_pass_v1", "api_db_pass billing_key", "", true, ""},
		{"billing has a new value: found through api's entry", "Leaked-Value-1", "New-2", "api_db_pass_v1", "api_db_pass billing_key", "", true, ""},
		{"both new: nothing holds the value to compare", "New-1", "New-2", "api_db_pass_v1", "", "no entry of the source holds the value of api_db_pass_v1", false, ""},
		{"another value leaked, held by another entry of the source", "Other-Value-2", "Leaked-Value-1", "web_tok_v1", "web_tok", "", false, "web_tok_v2"},
		{"a name that is nothing", "x", "y", "nope", "", `no secret named "nope"`, false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := sameValueWorld(c.api, c.billing)
			e, err := SameValueAs(&w.swarm, w.drift(), w.key, c.asked)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, x := range e.Logicals {
				got = append(got, x.Logical)
			}
			if strings.Join(got, " ") != c.want {
				t.Errorf("exposed %q, want %q", got, c.want)
			}
			if c.want == "api_db_pass billing_key" && !slices.Equal(e.Undeclared, []string{"old_key_v1"}) {
				t.Errorf("undeclared %q: old_key_v1 holds the value too", e.Undeclared)
			}
			p, err := exposurePlan(w, e, false)
			if c.refused {
				if err == nil || !strings.Contains(err.Error(), "leaked with api_db_pass_v1") {
					t.Fatalf("not refused: %v", err)
				}
				return
			}
			if err != nil || rotated(p) != c.rotates || p.Made.SameValueAs != c.asked {
				t.Fatalf("plan %q origin %+v err %v", rotated(p), p.Made, err)
			}
		})
	}
	w := sameValueWorld("x", "y")
	w.source.Key = FingerprintKey{}
	if _, err := SameValueAs(&w.swarm, w.drift(), FingerprintKey{}, "api_db_pass_v1"); err == nil || !strings.Contains(err.Error(), "no fingerprint key") {
		t.Errorf("without a key: %v", err)
	}
}

// TestRemakeAnExposurePlan: apply makes an exposure plan again from its
// origin, which names the node: the same plan is accepted; another node, or
// an exposed value that came back meanwhile, is refused.
func TestRemakeAnExposurePlan(t *testing.T) {
	w := incident()
	e, _ := ExposedOnNode(&w.swarm, w.drift(), w.key, "w1")
	p, err := exposurePlan(w, e, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := Remake(p, &w.swarm, &w.source); err != nil {
		t.Fatalf("the same plan: %v", err)
	}
	edited := *p
	edited.Made.ExposedOnNode = "w2"
	if err := Remake(&edited, &w.swarm, &w.source); err == nil {
		t.Error("an origin naming another node makes another plan")
	}
	// Meanwhile, billing's task landed on w1: its in-sync value is exposed.
	w.onNode("w1", "billing", "running", "billing_key_v2")
	if err := Remake(p, &w.swarm, &w.source); err == nil || !strings.Contains(err.Error(), "still holds the value exposed") {
		t.Errorf("an exposed value in the source at apply time: %v", err)
	}
}
