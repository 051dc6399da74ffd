package s3

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/stack"
)

// A stack file is replaced only at the version it was read at; the new
// version is what the next read gives.
func testWriteStack(t *testing.T, src Source, stat func(key string) string) {
	t.Helper()
	ctx := context.Background()
	st, err := LoadStacks(ctx, src, "prod")
	if err != nil {
		t.Fatal(err)
	}
	shop := stackOf(t, st, "shop")
	edited := []byte(shop.Data.Reveal() + "secrets:\n  a:\n    external: true\n    name: a_v2\n")
	v2, err := WriteStack(ctx, src, shop.Key, edited, shop.Version)
	if err != nil {
		t.Fatalf("write at the version read: %v", err)
	}
	again, err := LoadStacks(ctx, src, "prod")
	if err != nil {
		t.Fatal(err)
	}
	now := stackOf(t, again, "shop")
	if now.Data.Reveal() != string(edited) || now.Version != v2 || v2 == shop.Version {
		t.Errorf("after the write: %q version %q (write said %q, before %q)", now.Data.Reveal(), now.Version, v2, shop.Version)
	}
	if stat != nil {
		if got := stat(shop.Key); got != "" {
			t.Error(got)
		}
	}
	_, err = WriteStack(ctx, src, shop.Key, []byte("services: {}\n"), shop.Version)
	if !errors.Is(err, ErrChanged) {
		t.Errorf("write at a stale version: %v", err)
	}
	last, err := LoadStacks(ctx, src, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if stackOf(t, last, "shop").Data.Reveal() != string(edited) {
		t.Error("a refused write changed the file")
	}
	for _, key := range []string{"api.json.prod", "stacks/../api.json.prod", "stacks/old/shop.yml"} {
		if _, err := WriteStack(ctx, src, key, []byte("{}"), v2); err == nil || errors.Is(err, ErrChanged) {
			t.Errorf("write of %s: %v", key, err)
		}
	}
	if _, err := WriteStack(ctx, src, shop.Key, make([]byte, stack.MaxFileSize+1), v2); err == nil {
		t.Error("a write over the size limit")
	}
}

func stackOf(t *testing.T, st *Stacks, name string) StackFile {
	t.Helper()
	for _, f := range st.Files {
		if f.Stack == name {
			return f
		}
	}
	t.Fatalf("no stack %s", name)
	return StackFile{}
}

func TestFolderWriteStack(t *testing.T) {
	dir := writeFolder(t, withStacks())
	src, err := Open(context.Background(), Options{URI: dir})
	if err != nil {
		t.Fatal(err)
	}
	testWriteStack(t, src, func(key string) string {
		st, err := os.Stat(filepath.Join(dir, key))
		if err != nil || st.Mode().Perm() != 0o640 {
			return "the file's mode was not kept: " + st.Mode().String()
		}
		if left, _ := filepath.Glob(filepath.Join(dir, "stacks", ".stack-*")); len(left) > 0 {
			return "temporary files left: " + strings.Join(left, ",")
		}
		return ""
	})
	ro, err := Open(context.Background(), Options{URI: dir, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteStack(context.Background(), ro, "stacks/shop.prod.yml", []byte("x"), "v"); !errors.Is(err, ErrReadOnly) {
		t.Errorf("read-only: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, "stacks/api.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteStack(context.Background(), src, "stacks/api.yaml", []byte("x"), "v"); !errors.Is(err, ErrChanged) {
		t.Errorf("a file removed since: %v", err)
	}
}

func TestS3WriteStackAgainstVersitygw(t *testing.T) {
	opts, srv := rigOptions(t, "")
	files := map[string]string{}
	for k, v := range withStacks() {
		files["props/"+k] = v
	}
	bucket := srv.NewBucket(t, files)
	opts.URI = "s3://" + bucket + "/props"
	src, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	testWriteStack(t, src, nil)
}

// A stack file given by path (--stack-file STACK=PATH) is read and written
// back the same way as one in a folder source.
func TestLocalStackFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "shop.yml")
	if err := os.WriteFile(p, []byte("services: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := ReadStackFile("shop", p)
	if err != nil || f.Err != nil || f.Data.Reveal() != "services: {}\n" || f.Version == "" || f.Size != 13 {
		t.Fatalf("read: %+v %v", f, err)
	}
	v2, err := WriteStackFile(p, []byte("services: {a: {image: x}}\n"), f.Version)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ReadStackFile("shop", p)
	if err != nil || again.Version != v2 || again.Data.Reveal() != "services: {a: {image: x}}\n" {
		t.Errorf("after the write: %+v %v", again, err)
	}
	if _, err := WriteStackFile(p, []byte("x"), f.Version); !errors.Is(err, ErrChanged) {
		t.Errorf("stale version: %v", err)
	}
	if err := os.WriteFile(p, []byte(strings.Repeat("a", stack.MaxFileSize+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if big, err := ReadStackFile("shop", p); err != nil || big.Err == nil {
		t.Errorf("a file over the limit: %+v %v", big.Err, err)
	}
	if _, err := ReadStackFile("shop.prod", p); err == nil {
		t.Error("a stack name docker cannot deploy")
	}
	if _, err := ReadStackFile("shop", dir); err == nil {
		t.Error("a folder read as a stack file")
	}
}
