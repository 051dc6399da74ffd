package model

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestApplyFailuresAreUndoneAndReported: threeConsumers' plan is applied one
// service at a time (a, b, then c) while the engine disagrees with it. Each
// failure must roll back the services already updated (never a service Docker
// already rolled back), remove the new secret when nothing mounts it, and say
// exactly what is left.
func TestApplyFailuresAreUndoneAndReported(t *testing.T) {
	const (
		undone  = "plan p-1 failed and was undone: services: "
		allBack = undone + "a rolled-back, b rolled-back, c unchanged; secrets created then removed: 1"
		create  = "create tok_v2 fp=true plan=p-1 "
		short   = 20 * time.Millisecond
	)
	cases := []struct {
		name      string
		script    map[string]*rollout
		removeErr error
		timeout   time.Duration // of each rollout; default 1s
		err       string        // the cause, as the operator reads it
		summary   string        // where the swarm stands
		calls     string
		mounts    string
	}{
		{name: "b's tasks keep the old secret although Docker says completed",
			script:  map[string]*rollout{"b": {oldTasks: true}},
			timeout: short,
			err:     "service b: rollout not done after 20ms (state completed, 0/1 tasks running with the new secrets)",
			summary: allBack,
			calls:   create + "update a update b rollback a rollback b remove tok_v2",
			mounts:  "a:tok_v1 b:tok_v1 c:tok_v1"},
		{name: "b's update is never picked up",
			script:  map[string]*rollout{"b": {states: []string{""}}},
			timeout: short,
			err:     "service b: rollout not done after 20ms (state updating, 1/1 tasks running with the new secrets)",
			summary: allBack,
			calls:   create + "update a update b rollback a rollback b remove tok_v2",
			mounts:  "a:tok_v1 b:tok_v1 c:tok_v1"},
		{name: "b's rollout pauses",
			script: map[string]*rollout{"b": {states: []string{"updating", "paused"}, message: "update paused due to failure or early termination of task t-b-0",
				rollback: []string{"rollback_started", "rollback_completed"}}},
			err:     "service b: rollout paused: update paused due to failure or early termination of task t-b-0",
			summary: allBack,
			calls:   create + "update a update b rollback a rollback b remove tok_v2",
			mounts:  "a:tok_v1 b:tok_v1 c:tok_v1"},
		{name: "secretdeck's rollback of b races Docker's updater once: read again, rolled back",
			script: map[string]*rollout{"b": {states: []string{"updating", "paused"}, message: "update paused due to failure or early termination of task t-b-0",
				rollbackOutOfSequence: 1}},
			err:     "service b: rollout paused: update paused due to failure or early termination of task t-b-0",
			summary: allBack,
			calls:   create + "update a update b rollback a rollback b out-of-sequence rollback b rollback b remove tok_v2",
			mounts:  "a:tok_v1 b:tok_v1 c:tok_v1"},
		{name: "Docker rolls b back by itself: secretdeck only waits",
			script: map[string]*rollout{"b": {states: []string{"updating", "rollback_started", "rollback_started", "rollback_completed"},
				message: "update rolled back due to failure or early termination of task t-b-0"}},
			err:     "service b: rollout rollback_started: update rolled back due to failure or early termination of task t-b-0",
			summary: allBack,
			calls:   create + "update a update b rollback a remove tok_v2",
			mounts:  "a:tok_v1 b:tok_v1 c:tok_v1"},
		{name: "Docker's own rollback of b pauses",
			script:  map[string]*rollout{"b": {states: []string{"rollback_started", "rollback_paused"}, message: "task t-b-0 failed"}},
			err:     "service b: rollout rollback_started: task t-b-0 failed",
			summary: undone + "a rolled-back, b failed, c unchanged; secrets created then removed: 1; NOT undone: service b could not be rolled back (the rollback paused: task t-b-0 failed): its spec is back on the old secrets but its tasks do not run: fix the cause, then `docker service update --force b` (not `docker service rollback`: that would go forward to the failed spec)",
			calls:   create + "update a update b rollback a remove tok_v2",
			mounts:  "a:tok_v1 b:tok_v1 c:tok_v1"},
		{name: "secretdeck's rollback of b pauses",
			script:  map[string]*rollout{"b": {states: []string{"paused"}, rollback: []string{"rollback_started", "rollback_paused"}, message: "task t-b-0 failed"}},
			err:     "service b: rollout paused: task t-b-0 failed",
			summary: undone + "a rolled-back, b failed, c unchanged; secrets created then removed: 1; NOT undone: service b could not be rolled back (the rollback paused: task t-b-0 failed): its spec is back on the old secrets but its tasks do not run: fix the cause, then `docker service update --force b` (not `docker service rollback`: that would go forward to the failed spec)",
			calls:   create + "update a update b rollback a rollback b remove tok_v2",
			mounts:  "a:tok_v1 b:tok_v1 c:tok_v1"},
		{name: "secretdeck's rollback of b never completes",
			script:  map[string]*rollout{"b": {states: []string{"paused"}, rollback: []string{"rollback_started"}, message: "task t-b-0 failed"}},
			timeout: short,
			err:     "service b: rollout paused: task t-b-0 failed",
			summary: undone + "a rolled-back, b failed, c unchanged; secrets created then removed: 1; NOT undone: service b could not be rolled back (the rollback did not complete in 20ms (state rollback_started)): run `docker service rollback b`",
			calls:   create + "update a update b rollback a rollback b remove tok_v2",
			mounts:  "a:tok_v1 b:tok_v1 c:tok_v1"},
		{name: "the engine refuses to roll a back: the secret a mounts stays",
			script: map[string]*rollout{"a": {rollbackErr: errors.New("rpc error: connection refused")},
				"b": {states: []string{"paused"}, message: "task t-b-0 failed"}},
			err: "service b: rollout paused: task t-b-0 failed",
			summary: undone + "a failed, b rolled-back, c unchanged; secrets created then removed: 0; NOT undone: " +
				"service a could not be rolled back (rpc error: connection refused): run `docker service rollback a`; " +
				"secret tok_v2 stays (secret tok_v2 is in use by service a)",
			calls:  create + "update a update b rollback a rollback b remove tok_v2",
			mounts: "a:tok_v2 b:tok_v1 c:tok_v1"},
		{name: "the new secret cannot be removed",
			script:    map[string]*rollout{"b": {states: []string{"paused"}, message: "task t-b-0 failed"}},
			removeErr: errors.New("rpc error: connection reset"),
			err:       "service b: rollout paused: task t-b-0 failed",
			summary:   undone + "a rolled-back, b rolled-back, c unchanged; secrets created then removed: 0; NOT undone: secret tok_v2 stays (rpc error: connection reset)",
			calls:     create + "update a update b rollback a rollback b remove tok_v2",
			mounts:    "a:tok_v1 b:tok_v1 c:tok_v1"},
		// A read of b (service or tasks) that fails mid-watch is read
		// again: apply_away_test.go.
		{name: "b is out of sequence twice: retried once, then stopped",
			script:  map[string]*rollout{"b": {outOfSequence: 2}},
			err:     "service b: update out of sequence: rpc error",
			summary: undone + "a rolled-back, b failed, c unchanged; secrets created then removed: 1",
			calls:   create + "update a out-of-sequence b out-of-sequence b rollback a remove tok_v2",
			mounts:  "a:tok_v1 b:tok_v1 c:tok_v1"},
		{name: "someone else changed b's secrets: no retry",
			script:  map[string]*rollout{"b": {outOfSequence: 1, theirSecrets: true}},
			err:     "service b: someone else changed its secrets or env since plan p-1: stopped (run plan again)",
			summary: undone + "a rolled-back, b failed, c unchanged; secrets created then removed: 1",
			calls:   create + "update a out-of-sequence b rollback a remove tok_v2",
			mounts:  "a:tok_v1 b:tok_v1,theirs c:tok_v1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := threeConsumers()
			f := newFakeSwarm(w)
			f.script = c.script
			f.removeErr["tok_v2"] = c.removeErr
			in := applyInput(w, f, planFor(t, w))
			in.Options.Parallel = 1
			if c.timeout > 0 {
				in.Options.Timeout = c.timeout
			}
			res, err := Apply(context.Background(), in)
			var ae *ApplyError
			if !errors.As(err, &ae) || res != nil {
				t.Fatalf("want an ApplyError and no result, got %v and %+v", err, res)
			}
			if got := ae.Err.Error(); got != c.err {
				t.Errorf("cause:\n got %s\nwant %s", got, c.err)
			}
			if got := ae.Result.Summary; got != c.summary {
				t.Errorf("summary:\n got %s\nwant %s", got, c.summary)
			}
			if got := fmt.Sprint(f.calls); got != "["+c.calls+"]" {
				t.Errorf("calls:\n got %s\nwant [%s]", got, c.calls)
			}
			if got := f.mounts(); got != c.mounts {
				t.Errorf("mounts now: %s, want %s", got, c.mounts)
			}
		})
	}
}

// TestApplyCreateFailureRemovesWhatItCreated: when the engine refuses the
// second new secret, the first is removed and no service is touched.
func TestApplyCreateFailureRemovesWhatItCreated(t *testing.T) {
	w := newWorld().managed("api_x", 1, "old").managed("api_y", 1, "old").service("api", "api_x_v1:x", "api_y_v1:y").
		file("api.properties.prod", "api", "x=new", "y=new")
	w.swarm.ClusterID, w.source.URI, w.source.Files[0].ETag = "c1", "s3://b/p", "e1"
	f := newFakeSwarm(w)
	f.createErr["api_y_v2"] = errors.New("rpc error: secret api_y_v2 already exists")
	_, err := Apply(context.Background(), applyInput(w, f, planFor(t, w)))
	want := "create secret api_y_v2: rpc error: secret api_y_v2 already exists; plan p-1 failed and was undone: services: api unchanged; secrets created then removed: 1"
	if fmt.Sprint(err) != want {
		t.Errorf("error:\n got %v\nwant %s", err, want)
	}
	if got := fmt.Sprint(f.calls); got != "[create api_x_v2 fp=true plan=p-1 create api_y_v2 fp=true plan=p-1 remove api_x_v2]" {
		t.Errorf("calls %s", got)
	}
	if got := f.mounts(); got != "api:api_x_v1,api_y_v1" {
		t.Errorf("mounts now: %s", got)
	}
}

// TestApplyReportsEachStateOnce: progress gets a line when the rollout's
// state or task count changes, not one per poll.
func TestApplyReportsEachStateOnce(t *testing.T) {
	w := threeConsumers()
	w.swarm.Services = w.swarm.Services[:1]
	f := newFakeSwarm(w)
	f.script["a"] = &rollout{states: []string{"", "updating", "updating", "updating", "completed"}}
	var steps []string
	in := applyInput(w, f, planFor(t, w))
	in.Progress = func(s Step) {
		steps = append(steps, fmt.Sprintf("%s %s %d/%d", s.Action, s.Result, s.Running, s.Desired))
	}
	if _, err := Apply(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	want := "[create ok 0/0 update ok 0/0 watch updating 1/1 watch completed 1/1 verified ok 1/1]"
	if got := fmt.Sprint(steps); got != want {
		t.Errorf("steps:\n got %s\nwant %s", got, want)
	}
}

// TestApplyVerifiesAServiceScaledToZero: with no task to restart Docker
// records no rollout; the spec naming the new secret is all there is to see.
func TestApplyVerifiesAServiceScaledToZero(t *testing.T) {
	w := threeConsumers()
	w.swarm.Services = w.swarm.Services[:1]
	zero := uint64(0)
	w.swarm.Services[0].Replicas = &zero
	f := newFakeSwarm(w)
	f.script["a"] = &rollout{states: []string{""}}
	var steps []string
	in := applyInput(w, f, planFor(t, w))
	in.Progress = func(s Step) { steps = append(steps, s.Action+" "+s.Result+" "+s.Detail) }
	res, err := Apply(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if steps[len(steps)-1] != "verified ok no task runs" || res.Services["a"] != "verified" {
		t.Errorf("steps %q, result %+v", steps, res)
	}
}

// TestApplyDefaults: an ApplyInput that sets no limits waits up to 5 minutes
// for each rollout, polls every 500ms and updates 4 services at a time; the
// limits an operator sets are kept.
func TestApplyDefaults(t *testing.T) {
	in := withDefaults(ApplyInput{})
	if in.Options.Timeout != 5*time.Minute || in.Options.Poll != 500*time.Millisecond || in.Options.Parallel != 4 {
		t.Errorf("defaults: timeout %s, poll %s, parallel %d", in.Options.Timeout, in.Options.Poll, in.Options.Parallel)
	}
	in = withDefaults(ApplyInput{Options: ApplyOptions{Timeout: time.Second, Poll: time.Millisecond, Parallel: 1}})
	if in.Options.Timeout != time.Second || in.Options.Poll != time.Millisecond || in.Options.Parallel != 1 {
		t.Errorf("set limits: timeout %s, poll %s, parallel %d", in.Options.Timeout, in.Options.Poll, in.Options.Parallel)
	}
}

// TestTaskFailuresAreSaidAsTheyHappen: a task of the new spec that fails
// mid-rollout is one progress step with its error, once, even when Docker
// retries it and the rollout then succeeds.
func TestTaskFailuresAreSaidAsTheyHappen(t *testing.T) {
	w := threeConsumers()
	f := newFakeSwarm(w)
	f.script["a"] = &rollout{states: []string{"updating", "updating", "updating", "completed"}, tasks: []string{"failed", "failed", "running"}}
	in := applyInput(w, f, planFor(t, w))
	var said []string
	in.Progress = func(s Step) {
		if s.Action == "task" {
			said = append(said, s.Service+" "+s.Result+": "+s.Detail)
		}
	}
	if _, err := Apply(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(said) != "[a failed: task t-svc-a-0 failed: no error given]" {
		t.Errorf("task steps %q", said)
	}
}

// TestRollbackDoesNotWaitForATaskNoNodeCanTake: with --wait-for-all-nodes a
// rotation of a service whose task no node can take fails; Docker's
// rollback then waits for that task as its update did (rollback_started for
// good), and apply takes the spec back plus every other task on the old
// secrets for a finished rollback instead of timing out on it.
func TestRollbackDoesNotWaitForATaskNoNodeCanTake(t *testing.T) {
	w := threeConsumers()
	f := newFakeSwarm(w)
	held := &rollout{states: []string{"updating"}, tasks: []string{"pending"}, taskErr: "no suitable node (1 node not available for new tasks)",
		rollback: []string{"rollback_started"}}
	f.script["a"] = held
	in := applyInput(w, f, planFor(t, w))
	in.Options.WaitForAllNodes = true
	in.Options.Parallel = 1
	_, err := Apply(context.Background(), in)
	var ae *ApplyError
	if !errors.As(err, &ae) || ae.Result.Services["a"] != "rolled-back" || strings.Contains(ae.Result.Summary, "NOT undone") {
		t.Fatalf("err %v", err)
	}
}
