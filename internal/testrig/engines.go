package testrig

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The multi-manager rig (`scripts/testenv up --managers 3`) prints these.
const (
	EnvManagers   = "SECRETDECK_TEST_MANAGERS"    // the managers' DOCKER_HOSTs, comma-separated, the first one's first
	EnvTestenvDir = "SECRETDECK_TEST_TESTENV_DIR" // the rig's folder, to start a stopped engine again
	EnvFaults     = "SECRETDECK_FAULTS"           // "require": the fault tests fail, not skip, without the multi-manager rig
)

// Engine is one of the rig's dockerd processes, which a fault test may stop
// and start again.
type Engine struct {
	Name string // manager, manager2, manager3: scripts/testenv's names
	Host string // unix://…/docker.sock
	Addr string // its swarm address, 127.0.0.N (the managers listen on 127.0.0.1, .2, .3)
	dir  string
	rig  string
}

// Managers returns the three manager engines of the multi-manager rig, the
// one the swarm was initialised on first. Without that rig the test is
// skipped, unless SECRETDECK_FAULTS=require (scripts/test --faults): then it
// fails, so a green fault run always means the faults were made.
func Managers(t testing.TB) []Engine {
	t.Helper()
	hosts, dir := os.Getenv(EnvManagers), os.Getenv(EnvTestenvDir)
	if hosts == "" || dir == "" {
		msg := "multi-manager rig not found (" + EnvManagers + " is unset): run `eval \"$(scripts/testenv up --managers 3)\"` or scripts/test --faults"
		if os.Getenv(EnvFaults) == "require" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	var out []Engine
	for i, h := range strings.Split(hosts, ",") {
		sock := strings.TrimPrefix(h, "unix://")
		name := "manager"
		if i > 0 {
			name = "manager" + strconv.Itoa(i+1)
		}
		out = append(out, Engine{Name: name, Host: h, Addr: "127.0.0." + strconv.Itoa(i+1), dir: filepath.Dir(sock), rig: dir})
	}
	return out
}

// PID is the engine's dockerd process ID, 0 when it is stopped.
func (e Engine) PID(t testing.TB) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(e.dir, "docker.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return 0
	}
	return pid
}

// Stop stops the engine by its pid (SIGTERM, as a host shutting down does)
// and waits until the process is gone.
func (e Engine) Stop(t testing.TB) {
	t.Helper()
	pid := e.PID(t)
	if pid == 0 {
		return
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatalf("stop %s (pid %d): %v", e.Name, pid, err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("%s (pid %d) did not stop in 60s", e.Name, pid)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Start starts the engine again with scripts/testenv (the same command line,
// roots and socket); its node rejoins the swarm by itself.
func (e Engine) Start(t testing.TB) {
	t.Helper()
	cmd := exec.Command(testenvScript(), "start-engine", e.Name)
	cmd.Env = append(os.Environ(), "SECRETDECK_TESTENV_DIR="+e.rig)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("start %s: %v\n%s", e.Name, err, out)
	}
}

// testenvScript is scripts/testenv of this checkout.
func testenvScript() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "scripts", "testenv")
}
