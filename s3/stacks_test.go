package s3

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/stack"
)

func TestParseStackKey(t *testing.T) {
	for key, want := range map[string]string{
		"stacks/shop.yml":          "shop ",
		"stacks/shop.yaml":         "shop ",
		"stacks/shop.prod.yml":     "shop prod",
		"stacks/my-shop.dev.yaml":  "my-shop dev",
		"stacks/shop.yml.bak":      "",
		"stacks/shop.a.b.yml":      "", // a dot in a stack name would make an invalid service name
		"stacks/shop..yml":         "",
		"stacks/.yml":              "",
		"stacks/old/shop.yml":      "",
		"stacks/bad name.yml":      "",
		"stacks/shop.pr\x1bod.yml": "",
		"shop.yml":                 "",
		"prod/stacks.yml":          "",
	} {
		name, env, ok := ParseStackKey(key)
		got := ""
		if ok {
			got = name + " " + env
		}
		if got != want {
			t.Errorf("%q: got %q, want %q", key, got, want)
		}
	}
}

// stackFiles are a source's stack files beside its property files: two
// stacks with a file for prod, one only for dev, one written twice, one too
// large, and what is not a stack file.
var stackFiles = map[string]string{
	"stacks/shop.yml":       "services:\n  web:\n    image: nginx\n",
	"stacks/shop.prod.yml":  "services:\n  web:\n    image: nginx:prod\n",
	"stacks/api.yaml":       "services:\n  api:\n    image: api\n",
	"stacks/api.dev.yml":    "services:\n  api:\n    image: api:dev\n",
	"stacks/worker.dev.yml": "services:\n  worker:\n    image: w\n",
	"stacks/web.yml":        "services: {}\n",
	"stacks/web.yaml":       "services: {}\n",
	"stacks/big.yml":        "x: " + strings.Repeat("a", stack.MaxFileSize) + "\n",
	"stacks/README.md":      "how we deploy",
	"stacks/old/shop.yml":   "services: {}\n",
	"stacks/a.b.c.yml":      "services: {}\n",
}

func withStacks() map[string]string {
	files := maps.Clone(demoFiles)
	maps.Copy(files, stackFiles)
	return files
}

func checkStacks(t *testing.T, st *Stacks) {
	t.Helper()
	got := map[string]string{}
	for _, f := range st.Files {
		got[f.Stack] = f.Key + " env=" + f.Env
		if f.Err != nil {
			got[f.Stack] += " ERR " + f.Err.Error()
			continue
		}
		got[f.Stack] += " " + f.Data.Reveal()
		if f.Version == "" || f.Size != int64(len(f.Data.Bytes())) || f.LastModified.IsZero() {
			t.Errorf("%s: version %q size %d modified %v", f.Key, f.Version, f.Size, f.LastModified)
		}
	}
	want := map[string]string{
		"shop": "stacks/shop.prod.yml env=prod " + stackFiles["stacks/shop.prod.yml"],
		"api":  "stacks/api.yaml env= " + stackFiles["stacks/api.yaml"],
		"web":  "stacks/web.yaml env= ERR stacks/web.yaml: stacks/web.yml is also there: keep one of the two",
		"big":  "stacks/big.yml env= ERR stacks/big.yml: stack file too large (1048580 bytes; the limit is 1048576)",
	}
	if !maps.Equal(got, want) {
		t.Errorf("stacks:\n%v\nwant:\n%v", got, want)
	}
	if strings.Join(st.Ignored, ",") != "stacks/README.md,stacks/a.b.c.yml,stacks/old/shop.yml" {
		t.Errorf("ignored: %v", st.Ignored)
	}
}

func writeFolder(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for k, v := range files {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(v), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Files under stacks/ are stack files: LoadStacks reads them, Load neither
// takes them for property files (of an environment "stacks") nor lists them
// as ignored.
func TestFolderStacks(t *testing.T) {
	dir := writeFolder(t, withStacks())
	src, err := Open(context.Background(), Options{URI: dir})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := src.Load(context.Background(), "prod")
	if err != nil {
		t.Fatal(err)
	}
	checkDemoSnapshot(t, snap)
	st, err := LoadStacks(context.Background(), src, snap.Env)
	if err != nil {
		t.Fatal(err)
	}
	checkStacks(t, st)

	dev, err := LoadStacks(context.Background(), src, "dev")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, f := range dev.Files {
		keys = append(keys, f.Key)
	}
	if strings.Join(keys, ",") != "stacks/api.dev.yml,stacks/big.yml,stacks/shop.yml,stacks/web.yaml,stacks/worker.dev.yml" {
		t.Errorf("dev: %v", keys)
	}
}

func TestS3StacksAgainstVersitygw(t *testing.T) {
	opts, srv := rigOptions(t, "")
	files := map[string]string{}
	for k, v := range withStacks() {
		files["props/"+k] = v
	}
	files["stacks/elsewhere.yml"] = "services: {}\n" // outside the prefix
	bucket := srv.NewBucket(t, files)
	opts.URI = "s3://" + bucket + "/props"
	opts.pageSize = 4
	src, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := src.Load(context.Background(), "prod")
	if err != nil {
		t.Fatal(err)
	}
	checkDemoSnapshot(t, snap)
	st, err := LoadStacks(context.Background(), src, "prod")
	if err != nil {
		t.Fatal(err)
	}
	checkStacks(t, st)
	for _, f := range st.Files {
		if f.Err == nil && f.VersionID == "" {
			t.Errorf("%s: no version ID in a versioned bucket", f.Key)
		}
	}
}

// The same listing through the S3 backend, in process (versitygw, in the
// rig, also checks the conditional write).
func TestBucketStacks(t *testing.T) {
	opts := fakeS3(t, "props", withStacks())
	opts.URI = "s3://props"
	opts.pageSize = 3
	src, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	st, err := LoadStacks(context.Background(), src, "prod")
	if err != nil {
		t.Fatal(err)
	}
	checkStacks(t, st)
}

// A read keeps the ETag of the object it got, which a write then matches:
// the listing's may be older than the bytes.
func TestBucketReadKeepsTheETagOfWhatItRead(t *testing.T) {
	opts := fakeS3(t, "props", map[string]string{"stacks/shop.yml": "services: {}\n"})
	b, err := newBucket(context.Background(), opts, "props", "")
	if err != nil {
		t.Fatal(err)
	}
	o := object{key: "stacks/shop.yml", etag: "from-the-listing"}
	if _, err := b.read(context.Background(), &o); err != nil {
		t.Fatal(err)
	}
	if o.etag == "from-the-listing" || o.etag == "" || strings.Contains(o.etag, `"`) {
		t.Errorf("etag %q", o.etag)
	}
}
