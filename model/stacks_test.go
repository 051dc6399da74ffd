package model

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// shopWorld is stack shop: service shop_web mounts payment_key_v1 (the
// stack file names it), the source holds a new value.
func shopWorld(value string) *world {
	w := newWorld().managed("payment_key", 1, "old").
		service("shop_web", "payment_key_v1:payment_key").
		file("shared.properties.prod", SharedService, "payment_key="+value)
	w.last().Stack, w.last().Version = "shop", 10
	w.swarm.ClusterID, w.source.URI = "c1", "s3://b/p"
	w.source.Stacks = []StackFile{{Stack: "shop", Path: "stacks/shop.yml", Version: "e1",
		Services: []StackService{{Name: "shop_web", Refs: []StackRef{{Key: "payment", Name: "payment_key_v1", Target: "payment_key"}}}},
		Secrets:  []StackSecret{{Key: "payment", Name: "payment_key_v1", External: true}}}}
	return w
}

type fakeStacks struct {
	edits []string
	err   error
}

func (f *fakeStacks) EditStack(_ context.Context, e StackEdit) error {
	if f.err != nil {
		return f.err
	}
	f.edits = append(f.edits, fmt.Sprintf("%s@%s %s: %s→%s", e.File, e.Version, e.Key, e.From, e.To))
	return nil
}

// TestRotationEditsTheStackFile: a rotation of a stack service whose file
// is known edits the definition it mounts, once the service is verified;
// stack-owned is not reported for it.
func TestRotationEditsTheStackFile(t *testing.T) {
	w := shopWorld("new")
	r := w.drift()
	assertFindings(t, r, "stale shop_web/payment_key/payment_key_v1", "open-grant /payment_key/")
	p := planFor(t, w)
	if len(p.StackEdits) != 1 || fmt.Sprintf("%+v", p.StackEdits[0]) != fmt.Sprintf("%+v", StackEdit{Stack: "shop", File: "stacks/shop.yml", Version: "e1", Key: "payment", From: "payment_key_v1", To: "payment_key_v2", Services: []string{"shop_web"}}) {
		t.Fatalf("edits %+v", p.StackEdits)
	}
	f := newFakeSwarm(w)
	stacks := &fakeStacks{}
	in := applyInput(w, f, p)
	in.Stacks = stacks
	res, err := Apply(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(stacks.edits) != "[stacks/shop.yml@e1 payment: payment_key_v1→payment_key_v2]" || !strings.Contains(res.Summary, "1 stack files edited") {
		t.Errorf("edits %v, result %+v", stacks.edits, res)
	}

	// A stack file that changed since the plan is refused, as a property
	// file is.
	w.source.Stacks[0].Version = "e2"
	if err := Check(context.Background(), applyInput(w, newFakeSwarm(w), p)); err == nil || !strings.Contains(err.Error(), "stack file stacks/shop.yml changed since plan p-1") {
		t.Errorf("check: %v", err)
	}
}

// TestStackEditFailureIsSaidNotUndone: a failed write (the file changed
// under the plan) leaves the rotation verified and says which edit to make.
func TestStackEditFailureIsSaidNotUndone(t *testing.T) {
	w := shopWorld("new")
	p := planFor(t, w)
	in := applyInput(w, newFakeSwarm(w), p)
	in.Stacks = &fakeStacks{err: errors.New("precondition failed")}
	res, err := Apply(context.Background(), in)
	if err == nil || !strings.Contains(err.Error(), "stacks/shop.yml (secret payment: name payment_key_v2; precondition failed)") || res.Services["shop_web"] != "verified" ||
		strings.Contains(res.Summary, "stack files edited") {
		t.Fatalf("err %v, result %+v", err, res)
	}
	in = applyInput(w, newFakeSwarm(w), p)
	in.Options.NoStackEdit = true
	res, err = Apply(context.Background(), in)
	if err != nil || !strings.Contains(res.Summary, "1 stack file edits left to you") {
		t.Errorf("--no-stack-edit: %v %+v", err, res)
	}
}

// TestStackPinnedAndReverted: a file that names an older version than the
// newest (which holds the source's value) is stack-pinned, fixed by an edit
// alone; a service a deploy moved back is stack-reverted, not lagging.
func TestStackPinnedAndReverted(t *testing.T) {
	w := shopWorld("new")
	w.managed("payment_key", 2, "new", LabelPlan, "p-7")
	w.swarm.Services[0].Spec.Secrets[0] = FileRef{ID: "id-payment_key_v2", Name: "payment_key_v2", Target: "payment_key", UID: "0", GID: "0", Mode: 0o444}
	r := w.drift()
	assertFindings(t, r, "stack-pinned shop_web/payment_key/payment_key_v1", "open-grant /payment_key/") // v1: named by the file, no orphan
	p := planFor(t, w)
	if len(p.Services) != 0 || len(p.Creates) != 0 || len(p.StackEdits) != 1 || p.StackEdits[0].To != "payment_key_v2" {
		t.Fatalf("an edit alone: %+v", p)
	}

	// docker stack deploy with the old file: back on v1, v2 in the
	// previous spec.
	svc := &w.swarm.Services[0]
	svc.Previous = &ServiceSpec{Secrets: svc.Spec.Secrets}
	svc.Spec.Secrets = []FileRef{{ID: "id-payment_key_v1", Name: "payment_key_v1", Target: "payment_key", UID: "0", GID: "0", Mode: 0o444}}
	r = w.drift()
	assertFindings(t, r, "stale shop_web/payment_key/payment_key_v1", "stack-reverted shop_web/payment_key/payment_key_v1",
		"stack-pinned shop_web/payment_key/payment_key_v1", "open-grant /payment_key/")
	if !strings.Contains(r.Findings[1].Explanation, "a `docker stack deploy` of stack shop with stacks/shop.yml as it was undid the rotation (plan p-7)") {
		t.Errorf("explanation %q", r.Findings[1].Explanation)
	}

	// Unknown stack file: stack-owned, as before.
	w = shopWorld("new")
	w.source.Stacks = nil
	assertFindings(t, w.drift(), "stale shop_web/payment_key/payment_key_v1", "stack-owned shop_web//", "open-grant /payment_key/")
}

// TestStackFileSecret: the file behind a file: secret changed after Docker
// made the secret: the next deploy fails, so drift says so and a plan
// renames the secret in the stack file (the deploy then makes it). A file
// older than the secret, or a secret not made yet, is no finding.
func TestStackFileSecret(t *testing.T) {
	mk := func(modified time.Time) *world {
		w := newWorld().secret("shop_tls").service("shop_web", "shop_tls:tls.pem")
		w.last().Stack = "shop"
		w.swarm.ClusterID, w.source.URI = "c1", "s3://b/p"
		w.source.Stacks = []StackFile{{Stack: "shop", Path: "stacks/shop.yml", Version: "e1",
			Services: []StackService{{Name: "shop_web", Refs: []StackRef{{Key: "tls", Name: "shop_tls", Target: "tls.pem"}}}},
			Secrets:  []StackSecret{{Key: "tls", Name: "shop_tls", File: "./tls.pem", FilePath: "stacks/tls.pem", FileModified: modified}}}}
		return w
	}
	w := mk(t0.Add(time.Hour)) // the secret was made at t0
	r := w.drift()
	assertFindings(t, r, "stack-file-secret shop_web//shop_tls", "undeclared shop_web//shop_tls")
	if !strings.Contains(r.Findings[0].Explanation, "the next `docker stack deploy` fails") || !strings.Contains(r.Findings[0].Explanation, "naming it shop_tls_v1") {
		t.Errorf("explanation %q", r.Findings[0].Explanation)
	}
	w.source.Key = w.key
	p, err := NewPlan(PlanInput{Drift: r, Swarm: &w.swarm, Source: &w.source, ID: "p-1", Now: t0})
	if err != nil || len(p.StackEdits) != 1 || p.StackEdits[0].From != "shop_tls" || p.StackEdits[0].To != "shop_tls_v1" || len(p.Services) != 0 || len(p.Creates) != 0 {
		t.Fatalf("plan %v %+v", err, p)
	}
	if err := Remake(p, &w.swarm, &w.source); err != nil {
		t.Errorf("made again: %v", err)
	}
	assertFindings(t, mk(t0.Add(-time.Hour)).drift(), "undeclared shop_web//shop_tls")
	w = mk(t0.Add(time.Hour))
	w.swarm.Secrets = nil
	w.swarm.Services[0].Spec.Secrets = nil
	assertFindings(t, w.drift())
}

// TestStackMissingMountIsSaid: a plan that adds a mount the stack file does
// not declare says that the next deploy drops it.
func TestStackMissingMountIsSaid(t *testing.T) {
	w := shopWorld("new")
	w.file("shop_web.properties.prod", "shop_web", "smtp.password=pw-Smtp-1")
	p := planFor(t, w)
	if len(p.Services) != 1 || fmt.Sprint(p.Services[0].StackMissing) != "[smtp.password]" || p.Services[0].StackFile != "stacks/shop.yml" {
		t.Fatalf("change %+v", p.Services)
	}
}

// TestUnparsableStackFile: a stack file that does not load is a finding
// with its line, and its services are checked as if it were unknown.
func TestUnparsableStackFile(t *testing.T) {
	w := shopWorld("new")
	w.source.Stacks[0].Err = &ParseError{File: "stacks/shop.yml", Line: 7, Msg: "invalid YAML syntax"}
	r := w.drift()
	assertFindings(t, r, "stale shop_web/payment_key/payment_key_v1", "unparsable //", "stack-owned shop_web//", "open-grant /payment_key/")
	for _, f := range r.Findings {
		if f.Kind == KindUnparsable && (f.File != "stacks/shop.yml" || !strings.Contains(f.Explanation, "stacks/shop.yml:7: invalid YAML syntax")) {
			t.Errorf("%+v", f)
		}
	}
	if p := planFor(t, w); len(p.StackEdits) != 0 {
		t.Errorf("no edit of a file that does not load: %+v", p.StackEdits)
	}
}

// TestRevertPutsTheStackFileBack: reverting a plan that edited a stack file
// edits it back, or the next deploy would look up the secret the revert
// removes.
func TestRevertPutsTheStackFileBack(t *testing.T) {
	w := shopWorld("new")
	w.managed("payment_key", 2, "new", LabelPlan, "p-7")
	w.swarm.Services[0].Spec.Secrets[0] = FileRef{ID: "id-payment_key_v2", Name: "payment_key_v2", Target: "payment_key", UID: "0", GID: "0", Mode: 0o444}
	w.source.Stacks[0].Secrets[0].Name = "payment_key_v2" // as the plan edited it
	w.source.Stacks[0].Services[0].Refs[0].Name = "payment_key_v2"
	p, err := NewRevertPlan(&w.swarm, &w.source, "p-7", "p-8", t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.StackEdits) != 1 || p.StackEdits[0].From != "payment_key_v2" || p.StackEdits[0].To != "payment_key_v1" {
		t.Errorf("edits %+v", p.StackEdits)
	}
}
