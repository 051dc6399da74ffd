package model

import (
	"fmt"
	"time"
)

// ApplyOptions tune a rotation. Both faces fill them the same way (flags,
// then defaults) and hand them to the same engine: the workbench honours
// every option `secretdeck apply` does.
type ApplyOptions struct {
	// Parallel bounds service updates in flight.
	Parallel int
	// Timeout bounds each rollout; Poll is how often it is looked at.
	Timeout, Poll time.Duration
	// Keep is how many previous versions of each rotated secret a plan keeps
	// (so that `docker service rollback` finds its secret); older ones that
	// nothing names become removal steps of the plan. -1 removes nothing.
	Keep int
	// RestoreSource: when a plan that restarts services fails and is rolled
	// back, the property files the restarts read go back to their previous
	// version too (a new version; history is kept).
	RestoreSource bool
	// WaitForAllNodes: a rollout is verified only when every task runs,
	// also those that no node can take now (down or drained nodes).
	WaitForAllNodes bool
	// NoStackEdit: the plan's stack file edits are shown, not written (for
	// a pull request to the repository that deploys them).
	NoStackEdit bool
}

// DefaultApplyOptions are the options when nothing says otherwise.
func DefaultApplyOptions() ApplyOptions {
	return ApplyOptions{Parallel: 4, Timeout: 5 * time.Minute, Poll: 500 * time.Millisecond, Keep: 1}
}

// Validate says, in one line, what is wrong with options an operator gave.
func (o ApplyOptions) Validate() error {
	switch {
	case o.Parallel < 1:
		return fmt.Errorf("--parallel %d: at least 1 service at a time", o.Parallel)
	case o.Timeout <= 0:
		return fmt.Errorf("--timeout %s: a rollout needs some time", o.Timeout)
	case o.Keep < -1:
		return fmt.Errorf("--keep %d: 0 or more previous versions, or -1 to remove none", o.Keep)
	}
	return nil
}

// String is how the Plan pane and the preview show the options.
func (o ApplyOptions) String() string {
	keep := fmt.Sprintf("keep %d previous", o.Keep)
	if o.Keep < 0 {
		keep = "remove nothing"
	}
	out := fmt.Sprintf("parallel %d · timeout %s · %s", o.Parallel, o.Timeout, keep)
	if o.RestoreSource {
		out += " · restore the source on failure"
	}
	if o.WaitForAllNodes {
		out += " · wait for all nodes"
	}
	if o.NoStackEdit {
		out += " · stack files left to you"
	}
	return out
}
