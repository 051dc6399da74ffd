// Package testrig finds the real Docker Engine (swarm mode) and the real S3
// server that scripts/testenv starts, for integration tests.
//
// A test that needs them calls Docker or S3. When the rig's environment is
// missing the test is skipped with a message, unless SECRETDECK_INTEGRATION is
// "require" (as in CI): then it fails, so a green run always means the real
// paths ran.
package testrig

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Environment variables printed by `scripts/testenv env`.
const (
	EnvRequire     = "SECRETDECK_INTEGRATION" // "require" turns a skip into a failure
	EnvDockerHost  = "SECRETDECK_TEST_DOCKER_HOST"
	EnvS3Endpoint  = "SECRETDECK_TEST_S3_ENDPOINT"
	EnvS3AccessKey = "SECRETDECK_TEST_S3_ACCESS_KEY"
	EnvS3SecretKey = "SECRETDECK_TEST_S3_SECRET_KEY"
	EnvImage       = "SECRETDECK_TEST_IMAGE"
	EnvWorkerHost  = "SECRETDECK_TEST_WORKER_DOCKER_HOST"
	EnvNoSwarmHost = "SECRETDECK_TEST_NOSWARM_DOCKER_HOST"
	EnvLostNode    = "SECRETDECK_TEST_LOST_NODE"
)

// S3Server is how to reach the rig's S3 server.
type S3Server struct {
	Endpoint  string // http://127.0.0.1:7070
	AccessKey string
	SecretKey string
	Region    string
}

func need(t testing.TB, vars ...string) []string {
	t.Helper()
	vals := make([]string, len(vars))
	for i, v := range vars {
		vals[i] = os.Getenv(v)
		if vals[i] == "" {
			msg := "integration rig not found (" + v + " is unset): run `eval \"$(scripts/testenv up)\"` first"
			if os.Getenv(EnvRequire) == "require" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	return vals
}

// Tool returns the path of a program the rig installs (tmux, the docker CLI):
// the test is skipped without it, or fails when integration is required.
func Tool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		msg := name + " is not on PATH (scripts/testenv installs it)"
		if os.Getenv(EnvRequire) == "require" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// Docker returns the DOCKER_HOST of the rig's private engine in swarm mode.
func Docker(t testing.TB) string {
	t.Helper()
	return need(t, EnvDockerHost)[0]
}

// Image returns the test image (testdata/echoapp) loaded into the rig's engine.
func Image(t testing.TB) string {
	t.Helper()
	return need(t, EnvImage)[0]
}

// S3 returns the rig's S3 server (versitygw) and its root credentials.
func S3(t testing.TB) S3Server {
	t.Helper()
	v := need(t, EnvS3Endpoint, EnvS3AccessKey, EnvS3SecretKey)
	return S3Server{Endpoint: v[0], AccessKey: v[1], SecretKey: v[2], Region: "us-east-1"}
}

// UniqueName returns prefix followed by a random suffix, valid as a swarm
// object name and as an S3 bucket name when prefix is lower case, so that
// tests sharing the rig never collide.
func UniqueName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// WorkerDocker returns the DOCKER_HOST of an engine joined to the rig's swarm
// as a (drained) worker.
func WorkerDocker(t testing.TB) string {
	t.Helper()
	return need(t, EnvWorkerHost)[0]
}

// LostNode returns the ID of the rig's node that is down: a worker that
// joined and whose engine was stopped.
func LostNode(t testing.TB) string {
	t.Helper()
	return need(t, EnvLostNode)[0]
}

// NoSwarmDocker returns the DOCKER_HOST of an engine in no swarm.
func NoSwarmDocker(t testing.TB) string {
	t.Helper()
	return need(t, EnvNoSwarmHost)[0]
}

// EngineAPIVersion asks the engine at host (unix://…) which API version it
// speaks, with a bare GET /_ping: what secretdeck's client must negotiate to,
// found without secretdeck's client, so rig tests hard-code no version.
func EngineAPIVersion(t testing.TB, host string) string {
	t.Helper()
	path, ok := strings.CutPrefix(host, "unix://")
	if !ok {
		t.Fatalf("EngineAPIVersion: %s is not a unix socket", host)
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		},
	}}
	res, err := hc.Get("http://engine/_ping")
	if err != nil {
		t.Fatalf("ping %s: %v", host, err)
	}
	defer res.Body.Close()
	v := res.Header.Get("API-Version")
	if v == "" {
		t.Fatalf("ping %s: no API-Version header", host)
	}
	return v
}
