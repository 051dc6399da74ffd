package cli

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/s3"
	"github.com/secretdeck/secretdeck/stack"
)

// loadSource reads environment env of src with its stack files: the
// source's stacks/ (the environment's own file winning) and, in their
// place, the --stack-file STACK=PATH files given.
func (o *globalOptions) loadSource(ctx context.Context, src s3.Source, env string) (*model.SourceSnapshot, error) {
	snap, err := src.Load(ctx, env)
	if err != nil {
		return nil, err
	}
	st := &s3.Stacks{}
	if s3.HoldsFiles(src) { // a vault holds no stack file
		if st, err = s3.LoadStacks(ctx, src, snap.Env); err != nil {
			return nil, err
		}
	}
	byStack := map[string]model.StackFile{}
	for _, f := range st.Files {
		sf := model.StackFile{Stack: f.Stack, Path: f.Key, Version: f.Version, Data: f.Data, Err: f.Err}
		if sf.Err == nil {
			parseStack(&sf)
		}
		for i, def := range sf.Secrets {
			if def.FilePath != "" {
				sf.Secrets[i].FileModified, _ = st.Modified(def.FilePath)
			}
		}
		byStack[f.Stack] = sf
	}
	for _, spec := range o.stackFiles {
		sf, err := readLocalStack(spec)
		if err != nil {
			return nil, err
		}
		byStack[sf.Stack] = sf
	}
	snap.Stacks = snap.Stacks[:0]
	for _, name := range slices.Sorted(maps.Keys(byStack)) {
		snap.Stacks = append(snap.Stacks, byStack[name])
	}
	return snap, nil
}

// readLocalStack reads --stack-file STACK=PATH.
func readLocalStack(spec string) (model.StackFile, error) {
	name, path, ok := strings.Cut(spec, "=")
	if !ok || name == "" || path == "" {
		return model.StackFile{}, fmt.Errorf("--stack-file %q: want STACK=PATH, the stack's name as `docker stack deploy` is given it", spec)
	}
	f, err := s3.ReadStackFile(name, path)
	if err != nil {
		return model.StackFile{}, err
	}
	sf := model.StackFile{Stack: name, Path: path, Local: true, Version: f.Version, Data: f.Data, Err: f.Err}
	if sf.Err == nil {
		parseStack(&sf)
	}
	for i, def := range sf.Secrets {
		if info, err := os.Stat(def.FilePath); def.FilePath != "" && err == nil {
			sf.Secrets[i].FileModified = info.ModTime()
		}
	}
	return sf, nil
}

// stackEnv is what a stack file's variables interpolate to: nothing of
// secretdeck's own environment, which docker's deploy would not see either
// (a name written with a variable is reported as such, never guessed).
var stackEnv = map[string]string{}

// parseStack reads sf.Data with docker's loader into what the engine
// compares; a file that does not load is sf.Err with its line.
func parseStack(sf *model.StackFile) {
	f, err := stack.Parse(sf.Stack, sf.Path, []byte(sf.Data.Reveal()), stackEnv)
	if err != nil {
		var pe *model.ParseError
		if !errors.As(err, &pe) {
			pe = &model.ParseError{File: sf.Path, Msg: err.Error()}
		}
		sf.Err = pe
		return
	}
	for _, s := range f.Services {
		ss := model.StackService{Name: s.Name}
		for _, r := range s.Secrets {
			ss.Refs = append(ss.Refs, model.StackRef{Key: r.Key, Name: r.Name, Target: r.Target})
		}
		sf.Services = append(sf.Services, ss)
	}
	for _, d := range f.Secrets {
		sf.Secrets = append(sf.Secrets, model.StackSecret{Key: d.Key, Name: d.Name, External: d.External, File: d.File, FilePath: d.FilePath,
			NameVariable: d.NameVariable, Line: d.Line})
	}
}

// stackWriter writes a plan's stack file edits: to the source, replacing
// the object only at the version planned (If-Match), or to a local file by
// an atomic rename after checking its content is the one planned.
type stackWriter struct {
	src    s3.Source
	source *model.SourceSnapshot
}

func (w stackWriter) EditStack(ctx context.Context, e model.StackEdit) error {
	i := slices.IndexFunc(w.source.Stacks, func(sf model.StackFile) bool { return sf.Path == e.File })
	if i < 0 {
		return fmt.Errorf("stack file %s is not the one read for this apply", e.File)
	}
	data, err := stack.SetSecretName([]byte(w.source.Stacks[i].Data.Reveal()), e.Key, e.To, stackEnv)
	if err != nil {
		return err
	}
	if e.Local {
		_, err = s3.WriteStackFile(e.File, data, e.Version)
		return err
	}
	_, err = s3.WriteStack(ctx, w.src, e.File, data, e.Version)
	return err
}
