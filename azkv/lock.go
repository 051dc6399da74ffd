package azkv

import (
	"context"
	"fmt"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// LockName is the Key Vault secret that holds the operator lock (after the
// prefix and "--", when there is one): the lock is its oldest ENABLED
// version, as the fingerprint key is its secret's. Taking it adds a version
// (a racer who finds an older enabled one disables its own again);
// releasing it disables the holder's version. A lock is a short JSON line
// of names (plan, user@host, pid, time), never a value.
const LockName = "secretdeck-lock"

// maxLock bounds what is read of a lock: a vault writer must not make
// secretdeck read more.
const maxLock = 1024

func (s *Source) lockName() string { return s.named(LockName) }

// CreateLock tries to take the lock with data: it returns what the lock
// holds afterwards, data itself when this apply holds it now.
func (s *Source) CreateLock(ctx context.Context, data []byte) ([]byte, error) {
	if s.opts.ReadOnly {
		return nil, fmt.Errorf("create %s in %s: %w", s.lockName(), s.URI(), s.opts.ErrReadOnly)
	}
	if err := s.checkCredential(ctx); err != nil {
		return nil, err
	}
	res, err := s.client.SetSecret(ctx, s.lockName(), azsecrets.SetSecretParameters{
		Value:       to.Ptr(string(data)),
		ContentType: to.Ptr("secretdeck operator lock"),
		Tags:        map[string]*string{"secretdeck": to.Ptr("lock")},
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", s.lockName(), s.explain(err))
	}
	mine := ""
	if res.ID != nil {
		mine = res.ID.Version()
	}
	held, version, err := s.ReadLockData(ctx)
	if err != nil {
		return nil, err
	}
	if version != mine { // someone holds it: ours must not become the lock when theirs is released
		if err := s.RemoveLock(ctx, mine); err != nil {
			return nil, fmt.Errorf("the lock is held, and this apply's attempt (version %s) could not be disabled: disable it by hand: %w", mine, err)
		}
	}
	return held, nil
}

// ReadLockData returns the lock's holder (its data) and version;
// os.ErrNotExist when no one holds it.
func (s *Source) ReadLockData(ctx context.Context) ([]byte, string, error) {
	if err := s.checkCredential(ctx); err != nil {
		return nil, "", err
	}
	version, err := s.oldestVersion(ctx, s.lockName())
	if err != nil {
		return nil, "", err
	}
	if version == "" {
		return nil, "", os.ErrNotExist
	}
	res, err := s.client.GetSecret(ctx, s.lockName(), version, nil)
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", s.lockName(), s.explain(err))
	}
	var v []byte
	if res.Value != nil {
		v = []byte(*res.Value)
	}
	if len(v) > maxLock {
		v = v[:maxLock+1] // the caller refuses it as too large
	}
	return v, version, nil
}

// RemoveLock releases the lock held at version: that version is disabled,
// kept in the vault's history.
func (s *Source) RemoveLock(ctx context.Context, version string) error {
	if s.opts.ReadOnly {
		return fmt.Errorf("remove %s in %s: %w", s.lockName(), s.URI(), s.opts.ErrReadOnly)
	}
	_, err := s.client.UpdateSecretProperties(ctx, s.lockName(), version, azsecrets.UpdateSecretPropertiesParameters{
		SecretAttributes: &azsecrets.SecretAttributes{Enabled: to.Ptr(false)},
	}, nil)
	if err != nil {
		return fmt.Errorf("release %s: %w", s.lockName(), s.explain(err))
	}
	return nil
}
