package azkv

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/secretdeck/secretdeck/s3"
)

// TestApplyLockGoesToTheVault: the operator lock an apply takes through
// s3.AcquireLock (what every apply calls) is the vault's: a second apply is
// refused naming the holder, only the holder's plan releases it, and the
// workbench reads it on every refresh (a vault lists nothing).
func TestApplyLockGoesToTheVault(t *testing.T) {
	v := newVault()
	v.put("prod--api--pass", "a", nil)
	ctx := context.Background()
	first, _ := open(t, v, "azkv://myvault")
	second, _ := open(t, v, "azkv://myvault")
	const id = "p-20261130-120000-aaaa"
	if err := s3.AcquireLock(ctx, first, s3.Lock{Plan: id, By: "ops@bastion", PID: 7, Since: time.Now()}, time.Hour); err != nil {
		t.Fatalf("the first apply: %v", err)
	}
	err := s3.AcquireLock(ctx, second, s3.Lock{Plan: "p-20261130-120001-bbbb", By: "ci@runner", PID: 8, Since: time.Now()}, time.Hour)
	var held *s3.LockHeldError
	if !errors.As(err, &held) || held.Holder.Plan != id || !strings.Contains(err.Error(), "ops@bastion") {
		t.Fatalf("the second apply: %v", err)
	}
	if err := s3.CheckLock(ctx, second, time.Hour); err == nil {
		t.Error("CheckLock sees no lock in the vault")
	}
	if l, err := s3.ReadLock(ctx, second); err != nil || l == nil || l.Plan != id || !s3.LockListed(second) {
		t.Errorf("ReadLock: %+v %v", l, err)
	}
	if err := s3.ReleaseLock(ctx, second, "p-20261130-120001-bbbb"); !errors.As(err, &held) {
		t.Errorf("another plan released the lock: %v", err)
	}
	if err := s3.ReleaseLock(ctx, first, id); err != nil {
		t.Fatalf("release: %v", err)
	}
	if l, err := s3.ReadLock(ctx, second); err != nil || l != nil {
		t.Errorf("after release: %+v %v", l, err)
	}
	if err := s3.ReleaseLock(ctx, first, id); !errors.Is(err, s3.ErrNoLock) {
		t.Errorf("a second release: %v", err)
	}
}
