package s3

import (
	"context"

	"github.com/secretdeck/secretdeck/model"
)

// Every property source is a Source (URI, Load). A bucket and a folder are
// file sources: one backend (list, read, createOnly, replace) under the
// same loader, so SOPS files, stack files, the fingerprint key and the
// audit copy work alike in both. Another kind of source (azkv, Azure Key
// Vault) implements Source itself, and the capabilities below that it can
// honour; read-only is enforced by each.

// KeyStore is a source that keeps its fingerprint key itself.
type KeyStore interface {
	// EnsureKey returns the key, creating it once when there is none:
	// operators who race get one key.
	EnsureKey(ctx context.Context) (model.FingerprintKey, error)
}

// AuditStore is a source that keeps (or refuses, saying why) the audit
// copy of an apply itself.
type AuditStore interface {
	WriteAudit(ctx context.Context, planID string, data []byte) error
}

// HoldsFiles reports whether src is a file source (a bucket or a folder):
// only those hold stack files and file versions to restore.
func HoldsFiles(src Source) bool {
	_, ok := src.(*source)
	return ok
}
