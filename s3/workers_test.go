package s3

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestEachParallelCallsEveryIndexOnceWithinTheLimit(t *testing.T) {
	for _, tc := range []struct{ limit, n int }{{64, 1000}, {3, 10}, {8, 1}, {0, 5}, {4, 0}} {
		var mu sync.Mutex
		seen := map[int]int{}
		var running, most atomic.Int64
		err := eachParallel(context.Background(), tc.limit, tc.n, func(_ context.Context, i int) error {
			now := running.Add(1)
			defer running.Add(-1)
			for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
			}
			mu.Lock()
			seen[i]++
			mu.Unlock()
			return nil
		})
		if err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		if len(seen) != tc.n {
			t.Errorf("%+v: %d indexes called, want %d", tc, len(seen), tc.n)
		}
		for i, c := range seen {
			if i < 0 || i >= tc.n || c != 1 {
				t.Errorf("%+v: index %d called %d times", tc, i, c)
			}
		}
		if m := most.Load(); m > int64(max(tc.limit, 1)) {
			t.Errorf("%+v: %d ran at once, over the limit", tc, m)
		}
	}
}

func TestEachParallelStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	var calls atomic.Int64
	err := eachParallel(context.Background(), 2, 10_000, func(_ context.Context, i int) error {
		calls.Add(1)
		if i == 3 {
			return boom
		}
		return nil // the pool, not fn, must stop
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if c := calls.Load(); c >= 10_000 {
		t.Errorf("%d calls: the others went on after the error", c)
	}
}
