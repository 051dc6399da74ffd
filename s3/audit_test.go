package s3

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The audit copy of a plan is named by the plan's ID, which a plan file
// supplies: an ID that is not one secretdeck makes is refused (it is a path),
// and a copy is never overwritten, in a folder and in a bucket.
func TestWriteAuditIsCreateOnlyAndNamedByAPlanID(t *testing.T) {
	const id = "p-20261130-101500-0a1f"
	first, second := []byte(`{"action":"create"}`+"\n"), []byte(`{"action":"remove"}`+"\n")
	check := func(t *testing.T, src Source, read func(name string) []byte) {
		ctx := context.Background()
		for _, bad := range []string{"../../../tmp/x/audit", id + "/../../key", "", "p-1"} {
			if err := WriteAudit(ctx, src, bad, first); err == nil || !strings.Contains(err.Error(), "not a plan ID") {
				t.Errorf("WriteAudit(%q): %v", bad, err)
			}
		}
		for _, data := range [][]byte{first, second} {
			if err := WriteAudit(ctx, src, id, data); err != nil {
				t.Fatal(err)
			}
		}
		if got := read(id + ".jsonl"); !bytes.Equal(got, first) {
			t.Errorf("the first copy was changed: %q", got)
		}
		if got := read(id + ".2.jsonl"); !bytes.Equal(got, second) {
			t.Errorf("the second apply's copy: %q", got)
		}
	}
	t.Run("folder", func(t *testing.T) {
		dir := t.TempDir()
		src, err := Open(context.Background(), Options{URI: dir})
		if err != nil {
			t.Fatal(err)
		}
		check(t, src, func(name string) []byte {
			b, _ := os.ReadFile(filepath.Join(dir, ".secretdeck", "audit", name))
			return b
		})
		if entries, _ := os.ReadDir(filepath.Dir(dir)); len(entries) != 1 {
			t.Errorf("something was written beside the source: %d entries", len(entries))
		}
	})
	t.Run("bucket", func(t *testing.T) {
		opts, srv := rigOptions(t, "")
		bucket := srv.NewBucket(t, map[string]string{"api.env.prod": "A=1\n"})
		opts.URI = "s3://" + bucket + "/props"
		src, err := Open(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		check(t, src, func(name string) []byte {
			key := "props/.secretdeck/audit/" + name
			res, err := srv.Client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
			if err != nil {
				return nil
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return b
		})
	})
}

// A file whose name holds a terminal escape is listed escaped among the
// ignored files, never loaded: its name would reach every screen.
func TestControlCharactersInFileNamesAreEscapedAndIgnored(t *testing.T) {
	dir := t.TempDir()
	hostile := "api\x1b]0;PWNED\x07.properties.prod"
	for name, body := range map[string]string{hostile: "a=1\n", "api.properties.prod": "b=2\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src, err := Open(context.Background(), Options{URI: dir})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := src.Load(context.Background(), "prod")
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Files) != 1 || snap.Files[0].Key != "api.properties.prod" {
		t.Fatalf("files: %+v", snap.Files)
	}
	if len(snap.Ignored) != 1 || snap.Ignored[0] != `api\x1b]0;PWNED\a.properties.prod` {
		t.Fatalf("ignored: %q", snap.Ignored)
	}
}

// RestorePrevious puts back the version before the one a failed restart
// picked up, as a new version (history kept); it leaves a file someone
// changed again, and a folder, as they are.
func TestRestorePrevious(t *testing.T) {
	opts, srv := rigOptions(t, "")
	bucket := srv.NewBucket(t, map[string]string{"props/api.json.prod": `{"a": "first"}`})
	srv.Put(t, bucket, "props/api.json.prod", `{"a": "second"}`)
	opts.URI = "s3://" + bucket + "/props"
	src, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := src.Load(context.Background(), "prod")
	if err != nil {
		t.Fatal(err)
	}
	second := snap.Files[0].VersionID
	read := func() string {
		key := "props/api.json.prod"
		res, err := srv.Client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	if _, err := RestorePrevious(context.Background(), src, "api.json.prod", "not-the-newest"); err == nil || !strings.Contains(err.Error(), "changed again since") {
		t.Fatalf("a stale version: %v", err)
	}
	if read() != `{"a": "second"}` {
		t.Fatal("a refused restore changed the file")
	}
	v, err := RestorePrevious(context.Background(), src, "api.json.prod", second)
	if err != nil {
		t.Fatal(err)
	}
	if got := read(); got != `{"a": "first"}` || v == "" || v == second {
		t.Fatalf("restored %q as version %q", got, v)
	}
	// A folder keeps no versions.
	dir, _ := Open(context.Background(), Options{URI: t.TempDir()})
	if _, err := RestorePrevious(context.Background(), dir, "api.json.prod", "x"); err == nil || !strings.Contains(err.Error(), "a folder keeps no versions") {
		t.Fatalf("folder: %v", err)
	}
}
