package swarm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/internal/testrig"
)

// TestConnectOverSSH goes through the docker CLI's connhelper as an ssh://
// host does: it runs `ssh … ops@manager1 docker system dial-stdio`. The `ssh`
// found on PATH here is a stand-in that records its arguments and runs the
// real `docker system dial-stdio` against the rig's engine, so the dialer,
// the custom HTTP client and the real engine are all exercised.
func TestConnectOverSSH(t *testing.T) {
	host := testrig.Docker(t)
	dockerCLI := testrig.Tool(t, "docker")
	bin := t.TempDir()
	argsFile := filepath.Join(bin, "args")
	// Appends: the HTTP transport may start a spare dial (another ssh) that
	// is still running when the snapshot returns; a truncating write would
	// race the read below.
	script := "#!/bin/sh\necho \"$@\" >> " + argsFile + "\nexec " + dockerCLI + " -H " + host + " system dial-stdio\n"
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	dir := t.TempDir()
	writeContext(t, dir, "remote", "ssh://ops@manager1", nil)
	for _, o := range []ConnectOptions{
		{Host: "ssh://ops@manager1", Getenv: env()},
		{Context: "remote", ConfigDir: dir},
	} {
		c, err := Connect(context.Background(), o)
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		snap, err := c.Snapshot(context.Background())
		// The secrets are streamed over ssh too, not read again by moby's
		// client after the streamed read failed.
		if _, serr := (streamingAPI{Client: c.API(), raw: c.raw}).streamSecrets(context.Background()); serr != nil {
			t.Errorf("secrets streamed over ssh: %v", serr)
		}
		_ = c.Close()
		if err != nil || snap.Endpoint.Host != "ssh://ops@manager1" || snap.Endpoint.APIVersion != testrig.EngineAPIVersion(t, host) {
			t.Fatalf("snapshot over ssh: %+v, %v", snap.Endpoint, err)
		}
		args, _ := os.ReadFile(argsFile)
		first, _, _ := strings.Cut(string(args), "\n")
		if !strings.Contains(first, "-l ops") || !strings.Contains(first, "-- manager1 docker system dial-stdio") {
			t.Errorf("ssh ran with %q", first)
		}
		_ = os.Remove(argsFile)
	}
}
