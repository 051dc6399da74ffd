package swarm

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	dcontext "github.com/docker/cli/cli/context"
	"github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"

	"github.com/secretdeck/secretdeck/internal/testrig"
)

// Helpers shared by the integration tests, which run against the rig's
// private engines (scripts/testenv).

func connectRig(t *testing.T) *Client {
	t.Helper()
	c, err := Connect(context.Background(), ConnectOptions{Host: testrig.Docker(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// env is an injected environment for ConnectOptions.Getenv.
func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// writeContext stores a docker context in dir as `docker context create`
// does: metadata and, when given, TLS material in the CLI's own store.
func writeContext(t *testing.T, dir, name, host string, tlsData *dcontext.TLSData) {
	t.Helper()
	cfg := store.NewConfig(func() any { return &map[string]any{} },
		store.EndpointTypeGetter(docker.DockerEndpoint, func() any { return &docker.EndpointMeta{} }))
	s := store.New(filepath.Join(dir, "contexts"), cfg)
	err := s.CreateOrUpdate(store.Metadata{Name: name, Metadata: map[string]any{},
		Endpoints: map[string]any{docker.DockerEndpoint: docker.EndpointMeta{Host: host}}})
	if err == nil && tlsData != nil {
		err = s.ResetEndpointTLSMaterial(name, docker.DockerEndpoint, tlsData.ToStoreTLSData())
	}
	if err != nil {
		t.Fatalf("context %s: %v", name, err)
	}
}

// useContext writes config.json with currentContext, as `docker context use`.
func useContext(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"currentContext": "`+name+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
}
