// Package s3 reads secretdeck's property sources: an S3 bucket (or any
// S3-compatible server) and, for development, a local folder. Values stay in
// memory: nothing read is written to disk.
package s3

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/secretdeck/secretdeck/model"
)

// MaxFileSize is the largest property file read; a larger one is reported,
// not read (a whole-file secret must be under 500 KiB anyway).
const MaxFileSize = 4 << 20

// Options say which source to open and how.
type Options struct {
	URI         string // s3://bucket/prefix, or a folder
	Endpoint    string // S3-compatible endpoint (default: AWS_ENDPOINT_URL_S3, then AWS)
	Region      string // default: the AWS chain's, else us-east-1
	SecretsDir  string // in-swarm credentials bootstrap; default /run/secrets
	Concurrency int    // parallel reads; default 64 (a remote bucket answers each in one round trip)
	ReadOnly    bool   // refuse every write
	pageSize    int32  // list page size; 0 = the server's default (tests set it)
}

// Source is a property source.
type Source interface {
	URI() string
	// Load reads the files of environment env ("" picks the only one).
	Load(ctx context.Context, env string) (*model.SourceSnapshot, error)
}

// object is one stored file.
type object struct {
	key          string // relative to the source root
	etag         string
	versionID    string
	lastModified time.Time
	size         int64
}

// backend lists and reads a source's objects.
type backend interface {
	uri() string
	list(ctx context.Context) ([]object, error)
	read(ctx context.Context, o *object) ([]byte, error) // may set o.versionID and o.etag
	createOnly(ctx context.Context, key string, data []byte) ([]byte, error)
	replace(ctx context.Context, key string, data []byte, version string) (string, error) // the new version
	readKey(ctx context.Context, key string) ([]byte, string, error)                      // data and version; a missing key is os.ErrNotExist
	remove(ctx context.Context, key, version string) error                                // version "": the newest
}

// Open checks opts and returns the source; it does not touch the network.
func Open(ctx context.Context, opts Options) (Source, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 64
	}
	u, err := url.Parse(opts.URI)
	if err != nil || (u.Scheme != "" && u.Scheme != "s3" && u.Scheme != "file") || (u.Scheme == "s3" && u.Host == "") {
		return nil, fmt.Errorf("--source %q is not s3://bucket/prefix nor a folder", opts.URI)
	}
	var b backend
	switch u.Scheme {
	case "s3":
		b, err = newBucket(ctx, opts, u.Host, strings.Trim(u.Path, "/"))
	case "file":
		b, err = newFolder(u.Path)
	default:
		b, err = newFolder(opts.URI)
	}
	if err != nil {
		return nil, err
	}
	return &source{b: b, opts: opts, cache: newReadCache()}, nil
}

type source struct {
	b     backend
	opts  Options
	cache *readCache // what earlier Loads read, in memory (s3/cache.go)
	// lockListed: the last Load's listing held the operator lock
	// (LockListed), so a refresh reads the lock only when there is one.
	lockListed atomic.Bool
}

func (s *source) URI() string { return s.b.uri() }

// printableName reports whether an object's name prints as it is.
func printableName(name string) bool { return model.Printable(name) == name }

// Load lists the source, picks the environment, reads its files concurrently
// (bounded) and parses them. A file that does not parse is reported in the
// snapshot and does not stop the others.
func (s *source) Load(ctx context.Context, env string) (*model.SourceSnapshot, error) {
	objects, err := s.b.list(ctx)
	if err != nil {
		return nil, err
	}
	s.cache.retain(objects)
	snap := &model.SourceSnapshot{URI: s.b.uri(), LoadedAt: time.Now()}
	byEnv := map[string][]*model.PropertyFile{}
	configs := map[string][]*model.ConfigFile{} // by env
	var keyObj, manifestObj *object
	lock := false
	for i := range objects {
		o := &objects[i]
		lock = lock || o.key == LockPath
		switch {
		case o.key == model.FingerprintKeyPath:
			keyObj = o
		case strings.HasPrefix(o.key, ".secretdeck/"):
			// secretdeck's own (audit log…)
		case o.key == model.ManifestPath:
			manifestObj = o
		case strings.HasPrefix(o.key, StacksDir):
			// stack files, read by LoadStacks
		case !printableName(o.key):
			// A name is printed by every face: one that would move the
			// cursor or retitle the terminal is shown escaped, never used.
			snap.Ignored = append(snap.Ignored, model.Printable(o.key))
		case strings.HasPrefix(o.key, model.ConfigDir+"/"):
			service, fenv, ok := model.ParseConfigName(o.key)
			if !ok {
				snap.Ignored = append(snap.Ignored, o.key)
				continue
			}
			if _, ok := byEnv[fenv]; !ok {
				byEnv[fenv] = nil // an environment may hold configs only
			}
			configs[fenv] = append(configs[fenv], &model.ConfigFile{Key: o.key, Service: service, Env: fenv,
				ETag: o.etag, VersionID: o.versionID, LastModified: o.lastModified, Size: o.size})
		case strings.HasPrefix(o.key, model.FileSecretDir+"/"):
			service, fenv, ok := ParseFileSecretName(o.key)
			if !ok {
				snap.Ignored = append(snap.Ignored, o.key)
				continue
			}
			byEnv[fenv] = append(byEnv[fenv], &model.PropertyFile{
				Key: o.key, Service: service, Format: model.FormatFile, Env: fenv,
				ETag: o.etag, VersionID: o.versionID, LastModified: o.lastModified, Size: o.size,
			})
		default:
			service, format, fenv, ok := ParseName(o.key)
			if !ok {
				snap.Ignored = append(snap.Ignored, o.key)
				continue
			}
			byEnv[fenv] = append(byEnv[fenv], &model.PropertyFile{
				Key: o.key, Service: service, Format: format, Env: fenv,
				ETag: o.etag, VersionID: o.versionID, LastModified: o.lastModified, Size: o.size,
			})
		}
	}
	s.lockListed.Store(lock)
	for e := range byEnv {
		snap.Envs = append(snap.Envs, e)
	}
	slices.Sort(snap.Envs)
	if snap.Env, err = pickEnv(snap, env); err != nil {
		return nil, err
	}
	files := byEnv[snap.Env]
	if err := s.readAll(ctx, objects, files); err != nil {
		return nil, err
	}
	if err := s.readExtras(ctx, snap, keyObj, manifestObj); err != nil {
		return nil, err
	}
	if err := s.readConfigs(ctx, objects, configs[snap.Env]); err != nil {
		return nil, err
	}
	for _, c := range configs[snap.Env] {
		snap.Configs = append(snap.Configs, *c)
	}
	slices.SortFunc(snap.Configs, func(a, b model.ConfigFile) int { return strings.Compare(a.Key, b.Key) })
	for _, f := range files {
		snap.Files = append(snap.Files, *f)
	}
	slices.SortFunc(snap.Files, func(a, b model.PropertyFile) int {
		if c := strings.Compare(a.Service, b.Service); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	s.cache.offer(objects)
	return snap, nil
}

// UnknownEnvError says that the source holds no file of an environment.
type UnknownEnvError struct {
	URI, Env string
	Found    []string
}

func (e *UnknownEnvError) Error() string {
	if len(e.Found) == 0 {
		return fmt.Sprintf("%s holds no property file (named <service>.<format>.<env> or <env>/<service>.<format>)", e.URI)
	}
	return fmt.Sprintf("environment %q not found in %s (found: %s); pick one with --env", e.Env, e.URI, strings.Join(e.Found, ", "))
}

func pickEnv(snap *model.SourceSnapshot, env string) (string, error) {
	switch {
	case env != "" && slices.Contains(snap.Envs, env):
		return env, nil
	case env == "" && len(snap.Envs) == 1:
		return snap.Envs[0], nil
	case env == "" && len(snap.Envs) > 1:
		return "", fmt.Errorf("%s holds several environments (%s): pick one with --env", snap.URI, strings.Join(snap.Envs, ", "))
	}
	return "", &UnknownEnvError{URI: snap.URI, Env: env, Found: snap.Envs}
}

func (s *source) readAll(ctx context.Context, objects []object, files []*model.PropertyFile) error {
	byKey := make(map[string]*object, len(objects))
	for i := range objects {
		byKey[objects[i].key] = &objects[i]
	}
	progress := newProgress(ctx, len(files)) // s3/progress.go
	return eachParallel(ctx, s.opts.Concurrency, len(files), func(ctx context.Context, i int) error {
		f := files[i]
		o := byKey[f.Key]
		defer progress.one()
		if o.size > MaxFileSize {
			f.Err = &model.ParseError{File: f.Key, Msg: fmt.Sprintf("file too large (%d bytes; the limit is %d)", o.size, MaxFileSize)}
			return nil
		}
		// An object unchanged since the last Load is not read again
		// (s3/cache.go); one read now is kept for the next.
		stamp := stampOf(o)
		if s.cache.reuse(f, stamp) {
			return nil
		}
		data, err := s.b.read(ctx, o)
		if err != nil {
			return err
		}
		defer s.cache.keep(f, stamp)
		f.VersionID, f.ETag = o.versionID, o.etag
		if data, f.Via, f.Err = decode(f.Key, f.Format, data); f.Err != nil {
			return nil // not decrypted: said on the file, the others load
		}
		f.Raw = model.NewValue(data)
		if f.IsFileSecret() {
			return nil // the bytes are the value: nothing to parse
		}
		f.Entries, f.Err = Parse(f.Key, f.Format, data)
		return nil
	})
}

// readConfigs reads the config files of the environment; one larger than
// a config can be is reported on the file, not read.
func (s *source) readConfigs(ctx context.Context, objects []object, files []*model.ConfigFile) error {
	if len(files) == 0 {
		return nil
	}
	byKey := make(map[string]*object, len(objects))
	for i := range objects {
		byKey[objects[i].key] = &objects[i]
	}
	return eachParallel(ctx, s.opts.Concurrency, len(files), func(ctx context.Context, i int) error {
		f := files[i]
		o := byKey[f.Key]
		if o.size > model.MaxConfigSize {
			f.Err = &model.ParseError{File: f.Key, Msg: fmt.Sprintf("file too large (%d bytes; a swarm config must be at most %d)", o.size, model.MaxConfigSize)}
			return nil
		}
		// Through the cache, like every read: an idle reload reads none.
		v, err := s.readValue(ctx, o)
		if err != nil {
			return err
		}
		f.VersionID, f.ETag, f.Data = o.versionID, o.etag, v.Bytes()
		return nil
	})
}

// readExtras reads the fingerprint key and the manifest, when present.
func (s *source) readExtras(ctx context.Context, snap *model.SourceSnapshot, keyObj, manifestObj *object) error {
	if keyObj != nil {
		data, err := s.readValue(ctx, keyObj)
		if err != nil {
			return err
		}
		if snap.Key, err = model.NewFingerprintKey(data.Bytes()); err != nil {
			return fmt.Errorf("%s: %w", s.b.uri(), err)
		}
	}
	if manifestObj != nil {
		data, err := s.readValue(ctx, manifestObj)
		if err != nil {
			return err
		}
		if snap.Manifest, err = model.ParseManifest(model.ManifestPath, data.Bytes()); err != nil {
			return fmt.Errorf("%s: %w", s.b.uri(), err)
		}
	}
	return nil
}

// ParseName splits a property file's key: <service>.<format>.<env>
// (my_service.json.prod) or <env>/<service>.<format> (prod/my_service.yaml).
// yml is read as yaml.
func ParseName(key string) (service string, format model.Format, env string, ok bool) {
	dir, base := path.Split(key)
	dir = strings.TrimSuffix(dir, "/")
	parts := strings.Split(base, ".")
	switch {
	case dir == "" && len(parts) >= 3:
		service, format, env = strings.Join(parts[:len(parts)-2], "."), formatOf(parts[len(parts)-2]), parts[len(parts)-1]
	case dir != "" && !strings.Contains(dir, "/") && len(parts) >= 2:
		service, format, env = strings.Join(parts[:len(parts)-1], "."), formatOf(parts[len(parts)-1]), dir
	default:
		return "", "", "", false
	}
	if service == "" || env == "" || format == "" {
		return "", "", "", false
	}
	return service, format, env, true
}

// ParseFileSecretName splits a file secret's key:
// secrets/<env>/<service>/<file> (the file any name but a hidden one).
func ParseFileSecretName(key string) (service, env string, ok bool) {
	parts := strings.Split(key, "/")
	if len(parts) != 4 || parts[0] != model.FileSecretDir {
		return "", "", false
	}
	for _, p := range parts[1:] {
		if p == "" || strings.HasPrefix(p, ".") {
			return "", "", false
		}
	}
	return parts[2], parts[1], true
}

func formatOf(ext string) model.Format {
	if ext == "yml" {
		return model.FormatYAML
	}
	if f := model.Format(ext); slices.Contains(model.Formats, f) {
		return f
	}
	return ""
}
