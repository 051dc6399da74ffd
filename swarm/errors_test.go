package swarm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/model"
)

func TestConnectErrorIsOneActionableLine(t *testing.T) {
	dialErr := &net.OpError{Op: "dial", Net: "unix", Addr: &net.UnixAddr{Name: "/nope.sock", Net: "unix"},
		Err: fmt.Errorf("connect: %w", os.ErrNotExist)}
	cases := []struct {
		name string
		ep   model.Endpoint
		err  error
		want string
	}{
		{"missing socket, as the engine client wraps it",
			model.Endpoint{Host: "unix:///nope.sock", Context: "default", Source: "--host"},
			fmt.Errorf("failed to connect to the docker API at unix:///nope.sock; check if the path is correct and if the daemon is running: %w", dialErr),
			"cannot connect to the Docker engine at unix:///nope.sock (from --host): dial unix /nope.sock: connect: file does not exist — is dockerd running, and may you use its socket?"},
		{"refused tcp, the client dropped the cause",
			model.Endpoint{Host: "tcp://10.0.0.1:2375", Context: "default", Source: "DOCKER_HOST"},
			errors.New("Cannot connect to the Docker daemon at tcp://10.0.0.1:2375. Is the docker daemon running?"),
			"cannot connect to the Docker engine at tcp://10.0.0.1:2375 (from DOCKER_HOST): connection refused or timed out — is dockerd running and listening there?"},
		{"a context's TLS engine without TLS, on two lines upstream",
			model.Endpoint{Host: "tcp://m1:2376", Context: "prod", Source: "config"},
			errors.New("Get \"http://m1:2376/_ping\": net/http: HTTP/1.x transport connection broken: malformed HTTP response \"\\x15\\x03\".\n* Are you trying to connect to a TLS-enabled daemon without TLS?"),
			`cannot connect to the Docker engine at tcp://m1:2376 (context "prod", from config): Get "http://m1:2376/_ping": net/http: HTTP/1.x transport connection broken: malformed HTTP response "\x15\x03".; Are you trying to connect to a TLS-enabled daemon without TLS? — check the TLS material (DOCKER_CERT_PATH, DOCKER_TLS_VERIFY, or the context's)`},
		{"timeout over ssh",
			model.Endpoint{Host: "ssh://ops@m1", Context: "m1", Source: "--context"},
			fmt.Errorf("ping: %w", context.DeadlineExceeded),
			`cannot connect to the Docker engine at ssh://ops@m1 (context "m1", from --context): no answer in time — can you ` + "`ssh`" + ` there, and does ` + "`docker`" + ` run on that host?`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := error(&ConnectError{Endpoint: c.ep, Err: c.err})
			if got := err.Error(); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
			if strings.Contains(err.Error(), "\n") || !errors.Is(err, c.err) {
				t.Errorf("not one line, or does not wrap its cause")
			}
		})
	}
}

func TestNodeErrorSaysWhatToDo(t *testing.T) {
	ep := model.Endpoint{Host: "unix:///run/docker.sock", Context: "default", Source: "default"}
	cases := []struct {
		err      *NodeError
		sentinel error
		want     string
	}{
		{&NodeError{Endpoint: ep, State: "active", Err: ErrNotManager}, ErrNotManager,
			"the Docker engine at unix:///run/docker.sock (from default) is a swarm worker, not a manager: run secretdeck on a manager node, or point --host/--context at one"},
		{&NodeError{Endpoint: ep, State: "inactive", Err: ErrSwarmInactive}, ErrSwarmInactive,
			"the Docker engine at unix:///run/docker.sock (from default) is not part of a swarm: run `docker swarm init` (or join one), or point --host/--context at a manager"},
		{&NodeError{State: "locked", Err: ErrSwarmInactive}, ErrSwarmInactive,
			"the Docker engine is in a locked swarm: run `docker swarm unlock` on it, or point --host/--context at an unlocked manager"},
		{&NodeError{State: "pending", Err: ErrSwarmInactive}, ErrSwarmInactive, "is still joining a swarm"},
		{&NodeError{State: "error", Err: ErrSwarmInactive}, ErrSwarmInactive, "reports a swarm error"},
	}
	for _, c := range cases {
		if got := c.err.Error(); !strings.Contains(got, c.want) || !errors.Is(c.err, c.sentinel) {
			t.Errorf("%s: got %q", c.err.State, got)
		}
	}
}

// TestClassify uses the engine's own words (Docker 20.10).
func TestClassify(t *testing.T) {
	for msg, want := range map[string]error{
		"Error response from daemon: rpc error: code = Unknown desc = update out of sequence":                                                  ErrOutOfSequence,
		"Error response from daemon: rpc error: code = InvalidArgument desc = secret 'x' is in use by the following service: api":              ErrInUse,
		"Error response from daemon: rpc error: code = InvalidArgument desc = conflicting target":                                              ErrConflictingTarget,
		"Error response from daemon: This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please ...": ErrNotManager,
		`Error response from daemon: This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node…`:   ErrSwarmInactive,
	} {
		orig := errors.New(msg)
		if err := classify(orig); !errors.Is(err, want) || !errors.Is(err, orig) {
			t.Errorf("classify(%q) = %v, want %v wrapping the engine's error", msg, err, want)
		}
	}
	if err := classify(os.ErrClosed); err != os.ErrClosed {
		t.Error("other errors pass through unchanged")
	}
	if classify(nil) != nil {
		t.Error("nil stays nil")
	}
}
