package s3

import (
	"context"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// eachParallel calls fn for i in [0, n) on at most limit goroutines, and
// returns the first error (whose context the others see cancelled).
//
// The goroutines are few and long-lived, not one per item: a read goes
// through the SDK's deep middleware chain, and each fresh goroutine grew its
// stack for it again — a tenth of drift's CPU over 1,000 reads.
func eachParallel(ctx context.Context, limit, n int, fn func(ctx context.Context, i int) error) error {
	if n == 0 {
		return nil
	}
	limit = max(1, min(limit, n))
	var next atomic.Int64
	g, ctx := errgroup.WithContext(ctx)
	for range limit {
		g.Go(func() error {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return nil
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := fn(ctx, i); err != nil {
					return err
				}
			}
		})
	}
	return g.Wait()
}
