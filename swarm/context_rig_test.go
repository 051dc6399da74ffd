package swarm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/internal/testrig"
)

// TestResolveOrder checks the docker CLI's order on a config dir holding two
// contexts and a currentContext: --host, --context, DOCKER_HOST,
// DOCKER_CONTEXT, config.json, the default socket.
func TestResolveOrder(t *testing.T) {
	host := testrig.Docker(t)
	const other = "unix:///nonexistent/other.sock"
	dir := t.TempDir()
	writeContext(t, dir, "rig", host, nil)
	writeContext(t, dir, "elsewhere", other, nil)
	useContext(t, dir, "rig")
	cases := []struct {
		name                  string
		opts                  ConnectOptions
		host, source, ctxName string
	}{
		{"currentContext of config.json", ConnectOptions{Getenv: env("DOCKER_CONFIG", dir)}, host, "config", "rig"},
		{"DOCKER_CONTEXT wins over config", ConnectOptions{Getenv: env("DOCKER_CONFIG", dir, "DOCKER_CONTEXT", "elsewhere")}, other, "DOCKER_CONTEXT", "elsewhere"},
		{"DOCKER_HOST wins over DOCKER_CONTEXT", ConnectOptions{Getenv: env("DOCKER_CONFIG", dir, "DOCKER_CONTEXT", "elsewhere", "DOCKER_HOST", host)}, host, "DOCKER_HOST", "default"},
		{"--context wins over DOCKER_HOST", ConnectOptions{Context: "elsewhere", Getenv: env("DOCKER_CONFIG", dir, "DOCKER_HOST", host)}, other, "--context", "elsewhere"},
		{"--host wins over all", ConnectOptions{Host: host, Getenv: env("DOCKER_CONFIG", dir, "DOCKER_CONTEXT", "elsewhere", "DOCKER_HOST", other)}, host, "--host", "default"},
		{"ConfigDir wins over DOCKER_CONFIG", ConnectOptions{ConfigDir: dir, Getenv: env("DOCKER_CONFIG", t.TempDir())}, host, "config", "rig"},
		{"the default context is DOCKER_HOST or the socket", ConnectOptions{Getenv: env("DOCKER_CONFIG", dir, "DOCKER_CONTEXT", "default")}, DefaultHost, "DOCKER_CONTEXT", "default"},
		{"nothing: the default socket", ConnectOptions{Getenv: env("DOCKER_CONFIG", t.TempDir())}, DefaultHost, "default", "default"},
		{"a host is normalized like the CLI's", ConnectOptions{Host: "tcp://10.0.0.9", Getenv: env()}, "tcp://10.0.0.9:2375", "--host", "default"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tg, err := resolve(c.opts, c.opts.Getenv)
			if ep := tg.shown; err != nil || ep.Host != c.host || ep.Source != c.source || ep.Context != c.ctxName {
				t.Fatalf("got %+v, %v; want %s from %s (context %s)", ep, err, c.host, c.source, c.ctxName)
			}
		})
	}

	// The context really connects, and says so; a dead one names itself.
	cl, err := Connect(context.Background(), ConnectOptions{Getenv: env("DOCKER_CONFIG", dir)})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if ep := cl.Endpoint(); ep.Host != host || ep.Source != "config" || ep.Context != "rig" || ep.APIVersion == "" {
		t.Errorf("endpoint %+v", ep)
	}
	if _, err := cl.Snapshot(context.Background()); err != nil {
		t.Errorf("snapshot through the context: %v", err)
	}
	_, err = Connect(context.Background(), ConnectOptions{Getenv: env("DOCKER_CONFIG", dir, "DOCKER_CONTEXT", "elsewhere")})
	var ce *ConnectError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), `at `+other+` (context "elsewhere", from DOCKER_CONTEXT)`) {
		t.Errorf("dead context: %v", err)
	}
}

func TestResolveRefusals(t *testing.T) {
	dir := t.TempDir()
	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, "config.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		opts ConnectOptions
		want []string
	}{
		{"--host with --context", ConnectOptions{Host: "unix:///x.sock", Context: "rig"}, []string{"--host and --context cannot be used together"}},
		{"unknown context", ConnectOptions{Context: "nope", ConfigDir: dir}, []string{`docker context "nope" (from --context) does not exist`, "docker context ls"}},
		{"unknown current context", ConnectOptions{Getenv: env("DOCKER_CONFIG", dir, "DOCKER_CONTEXT", "gone")}, []string{`"gone" (from DOCKER_CONTEXT)`}},
		{"broken config.json", ConnectOptions{ConfigDir: broken}, []string{"config.json", "DOCKER_CONFIG"}},
		{"bad host", ConnectOptions{Host: "http://x", Getenv: env()}, []string{"--host", "http://x"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			getenv := c.opts.Getenv
			if getenv == nil {
				getenv = env()
			}
			_, err := resolve(c.opts, getenv)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) || strings.Contains(err.Error(), "\n") {
					t.Errorf("%q lacks %q (or spans lines)", err, w)
				}
			}
		})
	}
}
