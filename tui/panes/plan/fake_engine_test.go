package plan_test

import (
	"context"
	"sync"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
)

// fakeEngine is a common.Engine that records what it is asked and answers
// what the test scripts: it can refuse a plan, fail an apply, or hold an
// apply until the test lets it go.
type fakeEngine struct {
	plan    *model.RotationPlan // what Plan, Resume and Revert return
	planErr error               // or this error
	steps   []model.Step        // Apply reports these
	result  *model.ApplyResult  // then returns this
	err     error               // or fails with this
	gate    chan struct{}       // when set, Apply waits until it is closed

	mu       sync.Mutex   // Apply runs on the pane's goroutine
	calls    []string     // "plan", "resume p-old", "revert p-old", "apply p-test"
	selected []string     // the finding IDs the last Plan's sel picked
	data     *common.Data // the data of the last plan asked for
	applied  []*model.RotationPlan
}

func (f *fakeEngine) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

// Calls is what the engine was asked, in order.
func (f *fakeEngine) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeEngine) Plan(d *common.Data, sel func(model.Finding) bool) (*model.RotationPlan, error) {
	f.record("plan")
	f.data, f.selected = d, nil
	for _, fd := range d.Findings() {
		if sel(fd) {
			f.selected = append(f.selected, fd.ID())
		}
	}
	return f.plan, f.planErr
}

func (f *fakeEngine) Resume(d *common.Data, id string) (*model.RotationPlan, error) {
	f.record("resume " + id)
	f.data = d
	return f.plan, f.planErr
}

func (f *fakeEngine) Revert(d *common.Data, id string) (*model.RotationPlan, error) {
	f.record("revert " + id)
	f.data = d
	return f.plan, f.planErr
}

func (f *fakeEngine) Apply(ctx context.Context, p *model.RotationPlan, progress func(model.Step)) (*model.ApplyResult, error) {
	f.record("apply " + p.ID)
	f.mu.Lock()
	f.applied = append(f.applied, p)
	f.mu.Unlock()
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	for _, s := range f.steps {
		progress(s)
	}
	return f.result, f.err
}
