package swarm

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/internal/testrig"
)

func TestConnectViaHostNegotiates(t *testing.T) {
	host := testrig.Docker(t)
	c := connectRig(t)
	ping, err := c.API().Ping(context.Background(), client.PingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ep := c.Endpoint()
	if ep.Host != host || ep.Source != "--host" || ep.Context != "default" {
		t.Errorf("endpoint %+v: want the rig's host, from --host", ep)
	}
	// The client speaks newer versions than the rig's engine: it must come down
	// to what the engine says, asked without secretdeck's client.
	engine := testrig.EngineAPIVersion(t, host)
	if ep.APIVersion != ping.APIVersion || ep.APIVersion != engine || c.API().ClientVersion() != ep.APIVersion {
		t.Errorf("API version %q, engine speaks %q: want the engine's, negotiated down", ep.APIVersion, ping.APIVersion)
	}
}

// TestConnectIgnoresDockerAPIVersion: a pinned version must not leak in,
// neither through the host path nor through docker/cli's context options.
func TestConnectIgnoresDockerAPIVersion(t *testing.T) {
	host := testrig.Docker(t)
	engine := testrig.EngineAPIVersion(t, host)
	pinned := "1.30" // older than any engine secretdeck supports: it must be ignored
	t.Setenv("DOCKER_API_VERSION", pinned)
	dir := t.TempDir()
	writeContext(t, dir, "rig", host, nil)
	for _, o := range []ConnectOptions{
		{Host: host},
		{Context: "rig", ConfigDir: dir},
		{Getenv: env("DOCKER_HOST", host, "DOCKER_API_VERSION", pinned)},
	} {
		c, err := Connect(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.Close()
		if v := c.Endpoint().APIVersion; v != engine {
			t.Errorf("%+v: API version %s, want the engine's %s (negotiated, DOCKER_API_VERSION ignored)", o, v, engine)
		}
	}
}

func TestConnectToAnUnreachableEngine(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "tcp://" + l.Addr().String()
	_ = l.Close()
	cases := []struct {
		host string
		want []string
	}{
		{"unix:///nonexistent/secretdeck.sock", []string{
			"cannot connect to the Docker engine at unix:///nonexistent/secretdeck.sock (from --host): dial unix /nonexistent/secretdeck.sock: connect: no such file or directory",
			"is dockerd running, and may you use its socket?"}},
		{refused, []string{"cannot connect to the Docker engine at " + refused + " (from --host):", "is dockerd running and listening there?"}},
	}
	for _, c := range cases {
		start := time.Now()
		_, err := Connect(context.Background(), ConnectOptions{Host: c.host})
		var ce *ConnectError
		if !errors.As(err, &ce) || ce.Endpoint.Host != c.host || ce.Endpoint.Source != "--host" {
			t.Fatalf("%s: got %v", c.host, err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", c.host, err, w)
			}
		}
		t.Log(err)
		if strings.Contains(err.Error(), "\n") || time.Since(start) > 5*time.Second {
			t.Errorf("%s: not one line, or slow (%s): %q", c.host, time.Since(start), err)
		}
	}
}

// TestConnectGivesUpOnASilentEngine: a socket that accepts but never answers
// (a hung dockerd) fails within the caller's deadline.
func TestConnectGivesUpOnASilentEngine(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "hung.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		var held []net.Conn // never answered, closed when the listener is
		defer func() {
			for _, c := range held {
				_ = c.Close()
			}
		}()
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, conn)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = Connect(ctx, ConnectOptions{Host: "unix://" + sock})
	var ce *ConnectError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "no answer in time") || time.Since(start) > 3*time.Second {
		t.Fatalf("after %s: %v", time.Since(start), err)
	}
}
