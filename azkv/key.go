package azkv

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretdeck/secretdeck/model"
)

// The fingerprint key is a Key Vault secret holding 32 random bytes in
// base64. Key Vault has no create-only write (a set always adds a version),
// so the key is the secret's OLDEST enabled version: two operators who race
// to create it each add a version, and both then use the first one. A
// later version never replaces the key.

// readKey returns the fingerprint key, or a zero key when the vault has none.
func (s *Source) readKey(ctx context.Context) (model.FingerprintKey, error) {
	version, err := s.oldestKeyVersion(ctx)
	if err != nil || version == "" {
		return model.FingerprintKey{}, err
	}
	res, err := s.client.GetSecret(ctx, s.keyName(), version, nil)
	if err != nil {
		return model.FingerprintKey{}, fmt.Errorf("read %s: %w", s.keyName(), s.explain(err))
	}
	if res.Value == nil {
		return model.FingerprintKey{}, fmt.Errorf("read %s: Key Vault returned no value", s.keyName())
	}
	k, err := decodeKey(*res.Value)
	if err != nil {
		return model.FingerprintKey{}, fmt.Errorf("%s: secret %s: %w", s.URI(), s.keyName(), err)
	}
	return k, nil
}

// oldestKeyVersion is the fingerprint key's oldest enabled version; "" when
// it has none.
func (s *Source) oldestKeyVersion(ctx context.Context) (string, error) {
	return s.oldestVersion(ctx, s.keyName())
}

// oldestVersion is secret name's oldest enabled version; "" when it has none.
func (s *Source) oldestVersion(ctx context.Context, name string) (string, error) {
	var (
		oldest  string
		created time.Time
	)
	pager := s.client.NewListSecretPropertiesVersionsPager(name, nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			if isNotFound(err) {
				return "", nil
			}
			return "", fmt.Errorf("list the versions of %s: %w", name, s.explain(err))
		}
		for _, p := range page.Value {
			if p == nil || p.ID == nil || !enabled(p) || p.Attributes == nil || p.Attributes.Created == nil {
				continue
			}
			c := *p.Attributes.Created
			if oldest == "" || c.Before(created) || (c.Equal(created) && p.ID.Version() < oldest) {
				oldest, created = p.ID.Version(), c
			}
		}
	}
	return oldest, nil
}

func decodeKey(v string) (model.FingerprintKey, error) {
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return model.FingerprintKey{}, errors.New("not base64 (it must hold 32 random bytes in base64)")
	}
	return model.NewFingerprintKey(b)
}

// EnsureKey returns the vault's fingerprint key, creating it first when it
// has none (see above for why two racing operators still get one key).
func (s *Source) EnsureKey(ctx context.Context) (model.FingerprintKey, error) {
	if s.opts.ReadOnly {
		return model.FingerprintKey{}, fmt.Errorf("create %s in %s: %w", s.keyName(), s.URI(), s.opts.ErrReadOnly)
	}
	if err := s.checkCredential(ctx); err != nil {
		return model.FingerprintKey{}, err
	}
	if k, err := s.readKey(ctx); err != nil || !k.IsZero() {
		return k, err
	}
	fresh := make([]byte, model.FingerprintKeySize)
	if _, err := rand.Read(fresh); err != nil {
		return model.FingerprintKey{}, err
	}
	_, err := s.client.SetSecret(ctx, s.keyName(), azsecrets.SetSecretParameters{
		Value:       to.Ptr(base64.StdEncoding.EncodeToString(fresh)),
		ContentType: to.Ptr("secretdeck fingerprint key (32 random bytes, base64)"),
		Tags:        map[string]*string{"secretdeck": to.Ptr("fingerprint-key")},
	}, nil)
	if err != nil {
		return model.FingerprintKey{}, fmt.Errorf("create %s: %w", s.keyName(), s.explain(err))
	}
	k, err := s.readKey(ctx) // the oldest version: ours, or a racer's made before it
	if err == nil && k.IsZero() {
		err = fmt.Errorf("create %s: Key Vault does not list the version just made", s.keyName())
	}
	return k, err
}

// WriteAudit refuses: Key Vault is a secret store, not a log (a value is at
// most 25 KB and every version is kept). The local audit log has every step.
func (s *Source) WriteAudit(_ context.Context, planID string, _ []byte) error {
	if s.opts.ReadOnly {
		return fmt.Errorf("write audit: %w", s.opts.ErrReadOnly)
	}
	return tagged(ErrNoAuditCopy, "%s keeps no audit copy of plan %s (Key Vault is a secret store, not a log): the local audit log has every step", s.URI(), planID)
}
