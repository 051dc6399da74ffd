package model

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// An attacker who can write a plan file can also compute its digest. Check
// makes the plan again from its origin, the source and the swarm, so an
// edited and re-sealed plan is refused before anything changes: it cannot
// update another service, mount another secret or target, skip the typed
// confirmation of a protected environment, or remove anything more.
func TestCheckRefusesEditedPlans(t *testing.T) {
	world := func() *world {
		w := fourVersions()
		w.secret("root_ca_key")
		w.service("billing", "api_tok_v4:tok")
		w.man = &Manifest{Environments: map[string]EnvironmentPolicy{"prod": {Protected: true}}}
		for i := range w.swarm.Services {
			w.swarm.Services[i].Version = 10 // as the fake swarm serves them
		}
		return w
	}
	for _, tc := range []struct {
		name string
		edit func(p *RotationPlan)
		want string // "" : applies
	}{
		{"not edited", func(*RotationPlan) {}, ""},
		{"the update sent to another service", func(p *RotationPlan) { p.Services[0].ServiceID = "svc-billing" }, "it updates service api (svc-billing)"},
		{"another target and mode", func(p *RotationPlan) {
			p.Services[0].After[0].Target, p.Services[0].After[0].Mode = "/tmp/ca.key", 0o444
		}, "the secrets service api would mount differ"},
		{"another secret mounted", func(p *RotationPlan) {
			p.Services[0].After = append(p.Services[0].After, FileRef{ID: "id-root_ca_key", Name: "root_ca_key", Target: "/tmp/ca.key", Mode: 0o444})
		}, "the secrets service api would mount differ"},
		{"a service's whole list replaced", func(p *RotationPlan) {
			p.Services[0].After = []FileRef{{ID: "id-root_ca_key", Name: "root_ca_key", Target: "tok"}}
		}, "the secrets service api would mount differ"},
		{"not protected", func(p *RotationPlan) { p.Protected = false }, "environment prod is protected=true in secretdeck.yaml"},
		{"a secret renamed", func(p *RotationPlan) { p.Creates[0].Name = "api_tok_v9" }, "the secrets to create differ"},
		{"a removal added", func(p *RotationPlan) {
			p.Removes = append(p.Removes, SecretRemoval{ID: "id-root_ca_key", Name: "root_ca_key", Why: RemovePrune})
		}, "removes secret root_ca_key"},
		{"fewer versions kept", func(p *RotationPlan) { p.Made.Keep = 0 }, "differ"},
		{"another selection", func(p *RotationPlan) { p.Made.Findings = []string{"stale billing"} }, "make a new plan"},
		{"no origin", func(p *RotationPlan) { p.Made = PlanOrigin{} }, "does not say how it was made"},
		{"a revert of nothing", func(p *RotationPlan) { p.Made = PlanOrigin{Kind: PlanRevert, Of: "p-20260101-000000-0000"} }, "nothing to revert"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := world()
			w.source.Key, w.source.Manifest = w.key, w.man
			p, err := NewPlan(PlanInput{Drift: w.drift(), Swarm: &w.swarm, Source: &w.source, ID: "p-20261122-150000-0a1f", Now: t0,
				Options: ApplyOptions{Keep: 1}})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Services) != 1 || len(p.Removes) == 0 || !p.Protected {
				t.Fatalf("the plan tests too little: %d services, %d removals, protected %v", len(p.Services), len(p.Removes), p.Protected)
			}
			tc.edit(p)
			p.Seal() // what an editor does
			b, _ := json.Marshal(p)
			read, err := ReadPlan(b)
			if err != nil {
				t.Fatalf("the re-sealed plan reads: %v", err)
			}
			f := newFakeSwarm(w)
			err = Check(context.Background(), applyInput(w, f, read))
			if (tc.want == "" && err != nil) || (tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want))) {
				t.Fatalf("Check: %v, want %q", err, tc.want)
			}
			if len(f.calls) != 0 {
				t.Fatalf("Check changed something: %v", f.calls)
			}
		})
	}
}

func TestPlanIDs(t *testing.T) {
	for id, ok := range map[string]bool{
		"p-20261122-154512-3fa9": true, "p-20261122-154512": true,
		"../../../tmp/x/audit": false, "p-20261122-154512-3fa9/../x": false, "p-1": false, "": false, "p-20261122-154512-3FA9": false,
	} {
		if ValidPlanID(id) != ok {
			t.Errorf("ValidPlanID(%q) = %v", id, !ok)
		}
		b, _ := json.Marshal(&RotationPlan{ID: id})
		var p RotationPlan
		_ = json.Unmarshal(b, &p)
		p.Seal()
		b, _ = json.Marshal(&p)
		if _, err := ReadPlan(b); (err == nil) != ok && !ok {
			t.Errorf("ReadPlan of a plan with ID %q: %v", id, err)
		}
	}
}

// What a plan only reports — how many tasks run — may change between plan
// and apply (a task crash-looping) without making the plan another plan.
func TestRemakeIgnoresTheRunningCount(t *testing.T) {
	w := threeConsumers()
	p := planFor(t, w)
	w.swarm.Tasks = append(w.swarm.Tasks, Task{ID: "t9", ServiceID: "svc-b", DesiredState: "running", State: "running"})
	if err := Remake(p, &w.swarm, &w.source); err != nil {
		t.Fatalf("a task more running: %v", err)
	}
	p.Services[0].After[0].Mode = 0o777
	if err := Remake(p, &w.swarm, &w.source); err == nil {
		t.Fatal("a changed mode is still another plan")
	}
}
