package cli

import (
	"context"
	"errors"
	"testing"

	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/swarm"
)

// The workbench reads the swarm side at start, while the terminal is set
// up; its first load takes that read instead of asking the engine again,
// and the loads after it ask anew.
func TestWorkbenchFirstLoadTakesThePrefetch(t *testing.T) {
	counter := testrig.CountingProxy(t, testrig.Docker(t))
	l := &worldLoader{global: &globalOptions{host: counter.Host}, audit: &auditLog{path: t.TempDir() + "/audit.log"}}
	defer l.close()
	ctx := context.Background()
	l.prefetch(ctx)
	d, err := l.LoadSwarm(ctx)
	if err != nil || d == nil || d.Swarm == nil {
		t.Fatalf("first load: %v", err)
	}
	if n := counter.Hits()["GET /secrets"]; n != 1 {
		t.Errorf("the engine was asked for the secrets %d times for the prefetch and the first load, want 1", n)
	}
	if _, err := l.LoadSwarm(ctx); err != nil {
		t.Fatal(err)
	}
	if n := counter.Hits()["GET /secrets"]; n != 2 {
		t.Errorf("the second load asked for the secrets %d times in all, want 2 (it reads anew)", n)
	}
}

// What the prefetch could not read, the first load says.
func TestWorkbenchPrefetchErrorIsTheFirstLoads(t *testing.T) {
	l := &worldLoader{global: &globalOptions{host: testrig.NoSwarmDocker(t)}, audit: &auditLog{path: t.TempDir() + "/audit.log"}}
	defer l.close()
	l.prefetch(context.Background())
	if _, err := l.LoadSwarm(context.Background()); !errors.Is(err, swarm.ErrSwarmInactive) {
		t.Errorf("first load on an engine in no swarm: %v, want ErrSwarmInactive", err)
	}
}
