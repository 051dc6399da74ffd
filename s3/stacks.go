package s3

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/stack"
)

// StacksDir holds a source's stack files: stacks/<stack>.yml for every
// environment and stacks/<stack>.<env>.yml for one, which wins (.yaml is
// read too). Nothing under it is a property file.
const StacksDir = "stacks/"

// StackFile is the stack file a source holds for a stack in one
// environment.
type StackFile struct {
	Stack string `json:"stack"`
	Env   string `json:"env,omitempty"` // "" for the file of every environment
	Key   string `json:"key"`           // relative to the source root: stacks/shop.prod.yml
	// Data is the file's bytes: a stack file can hold credentials
	// (environment:), so it is held as a Value, which never prints.
	Data model.Value `json:"-"`
	// Version is what a write must match to replace the file (WriteStack):
	// the S3 ETag, or the hash of a folder file's content.
	Version      string            `json:"version"`
	VersionID    string            `json:"versionId,omitempty"`
	LastModified time.Time         `json:"lastModified"`
	Size         int64             `json:"size"`
	Err          *model.ParseError `json:"error,omitempty"` // not read: too large, or two files for one stack
}

// Stacks are the stack files of a source for one environment.
type Stacks struct {
	Files   []StackFile `json:"files"`             // one per stack, sorted by stack
	Ignored []string    `json:"ignored,omitempty"` // keys under stacks/ that are not stack files, printable
	// modified is when each object of the source last changed: what a
	// stack file's file: secret is compared with (Modified).
	modified map[string]time.Time
}

// Modified says when the source's object key (a file: secret of a stack
// file) last changed, and whether it exists.
func (s *Stacks) Modified(key string) (time.Time, bool) {
	t, ok := s.modified[key]
	return t, ok
}

// ParseStackKey splits a stack file's key: stacks/shop.yml is stack shop
// for every environment, stacks/shop.prod.yaml is stack shop in prod. A
// stack name is one docker can deploy; a key in a folder under stacks/, or
// with more dots, is not a stack file.
func ParseStackKey(key string) (stackName, env string, ok bool) {
	rest, found := strings.CutPrefix(key, StacksDir)
	if !found || strings.Contains(rest, "/") {
		return "", "", false
	}
	ext := path.Ext(rest)
	if ext != ".yml" && ext != ".yaml" {
		return "", "", false
	}
	parts := strings.Split(strings.TrimSuffix(rest, ext), ".")
	switch {
	case len(parts) == 1:
		stackName = parts[0]
	case len(parts) == 2 && parts[1] != "":
		stackName, env = parts[0], parts[1]
	default:
		return "", "", false
	}
	if !stack.ValidStackName(stackName) || !printableName(env) {
		return "", "", false
	}
	return stackName, env, true
}

// LoadStacks lists the stack files of src and reads, for each stack, the
// file of environment env if there is one, else the file of every
// environment. Give the environment Load picked (SourceSnapshot.Env). Files
// are read, not parsed: parsing needs the variables docker stack deploy
// would interpolate (stack.Parse).
func LoadStacks(ctx context.Context, src Source, env string) (*Stacks, error) {
	s, ok := src.(*source)
	if !ok {
		return nil, errors.New("this source holds no stack files")
	}
	objects := s.cache.takeListing() // the listing of the Load just before, if any
	if objects == nil {
		var err error
		if objects, err = s.b.list(ctx); err != nil {
			return nil, err
		}
	}
	out := &Stacks{modified: make(map[string]time.Time, len(objects))}
	for i := range objects {
		out.modified[objects[i].key] = objects[i].lastModified
	}
	type pick struct {
		env  string
		objs []*object // more than one: stacks/shop.yml and stacks/shop.yaml
	}
	picked := map[string]*pick{}
	for i := range objects {
		o := &objects[i]
		if !strings.HasPrefix(o.key, StacksDir) {
			continue
		}
		name, fenv, ok := ParseStackKey(o.key)
		if !ok {
			out.Ignored = append(out.Ignored, model.Printable(o.key))
			continue
		}
		if fenv != "" && fenv != env {
			continue
		}
		p := picked[name]
		switch {
		case p == nil || (p.env == "" && fenv != ""):
			picked[name] = &pick{env: fenv, objs: []*object{o}}
		case p.env == fenv:
			p.objs = append(p.objs, o)
		}
	}
	for name, p := range picked {
		f := StackFile{Stack: name, Env: p.env, Key: p.objs[0].key}
		if len(p.objs) > 1 {
			keys := []string{p.objs[0].key, p.objs[1].key}
			slices.Sort(keys)
			f.Key = keys[0]
			f.Err = &model.ParseError{File: keys[0], Msg: fmt.Sprintf("%s is also there: keep one of the two", keys[1])}
		}
		out.Files = append(out.Files, f)
	}
	slices.SortFunc(out.Files, func(a, b StackFile) int { return strings.Compare(a.Stack, b.Stack) })
	slices.Sort(out.Ignored)
	if err := s.readStacks(ctx, objects, out.Files); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *source) readStacks(ctx context.Context, objects []object, files []StackFile) error {
	byKey := make(map[string]*object, len(objects))
	for i := range objects {
		byKey[objects[i].key] = &objects[i]
	}
	return eachParallel(ctx, s.opts.Concurrency, len(files), func(ctx context.Context, i int) error {
		f := &files[i]
		if f.Err != nil {
			return nil
		}
		o := byKey[f.Key]
		f.Size, f.LastModified = o.size, o.lastModified
		if o.size > stack.MaxFileSize {
			f.Err = tooLarge(f.Key, o.size)
			return nil
		}
		data, err := s.readValue(ctx, o)
		if err != nil {
			return err
		}
		if data.Len() > stack.MaxFileSize { // it grew since it was listed
			f.Err = tooLarge(f.Key, int64(data.Len()))
			return nil
		}
		f.Data, f.Size = data, int64(data.Len())
		f.Version, f.VersionID = o.etag, o.versionID
		return nil
	})
}

func tooLarge(key string, size int64) *model.ParseError {
	return &model.ParseError{File: key, Msg: fmt.Sprintf("stack file too large (%d bytes; the limit is %d)", size, stack.MaxFileSize)}
}
