package s3

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// folder is a local property source, for development.
type folder struct{ root string }

func newFolder(root string) (*folder, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil || !st.IsDir() {
		return nil, fmt.Errorf("--source %s: no such folder (give a folder, or s3://bucket/prefix)", root)
	}
	return &folder{root: abs}, nil
}

func (f *folder) uri() string { return f.root }

func (f *folder) list(_ context.Context) ([]object, error) {
	var out []object
	err := filepath.WalkDir(f.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(f.root, p)
		if err != nil {
			return err
		}
		out = append(out, object{key: filepath.ToSlash(rel), lastModified: info.ModTime(), size: info.Size()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", f.root, err)
	}
	return out, nil
}

func (f *folder) read(_ context.Context, o *object) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(f.root, filepath.FromSlash(o.key)))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", o.key, err)
	}
	o.etag = contentVersion(data)
	return data, nil
}
