package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/s3"
	"github.com/secretdeck/secretdeck/tui/common"
)

// unlock against a folder source: only the holder's ID removes the lock,
// never in --read-only, and each refusal is one line.
func TestUnlockInAFolder(t *testing.T) {
	dir := t.TempDir()
	const id = "p-20261130-101500-aaaa"
	src, err := s3.Open(context.Background(), s3.Options{URI: dir})
	if err != nil {
		t.Fatal(err)
	}
	lockFile := filepath.Join(dir, filepath.FromSlash(s3.LockPath))

	assertOneLineError(t, runCLI(t, "unlock", id, "--source", dir), "holds no lock")
	if err := s3.AcquireLock(context.Background(), src, s3.Lock{Plan: id, By: "ops@bastion", PID: 7, Since: time.Now()}, time.Hour); err != nil {
		t.Fatal(err)
	}
	assertOneLineError(t, runCLI(t, "unlock", "p-20261130-101501-bbbb", "--source", dir), "held by plan "+id, "ops@bastion")
	assertOneLineError(t, runCLI(t, "unlock", id, "--source", dir, "--read-only"), "--read-only")
	assertOneLineError(t, runCLI(t, "unlock", "../../etc", "--source", dir), "not a plan ID")
	if _, err := os.Stat(lockFile); err != nil {
		t.Fatalf("a refused unlock removed the lock: %v", err)
	}
	r := runCLI(t, "unlock", id, "--source", dir)
	if r.code != 0 || !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, "--resume "+id) {
		t.Fatalf("unlock: %s", r.all())
	}
	if _, err := os.Stat(lockFile); !os.IsNotExist(err) {
		t.Fatalf("unlock left the lock: %v", err)
	}
}

// apply refuses, before the question and before any change, when the
// source holds another's lock: a stale one too, naming it as stale.
func TestApplyRefusedByAHeldLockInAFolder(t *testing.T) {
	dir := t.TempDir()
	src, err := s3.Open(context.Background(), s3.Options{URI: dir})
	if err != nil {
		t.Fatal(err)
	}
	const id = "p-20261130-101500-aaaa"
	if err := s3.AcquireLock(context.Background(), src, s3.Lock{Plan: id, By: "ops@bastion", PID: 7, Since: time.Now().Add(-2 * time.Hour)}, time.Hour); err != nil {
		t.Fatal(err)
	}
	err = refuseIfLocked(context.Background(), &globalOptions{source: dir})
	if err == nil || !strings.Contains(err.Error(), "stale lock, plan "+id) || !strings.Contains(err.Error(), "secretdeck unlock "+id) {
		t.Fatalf("apply with a stale lock held: %v", err)
	}
}

// The workbench's status line names the holder of a held lock, nothing
// otherwise.
func TestLockLineNamesTheHolder(t *testing.T) {
	dir := t.TempDir()
	src, err := s3.Open(context.Background(), s3.Options{URI: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got := lockLine(context.Background(), src); got != "" {
		t.Errorf("no lock: %q", got)
	}
	const id = "p-20261130-101500-aaaa"
	if err := s3.AcquireLock(context.Background(), src, s3.Lock{Plan: id, By: "ops@bastion", PID: 7, Since: time.Now()}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := lockLine(context.Background(), src); !strings.Contains(got, id) || !strings.Contains(got, "ops@bastion") {
		t.Errorf("held: %q", got)
	}
}

// The workbench's loader reads the lock when the source's listing shows
// one, and only then (an idle refresh stays one listing, no read): held,
// the joined data names the holder; released, the next load says nothing.
func TestWorkbenchLoaderSeesTheLock(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "api.json.prod"), []byte(`{"k": "v"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	l := &worldLoader{global: &globalOptions{source: dir}}
	joined := func() string {
		t.Helper()
		src, err := l.LoadSource(context.Background(), "prod", nil)
		if err != nil {
			t.Fatal(err)
		}
		return l.Join(&common.Data{Swarm: &model.SwarmSnapshot{}}, src).Lock
	}
	if got := joined(); got != "" {
		t.Errorf("no lock: %q", got)
	}
	const id = "p-20261130-101500-aaaa"
	if err := s3.AcquireLock(context.Background(), l.source, s3.Lock{Plan: id, By: "ops@bastion", PID: 7, Since: time.Now()}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := joined(); !strings.Contains(got, id) {
		t.Errorf("held: %q", got)
	}
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(s3.LockPath))); err != nil {
		t.Fatal(err)
	}
	if got := joined(); got != "" {
		t.Errorf("released: %q", got)
	}
}
