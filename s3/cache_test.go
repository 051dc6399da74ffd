package s3

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// requests splits what a counting proxy saw of one bucket into listings
// (GET /bucket?list-type=2) and object reads (GET /bucket/key), by key.
func requests(c *testrig.S3Counter, bucket string) (lists int, gets map[string]int, other map[string]int) {
	gets, other = map[string]int{}, map[string]int{}
	for k, n := range c.Hits() {
		switch {
		case k == "GET /"+bucket || k == "GET /"+bucket+"/":
			lists += n
		case strings.HasPrefix(k, "GET /"+bucket+"/"):
			gets[strings.TrimPrefix(k, "GET /"+bucket+"/")] += n
		default:
			other[k] += n
		}
	}
	return lists, gets, other
}

// loadAll is what every face loads: the environment, then its stack files.
func loadAll(t *testing.T, src Source, env string) (*model.SourceSnapshot, *Stacks) {
	t.Helper()
	snap, err := src.Load(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	st, err := LoadStacks(context.Background(), src, snap.Env)
	if err != nil {
		t.Fatal(err)
	}
	return snap, st
}

func valueOf(snap *model.SourceSnapshot, file, key string) string {
	for _, f := range snap.Files {
		if f.Key != file {
			continue
		}
		for _, e := range f.Entries {
			if e.Key == key {
				return e.Value.Reveal()
			}
		}
	}
	return "<none>"
}

// A reload costs what changed, counted at the S3 server's door: an idle
// reload is one listing (a request per page) and no read; a changed object
// is one read; a removed one is gone from the snapshot without a read.
func TestReloadReadsOnlyWhatChanged(t *testing.T) {
	opts, srv := rigOptions(t, "")
	files := map[string]string{}
	for k, v := range demoFiles {
		files["props/"+k] = v
	}
	files["props/stacks/shop.yml"] = "services:\n  api:\n    image: x\n"
	bucket := srv.NewBucket(t, files)
	proxy := testrig.CountingS3Proxy(t, srv.Endpoint)
	opts.URI, opts.Endpoint = "s3://"+bucket+"/props", proxy.Endpoint
	opts.pageSize = 4 // 17 objects: five pages
	const pages = 5
	src, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}

	first, st := loadAll(t, src, "prod")
	checkDemoSnapshot(t, first)
	lists, gets, other := requests(proxy, bucket)
	// 7 files of prod, the key, the manifest, the stack file.
	if lists != pages || len(gets) != 10 || len(other) != 0 {
		t.Fatalf("first load: %d listing requests (want %d), reads %v, other %v", lists, pages, gets, other)
	}
	if len(st.Files) != 1 || st.Files[0].Data.IsZero() {
		t.Fatalf("stack files: %+v", st.Files)
	}

	proxy.Reset()
	idle, st2 := loadAll(t, src, "prod")
	lists, gets, other = requests(proxy, bucket)
	if lists != pages || len(gets) != 0 || len(other) != 0 {
		t.Errorf("idle reload: %d listing requests (want %d: one per page), reads %v (want none), other %v", lists, pages, gets, other)
	}
	checkDemoSnapshot(t, idle)
	for i, f := range idle.Files {
		was := first.Files[i]
		if f.Key != was.Key || f.ETag != was.ETag || f.VersionID != was.VersionID || f.VersionID == "" || !f.Raw.Equal(was.Raw) {
			t.Errorf("%s: reloaded as etag %q version %q, read as %q %q", f.Key, f.ETag, f.VersionID, was.ETag, was.VersionID)
		}
	}
	if st2.Files[0].Version != st.Files[0].Version || st2.Files[0].Data.Reveal() != st.Files[0].Data.Reveal() {
		t.Errorf("stack file reloaded as %q", st2.Files[0].Version)
	}

	srv.Put(t, bucket, "props/proxy.properties.prod", "stats.password = pw-new1\n")
	srv.Put(t, bucket, "props/secretdeck.yaml", "environments:\n  prod: {protected: false}\n")
	proxy.Reset()
	changed, _ := loadAll(t, src, "prod")
	lists, gets, _ = requests(proxy, bucket)
	want := map[string]int{"props/proxy.properties.prod": 1, "props/secretdeck.yaml": 1}
	if lists != pages || len(gets) != len(want) || gets["props/proxy.properties.prod"] != 1 || gets["props/secretdeck.yaml"] != 1 {
		t.Errorf("after two changes: %d listing requests, reads %v, want %v", lists, gets, want)
	}
	if got := valueOf(changed, "proxy.properties.prod", "stats.password"); got != "pw-new1" {
		t.Errorf("changed value not read again: %q", got)
	}
	if changed.Manifest.Protected("prod") {
		t.Error("changed manifest not read again")
	}

	deleteObject(t, srv, bucket, "props/redis.env.prod")
	proxy.Reset()
	gone, _ := loadAll(t, src, "prod")
	lists, gets, _ = requests(proxy, bucket)
	if lists != pages-1 || len(gets) != 0 { // 16 objects: four pages
		t.Errorf("after a removal: %d listing requests (want %d), reads %v", lists, pages-1, gets)
	}
	for _, f := range gone.Files {
		if f.Key == "redis.env.prod" {
			t.Error("a removed file is still in the snapshot")
		}
	}
}

func deleteObject(t *testing.T, srv testrig.S3Server, bucket, key string) {
	t.Helper()
	if _, err := srv.Client().DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: &bucket, Key: &key}); err != nil {
		t.Fatal(err)
	}
}

// countingBackend counts the reads of a backend, by key.
type countingBackend struct {
	backend
	mu    sync.Mutex
	reads map[string]int
}

func (c *countingBackend) read(ctx context.Context, o *object) ([]byte, error) {
	c.mu.Lock()
	c.reads[o.key]++
	c.mu.Unlock()
	return c.backend.read(ctx, o)
}

func (c *countingBackend) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.reads
	c.reads = map[string]int{}
	return r
}

// A folder's files are known unchanged by their modification time and size.
func TestFolderReloadReadsOnlyWhatChanged(t *testing.T) {
	dir := t.TempDir()
	write := func(k, v string, mtime time.Time) {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	then := time.Now().Add(-time.Hour)
	for k, v := range demoFiles {
		write(k, v, then)
	}
	src, err := Open(context.Background(), Options{URI: dir})
	if err != nil {
		t.Fatal(err)
	}
	counter := &countingBackend{backend: src.(*source).b, reads: map[string]int{}}
	src.(*source).b = counter
	first, _ := loadAll(t, src, "prod")
	if n := len(counter.take()); n != 9 {
		t.Fatalf("first load read %d objects, want 9", n)
	}
	idle, _ := loadAll(t, src, "prod")
	if r := counter.take(); len(r) != 0 {
		t.Errorf("idle reload read %v", r)
	}
	checkDemoSnapshot(t, idle)
	for i := range idle.Files {
		if idle.Files[i].ETag != first.Files[i].ETag || idle.Files[i].ETag == "" {
			t.Errorf("%s: version %q, was %q", idle.Files[i].Key, idle.Files[i].ETag, first.Files[i].ETag)
		}
	}
	// Same size, a new time: read again.
	write("proxy.properties.prod", "stats.password = pw-prox\n", then.Add(time.Second))
	changed, _ := loadAll(t, src, "prod")
	if r := counter.take(); len(r) != 1 || r["proxy.properties.prod"] != 1 {
		t.Errorf("after a change, reads %v", r)
	}
	if got := valueOf(changed, "proxy.properties.prod", "stats.password"); got != "pw-prox" {
		t.Errorf("changed value: %q", got)
	}
	// Another environment is read once, then kept too.
	loadAll(t, src, "dev")
	if r := counter.take(); len(r) != 3 {
		t.Errorf("dev's first load read %v", r)
	}
	loadAll(t, src, "prod")
	if r := counter.take(); len(r) != 0 {
		t.Errorf("back to prod, reads %v", r)
	}
}
