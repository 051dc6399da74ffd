package stack

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/docker/cli/cli/compose/schema"
	"github.com/moby/moby/client/pkg/versions"
	"go.yaml.in/yaml/v3"

	"github.com/secretdeck/secretdeck/model"
)

// EditError says why a stack file cannot be edited as asked; the file is
// then for a person to change.
type EditError struct {
	Line int // 0 when the file as a whole is the reason
	Msg  string
}

func (e *EditError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// SetSecretName returns data with the smallest edit that makes top-level
// secret key resolve to the swarm secret name, so that the next `docker
// stack deploy` mounts that secret wherever the file mounts key: the value
// of its name: (or of the deprecated external.name:) is replaced, keeping
// its quotes, or a name: line is added to the definition (an entry in a
// flow mapping {…}); a file older than version 3.5, where secrets have no
// name:, gets external: {name: …} for external: true. Every other byte is
// kept. env is what Parse was given: the edited file is parsed again and
// must differ from data only in that name. For a file: secret, a versioned
// name is what makes the next deploy create a new secret instead of
// failing to update the old one (docker/cli#667).
func SetSecretName(data []byte, key, name string, env map[string]string) ([]byte, error) {
	return setName(data, "secret", key, name, env)
}

// SetConfigName is SetSecretName for top-level config key.
func SetConfigName(data []byte, key, name string, env map[string]string) ([]byte, error) {
	return setName(data, "config", key, name, env)
}

// verifyStack is the stack name the file is parsed under to check an edit:
// names that depend on the stack do not change with an edit.
const verifyStack = "stack"

func setName(data []byte, kind, key, name string, env map[string]string) ([]byte, error) {
	if !model.ValidSecretName(name) {
		return nil, fmt.Errorf("%s is not a name docker accepts for a %s", quoteKey(name), kind)
	}
	before, err := Parse(verifyStack, "", data, env)
	if err != nil {
		var pe *model.ParseError
		if errors.As(err, &pe) {
			return nil, &EditError{Line: pe.Line, Msg: "the stack file does not load: " + pe.Msg}
		}
		return nil, err
	}
	def := definitionOf(before, kind, key)
	switch {
	case def == nil:
		return nil, &EditError{Msg: fmt.Sprintf("the file defines no %s %s under %ss:", kind, quoteKey(key), kind)}
	case def.Name == name && def.Naming != NamedByStack:
		// (A name the stack gives depends on the stack's name, which the
		// file does not know: it is written out.)
		return data, nil
	case def.NameVariable:
		return nil, &EditError{Line: def.Line, Msg: fmt.Sprintf("the name of %s %s comes from a variable: set the variable to %s instead", kind, quoteKey(key), name)}
	}
	root, err := decode(data)
	if err != nil {
		return nil, err
	}
	at, text, err := nameEdit(data, root, kind, key, name)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(data)+len(text))
	out = append(append(append(out, data[:at.start]...), text...), data[at.end:]...)
	if err := verifyEdit(before, out, kind, key, name, env); err != nil {
		return nil, err
	}
	return out, nil
}

func definitionOf(f *File, kind, key string) *Definition {
	if kind == "config" {
		return f.Config(key)
	}
	return f.Secret(key)
}

// span is a range of bytes of the file.
type span struct{ start, end int }

// nameEdit finds what to write where: the bytes to replace (an empty span
// for an insertion) and the text to put there.
func nameEdit(data []byte, root *yaml.Node, kind, key, name string) (span, string, error) {
	byHand := func(n *yaml.Node, why string) (span, string, error) {
		line := 0
		if n != nil {
			line = n.Line
		}
		return span{}, "", &EditError{Line: line, Msg: fmt.Sprintf("%s %s %s: change its name by hand", kind, quoteKey(key), why)}
	}
	keyNode, _ := get(nodeAt(root, kind+"s"), key)
	section := written(root, kind+"s")
	def := written(section, key)
	if def == nil || def.Kind != yaml.MappingNode {
		return byHand(keyNode, "is defined through a YAML alias or merge key")
	}
	if k, _ := get(def, "name"); k != nil {
		v := written(def, "name")
		if v == nil {
			return byHand(k, "takes its name: through a YAML alias or merge key")
		}
		return replaceScalar(data, v, name, byHand)
	}
	if ext := written(def, "external"); ext != nil && ext.Kind == yaml.MappingNode {
		if v := written(ext, "name"); v != nil {
			return replaceScalar(data, v, name, byHand)
		}
	}
	if hasName(root) {
		return insertName(data, def, name, byHand)
	}
	// Before version 3.5 a secret has no name:, only external: {name: …}.
	if ext := written(def, "external"); ext != nil && ext.Kind == yaml.ScalarNode && ext.ShortTag() == "!!bool" {
		at, _, err := replaceScalar(data, ext, "", byHand)
		return at, "{name: " + plainOrQuoted(name) + "}", err
	}
	return byHand(keyNode, "is created by the stack, and this compose file version has no name: (version 3.5 has)")
}

// written is the value of key written in mapping m itself, not through an
// alias or a merge key (an edit there would change other places), or nil.
func written(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == key && k.ShortTag() == "!!str" {
			if v.Kind == yaml.AliasNode || v.Anchor != "" {
				return nil
			}
			return v
		}
	}
	return nil
}

// hasName reports whether the file's compose version lets a secret or a
// config have a name: (3.5 and later), reading the version as docker does.
func hasName(root *yaml.Node) bool {
	dict := map[string]any{}
	if _, v := get(root, "version"); v != nil {
		var version any
		if deref(v).Decode(&version) == nil {
			dict["version"] = version
		}
	}
	return versions.GreaterThanOrEqualTo(schema.Version(dict), "3.5")
}

type handFn func(n *yaml.Node, why string) (span, string, error)

// replaceScalar is the edit that writes name in place of scalar v, in v's
// quoting style. Only a scalar on one line is replaced: anything else
// (a block scalar, a tag, a plain scalar folded over lines) is left for a
// person.
func replaceScalar(data []byte, v *yaml.Node, name string, byHand handFn) (span, string, error) {
	start, ok := offsetOf(data, v.Line, v.Column)
	if !ok {
		return byHand(v, "has a name this edit cannot place")
	}
	lineEnd := start + lineLen(data[start:])
	var end int
	text := plainOrQuoted(name)
	switch v.Style {
	case 0:
		end = plainEnd(data[start:lineEnd], v)
		if end < 0 {
			return byHand(v, "has a name this edit cannot place")
		}
		end += start
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		end = closingQuote(data[start:lineEnd], v.Style)
		if end < 0 {
			return byHand(v, "has a quoted name over several lines")
		}
		end += start
		q := data[start : start+1]
		text = string(q) + name + string(q)
	case yaml.LiteralStyle, yaml.FoldedStyle:
		return byHand(v, "has a name written as a block scalar")
	default:
		return byHand(v, "has a tagged name")
	}
	if !scalarIs(data[start:end], v) {
		return byHand(v, "has a name this edit cannot place")
	}
	return span{start, end}, text, nil
}

// plainEnd is the length of the plain scalar v at the start of line, or -1.
// It ends before a comment, or, in a flow mapping, before , ] or }; the
// candidate is checked by reading it again.
func plainEnd(line []byte, v *yaml.Node) int {
	raw := line
	if i := bytes.Index(raw, []byte(" #")); i >= 0 {
		raw = raw[:i]
	}
	for _, r := range [][]byte{raw, raw[:flowEnd(raw)]} {
		r = bytes.TrimRight(r, " \t")
		if scalarIs(r, v) {
			return len(r)
		}
	}
	return -1
}

// flowEnd is the offset of the first flow indicator that ends a plain
// scalar in a flow collection, or len(b).
func flowEnd(b []byte) int {
	if i := bytes.IndexAny(b, ",]}"); i >= 0 {
		return i
	}
	return len(b)
}

// scalarIs reports whether raw, read as YAML, is the scalar v: the check
// that the bytes found are the whole scalar and nothing else.
func scalarIs(raw []byte, v *yaml.Node) bool {
	var n yaml.Node
	if yaml.Unmarshal(raw, &n) != nil || len(n.Content) != 1 {
		return false
	}
	c := n.Content[0]
	return c.Kind == yaml.ScalarNode && c.Value == v.Value && c.Style == v.Style
}

// closingQuote is the offset just after the quote that closes the quoted
// scalar at the start of line, or -1.
func closingQuote(line []byte, style yaml.Style) int {
	q := line[0]
	for i := 1; i < len(line); i++ {
		switch {
		case style == yaml.DoubleQuotedStyle && line[i] == '\\':
			i++
		case line[i] == q && style == yaml.SingleQuotedStyle && i+1 < len(line) && line[i+1] == '\'':
			i++
		case line[i] == q:
			return i + 1
		}
	}
	return -1
}

// insertName is the edit that adds name: to definition def: a line above
// its first key at the same indentation, or an entry at the start of a
// flow mapping.
func insertName(data []byte, def *yaml.Node, name string, byHand handFn) (span, string, error) {
	start, ok := offsetOf(data, def.Line, def.Column)
	if !ok {
		return byHand(def, "cannot be edited here")
	}
	entry := "name: " + plainOrQuoted(name)
	if def.Style&yaml.FlowStyle != 0 {
		if data[start] != '{' {
			return byHand(def, "cannot be edited here")
		}
		if len(def.Content) > 0 {
			entry += ", "
		}
		return span{start + 1, start + 1}, entry, nil
	}
	first := def.Content[0]
	keyAt, ok := offsetOf(data, first.Line, first.Column)
	if !ok {
		return byHand(def, "cannot be edited here")
	}
	lineStart := keyAt - (first.Column - 1)
	if lineStart < 0 || strings.Trim(string(data[lineStart:keyAt]), " ") != "" {
		return byHand(def, "cannot be edited here")
	}
	eol := "\n"
	if end := keyAt + lineLen(data[keyAt:]); end > 0 && end < len(data) && data[end-1] == '\r' {
		eol = "\r\n"
	}
	return span{lineStart, lineStart}, string(data[lineStart:keyAt]) + entry + eol, nil
}

// plainOrQuoted writes name as a plain YAML scalar when YAML reads that as
// the same string, else double-quoted (a name such as 1e3 or true).
func plainOrQuoted(name string) string {
	var v any
	if yaml.Unmarshal([]byte(name), &v) == nil && v == name {
		return name
	}
	return `"` + name + `"`
}

// offsetOf is the byte offset of a YAML position: line and column, both
// from 1, the column counted in characters. Only \n (and \r\n) end lines
// here; a file with other line breaks YAML knows (\r alone, U+0085,
// U+2028, U+2029) is not placed. A byte order mark takes no column.
func offsetOf(data []byte, line, column int) (int, bool) {
	if line < 1 || column < 1 || bytes.ContainsAny(data, "\u0085\u2028\u2029") || bytes.Contains(bytes.ReplaceAll(data, []byte("\r\n"), nil), []byte("\r")) {
		return 0, false
	}
	off := 0
	if bytes.HasPrefix(data, []byte("\ufeff")) {
		off = 3 // YAML does not count a byte order mark
	}
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			return 0, false
		}
		off += i + 1
	}
	for c := 1; c < column; c++ {
		if off >= len(data) || data[off] == '\n' {
			return 0, false
		}
		_, n := utf8.DecodeRune(data[off:])
		off += n
	}
	return off, off < len(data)
}

// lineLen is the length of the first line of b, without its \n.
func lineLen(b []byte) int {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return i
	}
	return len(b)
}

// verifyEdit parses the edited file and checks that it is the file before
// with only the definition's name changed (and the references to it).
func verifyEdit(before *File, out []byte, kind, key, name string, env map[string]string) error {
	after, err := Parse(verifyStack, "", out, env)
	if err != nil {
		return fmt.Errorf("the edited stack file does not load (%w): the file was left as it is", err)
	}
	if d := definitionOf(after, kind, key); d == nil || d.Name != name {
		return fmt.Errorf("the edited stack file does not name %s %s %s: the file was left as it is", kind, quoteKey(key), name)
	}
	want := cloneFile(before)
	d := definitionOf(want, kind, key)
	d.Name, d.Naming = name, definitionOf(after, kind, key).Naming
	for i := range want.Services {
		refs := want.Services[i].Secrets
		if kind == "config" {
			refs = want.Services[i].Configs
		}
		for j := range refs {
			if refs[j].Key == key {
				refs[j].Name = name
			}
		}
	}
	got := cloneFile(after)
	clearLines(want)
	clearLines(got)
	if !reflect.DeepEqual(want, got) {
		return fmt.Errorf("the edit of %s %s changed more than its name: the file was left as it is", kind, quoteKey(key))
	}
	return nil
}

func cloneFile(f *File) *File {
	c := *f
	c.Secrets = append([]Definition(nil), f.Secrets...)
	c.Configs = append([]Definition(nil), f.Configs...)
	c.Services = append([]Service(nil), f.Services...)
	for i := range c.Services {
		c.Services[i].Secrets = append([]Ref(nil), c.Services[i].Secrets...)
		c.Services[i].Configs = append([]Ref(nil), c.Services[i].Configs...)
	}
	return &c
}

// clearLines zeroes the lines of f: an inserted line moves those after it.
func clearLines(f *File) {
	for i := range f.Secrets {
		f.Secrets[i].Line = 0
	}
	for i := range f.Configs {
		f.Configs[i].Line = 0
	}
	for i := range f.Services {
		s := &f.Services[i]
		s.Line = 0
		for j := range s.Secrets {
			s.Secrets[j].Line = 0
		}
		for j := range s.Configs {
			s.Configs[j].Line = 0
		}
	}
}
