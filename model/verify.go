package model

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// How apply decides that one service's rollout is done, by the kind of
// service. Each read of the service and its tasks gives a verdict; the
// rules, in order (the README's rotation section says the same):
//
//  1. rollback_* is a failure, whatever the service: Docker undid it.
//  2. A job (replicated-job, global-job) has no rolling update: the update
//     starts a new iteration. Done when every task of it (the tasks that
//     mount the new secrets) has ended and the completions it needs
//     (TotalCompletions; one per node for a global job) are "complete"; a
//     failed or rejected task is a failure, with its error.
//  3. A one-shot service (restart condition none) ends its tasks by design,
//     and Docker's updater pauses on such an "early termination" even after
//     exit 0. Once the update is completed or paused, done when each
//     expected task of the new spec runs or has completed; a failed or
//     rejected one is a failure. A service restarted on failure only is
//     the same when its update paused and its new tasks all exited 0.
//  4. paused is a failure (for any other service).
//  5. A service scaled to 0 is done as soon as its spec names the secrets.
//  6. Any other service is done when Docker says "completed" AND every task
//     meant to run runs, mounts the new secrets, and their count is the
//     declared replicas.
//  7. Unless --wait-for-all-nodes: a rollout Docker still calls "updating"
//     is done when the only tasks not running are tasks of the new spec that
//     no node can take now (pending "no suitable node", or on a node that is
//     down): they start with the new secrets when a node can (nodes.go).
//
// For a restart (the service reads a changed file at start-up), a task counts
// only if it started once the update began: the same secrets prove nothing.
type verdict struct {
	done                       bool
	err                        error
	running, desired, mounting int
	detail                     string // of a verification that is not rule 6
}

// terminal task states: the task will not run again.
var terminal = []string{"complete", "failed", "rejected", "shutdown", "orphaned", "remove"}

func verify(svc *Service, state string, tasks []Task, want []string, refs []FileRef, restart bool, nodes nodeIndex) verdict {
	if restart {
		tasks = startedSince(tasks, svc)
	}
	running, desired, mounting := taskState(tasks, want)
	v := verdict{running: running, desired: desired, mounting: mounting}
	fresh := newSpecTasks(tasks, want)
	switch {
	case strings.HasPrefix(state, "rollback"):
		v.err = rolloutError(svc, state, fresh)
	case svc.IsJob():
		v.done, v.err = jobDone(svc, fresh)
		v.running, v.desired, v.detail = countState(fresh, "complete"), len(fresh), "the job's new run completed"
	case svc.RestartCondition == "none" || (svc.RestartCondition == "on-failure" && state == "paused" && allComplete(fresh)):
		if state != "completed" && state != "paused" {
			return v // the updater has not looked at the new tasks yet
		}
		v.done, v.err = oneShotDone(svc, fresh, desired)
		v.running, v.detail = countState(fresh, "running")+countState(fresh, "complete"), "its new tasks ran or completed"
	case state == "paused":
		v.err = rolloutError(svc, state, fresh)
	case svc.Replicas != nil && *svc.Replicas == 0 && slices.Equal(svc.Spec.Secrets, refs):
		v.done, v.detail = true, "no task runs"
	default:
		// Counting against the declared replicas matters: mid-rollout
		// (stop-first) no task may be desired at all, and a fresh service
		// reports no status until the orchestrator picks the update up.
		v.done = state == "completed" && desired == expected(svc, desired) && desired > 0 && running == desired && mounting == running
		if !v.done && nodes != nil && (state == "updating" || state == "completed") {
			// Rule 7: the tasks no node can take now are not waited for.
			held, why := heldTasks(fresh, nodes)
			if held > 0 && desired == expected(svc, desired) && running+held == desired && mounting == running {
				v.done = true
				v.detail = fmt.Sprintf("%d task(s) cannot be scheduled now (%s): not waited for; they start with the new secrets when a node takes them", held, why)
			}
		}
	}
	return v
}

// heldTasks counts the tasks meant to run that their nodes hold up, with
// the first reason.
func heldTasks(tasks []Task, nodes nodeIndex) (n int, why string) {
	for _, t := range tasks {
		if w := nodes.blocked(t); w != "" {
			n++
			why = cmpOr(why, Printable(w))
		}
	}
	return n, why
}

// startedSince keeps, for a restart, only the tasks that started once the
// update began (Docker's clock on both sides): an older task, with the same
// secrets, read the old file. The others are returned as mounting nothing,
// so that no rule counts them as updated.
func startedSince(tasks []Task, svc *Service) []Task {
	var since time.Time
	if svc.UpdateStatus != nil {
		since = svc.UpdateStatus.StartedAt
	}
	out := make([]Task, len(tasks))
	for i, t := range tasks {
		out[i] = t
		if since.IsZero() || t.CreatedAt.Before(since) {
			out[i].SecretIDs, out[i].ConfigIDs = nil, nil
		}
	}
	return out
}

// newSpecTasks are the tasks started from the updated spec: those that
// mount every wanted secret.
func newSpecTasks(tasks []Task, want []string) []Task {
	var out []Task
	for _, t := range tasks {
		if !slices.ContainsFunc(want, func(id string) bool { return !t.Mounts(id) }) {
			out = append(out, t)
		}
	}
	return out
}

// allComplete reports whether there are tasks and all exited 0.
func allComplete(tasks []Task) bool {
	return len(tasks) > 0 && countState(tasks, "complete") == len(tasks)
}

func countState(tasks []Task, state string) int {
	n := 0
	for _, t := range tasks {
		if t.State == state {
			n++
		}
	}
	return n
}

// failedTask is the first task that failed or was rejected, if any.
func failedTask(tasks []Task) (Task, bool) {
	for _, t := range tasks {
		if t.State == "failed" || t.State == "rejected" {
			return t, true
		}
	}
	return Task{}, false
}

// taskError says why a task failed, as `docker service ps` does.
func taskError(t Task) string {
	why := cmpOr(t.Err, t.Message)
	where := ""
	if t.NodeID != "" {
		where = " on node " + t.NodeID
	}
	return fmt.Sprintf("task %s%s %s: %s", t.ID, where, t.State, cmpOr(why, "no error given"))
}

func rolloutError(svc *Service, state string, fresh []Task) error {
	msg := ""
	if svc.UpdateStatus != nil {
		msg = svc.UpdateStatus.Message
	}
	if t, ok := failedTask(fresh); ok {
		msg += "; " + taskError(t)
	}
	return fmt.Errorf("rollout %s: %s", state, msg)
}

func jobDone(svc *Service, fresh []Task) (bool, error) {
	if t, ok := failedTask(fresh); ok {
		return false, fmt.Errorf("job %s: %s", svc.Name, taskError(t))
	}
	need := 1
	switch {
	case svc.Mode == "global-job":
		need = max(len(fresh), 1)
	case svc.Completions != nil:
		need = int(*svc.Completions)
	}
	for _, t := range fresh {
		if !slices.Contains(terminal, t.State) {
			return false, nil // still running
		}
	}
	return countState(fresh, "complete") >= need, nil
}

func oneShotDone(svc *Service, fresh []Task, desired int) (bool, error) {
	if t, ok := failedTask(fresh); ok {
		return false, fmt.Errorf("service %s: %s", svc.Name, taskError(t))
	}
	ok := countState(fresh, "running") + countState(fresh, "complete")
	want := expected(svc, desired)
	if svc.Replicas == nil { // global: one per node that ran one
		want = max(want, len(fresh))
	}
	return want > 0 && ok >= want, nil
}
