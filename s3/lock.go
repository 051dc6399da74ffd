package s3

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/secretdeck/secretdeck/model"
)

// LockPath is where a source's operator lock lives: the object an apply
// creates (create-only) before its first change and removes at its end, so
// that two applies on one source never interleave, like a terraform state
// lock.
const LockPath = ".secretdeck/lock"

// maxLockSize bounds what is read of a lock object: a lock is a short JSON
// line, and a bucket writer must not be able to make secretdeck read more.
const maxLockSize = 1024

// Lock says who holds a source's operator lock: the plan being applied, by
// whom, in which process, since when. Never a value.
type Lock struct {
	Plan  string    `json:"plan"`
	By    string    `json:"by"` // user@host
	PID   int       `json:"pid"`
	Since time.Time `json:"since"`
}

// describe is the holder in one line: plan, user@host, pid, since when.
func (l Lock) describe(now time.Time) string {
	return fmt.Sprintf("plan %s (%s, pid %d) since %s (%s ago)", l.Plan, l.By, l.PID,
		l.Since.UTC().Format("2006-01-02 15:04:05 UTC"), now.Sub(l.Since).Round(time.Second))
}

// Describe is the holder in one line, for the workbench's header and unlock.
func (l Lock) Describe(now time.Time) string { return l.describe(now) }

// ParseLock reads a lock object. It refuses anything but a lock secretdeck
// writes: a plan ID it makes, a printable user@host of sane length, a pid and
// a time; what it returns can be printed as it is.
func ParseLock(data []byte) (Lock, error) {
	var l Lock
	if len(data) > maxLockSize {
		return Lock{}, errors.New("not a secretdeck lock: too large")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return Lock{}, errors.New("not a secretdeck lock: not its JSON")
	}
	if dec.More() {
		return Lock{}, errors.New("not a secretdeck lock: more than one object")
	}
	switch {
	case !model.ValidPlanID(l.Plan):
		return Lock{}, errors.New("not a secretdeck lock: no plan ID secretdeck makes")
	case l.By == "" || len(l.By) > 200 || model.Printable(l.By) != l.By:
		return Lock{}, errors.New("not a secretdeck lock: no printable user@host")
	case l.PID < 0 || l.Since.IsZero():
		return Lock{}, errors.New("not a secretdeck lock: no pid or start time")
	}
	return l, nil
}

// LockHeldError is why an apply cannot take the lock: someone holds it. A
// lock older than the stale limit is said to be stale, with its holder, and
// is never taken over: only `secretdeck unlock ID` removes it.
type LockHeldError struct {
	Source string
	Holder Lock
	Stale  bool
	Now    time.Time
}

func (e *LockHeldError) Error() string {
	if e.Stale {
		return fmt.Sprintf("nothing changed: %s has a stale lock, %s, older than any apply takes: if that apply is gone, run `secretdeck unlock %s` and then `secretdeck apply --resume %s` (or --revert)",
			e.Source, e.Holder.describe(e.Now), e.Holder.Plan, e.Holder.Plan)
	}
	return fmt.Sprintf("nothing changed: %s is locked by %s: wait for that apply to end; if it was killed, run `secretdeck unlock %s`",
		e.Source, e.Holder.describe(e.Now), e.Holder.Plan)
}

// ErrNoLock is returned by ReleaseLock when the source holds no lock.
var ErrNoLock = errors.New("no lock")

// BadLockError is a lock object secretdeck did not write (or cannot read).
type BadLockError struct {
	Source string
	Reason string
}

func (e *BadLockError) Error() string {
	return fmt.Sprintf("%s/%s: %s: nothing changed; if no apply is running, delete that object by hand", e.Source, LockPath, e.Reason)
}

// AcquireLock takes the source's operator lock for l, create-only: of two
// applies racing, exactly one gets it. A lock already there is a
// *LockHeldError (stale when older than staleAfter), never taken over.
func AcquireLock(ctx context.Context, src Source, l Lock, staleAfter time.Duration) error {
	lb, ok := lockBackendOf(src)
	if !ok {
		return errors.New("this source cannot hold a lock")
	}
	if lb.readOnly {
		return fmt.Errorf("create %s: %w", LockPath, ErrReadOnly)
	}
	data, err := json.Marshal(l)
	if err != nil {
		return err
	}
	stored, err := lb.create(ctx, append(data, '\n'))
	if err != nil {
		return fmt.Errorf("nothing changed: cannot take the lock %s in %s: %w", LockPath, src.URI(), err)
	}
	if bytes.Equal(stored, append(data, '\n')) {
		return nil
	}
	return heldError(src.URI(), stored, staleAfter)
}

// LockStore is a source that keeps the operator lock itself (azkv: a Key
// Vault secret, no create-only write).
type LockStore interface {
	// CreateLock tries to take the lock with data and returns what the lock
	// holds afterwards: data itself when it was taken.
	CreateLock(ctx context.Context, data []byte) ([]byte, error)
	// ReadLockData returns the lock's data and version; os.ErrNotExist
	// when no one holds it.
	ReadLockData(ctx context.Context) ([]byte, string, error)
	// RemoveLock releases the lock held at version.
	RemoveLock(ctx context.Context, version string) error
}

// lockBackend is where a source keeps its lock: a file source's
// .secretdeck/lock, or a LockStore's own (which refuses writes in
// read-only mode itself).
type lockBackend struct {
	readOnly bool
	create   func(ctx context.Context, data []byte) ([]byte, error)
	read     func(ctx context.Context) ([]byte, string, error)
	remove   func(ctx context.Context, version string) error
}

func lockBackendOf(src Source) (*lockBackend, bool) {
	switch s := src.(type) {
	case *source:
		return &lockBackend{
			readOnly: s.opts.ReadOnly,
			create:   func(ctx context.Context, data []byte) ([]byte, error) { return s.b.createOnly(ctx, LockPath, data) },
			read:     func(ctx context.Context) ([]byte, string, error) { return s.b.readKey(ctx, LockPath) },
			remove:   func(ctx context.Context, version string) error { return s.b.remove(ctx, LockPath, version) },
		}, true
	case LockStore:
		return &lockBackend{create: s.CreateLock, read: s.ReadLockData, remove: s.RemoveLock}, true
	}
	return nil, false
}

func heldError(uri string, stored []byte, staleAfter time.Duration) error {
	holder, err := ParseLock(stored)
	if err != nil {
		return &BadLockError{Source: uri, Reason: err.Error()}
	}
	now := time.Now()
	return &LockHeldError{Source: uri, Holder: holder, Stale: now.Sub(holder.Since) > staleAfter, Now: now}
}

// ReadLock returns the source's lock, nil when none is held.
// LockListed reports whether the last Load of src listed a lock: a
// refresh reads the lock (ReadLock) only then, so an idle one stays one
// listing and no read.
// A LockStore lists nothing: its lock is read each time.
func LockListed(src Source) bool {
	if s, ok := src.(*source); ok {
		return s.lockListed.Load()
	}
	_, ok := src.(LockStore)
	return ok
}

// ReadLock returns the lock's holder, nil when none holds it.
func ReadLock(ctx context.Context, src Source) (*Lock, error) {
	lb, ok := lockBackendOf(src)
	if !ok {
		return nil, nil
	}
	data, _, err := lb.read(ctx)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	l, err := ParseLock(data)
	if err != nil {
		return nil, &BadLockError{Source: src.URI(), Reason: err.Error()}
	}
	return &l, nil
}

// CheckLock refuses, before anything is asked or changed, when the source
// holds a lock; the lock itself is taken later by AcquireLock.
func CheckLock(ctx context.Context, src Source, staleAfter time.Duration) error {
	lb, ok := lockBackendOf(src)
	if !ok {
		return nil
	}
	data, _, err := lb.read(ctx)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("nothing changed: cannot read the lock %s in %s: %w", LockPath, src.URI(), err)
	}
	return heldError(src.URI(), data, staleAfter)
}

// ReleaseLock removes the source's lock if plan holds it. A lock of another
// plan is left alone (a *LockHeldError says whose it is); no lock is
// ErrNoLock. In a versioned bucket the version read is what is removed, for
// good: a delete marker would stay the key's newest version, and a server
// that counts it as an object (versitygw) would then refuse every lock.
func ReleaseLock(ctx context.Context, src Source, plan string) error {
	lb, ok := lockBackendOf(src)
	if !ok {
		return errors.New("this source cannot hold a lock")
	}
	if lb.readOnly {
		return fmt.Errorf("remove %s: %w", LockPath, ErrReadOnly)
	}
	data, version, err := lb.read(ctx)
	if errors.Is(err, os.ErrNotExist) {
		return ErrNoLock
	}
	if err != nil {
		return err
	}
	holder, err := ParseLock(data)
	if err != nil {
		return &BadLockError{Source: src.URI(), Reason: err.Error()}
	}
	if holder.Plan != plan {
		return &LockHeldError{Source: src.URI(), Holder: holder, Now: time.Now()}
	}
	return lb.remove(ctx, version)
}

// readKey reads one object of the bucket and its version ID ("" when the
// bucket keeps none); a missing one is os.ErrNotExist.
func (b *bucket) readKey(ctx context.Context, key string) ([]byte, string, error) {
	full := b.keyPrefix() + key
	res, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &b.name, Key: &full})
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "NoSuchKey" {
		return nil, "", os.ErrNotExist
	}
	if err != nil {
		return nil, "", b.explain(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxLockSize+1))
	version := aws.ToString(res.VersionId)
	if version == "null" {
		version = ""
	}
	return data, version, err
}

// remove deletes key; version, when given, is removed for good.
func (b *bucket) remove(ctx context.Context, key, version string) error {
	in := &s3.DeleteObjectInput{Bucket: &b.name, Key: aws.String(b.keyPrefix() + key)}
	if version != "" {
		in.VersionId = &version
	}
	if _, err := b.client.DeleteObject(ctx, in); err != nil {
		return b.explain(err)
	}
	return nil
}

func (f *folder) readKey(_ context.Context, key string) ([]byte, string, error) {
	file, err := os.Open(filepath.Join(f.root, filepath.FromSlash(key)))
	if err != nil {
		return nil, "", err
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, maxLockSize+1))
	return data, "", err
}

func (f *folder) remove(_ context.Context, key, _ string) error {
	return os.Remove(filepath.Join(f.root, filepath.FromSlash(key)))
}
