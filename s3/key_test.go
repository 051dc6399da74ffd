package s3

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/secretdeck/secretdeck/model"
)

// The fingerprint key is created once, with a create-only condition: when two
// operators race, one key wins and both use it. A second key would make every
// fingerprint made with the first one read as "made with another key".

// race runs EnsureKey n times at once against src and returns the key IDs.
func race(t *testing.T, n int, open func() Source) []string {
	t.Helper()
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src := open() // each racer is its own operator, with its own client
			<-start
			k, err := EnsureKey(context.Background(), src)
			ids[i], errs[i] = k.ID(), err
		}()
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return ids
}

func assertOneKey(t *testing.T, ids []string, stored []byte) {
	t.Helper()
	want, err := model.NewFingerprintKey(stored)
	if err != nil {
		t.Fatalf("the stored key: %v", err)
	}
	for i, id := range ids {
		if id != want.ID() {
			t.Errorf("operator %d uses key %s, but the source holds key %s", i, id, want.ID())
		}
	}
}

func TestEnsureKeyRaceInAFolderYieldsOneKey(t *testing.T) {
	dir := t.TempDir()
	ids := race(t, 8, func() Source {
		src, err := Open(context.Background(), Options{URI: dir})
		if err != nil {
			t.Error(err)
		}
		return src
	})
	stored, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(model.FingerprintKeyPath)))
	if err != nil {
		t.Fatal(err)
	}
	assertOneKey(t, ids, stored)
	if fi, _ := os.Stat(filepath.Join(dir, filepath.FromSlash(model.FingerprintKeyPath))); fi.Mode().Perm() != 0o600 {
		t.Errorf("the key file has mode %o, want 0600", fi.Mode().Perm())
	}
}

func TestEnsureKeyRaceInABucketYieldsOneKey(t *testing.T) {
	opts, srv := rigOptions(t, "")
	bucket := srv.NewBucket(t, map[string]string{"api.env.prod": "A=1\n"})
	opts.URI = "s3://" + bucket + "/props"
	ids := race(t, 8, func() Source {
		src, err := Open(context.Background(), opts)
		if err != nil {
			t.Error(err)
		}
		return src
	})
	key := "props/" + model.FingerprintKeyPath
	res, err := srv.Client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var stored bytes.Buffer
	if _, err := stored.ReadFrom(res.Body); err != nil {
		t.Fatal(err)
	}
	assertOneKey(t, ids, stored.Bytes())
}

// An existing key is used as it is, never replaced, in both kinds of source.
func TestEnsureKeyKeepsAnExistingKey(t *testing.T) {
	existing := bytes.Repeat([]byte{3}, model.FingerprintKeySize)
	want, _ := model.NewFingerprintKey(existing)

	dir := t.TempDir()
	p := filepath.Join(dir, filepath.FromSlash(model.FingerprintKeyPath))
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, existing, 0o600); err != nil {
		t.Fatal(err)
	}
	opts, srv := rigOptions(t, "")
	bucket := srv.NewBucket(t, map[string]string{model.FingerprintKeyPath: string(existing)})
	opts.URI = "s3://" + bucket

	for _, uri := range []string{dir, opts.URI} {
		o := opts
		o.URI = uri
		src, err := Open(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		k, err := EnsureKey(context.Background(), src)
		if err != nil || k.ID() != want.ID() {
			t.Errorf("%s: key %s, %v; want the existing %s", uri, k.ID(), err, want.ID())
		}
	}
	if b, _ := os.ReadFile(p); !bytes.Equal(b, existing) {
		t.Error("the folder's key was rewritten")
	}
}

// A malformed key (someone wrote 5 bytes there) is an error naming the file,
// not a silently replaced key.
func TestEnsureKeyRefusesAMalformedKey(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, filepath.FromSlash(model.FingerprintKeyPath))
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := Open(context.Background(), Options{URI: dir})
	if err != nil {
		t.Fatal(err)
	}
	_, err = EnsureKey(context.Background(), src)
	if err == nil || !strings.Contains(err.Error(), model.FingerprintKeyPath) || !strings.Contains(err.Error(), "5 bytes") {
		t.Errorf("got %v, want an error naming the key file and its size", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "short" {
		t.Error("the malformed key was replaced")
	}
}
