package model

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"sync"
)

// FingerprintKeyPath is where the fingerprint key lives in a property source.
const FingerprintKeyPath = ".secretdeck/fingerprint-key"

// FingerprintKeySize is the size of a fingerprint key in bytes.
const FingerprintKeySize = 32

// The fingerprint schemes, each the prefix of its fingerprints. v2 binds a
// fingerprint to its logical secret: copied onto a secret of another logical
// secret, the label does not match (v1, unbound, is still read, so that
// secrets labelled before keep their state; new secrets get v2).
const (
	fingerprintSchemeV1 = "hmac-sha256"
	fingerprintScheme   = "hmac-sha256-v2"
)

// FingerprintKey is the HMAC key that makes fingerprints safe to store in
// swarm labels: a plain hash would let anyone who can inspect the swarm
// brute-force a weak password offline, while whoever can read the key can read
// the values in the source anyway.
type FingerprintKey struct {
	k  func() []byte // held by a closure, as Value's bytes: see Value
	id string        // computed once: every fingerprint carries it
	// macs are HMACs keyed with k, reset and used again: a drift checks
	// one fingerprint per mounted version, and a new HMAC costs more than
	// the short value it sums.
	macs *sync.Pool
}

// NewFingerprintKey checks and wraps the bytes of .secretdeck/fingerprint-key.
func NewFingerprintKey(b []byte) (FingerprintKey, error) {
	if len(b) != FingerprintKeySize {
		return FingerprintKey{}, fmt.Errorf("%s holds %d bytes, want %d random bytes", FingerprintKeyPath, len(b), FingerprintKeySize)
	}
	kb := append([]byte(nil), b...)
	k := FingerprintKey{k: func() []byte { return kb }, macs: &sync.Pool{New: func() any { return hmac.New(sha256.New, kb) }}}
	m := hmac.New(sha256.New, kb)
	m.Write([]byte("secretdeck fingerprint key id"))
	k.id = hex.EncodeToString(m.Sum(nil))[:8]
	return k, nil
}

// IsZero reports whether there is no key (the source has none yet).
func (k FingerprintKey) IsZero() bool { return len(k.bytes()) == 0 }

func (k FingerprintKey) bytes() []byte {
	if k.k == nil {
		return nil
	}
	return k.k()
}

// ID names the key without revealing it, so a fingerprint made with another
// key is recognised as such instead of being reported as a changed value.
func (k FingerprintKey) ID() string { return k.id }

// String never prints the key.
func (k FingerprintKey) String() string { return "FingerprintKey(" + k.ID() + ")" }

// GoString never prints the key.
func (k FingerprintKey) GoString() string { return k.String() }

// Format implements fmt.Formatter: every verb (%d, %x, %q…) prints String.
func (k FingerprintKey) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

// Fingerprint is the keyed fingerprint of a value as stored in the
// secretdeck.fingerprint label: hmac-sha256-v2:<key id>:<hex>.
type Fingerprint string

// Fingerprint returns the fingerprint of v as the value of logical secret
// logical, under k.
func (k FingerprintKey) Fingerprint(logical string, v Value) Fingerprint {
	return Fingerprint(fingerprintScheme + ":" + k.ID() + ":" + k.mac(fingerprintScheme, logical, v))
}

// mac is the hex HMAC of scheme's message for v.
func (k FingerprintKey) mac(scheme, logical string, v Value) string {
	var sum [2 * sha256.Size]byte
	return string(k.appendMAC(sum[:0], scheme, logical, v))
}

// appendMAC appends the hex HMAC of scheme's message for v to dst.
func (k FingerprintKey) appendMAC(dst []byte, scheme, logical string, v Value) []byte {
	var m hash.Hash
	if k.macs == nil { // the zero key
		m = hmac.New(sha256.New, k.bytes())
	} else {
		m = k.macs.Get().(hash.Hash)
		defer k.macs.Put(m)
		m.Reset()
	}
	if scheme == fingerprintScheme {
		m.Write([]byte("secretdeck fingerprint v2\x00"))
		m.Write([]byte(logical))
		m.Write([]byte{0})
	}
	m.Write(v.bytes())
	var sum [sha256.Size]byte
	return hex.AppendEncode(dst, m.Sum(sum[:0]))
}

// FingerprintMatch is the result of comparing a stored fingerprint with a value.
type FingerprintMatch int

// The outcomes of Compare.
const (
	FingerprintUnknown  FingerprintMatch = iota // no fingerprint stored (made outside secretdeck)
	FingerprintNoKey                            // a fingerprint, but the source has no key to check it
	FingerprintOtherKey                         // made with another key (the key was replaced)
	FingerprintMatches
	FingerprintDiffers
)

func (m FingerprintMatch) String() string {
	return [...]string{"unknown", "no-key", "other-key", "match", "differs"}[m]
}

// Compare checks a stored fingerprint against value v of logical secret
// logical.
func (k FingerprintKey) Compare(stored Fingerprint, logical string, v Value) FingerprintMatch {
	if stored == "" {
		return FingerprintUnknown
	}
	if k.IsZero() {
		return FingerprintNoKey
	}
	scheme, rest, _ := strings.Cut(string(stored), ":")
	id, mac, ok := strings.Cut(rest, ":")
	if !ok || (scheme != fingerprintScheme && scheme != fingerprintSchemeV1) || id != k.ID() {
		return FingerprintOtherKey
	}
	var sum [2 * sha256.Size]byte
	if hmac.Equal([]byte(mac), k.appendMAC(sum[:0], scheme, logical, v)) {
		return FingerprintMatches
	}
	return FingerprintDiffers
}
