package stack

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/secretdeck/secretdeck/internal/yamlpos"
)

// Bounds on one stack file. Whoever can write the source can write a stack
// file, so a file is hostile until it has passed these checks; only then is
// it handed to docker's compose loader, which expands aliases and port
// ranges with no budget of its own.
const (
	// MaxFileSize is the largest stack file read (1 MiB); stack files are
	// a few kilobytes.
	MaxFileSize = 1 << 20
	// maxDepth bounds nesting, aliases expanded: compose needs about 8.
	maxDepth = 64
	// maxNodes bounds the YAML nodes of a file with every alias (and
	// merge key) expanded, as the loader will hold them: a 1 MiB file
	// written out has far fewer, a "billion laughs" has far more.
	maxNodes = 100_000
	// maxScalarBytes bounds the text of those nodes: an alias to a long
	// string repeated many times.
	maxScalarBytes = 16 << 20
	// maxKeys bounds the keys of one mapping: YAML's decoder looks for
	// a duplicate key by comparing every pair (100,000 keys took minutes).
	maxKeys = 1_000
)

// fail is a problem with the file at a line (0 when unknown), in a message
// written here from fixed words, key names and numbers: never a value.
type fail struct {
	line int
	msg  string
}

func (e *fail) Error() string { return e.msg }

func failf(line int, format string, args ...any) *fail {
	return &fail{line: line, msg: fmt.Sprintf(format, args...)}
}

// decode checks the bytes and the YAML tree of a stack file and returns the
// root mapping of its first document (docker reads only the first).
func decode(data []byte) (*yaml.Node, error) {
	if len(data) > MaxFileSize {
		return nil, failf(0, "stack file too large (%d bytes; the limit is %d)", len(data), MaxFileSize)
	}
	if !utf8.Valid(data) {
		return nil, failf(yamlpos.LineAt(data, invalidUTF8(data)), "the file is not valid UTF-8 text")
	}
	if off := yamlpos.Control(data); off >= 0 {
		return nil, failf(yamlpos.LineAt(data, off), "a control character YAML does not allow")
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, failf(0, "the stack file is empty")
		}
		return nil, yamlSyntaxError(data, err)
	}
	if len(doc.Content) == 0 {
		return nil, failf(0, "the stack file is empty")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, failf(root.Line, "a stack file must be a mapping (services:, secrets:, …)")
	}
	if err := (&budget{seen: map[*yaml.Node]*weight{}}).check(root); err != nil {
		return nil, err
	}
	return root, nil
}

// weight is the size of a node's subtree with its aliases expanded.
type weight struct {
	nodes, bytes, depth int
	done                bool // false while the node is being walked: an alias to it is a cycle
}

// budget measures a tree as the loader will expand it, each node once: an
// alias costs what its anchor costs, so nested aliases are refused before
// they are expanded rather than after.
type budget struct {
	seen map[*yaml.Node]*weight
}

func (b *budget) check(root *yaml.Node) error {
	w, err := b.weigh(root, 1)
	if err != nil {
		return err
	}
	return b.within(root, w)
}

func (b *budget) within(n *yaml.Node, w *weight) error {
	switch {
	case w.depth > maxDepth:
		return failf(n.Line, "YAML nested more than %d deep (aliases expanded)", maxDepth)
	case w.nodes > maxNodes:
		return failf(n.Line, "more than %d YAML nodes once aliases are expanded", maxNodes)
	case w.bytes > maxScalarBytes:
		return failf(n.Line, "more than %d bytes of text once aliases are expanded", maxScalarBytes)
	}
	return nil
}

func (b *budget) weigh(n *yaml.Node, depth int) (*weight, error) {
	if depth > maxDepth {
		return nil, failf(n.Line, "YAML nested more than %d deep (aliases expanded)", maxDepth)
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nil, failf(n.Line, "an alias to an unknown anchor")
		}
		return b.weigh(n.Alias, depth)
	}
	if w, ok := b.seen[n]; ok {
		if !w.done {
			return nil, failf(n.Line, "an alias inside its own anchor")
		}
		return w, nil
	}
	w := &weight{nodes: 1, bytes: len(n.Value)}
	b.seen[n] = w
	if n.Kind == yaml.MappingNode {
		if err := checkKeys(n); err != nil {
			return nil, err
		}
	}
	for _, c := range n.Content {
		cw, err := b.weigh(c, depth+1)
		if err != nil {
			return nil, err
		}
		// Sums saturate at the bound, so a wide tree of aliases cannot
		// overflow them.
		w.nodes = min(w.nodes+cw.nodes, maxNodes+1)
		w.bytes = min(w.bytes+cw.bytes, maxScalarBytes+1)
		w.depth = max(w.depth, cw.depth)
		if err := b.within(n, w); err != nil {
			return nil, err
		}
	}
	w.depth++
	w.done = true
	return w, nil
}

// checkKeys refuses the keys of a mapping that compose cannot have: too
// many, a key
// that is not a string (the loader fails on it deep inside, or quietly turns
// it into other text) and a key written twice (the loader's message quotes
// the file).
func checkKeys(m *yaml.Node) error {
	if len(m.Content)/2 > maxKeys {
		return failf(m.Line, "more than %d keys in one mapping", maxKeys)
	}
	first := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			continue
		}
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			return failf(m.Content[i].Line, "a YAML key that is not a string")
		}
		if line, ok := first[k.Value]; ok {
			return failf(m.Content[i].Line, "%s is defined twice (first on line %d)", quoteKey(k.Value), line)
		}
		first[k.Value] = m.Content[i].Line
	}
	return nil
}

// quoteKey quotes a key name for an error: escaped so that it cannot act on
// a terminal, and cut short.
func quoteKey(k string) string {
	const most = 64
	if len(k) > most {
		cut := most
		for cut > 0 && !utf8.RuneStart(k[cut]) {
			cut--
		}
		k = k[:cut] + "…"
	}
	return strconv.Quote(k)
}

// invalidUTF8 is the offset of the first byte that is not UTF-8, or 0.
func invalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return 0
}

// yamlSyntaxError keeps only the line of a YAML error: its text can quote
// the input. YAML leaves the line out for the first line, and for an alias
// to an anchor not (yet) defined, which is found here instead.
func yamlSyntaxError(data []byte, err error) error {
	line, anchor := yamlpos.ErrorLine(data, err)
	if anchor {
		return failf(line, "an alias to an unknown anchor")
	}
	return failf(line, "invalid YAML syntax")
}
