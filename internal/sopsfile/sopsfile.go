// Package sopsfile decrypts, in memory, the files SOPS (v3) encrypts for age
// keys: json, yaml, dotenv and ini. It reads the SOPS metadata, gets the
// data key with the caller's age identities, decrypts each value with
// AES-256-GCM, checks the MAC exactly as SOPS computes it, and writes the
// plain file back in its syntax as SOPS's own decrypt would.
//
// It never contacts a key service: a file encrypted for PGP, a KMS or Vault
// is refused with the kinds it names. Its errors are written here and never
// quote the file: they can be shown.
package sopsfile

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// Format is the syntax of a SOPS file, as sops's --input-type names it.
type Format string

// The formats SOPS encrypts with values in clear keys.
const (
	JSON   Format = "json"
	YAML   Format = "yaml"
	Dotenv Format = "dotenv"
	INI    Format = "ini"
)

// Reason says why a file could not be decrypted.
type Reason int

// The reasons a file is not decrypted.
const (
	// Unreadable: the file or its metadata is not as SOPS writes them.
	Unreadable Reason = iota + 1
	// NotAge: the file has no age recipient (Kinds says what it has).
	NotAge
	// KeyGroups: several key groups (Shamir secret sharing).
	KeyGroups
	// NoKey: no age identity was given.
	NoKey
	// WrongKey: none of the identities is a recipient of the file.
	WrongKey
	// NoDataKey: an age recipient's entry does not give a data key.
	NoDataKey
	// BadValue: a value does not decrypt with the data key.
	BadValue
	// BadMAC: the values are not those the MAC was computed over.
	BadMAC
	// NotEmitted: the decrypted values cannot be written in the format.
	NotEmitted
)

// Error is a failure to decrypt, in this package's words only.
type Error struct {
	Reason Reason
	msg    string
}

func (e *Error) Error() string { return e.msg }

func fail(r Reason, msg string) error { return &Error{Reason: r, msg: msg} }

var errUnreadable = fail(Unreadable, "not a SOPS file this version reads")

// File is a SOPS file whose metadata was read; its values are still
// encrypted.
type File struct {
	format   Format
	branches []branch
	meta     metadata
}

// Load reads a SOPS file of the format: its tree and its metadata. It
// fails with Unreadable when either is not as SOPS writes them.
func Load(format Format, data []byte) (*File, error) {
	var (
		branches []branch
		md       map[string]any
		err      error
	)
	switch format {
	case JSON:
		branches, md, err = loadJSON(data)
	case YAML:
		branches, md, err = loadYAML(data)
	case Dotenv:
		branches, md, err = loadDotenv(data)
	case INI:
		branches, md, err = loadINI(data)
	default:
		return nil, errUnreadable
	}
	if err != nil || md == nil {
		return nil, errUnreadable
	}
	meta, err := readMetadata(md)
	if err != nil {
		return nil, errUnreadable
	}
	return &File{format: format, branches: branches, meta: meta}, nil
}

// KeyKinds lists the kinds of master key the file was encrypted for (age,
// pgp, kms, hc_vault…), sorted; "no key" when there is none.
func (f *File) KeyKinds() []string {
	var kinds []string
	for _, g := range f.meta.groups {
		for _, k := range g {
			if !slices.Contains(kinds, k.kind) {
				kinds = append(kinds, k.kind)
			}
		}
	}
	slices.Sort(kinds)
	if len(kinds) == 0 {
		kinds = []string{"no key"}
	}
	return kinds
}

// AgeRecipients lists the age public keys the file was encrypted for (as
// the file writes them: the caller makes them printable).
func (f *File) AgeRecipients() []string {
	var out []string
	for _, g := range f.meta.groups {
		for _, k := range g {
			if k.kind == "age" {
				out = append(out, k.recipient)
			}
		}
	}
	return out
}

// maxDataKeyEntry bounds the armored age file of one recipient: a data key
// for a handful of recipients takes a few hundred bytes.
const maxDataKeyEntry = 64 << 10

// DataKey decrypts the file's data key with ids, trying each of its age
// recipients' entries. Only age entries are used: every other kind of
// master key is reached at an address or through a program the file
// names.
func (f *File) DataKey(ids []age.Identity) ([]byte, error) {
	if len(f.AgeRecipients()) == 0 {
		return nil, fail(NotAge, "no age recipient")
	}
	if len(f.meta.groups) > 1 {
		return nil, fail(KeyGroups, "several key groups")
	}
	if len(ids) == 0 {
		return nil, fail(NoKey, "no age key")
	}
	wrong := false
	for _, k := range f.meta.groups[0] {
		if k.kind != "age" || len(k.enc) > maxDataKeyEntry {
			continue
		}
		r, err := age.Decrypt(armor.NewReader(strings.NewReader(k.enc)), ids...)
		if err != nil {
			var nomatch *age.NoIdentityMatchError
			wrong = wrong || errors.As(err, &nomatch)
			continue
		}
		key, err := io.ReadAll(io.LimitReader(r, 64))
		if err == nil && len(key) == 32 {
			return key, nil
		}
	}
	if wrong {
		return nil, fail(WrongKey, "no identity matched")
	}
	return nil, fail(NoDataKey, "no data key")
}

// Decrypt decrypts every value the file's rules say is encrypted, checks
// the MAC over the values, and returns the plain file in its format,
// without the SOPS metadata. The tree is decrypted in place: call it once.
func (f *File) Decrypt(dataKey []byte) ([]byte, error) {
	w, err := newWalker(f.meta, dataKey)
	if err != nil {
		return nil, fail(BadValue, "bad data key")
	}
	for _, b := range f.branches {
		if err := w.branch(b, scope{}); err != nil {
			return nil, fail(BadValue, "a value does not decrypt")
		}
	}
	stored, err := decryptValue(f.meta.mac, dataKey, f.meta.lastModified.Format(time.RFC3339))
	s, isString := stored.(string)
	if err != nil || !isString || subtle.ConstantTimeCompare([]byte(s), []byte(w.mac())) != 1 {
		return nil, fail(BadMAC, "MAC mismatch")
	}
	var out []byte
	switch f.format {
	case JSON:
		out, err = emitJSON(f.branches)
	case YAML:
		out, err = emitYAML(f.branches)
	case Dotenv:
		out, err = emitDotenv(f.branches)
	case INI:
		out, err = emitINI(f.branches)
	}
	if err != nil {
		return nil, fail(NotEmitted, "cannot be written back")
	}
	return out, nil
}

// Tree of a SOPS file, as SOPS models it: a branch is an ordered mapping
// whose keys are strings or comments; values are branches, lists ([]any,
// whose items may be comments) and scalars (string, int, float64, bool,
// time.Time, []byte, nil).
type (
	branch  []item
	item    struct{ key, value any }
	comment struct {
		text   string
		inline bool
	}
)

// bytesOf is a scalar as SOPS hashes it for the MAC and encrypts it.
func bytesOf(v any) ([]byte, error) {
	switch v := v.(type) {
	case string:
		return []byte(v), nil
	case int:
		return fmt.Appendf(nil, "%d", v), nil
	case float64:
		return []byte(formatFloat(v)), nil
	case bool:
		if v {
			return []byte("True"), nil
		}
		return []byte("False"), nil
	case []byte:
		return v, nil
	case time.Time:
		return v.MarshalText()
	}
	return nil, errors.New("a value of a type SOPS does not encrypt")
}
