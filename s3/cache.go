package s3

import (
	"context"
	"strconv"
	"sync"

	"github.com/secretdeck/secretdeck/model"
)

// readCache is what a source keeps between its Loads so that a reload
// costs what changed: the listing lists every object, and only an object
// whose stamp moved is read again. It lives in the process, held by the
// source: values are kept in memory only, never written anywhere.
//
// A stamp is the object's ETag in a bucket, its modification time and size
// in a folder (whose listing has no ETag). It is taken from the listing
// before the read: when the object changed between the two, the bytes kept
// are newer than their stamp, and the next listing reads it again.
type readCache struct {
	mu    sync.Mutex
	files map[string]cachedFile // property files and file secrets, by key
	raw   map[string]cachedRaw  // the fingerprint key, the manifest and stack files, by key
	// listed is the listing of the last Load, until LoadStacks takes it:
	// a source's stack files are read from the same listing as its
	// property files, so a load lists once.
	listed []object
}

// cachedFile is what a read and parse made of a property file.
type cachedFile struct {
	stamp           string
	etag, versionID string
	raw             model.Value
	entries         []model.Entry
	err             *model.ParseError
	via             string // how it was obtained: plain, sops+age…
}

// cachedRaw is an object's bytes, as read.
type cachedRaw struct {
	stamp           string
	etag, versionID string
	data            model.Value
}

func newReadCache() *readCache {
	return &readCache{files: map[string]cachedFile{}, raw: map[string]cachedRaw{}}
}

// stampOf says which version of an object the listing saw.
func stampOf(o *object) string {
	if o.etag != "" {
		return "etag " + o.etag
	}
	return "mtime " + strconv.FormatInt(o.lastModified.UnixNano(), 10) + " size " + strconv.FormatInt(o.size, 10)
}

// reuse fills f from the cache when its object is unchanged since it was
// read, and says so.
func (c *readCache) reuse(f *model.PropertyFile, stamp string) bool {
	c.mu.Lock()
	e, ok := c.files[f.Key]
	c.mu.Unlock()
	if !ok || e.stamp != stamp {
		return false
	}
	f.ETag, f.VersionID = e.etag, e.versionID
	f.Raw, f.Entries, f.Err, f.Via = e.raw, e.entries, e.err, e.via
	return true
}

// keep remembers what f holds after its read, for the next Load.
func (c *readCache) keep(f *model.PropertyFile, stamp string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.files[f.Key] = cachedFile{stamp: stamp, etag: f.ETag, versionID: f.VersionID, raw: f.Raw, entries: f.Entries, err: f.Err, via: f.Via}
}

// rawOf returns an object's bytes when it is unchanged since they were read.
func (c *readCache) rawOf(o *object) (model.Value, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.raw[o.key]
	if !ok || e.stamp != stampOf(o) {
		return model.Value{}, false
	}
	o.etag, o.versionID = e.etag, e.versionID
	return e.data, true
}

// keepRaw remembers an object's bytes under the stamp the listing gave it.
func (c *readCache) keepRaw(key, stamp string, o *object, data model.Value) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.raw[key] = cachedRaw{stamp: stamp, etag: o.etag, versionID: o.versionID, data: data}
}

// retain forgets the objects a listing no longer holds.
func (c *readCache) retain(objects []object) {
	present := make(map[string]bool, len(objects))
	for i := range objects {
		present[objects[i].key] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.files {
		if !present[k] {
			delete(c.files, k)
		}
	}
	for k := range c.raw {
		if !present[k] {
			delete(c.raw, k)
		}
	}
	c.listed = nil
}

// offer keeps a Load's listing for the LoadStacks that follows it.
func (c *readCache) offer(objects []object) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listed = objects
}

// takeListing returns the last Load's listing once (nil when taken).
func (c *readCache) takeListing() []object {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.listed
	c.listed = nil
	return l
}

// readValue reads an object that is not a property file (the fingerprint
// key, the manifest, a stack file) through the cache.
func (s *source) readValue(ctx context.Context, o *object) (model.Value, error) {
	if v, ok := s.cache.rawOf(o); ok {
		return v, nil
	}
	stamp := stampOf(o)
	data, err := s.b.read(ctx, o)
	if err != nil {
		return model.Value{}, err
	}
	v := model.NewValue(data)
	s.cache.keepRaw(o.key, stamp, o, v)
	return v, nil
}
