package model

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// awaySwarm is the fake swarm whose engine stops answering Tasks for
// service b: fails times (-1: for good).
type awaySwarm struct {
	*fakeSwarm
	mu    sync.Mutex
	fails int
}

var errAway = errors.New("cannot connect to the Docker daemon")

func (a *awaySwarm) Tasks(ctx context.Context, id string) ([]Task, error) {
	a.mu.Lock()
	if id == "svc-b" && a.fails != 0 {
		a.fails--
		a.mu.Unlock()
		return nil, errAway
	}
	a.mu.Unlock()
	return a.fakeSwarm.Tasks(ctx, id)
}

// An engine that stops answering mid-watch (a restart, a connection
// re-dialled) is read again: when it answers, the rollout is watched to its
// end and the apply succeeds, having said it was retrying.
func TestWatchReadsAgainAnEngineThatWasAway(t *testing.T) {
	w := threeConsumers()
	f := &awaySwarm{fakeSwarm: newFakeSwarm(w), fails: 3}
	in := applyInput(w, f, planFor(t, w))
	in.Options.Parallel = 1
	var retried []Step
	in.Progress = func(s Step) {
		if s.Action == "watch" && s.Result == "retrying" {
			retried = append(retried, s)
		}
	}
	res, err := Apply(context.Background(), in)
	if err != nil {
		t.Fatalf("apply through an engine away for 3 reads: %v", err)
	}
	if res.Services["b"] != "verified" {
		t.Errorf("b is %q, want verified", res.Services["b"])
	}
	if len(retried) != 1 || retried[0].Service != "b" || !strings.Contains(retried[0].Detail, errAway.Error()) {
		t.Errorf("retrying said %+v, want once for b with the cause", retried)
	}
}

// An engine that stays away fails the rollout by its deadline, with the
// read's error as the cause, and apply then undoes what it can.
func TestWatchGivesUpOnAnEngineThatStaysAway(t *testing.T) {
	w := threeConsumers()
	f := &awaySwarm{fakeSwarm: newFakeSwarm(w), fails: -1}
	in := applyInput(w, f, planFor(t, w))
	in.Options.Parallel = 1
	in.Options.Timeout = 50 * time.Millisecond
	start := time.Now()
	_, err := Apply(context.Background(), in)
	var ae *ApplyError
	if !errors.As(err, &ae) || ae.Err.Error() != "service b: "+errAway.Error() {
		t.Fatalf("apply through an engine that stays away: %v", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("gave up after %s: the rollout's deadline bounds the retries", took)
	}
}
