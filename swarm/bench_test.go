package swarm

import (
	"context"
	"fmt"
	"testing"

	"github.com/secretdeck/secretdeck/model"
)

// BenchmarkLoadSnapshot measures conversion and sorting on large fake data
// (no I/O). The sizes grow ×1, ×2, ×4: a linear conversion shows a flat
// ns/object (sorting adds a log factor only).
//
//	go test -run '^$' -bench LoadSnapshot -benchmem ./swarm/
func BenchmarkLoadSnapshot(b *testing.B) {
	for _, scale := range []int{1, 2, 4} {
		secrets, services, tasks := 1250*scale, 250*scale, 750*scale
		b.Run(fmt.Sprintf("secrets=%d/services=%d/tasks=%d", secrets, services, tasks), func(b *testing.B) {
			api := largeFake(secrets, services, tasks)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := LoadSnapshot(ctx, api); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(secrets+services+tasks), "ns/object")
		})
	}
}

// TestLoadSnapshotScalesLinearly guards the benchmark's promise in CI by
// counting allocations, which unlike time do not depend on the machine:
// four times the swarm may cost at most about four times the allocations.
func TestLoadSnapshotScalesLinearly(t *testing.T) {
	allocs := func(scale int) float64 {
		api := largeFake(1250*scale, 250*scale, 750*scale)
		return testing.AllocsPerRun(3, func() {
			if _, err := LoadSnapshot(context.Background(), api); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := allocs(1), allocs(4)
	if ratio := large / small; ratio > 4.4 {
		t.Errorf("4× the swarm cost %.1f× the allocations (%.0f → %.0f): conversion is not linear", ratio, small, large)
	}
}

// BenchmarkInspectSecret compares `inspect secret` from the whole swarm
// with the filtered loads, at the size of issue 15 (10,000 secrets, 1,000
// services, 3,000 tasks), without I/O: what is left is the conversion and
// the model's work, which the filters make proportional to the question.
// The engine's side (encoding, transfer) shrinks the same way; bench/scale.sh
// measures it end to end.
//
//	go test -run '^$' -bench InspectSecret -benchmem ./swarm/
func BenchmarkInspectSecret(b *testing.B) {
	api := &filteringAPI{fakeAPI: largeFake(10000, 1000, 3000)}
	ctx := context.Background()
	name := "secret_00042"
	for _, c := range []struct {
		name string
		load func(context.Context, SnapshotAPI, string) (*model.SwarmSnapshot, error)
	}{
		{"whole", func(ctx context.Context, api SnapshotAPI, _ string) (*model.SwarmSnapshot, error) {
			return LoadSnapshot(ctx, api)
		}},
		{"filtered", LoadForSecret},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				snap, err := c.load(ctx, api, name)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := snap.InspectSecret(name, nil, model.FingerprintKey{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
