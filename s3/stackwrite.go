package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/stack"
)

// ErrChanged says that a file changed since it was read: the write that
// expected the old version was refused, and the file is as the other
// writer left it.
var ErrChanged = errors.New("changed since it was read")

// WriteStack replaces stack file key with data, only if the file is still
// at version (StackFile.Version): in S3 a put with If-Match on that ETag,
// in a folder a check of the content followed by an atomic rename. It
// returns the new version. A file that changed, or went, in between gives
// an error matching ErrChanged.
func WriteStack(ctx context.Context, src Source, key string, data []byte, version string) (string, error) {
	s, ok := src.(*source)
	if !ok {
		return "", errors.New("this source cannot store stack files")
	}
	if s.opts.ReadOnly {
		return "", fmt.Errorf("write %s: %w", key, ErrReadOnly)
	}
	if _, _, ok := ParseStackKey(key); !ok {
		return "", fmt.Errorf("write %s: not a stack file key (%s<stack>[.<env>].yml)", key, StacksDir)
	}
	if len(data) > stack.MaxFileSize {
		return "", fmt.Errorf("write %s: %d bytes, over the limit of %d for a stack file", key, len(data), stack.MaxFileSize)
	}
	if version == "" {
		return "", fmt.Errorf("write %s: no version to match", key)
	}
	return s.b.replace(ctx, key, data, version)
}

// replace puts data at key if the object's ETag is still version.
func (b *bucket) replace(ctx context.Context, key string, data []byte, version string) (string, error) {
	full := b.keyPrefix() + key
	out, err := b.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &b.name, Key: &full, Body: bytes.NewReader(data),
		IfMatch: aws.String(`"` + version + `"`),
	})
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey":
			return "", tagged(ErrChanged, "%s/%s changed since it was read (%s): read it again", b.uri(), key, api.ErrorCode())
		}
	}
	if err != nil {
		return "", fmt.Errorf("write %s/%s: %w", b.uri(), key, b.explain(err))
	}
	return strings.Trim(aws.ToString(out.ETag), `"`), nil
}

// replace in a folder is replaceFile of the key's file.
func (f *folder) replace(_ context.Context, key string, data []byte, version string) (string, error) {
	return replaceFile(filepath.Join(f.root, filepath.FromSlash(key)), data, version)
}

// ReadStackFile reads a stack file outside any source (--stack-file
// STACK=PATH), with the version WriteStackFile must match.
func ReadStackFile(stackName, path string) (StackFile, error) {
	f := StackFile{Stack: stackName, Key: path}
	if !stack.ValidStackName(stackName) {
		return f, fmt.Errorf("--stack-file %s=%s: %q is not a stack name docker can deploy", stackName, path, stackName)
	}
	st, err := os.Stat(path)
	if err != nil {
		return f, fmt.Errorf("--stack-file %s=%s: %w", stackName, path, err)
	}
	if !st.Mode().IsRegular() {
		return f, fmt.Errorf("--stack-file %s=%s: not a regular file", stackName, path)
	}
	f.LastModified = st.ModTime()
	file, err := os.Open(path)
	if err != nil {
		return f, err
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, stack.MaxFileSize+1))
	if err != nil {
		return f, fmt.Errorf("--stack-file %s=%s: %w", stackName, path, err)
	}
	f.Size = int64(len(data))
	if len(data) > stack.MaxFileSize {
		f.Err = tooLarge(path, f.Size)
		return f, nil
	}
	f.Data, f.Version = model.NewValue(data), contentVersion(data)
	return f, nil
}

// WriteStackFile replaces the stack file at path with data if it still
// holds what was read at version (StackFile.Version), and returns the new
// version; ErrChanged if it changed or went.
func WriteStackFile(path string, data []byte, version string) (string, error) {
	if len(data) > stack.MaxFileSize {
		return "", fmt.Errorf("write %s: %d bytes, over the limit of %d for a stack file", path, len(data), stack.MaxFileSize)
	}
	return replaceFile(path, data, version)
}

// replaceFile checks that the file at p still holds what was read at
// version, then renames a new file (same mode) over it: a reader sees the
// old file or the new one, never a part. Between the check and the rename
// another writer could slip in: a folder has no conditional write.
func replaceFile(p string, data []byte, version string) (string, error) {
	st, err := os.Lstat(p)
	if errors.Is(err, os.ErrNotExist) {
		return "", tagged(ErrChanged, "%s was removed since it was read", p)
	}
	if err != nil {
		return "", err
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("write %s: not a regular file", p)
	}
	current, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	if contentVersion(current) != version {
		return "", tagged(ErrChanged, "%s changed since it was read: read it again", p)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".stack-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Chmod(st.Mode().Perm()); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return "", err
	}
	return contentVersion(data), nil
}

// contentVersion is a folder file's version: a hash of its content, as an
// ETag would be.
func contentVersion(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}
