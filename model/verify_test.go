package model

import (
	"strings"
	"testing"
)

// TestVerifyRules: one case per row of the verification rules (verify.go),
// each with the read that must NOT verify next to the one that must.
func TestVerifyRules(t *testing.T) {
	u := func(n uint64) *uint64 { return &n }
	refs := []FileRef{{ID: "new", Name: "tok_v2", Target: "tok"}}
	task := func(id, desired, state string, secret string) Task {
		return Task{ID: id, NodeID: "n1", DesiredState: desired, State: state, SecretIDs: []string{secret}}
	}
	failed := func(id, secret string) Task {
		t := task(id, "shutdown", "failed", secret)
		t.Err = "task: non-zero exit (1)"
		return t
	}
	replicated := &Service{Name: "api", Mode: "replicated", Replicas: u(2), Spec: ServiceSpec{Secrets: refs}}
	job := &Service{Name: "migrate", Mode: "replicated-job", Completions: u(1), Spec: ServiceSpec{Secrets: refs}}
	globalJob := &Service{Name: "sweep", Mode: "global-job", Spec: ServiceSpec{Secrets: refs}}
	oneShot := &Service{Name: "seed", Mode: "replicated", Replicas: u(1), RestartCondition: "none", Spec: ServiceSpec{Secrets: refs}}
	onFailure := &Service{Name: "worker", Mode: "replicated", Replicas: u(1), RestartCondition: "on-failure", Spec: ServiceSpec{Secrets: refs}}
	zero := &Service{Name: "idle", Mode: "replicated", Replicas: u(0), Spec: ServiceSpec{Secrets: refs}}
	for _, tc := range []struct {
		name  string
		svc   *Service
		state string
		tasks []Task
		done  bool
		err   string
	}{
		{"1: rollback_completed fails any service", job, "rollback_completed", nil, false, "rollout rollback_completed"},
		{"2: job, the old run complete, the new one not started", job, "", []Task{task("t0", "complete", "complete", "old")}, false, ""},
		{"2: job, the new run running", job, "", []Task{task("t0", "complete", "complete", "old"), task("t1", "complete", "running", "new")}, false, ""},
		{"2: job, the new run complete", job, "", []Task{task("t0", "complete", "complete", "old"), task("t1", "complete", "complete", "new")}, true, ""},
		{"2: job, the new run failed", job, "", []Task{task("t0", "complete", "complete", "old"), failed("t1", "new")}, false, "job migrate: task t1 on node n1 failed: task: non-zero exit (1)"},
		{"2: replicated job needing 2 completions, 1 done", &Service{Name: "m", Mode: "replicated-job", Completions: u(2), Spec: ServiceSpec{Secrets: refs}}, "",
			[]Task{task("t1", "complete", "complete", "new")}, false, ""},
		{"2: global job, one node done, one running", globalJob, "", []Task{task("t1", "complete", "complete", "new"), task("t2", "complete", "running", "new")}, false, ""},
		{"2: global job, every node done", globalJob, "", []Task{task("t1", "complete", "complete", "new"), task("t2", "complete", "complete", "new")}, true, ""},
		{"3: one-shot, paused on early termination after exit 0", oneShot, "paused", []Task{task("t0", "shutdown", "complete", "old"), task("t1", "shutdown", "complete", "new")}, true, ""},
		{"3: one-shot, the new task not started yet", oneShot, "updating", []Task{task("t0", "shutdown", "complete", "old")}, false, ""},
		{"3: one-shot, the new task failed", oneShot, "paused", []Task{failed("t1", "new")}, false, "service seed: task t1 on node n1 failed"},
		{"3: one-shot, complete but the updater has not seen it", oneShot, "updating", []Task{task("t1", "shutdown", "complete", "new")}, false, ""},
		{"3: restarted on failure, paused after exit 0", onFailure, "paused", []Task{task("t1", "shutdown", "complete", "new")}, true, ""},
		{"3/6: restarted on failure, running, update not completed", onFailure, "updating", []Task{task("t1", "running", "running", "new")}, false, ""},
		{"3/4: restarted on failure, paused on a failed task", onFailure, "paused", []Task{failed("t1", "new")}, false, "rollout paused: ; task t1 on node n1 failed"},
		{"4: paused fails a long-running service, with the task's error", replicated, "paused", []Task{failed("t1", "new")}, false, "rollout paused: ; task t1 on node n1 failed: task: non-zero exit (1)"},
		{"5: scaled to 0", zero, "", nil, true, ""},
		{"6: completed, one of two replicas runs", replicated, "completed", []Task{task("t1", "running", "running", "new")}, false, ""},
		{"6: completed, a replica still on the old secret", replicated, "completed", []Task{task("t1", "running", "running", "new"), task("t2", "running", "running", "old")}, false, ""},
		{"6: updating, both replicas on the new secret", replicated, "updating", []Task{task("t1", "running", "running", "new"), task("t2", "running", "running", "new")}, false, ""},
		{"6: completed, both replicas on the new secret", replicated, "completed", []Task{task("t1", "running", "running", "new"), task("t2", "running", "running", "new")}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := verify(tc.svc, tc.state, tc.tasks, []string{"new"}, refs, false, newNodeIndex(nil))
			if v.done != tc.done {
				t.Errorf("done = %v, want %v", v.done, tc.done)
			}
			if got := ""; v.err != nil {
				got = v.err.Error()
				if tc.err == "" || !strings.Contains(got, tc.err) {
					t.Errorf("err = %q, want %q", got, tc.err)
				}
			} else if tc.err != "" {
				t.Errorf("no error, want %q", tc.err)
			}
		})
	}
}

// TestVerifyDoesNotWaitForTasksNoNodeCanTake: rule 7. A task of the new
// spec pending "no suitable node", or on a node that is down, is not waited
// for; an old-spec one, a pending task for another reason, or
// --wait-for-all-nodes (no node index) still is.
func TestVerifyDoesNotWaitForTasksNoNodeCanTake(t *testing.T) {
	u := func(n uint64) *uint64 { return &n }
	refs := []FileRef{{ID: "new", Name: "tok_v2", Target: "tok"}}
	svc := &Service{Name: "pinned", Mode: "replicated", Replicas: u(2), Spec: ServiceSpec{Secrets: refs}}
	running := Task{ID: "t1", NodeID: "n1", DesiredState: "running", State: "running", SecretIDs: []string{"new"}}
	pending := func(secret, msg, node string) Task {
		return Task{ID: "t2", NodeID: node, DesiredState: "running", State: "pending", Err: msg, SecretIDs: []string{secret}}
	}
	nodes := newNodeIndex([]Node{{ID: "n1", Hostname: "a", State: "ready"}, {ID: "n2", Hostname: "b", State: "down"}})
	for _, tc := range []struct {
		name  string
		task  Task
		nodes nodeIndex
		done  bool
	}{
		{"no suitable node, new spec", pending("new", "no suitable node (1 node not available for new tasks)", ""), nodes, true},
		{"on a node that is down", pending("new", "", "n2"), nodes, true},
		{"no suitable node, old spec: the updater has not reached it", pending("old", "no suitable node", ""), nodes, false},
		{"pending for another reason", pending("new", "pulling image", "n1"), nodes, false},
		{"--wait-for-all-nodes", pending("new", "no suitable node", ""), nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := verify(svc, "updating", []Task{running, tc.task}, []string{"new"}, refs, false, tc.nodes)
			if v.done != tc.done || v.err != nil {
				t.Errorf("done = %v (%v), want %v", v.done, v.err, tc.done)
			}
			if v.done && !strings.Contains(v.detail, "not waited for") {
				t.Errorf("detail %q", v.detail)
			}
		})
	}
}

// TestUnschedulableNamesTheNode: the preview names the node a task is
// pinned to and its state.
func TestUnschedulableNamesTheNode(t *testing.T) {
	s := &SwarmSnapshot{
		Nodes:    []Node{{ID: "n-lost-0123456789", Hostname: "edge-3", State: "down", Availability: "active"}, {ID: "n1", Hostname: "m1", State: "ready"}},
		Services: []Service{{ID: "s1", Name: "pinned", Constraints: []string{"node.id == n-lost-0123456789"}}},
		Tasks:    []Task{{ID: "task-abcdefghijklmnop", ServiceID: "s1", DesiredState: "running", State: "pending", Err: "no suitable node (1 node not available for new tasks)"}},
	}
	got := s.Unschedulable("s1")
	if len(got) != 1 || got[0] != "task task-abcdefg: pinned to node edge-3 (n-lost-01234), which is down: no suitable node (1 node not available for new tasks)" {
		t.Errorf("%q", got)
	}
}
