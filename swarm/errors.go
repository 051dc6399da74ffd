// Package swarm is secretdeck's Docker Engine adapter: it connects like the
// docker CLI, reads a swarm into a model.SwarmSnapshot, and maps the engine's
// errors into typed errors with a message an operator can act on.
package swarm

import (
	"context"
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
	// ErrSwarmInactive: the engine is in no (usable) swarm.
	ErrSwarmInactive = errors.New("swarm mode is not active")
	// ErrInUse: a secret is still mounted by a service.
	ErrInUse = errors.New("secret is in use")
	// ErrOutOfSequence: someone else updated the service since it was read.
	// It is the model's own sentinel, so that the apply engine recognizes it
	// from any adapter call.
	ErrOutOfSequence = model.ErrOutOfSequence
	// ErrConflictingTarget: two references share one target.
	ErrConflictingTarget = errors.New("conflicting target")
)

// ConnectError says that the engine at an endpoint cannot be reached. Its
// message is one line naming the endpoint, what chose it, the cause, and what
// to check.
type ConnectError struct {
	Endpoint model.Endpoint
	Err      error
}

func (e *ConnectError) Error() string {
	return fmt.Sprintf("cannot connect to the Docker engine at %s (%s): %s — %s",
		e.Endpoint.Host, chosenBy(e.Endpoint), connectCause(e.Err), connectHint(e.Endpoint.Host, e.Err))
}

func (e *ConnectError) Unwrap() error { return e.Err }

// chosenBy says where an endpoint came from, so that an operator knows which
// flag, variable or file to change.
func chosenBy(ep model.Endpoint) string {
	if ep.Context != "" && ep.Context != "default" {
		return fmt.Sprintf("context %q, from %s", ep.Context, ep.Source)
	}
	return "from " + ep.Source
}

// connectCause keeps the part of a connection error that says what failed:
// the engine client's own wording repeats the host and spans lines.
func connectCause(err error) string {
	var op *net.OpError
	var dns *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer in time"
	case errors.As(err, &op):
		return oneLine(op.Error())
	case errors.As(err, &dns):
		return oneLine(dns.Error())
	case strings.HasPrefix(err.Error(), "Cannot connect to the Docker daemon"):
		return "connection refused or timed out" // the client dropped the cause
	}
	return oneLine(err.Error())
}

func connectHint(host string, err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "certificate") || strings.Contains(msg, "tls:") || strings.Contains(msg, "TLS"):
		return "check the TLS material (DOCKER_CERT_PATH, DOCKER_TLS_VERIFY, or the context's)"
	case strings.HasPrefix(host, "unix://"):
		return "is dockerd running, and may you use its socket?"
	case strings.HasPrefix(host, "ssh://"):
		return "can you `ssh` there, and does `docker` run on that host?"
	}
	return "is dockerd running and listening there?"
}

// oneLine folds a multi-line message so that every error stays one line.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n* ", "; ")
	return strings.Join(strings.Fields(s), " ")
}

// NodeError says that the engine is reachable but cannot give a snapshot: it
// is in no swarm, or it is a worker. It wraps ErrSwarmInactive or
// ErrNotManager.
type NodeError struct {
	Endpoint model.Endpoint // zero when the caller did not say
	State    string         // the engine's LocalNodeState: inactive, pending, active, error, locked
	Err      error
}

func (e *NodeError) Error() string {
	engine := "the Docker engine"
	if e.Endpoint.Host != "" {
		engine = fmt.Sprintf("the Docker engine at %s (%s)", e.Endpoint.Host, chosenBy(e.Endpoint))
	}
	switch {
	case errors.Is(e.Err, ErrNotManager):
		return engine + " is a swarm worker, not a manager: run secretdeck on a manager node, or point --host/--context at one"
	case e.State == "locked":
		return engine + " is in a locked swarm: run `docker swarm unlock` on it, or point --host/--context at an unlocked manager"
	case e.State == "pending":
		return engine + " is still joining a swarm: wait a moment and retry, or point --host/--context at a manager"
	case e.State == "error":
		return engine + " reports a swarm error (see `docker info`): fix it, or point --host/--context at a healthy manager"
	}
	return engine + " is not part of a swarm: run `docker swarm init` (or join one), or point --host/--context at a manager"
}

func (e *NodeError) Unwrap() error { return e.Err }

// classify maps an engine error to the sentinels by its text: the engine
// reports these as plain 400/500 errors with no machine-readable code.
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
		if strings.Contains(msg, "Use \"docker swarm init\"") {
			// "…not a swarm manager. Use "docker swarm init" or "docker swarm join"…"
			return &NodeError{State: "inactive", Err: fmt.Errorf("%w: %w", ErrSwarmInactive, err)}
		}
		return &NodeError{State: "active", Err: fmt.Errorf("%w: %w", ErrNotManager, err)}
	}
	return err
}
