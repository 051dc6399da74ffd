package swarm

import (
	"context"
	"os"
	"os/exec"
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
	dockerCLI, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("the docker CLI (part of the rig, from scripts/testenv) is not on PATH")
	}
	bin := t.TempDir()
	argsFile := filepath.Join(bin, "args")
	script := "#!/bin/sh\necho \"$@\" > " + argsFile + "\nexec " + dockerCLI + " -H " + host + " system dial-stdio\n"
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
		_ = c.Close()
		if err != nil || snap.Endpoint.Host != "ssh://ops@manager1" || snap.Endpoint.APIVersion != "1.41" {
			t.Fatalf("snapshot over ssh: %+v, %v", snap.Endpoint, err)
		}
		args, _ := os.ReadFile(argsFile)
		if !strings.Contains(string(args), "-l ops") || !strings.Contains(string(args), "-- manager1 docker system dial-stdio") {
			t.Errorf("ssh ran with %q", args)
		}
	}
}
