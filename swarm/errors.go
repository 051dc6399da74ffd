// Package swarm is secretdeck's Docker Engine adapter: it connects like the
// docker CLI, reads a swarm into a model.SwarmSnapshot, and maps the engine's
// errors into typed errors with a message an operator can act on.
package swarm

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/secretdeck/secretdeck/model"
)

// Sentinel errors; the returned errors wrap them, so test with errors.Is.
var (
	// ErrNotManager: the engine is a swarm worker, which cannot list secrets.
	ErrNotManager = errors.New("not a swarm manager")
	// ErrSwarmInactive: the engine is in no swarm.
	ErrSwarmInactive = errors.New("swarm mode is not active")
	// ErrInUse: a secret is still mounted by a service.
	ErrInUse = errors.New("secret is in use")
	// ErrOutOfSequence: someone else updated the service since it was read.
	ErrOutOfSequence = errors.New("update out of sequence")
	// ErrConflictingTarget: two references share one target.
	ErrConflictingTarget = errors.New("conflicting target")
)

// ConnectError says that the engine at an endpoint cannot be reached.
type ConnectError struct {
	Endpoint model.Endpoint
	Err      error
}

func (e *ConnectError) Error() string {
	cause := e.Err.Error()
	var op *net.OpError
	if errors.As(e.Err, &op) {
		cause = op.Error() + "; is dockerd running there, and may you use its socket?"
	}
	return fmt.Sprintf("cannot connect to the Docker engine at %s (chosen by %s): %s", e.Endpoint.Host, e.Endpoint.Source, cause)
}

func (e *ConnectError) Unwrap() error { return e.Err }

// nodeError explains a node that cannot be used, naming the endpoint.
type nodeError struct {
	endpoint model.Endpoint
	err      error
}

func (e *nodeError) Error() string {
	switch {
	case errors.Is(e.err, ErrNotManager):
		return fmt.Sprintf("the Docker engine at %s is a swarm worker, not a manager: run secretdeck on a manager node, or point --host/--context at one", e.endpoint.Host)
	default:
		return fmt.Sprintf("the Docker engine at %s is not part of a swarm: run `docker swarm init` (or join one), or point --host/--context at a manager", e.endpoint.Host)
	}
}

func (e *nodeError) Unwrap() error { return e.err }

// classify maps an engine error to the sentinels by its text: the engine
// reports these as plain 400/500 errors.
func classify(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "update out of sequence"):
		return fmt.Errorf("%w: %w", ErrOutOfSequence, err)
	case strings.Contains(msg, "is in use by the following service"):
		return fmt.Errorf("%w: %w", ErrInUse, err)
	case strings.Contains(msg, "conflicting target"):
		return fmt.Errorf("%w: %w", ErrConflictingTarget, err)
	case strings.Contains(msg, "This node is not a swarm manager"):
		return fmt.Errorf("%w: %w", ErrNotManager, err)
	}
	return err
}
