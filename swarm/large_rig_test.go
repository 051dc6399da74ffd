package swarm

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/secretdeck/secretdeck/internal/seed"
	"github.com/secretdeck/secretdeck/internal/testrig"
)

// TestSnapshotOfALargeSwarm seeds 1,000 secrets and 200 services on the real
// engine: the snapshot has them all with their references, for the same six
// calls as the swarm took before seeding.
func TestSnapshotOfALargeSwarm(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 1,000 secrets and 200 services")
	}
	c := connectRig(t)
	ctx := context.Background()

	before := counting(c.API())
	if _, err := LoadSnapshot(ctx, before); err != nil {
		t.Fatal(err)
	}

	o := seed.Options{Prefix: testrig.UniqueName("big") + "_", Secrets: 1000, Services: 200, Running: 2, Image: testrig.Image(t)}
	t.Cleanup(func() {
		if err := seed.Cleanup(context.Background(), c.API(), o.Prefix); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	start := time.Now()
	if err := seed.Seed(ctx, c.API(), o); err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d secrets and %d services in %s", o.Secrets, o.Services, time.Since(start).Round(time.Millisecond))

	after := counting(c.API())
	start = time.Now()
	snap, err := LoadSnapshot(ctx, after)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded %d secrets, %d services, %d tasks in %s", len(snap.Secrets), len(snap.Services), len(snap.Tasks), time.Since(start).Round(time.Millisecond))
	if before.String() != oneCallEach || after.String() != before.String() {
		t.Errorf("calls before seeding: %s; after: %s; want %s both times", before, after, oneCallEach)
	}

	names := map[string]string{} // seeded secret ID → name
	for _, s := range snap.Secrets {
		if s.Labels[seed.Label] == o.Prefix {
			names[s.ID] = s.Name
		}
	}
	if len(names) != o.Secrets {
		t.Fatalf("%d seeded secrets in the snapshot, want %d", len(names), o.Secrets)
	}
	n := 0
	for _, svc := range snap.Services {
		if !strings.HasPrefix(svc.Name, o.Prefix) {
			continue
		}
		i, err := strconv.Atoi(strings.TrimPrefix(svc.Name, o.Prefix+"service_"))
		if err != nil {
			t.Fatalf("service %s: %v", svc.Name, err)
		}
		n++
		if len(svc.Spec.Secrets) != 5 {
			t.Fatalf("service %s mounts %d secrets, want 5", svc.Name, len(svc.Spec.Secrets))
		}
		for j, ref := range svc.Spec.Secrets {
			s, target, uid, gid, mode := seed.Mount(o, i, j)
			if ref.Name != seed.SecretName(o.Prefix, s) || names[ref.ID] != ref.Name || ref.Target != target ||
				ref.UID != uid || ref.GID != gid || ref.Mode != uint32(mode) {
				t.Fatalf("service %s ref %d = %+v, want %s at %s %s:%s %o", svc.Name, j, ref, seed.SecretName(o.Prefix, s), target, uid, gid, mode)
			}
		}
	}
	if n != o.Services {
		t.Fatalf("%d seeded services in the snapshot, want %d", n, o.Services)
	}
}
