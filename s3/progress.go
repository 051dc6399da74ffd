package s3

import (
	"context"
	"sync/atomic"
)

type progressKey struct{}

// WithProgress returns a context under which a source's Load calls
// progress(done, total) as the files of the environment are read (from
// the goroutines that read them): the workbench shows the count while the
// source streams in. Files unchanged since the last Load count at once.
func WithProgress(ctx context.Context, progress func(done, total int)) context.Context {
	return context.WithValue(ctx, progressKey{}, progress)
}

// progressCounter counts the files read for a Load's progress.
type progressCounter struct {
	fn          func(done, total int)
	done, total int64
}

func newProgress(ctx context.Context, total int) *progressCounter {
	fn, _ := ctx.Value(progressKey{}).(func(done, total int))
	p := &progressCounter{fn: fn, total: int64(total)}
	if fn != nil {
		fn(0, total)
	}
	return p
}

// one counts a file read.
func (p *progressCounter) one() {
	if p.fn != nil {
		p.fn(int(atomic.AddInt64(&p.done, 1)), int(p.total))
	}
}
