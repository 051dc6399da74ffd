package model

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	"github.com/secretdeck/secretdeck/internal/lazyre"
)

// A plan file is written by one person or CI job and applied by another, and
// its digest keeps out accidents, not an attacker: anyone who can edit the
// file can compute it again. So apply trusts nothing in a plan but its
// origin (kind, findings selected, versions kept): Remake makes the plan again
// from that origin, the source and the swarm, and the file is refused unless
// it is that plan — same secrets to create, same service IDs, versions,
// references before and after (targets, uid, gid, mode), same removals, and
// the protection the source's secretdeck.yaml gives the environment. A plan
// file can thus make apply do only what the source and the swarm justify,
// and only what its preview said.

// planIDPattern is what newPlanID makes: the ID also names the audit copy.
var planIDPattern = lazyre.New(`^p-[0-9]{8}-[0-9]{6}(-[0-9a-f]{4})?$`)

// ValidPlanID reports whether id is a plan ID secretdeck makes.
func ValidPlanID(id string) bool { return planIDPattern().MatchString(id) }

// Remake makes plan p again, from its origin, against the swarm s and the
// source now, and returns an error naming the first difference. Drift is
// computed here from s and source: nothing of p but its origin is used.
func Remake(p *RotationPlan, s *SwarmSnapshot, source *SourceSnapshot) error {
	in := PlanInput{
		Drift: Drift(DriftInput{Swarm: s, Source: source, Manifest: source.Manifest, Key: source.Key}), Swarm: s, Source: source,
		Options: ApplyOptions{Keep: p.Made.Keep}, ID: p.ID, Now: p.CreatedAt,
		AcceptExposed: p.Made.AcceptExposed, Revoke: p.Made.Revoke, AllowSameValue: p.Made.AllowSameValue,
	}
	var (
		again *RotationPlan
		err   error
	)
	// An exposure is made again too: the refusal of an exposed value still
	// in the source holds at apply time as at plan time.
	if in.Exposure, err = exposureOf(p.Made, s, in.Drift, source.Key); err != nil {
		return fmt.Errorf("plan %s is not what the source and the swarm justify now (%v): make a new plan", p.ID, err)
	}
	switch p.Made.Kind {
	case PlanRotate:
		picked := p.Made.Findings
		if len(picked) == 0 {
			return fmt.Errorf("plan %s selects no finding: make a new plan", p.ID)
		}
		in.Select = func(f Finding) bool { return slices.Contains(picked, f.ID()) }
		again, err = NewPlan(in)
	case PlanResume:
		again, err = NewResumePlan(in, p.Made.Of)
	case PlanRevert:
		again, err = NewRevertPlan(s, source, p.Made.Of, p.ID, p.CreatedAt)
	default:
		return fmt.Errorf("plan %s does not say how it was made (a file from an older secretdeck, or edited): make a new plan", p.ID)
	}
	if err != nil {
		return fmt.Errorf("plan %s is not what the source and the swarm justify now (%v): make a new plan", p.ID, err)
	}
	if d := planDifference(canonical(p), canonical(again)); d != "" {
		return fmt.Errorf("plan %s is not what the source and the swarm justify now: %s: make a new plan", p.ID, d)
	}
	return nil
}

// planDifference names the first way got differs from want ("" if none).
func planDifference(got, want *RotationPlan) string {
	switch {
	case got.ClusterID != want.ClusterID || got.Source != want.Source || got.Env != want.Env:
		return "it names another swarm, source or environment"
	case got.Protected != want.Protected:
		return fmt.Sprintf("environment %s is protected=%v in secretdeck.yaml, the plan says %v", want.Env, want.Protected, got.Protected)
	case !reflect.DeepEqual(got.Made, want.Made):
		return "its selection differs"
	case !reflect.DeepEqual(got.Creates, want.Creates):
		return fmt.Sprintf("the secrets to create differ (%s, justified: %s)", createNames(got.Creates), createNames(want.Creates))
	case !reflect.DeepEqual(got.ConfigCreates, want.ConfigCreates):
		return "the configs to create differ"
	case len(got.Services) != len(want.Services):
		return fmt.Sprintf("it updates %d services, justified: %d", len(got.Services), len(want.Services))
	}
	for i := range got.Services {
		g, w := got.Services[i], want.Services[i]
		switch {
		case g.Service != w.Service || g.ServiceID != w.ServiceID:
			return fmt.Sprintf("it updates service %s (%s), justified: %s (%s)", g.Service, g.ServiceID, w.Service, w.ServiceID)
		case g.Version != w.Version:
			return fmt.Sprintf("service %s is at version %d now, the plan was made at %d", w.Service, w.Version, g.Version)
		case !reflect.DeepEqual(g.Before, w.Before):
			return fmt.Sprintf("the secrets service %s mounts now differ from the plan's", w.Service)
		case !reflect.DeepEqual(g.After, w.After):
			return fmt.Sprintf("the secrets service %s would mount differ (names, targets, uid, gid or mode)", w.Service)
		case !reflect.DeepEqual(g.ConfigsAfter, w.ConfigsAfter):
			return fmt.Sprintf("the configs service %s would mount differ (names, targets, uid, gid or mode)", w.Service)
		case !reflect.DeepEqual(g, w):
			return fmt.Sprintf("the update of service %s differs", w.Service)
		}
	}
	if !reflect.DeepEqual(got.StackEdits, want.StackEdits) {
		return "the stack file edits differ"
	}
	if !reflect.DeepEqual(got.Removes, want.Removes) {
		return "the secrets to remove differ"
	}
	if got.digest() != want.digest() {
		return "it differs"
	}
	return ""
}

// canonical is p as a plan file holds it (empty and missing lists alike),
// without what a plan only reports: how many tasks run now (which changes as
// a crash-looping task restarts) and which cannot run, neither of which says
// anything of what apply does.
func canonical(p *RotationPlan) *RotationPlan {
	b, err := json.Marshal(p)
	if err != nil {
		return p
	}
	var c RotationPlan
	if json.Unmarshal(b, &c) != nil {
		return p
	}
	for i := range c.Services {
		c.Services[i].Restarts = 0
		c.Services[i].Unschedulable = nil // nodes come and go; they change nothing apply does
		c.Services[i].StackMissing = nil
	}
	for i := range c.StackEdits {
		c.StackEdits[i].Diff = ""
	}
	return &c
}

func createNames(cs []SecretCreate) string {
	if len(cs) == 0 {
		return "none"
	}
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	return fmt.Sprint(names)
}
