package swarm

import (
	"context"
	"fmt"
	"testing"
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
