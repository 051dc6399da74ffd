package s3

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Unit tests of the S3 backend against gofakes3, in process: fast, and no
// rig needed. gofakes3 accepts any credentials, so what depends on the real
// server (signatures, conditional writes, versioning) is tested against
// versitygw in source_test.go and key_test.go.

// fakeS3 starts an in-process S3 server holding files in bucket name, and
// returns options that reach it with static credentials.
func fakeS3(t *testing.T, name string, files map[string]string) Options {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "fake-id")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake-secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true") // never ask the link-local metadata service
	opts := Options{Endpoint: srv.URL, Region: "us-east-1", SecretsDir: t.TempDir()}
	if name == "" {
		return opts
	}
	b, err := newBucket(context.Background(), opts, name, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := b.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	for k, v := range files {
		if _, err := b.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(name), Key: aws.String(k), Body: strings.NewReader(v)}); err != nil {
			t.Fatal(err)
		}
	}
	return opts
}

func TestBucketListsOnlyItsPrefixAcrossPages(t *testing.T) {
	opts := fakeS3(t, "props", map[string]string{
		"svc/api.env.prod":         "A=1\n",
		"svc/dev/api.env":          "A=2\n",
		"svc/nested/":              "", // a folder marker, not a file
		"svc/redis.env.prod":       "B=1\n",
		"svc/shared.yaml.prod":     "c: 1\n",
		"svc-other/api.env.prod":   "A=3\n", // shares the prefix's letters, not its folder
		"elsewhere/worker.env.dev": "W=1\n",
	})
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"svc", []string{"api.env.prod", "dev/api.env", "redis.env.prod", "shared.yaml.prod"}},
		{"", []string{"elsewhere/worker.env.dev", "svc-other/api.env.prod", "svc/api.env.prod", "svc/dev/api.env", "svc/redis.env.prod", "svc/shared.yaml.prod"}},
	} {
		b, err := newBucket(context.Background(), opts, "props", tc.prefix)
		if err != nil {
			t.Fatal(err)
		}
		b.pageSize = 2 // several pages
		objs, err := b.list(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range objs {
			got = append(got, o.key)
			if o.etag == "" || strings.Contains(o.etag, `"`) || o.lastModified.IsZero() || o.size == 0 {
				t.Errorf("%s: etag %q modified %v size %d", o.key, o.etag, o.lastModified, o.size)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("prefix %q: listed %v, want %v", tc.prefix, got, tc.want)
		}
	}
}

func TestBucketURI(t *testing.T) {
	for prefix, want := range map[string]string{"": "s3://ops", "a/b": "s3://ops/a/b"} {
		b := &bucket{name: "ops", prefix: prefix}
		if b.uri() != want {
			t.Errorf("prefix %q: uri %q, want %q", prefix, b.uri(), want)
		}
	}
}

func TestBucketReadStopsAfterTheLimit(t *testing.T) {
	big := strings.Repeat("x", MaxFileSize+100)
	opts := fakeS3(t, "props", map[string]string{"api.env.prod": "A=1\n", "huge.env.prod": big})
	b, err := newBucket(context.Background(), opts, "props", "")
	if err != nil {
		t.Fatal(err)
	}
	o := object{key: "api.env.prod"}
	data, err := b.read(context.Background(), &o)
	if err != nil || string(data) != "A=1\n" {
		t.Fatalf("read: %q, %v", data, err)
	}
	if o.versionID != "" {
		t.Errorf("an unversioned bucket has no version id, got %q", o.versionID)
	}
	o = object{key: "huge.env.prod"}
	data, err = b.read(context.Background(), &o)
	if err != nil {
		t.Fatal(err)
	}
	// One byte past the limit says "too large" without holding the rest.
	if len(data) != MaxFileSize+1 {
		t.Errorf("read %d bytes of a file larger than the limit, want %d", len(data), MaxFileSize+1)
	}
	_, err = b.read(context.Background(), &object{key: "gone.env.prod"})
	if err == nil || !strings.Contains(err.Error(), "s3://props/gone.env.prod") {
		t.Errorf("a missing object: %v", err)
	}
}

func TestBucketErrorsSayWhatToFix(t *testing.T) {
	opts := fakeS3(t, "", nil)
	ctx := context.Background()

	b, _ := newBucket(ctx, opts, "no-such-bucket", "p")
	_, err := b.list(ctx)
	if !errors.Is(err, ErrBucketNotFound) || !strings.Contains(err.Error(), "check --source") {
		t.Errorf("missing bucket: %v", err)
	}

	o := opts
	o.Endpoint = "http://127.0.0.1:1"
	b, _ = newBucket(ctx, o, "props", "")
	b.client = s3.New(b.client.Options(), func(so *s3.Options) { so.RetryMaxAttempts = 1 }) // no backoff: nothing listens
	_, err = b.list(ctx)
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "http://127.0.0.1:1") || strings.Contains(err.Error(), "\n") {
		t.Errorf("unreachable: %v", err)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	b, _ = newBucket(ctx, opts, "props", "")
	_, err = b.list(ctx)
	if !errors.Is(err, ErrNoCredentials) || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") {
		t.Errorf("no credentials: %v", err)
	}
}

func TestSecretsDirCredentials(t *testing.T) {
	write := func(dir, name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o400); err != nil {
			t.Fatal(err)
		}
	}
	both := t.TempDir()
	write(both, "aws_access_key_id", " AKIDEXAMPLE\n")
	write(both, "aws_secret_access_key", "s3cr3t\r\n")
	if id, secret, ok := secretsDirCredentials(both); !ok || id != "AKIDEXAMPLE" || secret != "s3cr3t" {
		t.Errorf("trimmed pair: %q %v", id, ok) // never print the secret
	}
	one := t.TempDir()
	write(one, "aws_access_key_id", "AKIDEXAMPLE")
	if _, _, ok := secretsDirCredentials(one); ok {
		t.Error("one file of two is not a credential")
	}
	empty := t.TempDir()
	write(empty, "aws_access_key_id", "\n")
	write(empty, "aws_secret_access_key", "s")
	if _, _, ok := secretsDirCredentials(empty); ok {
		t.Error("an empty key id is not a credential")
	}
}

// The mounted credentials win over the environment: a service given both
// uses what the swarm mounted.
func TestMountedCredentialsAreUsed(t *testing.T) {
	opts := fakeS3(t, "", nil)
	dir := t.TempDir()
	for name, v := range map[string]string{"aws_access_key_id": "MOUNTEDID", "aws_secret_access_key": "mounted"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o400); err != nil {
			t.Fatal(err)
		}
	}
	opts.SecretsDir = dir
	b, err := newBucket(context.Background(), opts, "props", "")
	if err != nil {
		t.Fatal(err)
	}
	creds, err := b.client.Options().Credentials.Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != "MOUNTEDID" || !bytes.Equal([]byte(creds.SecretAccessKey), []byte("mounted")) {
		t.Errorf("credentials: %q, %v", creds.AccessKeyID, err)
	}
}
