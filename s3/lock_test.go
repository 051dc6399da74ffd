package s3

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The operator lock: create-only, one holder at a time, released only by
// the plan that holds it, never taken over when old.

func lockOf(plan string, since time.Time) Lock {
	return Lock{Plan: plan, By: "ops@bastion", PID: 4242, Since: since}
}

const (
	planA = "p-20261130-101500-aaaa"
	planB = "p-20261130-101501-bbbb"
)

// lockLifeCycle runs the rules against one source.
func lockLifeCycle(t *testing.T, open func() Source) {
	t.Helper()
	ctx := context.Background()
	src := open()
	if l, err := ReadLock(ctx, src); err != nil || l != nil {
		t.Fatalf("a fresh source: lock %v, %v; want none", l, err)
	}
	if err := CheckLock(ctx, src, time.Hour); err != nil {
		t.Fatalf("a fresh source: %v", err)
	}
	if err := ReleaseLock(ctx, src, planA); !errors.Is(err, ErrNoLock) {
		t.Fatalf("release without a lock: %v, want ErrNoLock", err)
	}

	// Racers: exactly one gets it, the others are told who has it.
	var (
		wg   sync.WaitGroup
		errs = make([]error, 6)
	)
	start := make(chan struct{})
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := open()
			<-start
			plan := planA
			if i > 0 {
				plan = "p-20261130-101502-000" + string(rune('0'+i))
			}
			errs[i] = AcquireLock(ctx, s, lockOf(plan, time.Now()), time.Hour)
		}()
	}
	close(start)
	wg.Wait()
	won, holder := 0, ""
	for i, err := range errs {
		var held *LockHeldError
		switch {
		case err == nil:
			won++
			holder = planA
			if i > 0 {
				holder = "p-20261130-101502-000" + string(rune('0'+i))
			}
		case errors.As(err, &held):
			if held.Stale {
				t.Errorf("a fresh lock said to be stale: %v", err)
			}
		default:
			t.Errorf("racer %d: %v", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d racers took the lock, want exactly 1", won)
	}
	l, err := ReadLock(ctx, src)
	if err != nil || l == nil || l.Plan != holder || l.By != "ops@bastion" || l.PID != 4242 {
		t.Fatalf("the lock reads %+v, %v; want the winner %s", l, err, holder)
	}
	// A second apply is refused in one line naming the holder and since when.
	err = AcquireLock(ctx, src, lockOf(planB, time.Now()), time.Hour)
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	for _, want := range []string{holder, "ops@bastion", "pid 4242", "since " + l.Since.UTC().Format("2006-01-02"), "secretdeck unlock " + holder} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") || strings.Contains(msg, "stale") {
		t.Errorf("refusal of a fresh lock: %q", msg)
	}
	if err := CheckLock(ctx, src, time.Hour); err == nil || !strings.Contains(err.Error(), holder) {
		t.Errorf("CheckLock with a lock held: %v", err)
	}
	// Another plan's release leaves it alone.
	var held *LockHeldError
	if err := ReleaseLock(ctx, src, planB); !errors.As(err, &held) || held.Holder.Plan != holder {
		t.Errorf("release by another plan: %v", err)
	}
	if l, _ := ReadLock(ctx, src); l == nil {
		t.Fatal("another plan's release removed the lock")
	}
	// Its holder's release frees it, and the next apply gets it.
	if err := ReleaseLock(ctx, src, holder); err != nil {
		t.Fatalf("release by its holder: %v", err)
	}
	if l, err := ReadLock(ctx, src); err != nil || l != nil {
		t.Fatalf("after release: %v, %v", l, err)
	}
	if err := AcquireLock(ctx, src, lockOf(planB, time.Now()), time.Hour); err != nil {
		t.Fatalf("take it again after release: %v", err)
	}
	if err := ReleaseLock(ctx, src, planB); err != nil {
		t.Fatal(err)
	}

	// An old lock is reported as stale, with its holder, and not taken over.
	old := time.Now().Add(-3 * time.Hour)
	if err := AcquireLock(ctx, src, lockOf(planA, old), time.Hour); err != nil {
		t.Fatal(err)
	}
	err = AcquireLock(ctx, src, lockOf(planB, time.Now()), time.Hour)
	if !errors.As(err, &held) || !held.Stale || !strings.Contains(err.Error(), "stale") || !strings.Contains(err.Error(), planA) {
		t.Errorf("a 3-hour-old lock: %v; want stale, naming %s", err, planA)
	}
	if l, _ := ReadLock(ctx, src); l == nil || l.Plan != planA {
		t.Errorf("a stale lock was taken over: %+v", l)
	}
	if err := ReleaseLock(ctx, src, planA); err != nil {
		t.Fatal(err)
	}

	// A read-only source refuses to take or remove a lock.
	ro := open().(*source)
	ro.opts.ReadOnly = true
	if err := AcquireLock(ctx, ro, lockOf(planA, time.Now()), time.Hour); !errors.Is(err, ErrReadOnly) {
		t.Errorf("read-only acquire: %v", err)
	}
	if l, _ := ReadLock(ctx, src); l != nil {
		t.Errorf("a read-only source took the lock: %+v", l)
	}
	if err := ReleaseLock(ctx, ro, planA); !errors.Is(err, ErrReadOnly) {
		t.Errorf("read-only release: %v", err)
	}
}

func TestLockInAFolder(t *testing.T) {
	dir := t.TempDir()
	lockLifeCycle(t, func() Source {
		src, err := Open(context.Background(), Options{URI: dir})
		if err != nil {
			t.Fatal(err)
		}
		return src
	})
	// A lock object secretdeck did not write is refused, never overwritten.
	p := filepath.Join(dir, filepath.FromSlash(LockPath))
	if err := os.WriteFile(p, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	src, _ := Open(context.Background(), Options{URI: dir})
	var bad *BadLockError
	if err := AcquireLock(context.Background(), src, lockOf(planA, time.Now()), time.Hour); !errors.As(err, &bad) {
		t.Errorf("a foreign lock object: %v", err)
	}
	if data, _ := os.ReadFile(p); string(data) != "hello" {
		t.Errorf("a foreign lock object was overwritten: %q", data)
	}
	// The lock file is not a property file: loading ignores it.
	if err := os.WriteFile(filepath.Join(dir, "api.env.prod"), []byte("A=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	snap, err := src.Load(context.Background(), "prod")
	if err != nil || len(snap.Files) != 1 {
		t.Errorf("load with a lock: %v, %d files", err, len(snap.Files))
	}
}

func TestLockInABucket(t *testing.T) {
	opts, srv := rigOptions(t, "")
	bucket := srv.NewBucket(t, map[string]string{"props/api.env.prod": "A=1\n"})
	opts.URI = "s3://" + bucket + "/props"
	lockLifeCycle(t, func() Source {
		src, err := Open(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		return src
	})
}

func TestParseLock(t *testing.T) {
	good, _ := json.Marshal(lockOf(planA, time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)))
	if l, err := ParseLock(good); err != nil || l.Plan != planA {
		t.Fatalf("a lock secretdeck writes: %+v, %v", l, err)
	}
	for name, data := range map[string]string{
		"empty":       "",
		"not json":    "plan p-1",
		"no plan":     `{"by":"a@b","pid":1,"since":"2026-11-30T10:00:00Z"}`,
		"bad plan":    `{"plan":"../../x","by":"a@b","pid":1,"since":"2026-11-30T10:00:00Z"}`,
		"no by":       `{"plan":"` + planA + `","pid":1,"since":"2026-11-30T10:00:00Z"}`,
		"control":     `{"plan":"` + planA + `","by":"a\u001b[2J@b","pid":1,"since":"2026-11-30T10:00:00Z"}`,
		"no since":    `{"plan":"` + planA + `","by":"a@b","pid":1}`,
		"extra field": `{"plan":"` + planA + `","by":"a@b","pid":1,"since":"2026-11-30T10:00:00Z","value":"x"}`,
		"two":         string(good) + string(good),
		"too large":   `{"plan":"` + planA + `","by":"` + strings.Repeat("a", 2000) + `","pid":1,"since":"2026-11-30T10:00:00Z"}`,
	} {
		if _, err := ParseLock([]byte(data)); err == nil {
			t.Errorf("%s: read as a lock", name)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: a two-line error", name)
		}
	}
}

func FuzzParseLock(f *testing.F) {
	good, _ := json.Marshal(lockOf(planA, time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)))
	f.Add(good)
	f.Add([]byte(`{"plan":"x"}`))
	f.Add([]byte(`{"plan":"` + planA + `","by":"a\nb","pid":-1,"since":"0001-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseLock(data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), string(data)) && len(data) > 8 {
				t.Fatalf("error %q", err)
			}
			return
		}
		// What is read can be printed as it is, in one line.
		line := l.Describe(time.Now())
		if strings.ContainsAny(line, "\n\r\x1b") || len(line) > 400 {
			t.Fatalf("a lock that prints %q", line)
		}
	})
}
