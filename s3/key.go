package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/secretdeck/secretdeck/model"
)

// ErrReadOnly is returned by every write of a read-only source.
var ErrReadOnly = errors.New("read-only: secretdeck was started with --read-only, nothing is changed")

// EnsureKey returns the source's fingerprint key, creating it first if the
// source has none. The creation is create-only (If-None-Match: * on S3,
// a hard link in a folder): when two operators race, one key wins and both use it.
func EnsureKey(ctx context.Context, src Source) (model.FingerprintKey, error) {
	if ks, ok := src.(KeyStore); ok {
		return ks.EnsureKey(ctx)
	}
	s, ok := src.(*source)
	if !ok {
		return model.FingerprintKey{}, errors.New("this source cannot store a fingerprint key")
	}
	if s.opts.ReadOnly {
		return model.FingerprintKey{}, fmt.Errorf("create %s: %w", model.FingerprintKeyPath, ErrReadOnly)
	}
	fresh := make([]byte, model.FingerprintKeySize)
	if _, err := rand.Read(fresh); err != nil {
		return model.FingerprintKey{}, err
	}
	stored, err := s.b.createOnly(ctx, model.FingerprintKeyPath, fresh)
	if err != nil {
		return model.FingerprintKey{}, fmt.Errorf("fingerprint key in %s: %w", s.URI(), err)
	}
	return model.NewFingerprintKey(stored)
}

// createOnly writes data at key unless something is there; it returns what
// the key holds afterwards.
func (b *bucket) createOnly(ctx context.Context, key string, data []byte) ([]byte, error) {
	full := b.keyPrefix() + key
	_, err := b.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &b.name, Key: &full, Body: bytes.NewReader(data), IfNoneMatch: aws.String("*")})
	var api smithy.APIError
	if err == nil {
		return data, nil
	}
	if !errors.As(err, &api) || (api.ErrorCode() != "PreconditionFailed" && api.ErrorCode() != "ConditionalRequestConflict") {
		return nil, b.explain(err)
	}
	res, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &b.name, Key: &full})
	if err != nil {
		return nil, b.explain(err)
	}
	defer res.Body.Close()
	return io.ReadAll(io.LimitReader(res.Body, 1024))
}

// createOnly in a folder writes the data to a private temporary file, then
// links it into place: the link fails if the key exists, and a racer never
// sees a key file that is created but not yet written (O_EXCL alone showed
// an empty key to the loser of a race).
func (f *folder) createOnly(_ context.Context, key string, data []byte) ([]byte, error) {
	p := filepath.Join(f.root, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".new-key-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	err = os.Link(tmp.Name(), p)
	if errors.Is(err, os.ErrExist) {
		return os.ReadFile(p)
	}
	if err != nil {
		return nil, err
	}
	return data, nil
}

// WriteAudit stores the audit records of plan planID as
// .secretdeck/audit/<planID>.jsonl in the source, so that the team sees what
// was done from any machine. It never holds a value (the caller writes names,
// results and fingerprints). The ID must be one secretdeck makes — it is a
// path — and a copy is never overwritten: a second apply of the same plan
// goes to <planID>.2.jsonl, and so on.
func WriteAudit(ctx context.Context, src Source, planID string, data []byte) error {
	if as, ok := src.(AuditStore); ok {
		return as.WriteAudit(ctx, planID, data)
	}
	s, ok := src.(*source)
	if !ok {
		return errors.New("this source cannot store an audit log")
	}
	if s.opts.ReadOnly {
		return fmt.Errorf("write audit: %w", ErrReadOnly)
	}
	if !model.ValidPlanID(planID) {
		return fmt.Errorf("write audit: %q is not a plan ID secretdeck makes", planID)
	}
	for n := 1; n <= maxAuditCopies; n++ {
		name := planID + ".jsonl"
		if n > 1 {
			name = fmt.Sprintf("%s.%d.jsonl", planID, n)
		}
		stored, err := s.b.createOnly(ctx, ".secretdeck/audit/"+name, data)
		if err != nil {
			return err
		}
		if bytes.Equal(stored, data) {
			return nil
		}
	}
	return fmt.Errorf("write audit: %d copies of plan %s exist already", maxAuditCopies, planID)
}

// maxAuditCopies bounds the copies of one plan's audit records.
const maxAuditCopies = 100
