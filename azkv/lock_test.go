package azkv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
)

// TestLockIsTakenOnceAndReleased: of applies racing for the lock exactly
// one gets it, the others see the holder and leave no enabled version
// behind; the holder releases it and the next apply takes it.
func TestLockIsTakenOnceAndReleased(t *testing.T) {
	v := newVault()
	v.put("prod--api--pass", "a", nil)
	const racers = 6
	got := make([]string, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, _ := open(t, v, "azkv://myvault")
			held, err := s.CreateLock(context.Background(), fmt.Appendf(nil, `{"plan": "p%d"}`, i))
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = string(held)
		}()
	}
	wg.Wait()
	winners, holder := 0, got[0]
	for i, h := range got {
		if h == fmt.Sprintf(`{"plan": "p%d"}`, i) {
			winners++
		}
		if h != holder {
			t.Errorf("racers see different holders: %q", got)
		}
	}
	enabledVersions := 0
	for _, ver := range v.secrets[LockName] {
		if ver.enabled {
			enabledVersions++
		}
	}
	if winners != 1 || enabledVersions != 1 {
		t.Fatalf("%d racers took the lock, %d versions enabled: %q", winners, enabledVersions, got)
	}

	s, _ := open(t, v, "azkv://myvault")
	data, version, err := s.ReadLockData(context.Background())
	if err != nil || string(data) != holder {
		t.Fatalf("read the lock: %q %v", data, err)
	}
	if err := s.RemoveLock(context.Background(), version); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ReadLockData(context.Background()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after release: %v", err)
	}
	if held, err := s.CreateLock(context.Background(), []byte(`{"plan": "next"}`)); err != nil || string(held) != `{"plan": "next"}` {
		t.Fatalf("the next apply: %q %v", held, err)
	}
	if snap, err := s.Load(context.Background(), "prod"); err != nil || len(snap.Files) != 1 || len(snap.Ignored) != 0 {
		t.Errorf("the lock shows in the entries: %v", err)
	}

	ro, _ := open(t, v, "azkv://myvault", func(o *Options) { o.ReadOnly = true })
	before := len(v.secrets[LockName])
	if _, err := ro.CreateLock(context.Background(), []byte(`{}`)); !errors.Is(err, errReadOnly) {
		t.Errorf("read-only CreateLock: %v", err)
	}
	if err := ro.RemoveLock(context.Background(), "x"); !errors.Is(err, errReadOnly) {
		t.Errorf("read-only RemoveLock: %v", err)
	}
	if len(v.secrets[LockName]) != before {
		t.Error("a read-only source wrote a lock")
	}
}
