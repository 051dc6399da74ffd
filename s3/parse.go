package s3

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/hashicorp/go-envparse"
	"go.yaml.in/yaml/v3"

	"github.com/secretdeck/secretdeck/internal/yamlpos"
	"github.com/secretdeck/secretdeck/model"
)

// Bounds on one property file. Anyone who can write the bucket can write a
// property file, so a file is hostile until parsed: past a bound it is
// refused with the bound and the line, never cut short (a partial file would
// silently drop keys from the plan).
const (
	maxEntries  = 10_000 // keys in one file
	maxDepth    = 32     // nested json/yaml objects and arrays
	maxKeyBytes = 1024   // one flattened key (a.b.c)
)

// Parse reads a property file of the given format into entries sorted by
// key. Nested json and yaml objects flatten to dotted keys (a.b.c); arrays
// keep their JSON text as the value. A file must be UTF-8 text; a key cannot
// hold a control character (it would reach the terminal) nor be defined
// twice. A failure is a *model.ParseError whose message is written here from
// a fixed set of words and numbers: it never quotes the file's content nor a
// library's error text, because the input is secret.
func Parse(file string, format model.Format, data []byte) ([]model.Entry, *model.ParseError) {
	c := &collector{first: map[string]int{}}
	err := checkUTF8(data)
	if err == nil {
		switch format {
		case model.FormatJSON:
			err = parseJSON(data, c)
		case model.FormatYAML:
			err = parseYAML(data, c)
		case model.FormatProperties:
			err = parseProperties(data, c)
		case model.FormatEnv:
			err = parseEnv(data, c)
		default:
			err = &lineError{msg: fmt.Sprintf("unknown format %q", format)}
		}
	}
	if err != nil {
		var le *lineError
		if errors.As(err, &le) {
			// Decoders place an error at end of input one line past it.
			line := min(le.line, bytes.Count(data, []byte("\n"))+1)
			return nil, &model.ParseError{File: file, Line: line, Msg: le.msg}
		}
		return nil, &model.ParseError{File: file, Msg: "unparsable file"}
	}
	slices.SortFunc(c.entries, func(a, b model.Entry) int { return strings.Compare(a.Key, b.Key) })
	return c.entries, nil
}

// lineError is a parse failure at a line (0 when unknown) with a message
// written by this package, safe to show.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return e.msg }

// collector gathers a file's entries in file order and holds the rules every
// format shares, so each parser only reports what it read and where.
type collector struct {
	entries []model.Entry
	first   map[string]int // key → the line that first defined it
}

func (c *collector) add(key string, v model.Value, line int) error {
	if len(c.entries) >= maxEntries {
		return &lineError{line: line, msg: fmt.Sprintf("more than %d keys in one file", maxEntries)}
	}
	if err := checkKey(key, line); err != nil {
		return err
	}
	// The message names lines, not the key: a misplaced value can land in
	// the key position, and an error must never print a value.
	if prev, ok := c.first[key]; ok {
		return &lineError{line: line, msg: fmt.Sprintf("a key is defined twice (first on line %d)", prev)}
	}
	c.first[key] = line
	c.entries = append(c.entries, model.Entry{Key: key, Value: v, Line: line})
	return nil
}

// checkKey refuses a key (or a prefix of one) that is too long or holds a
// control character: keys are shown to people, and an ESC in a key is a
// terminal escape sequence.
func checkKey(key string, line int) error {
	if len(key) > maxKeyBytes {
		return &lineError{line: line, msg: fmt.Sprintf("a key longer than %d bytes", maxKeyBytes)}
	}
	if strings.ContainsFunc(key, unicode.IsControl) {
		return &lineError{line: line, msg: "a key contains a control character"}
	}
	return nil
}

// checkUTF8 refuses a file that is not UTF-8: decoders would otherwise turn
// the bad bytes into U+FFFD and change a value without a word.
func checkUTF8(data []byte) error {
	if utf8.Valid(data) {
		return nil
	}
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return &lineError{line: yamlpos.LineAt(data, i), msg: "the file is not valid UTF-8 text"}
		}
		i += n
	}
	return nil
}

// lineAt is the 1-based line of byte offset off in data.

// lineIndex turns offsets into lines in one pass over the file when the
// offsets only grow, as they do for a streaming decoder.
type lineIndex struct {
	data []byte
	off  int
	line int
}

func (l *lineIndex) at(off int64) int {
	o := min(max(int(off), 0), len(l.data))
	if o < l.off || l.line == 0 {
		l.off, l.line = 0, 1
	}
	l.line += bytes.Count(l.data[l.off:o], []byte("\n"))
	l.off = o
	return l.line
}

// parseJSON streams the tokens of one object, keeping a stack of key
// prefixes: each byte is decoded once whatever the nesting.
func parseJSON(data []byte, c *collector) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	lines := &lineIndex{data: data}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return jsonError(data, lines, dec, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return &lineError{line: lines.at(dec.InputOffset()), msg: "a JSON property file must be an object"}
	}
	prefixes := []string{""} // one per open object
	for len(prefixes) > 0 {
		if !dec.More() {
			if _, err := dec.Token(); err != nil { // the closing brace
				return jsonError(data, lines, dec, err)
			}
			prefixes = prefixes[:len(prefixes)-1]
			continue
		}
		before := dec.InputOffset()
		kt, err := dec.Token()
		if err != nil {
			return jsonError(data, lines, dec, err)
		}
		name, _ := kt.(string)
		line := lines.at(dec.InputOffset())
		if jsonReplaced(data[before:dec.InputOffset()], name) {
			return &lineError{line: line, msg: "a JSON key holds an invalid \\u escape"}
		}
		key := prefixes[len(prefixes)-1] + name
		if jsonNext(data, dec.InputOffset()) == '{' {
			if len(prefixes) >= maxDepth {
				return &lineError{line: line, msg: fmt.Sprintf("objects nested more than %d deep", maxDepth)}
			}
			if err := checkKey(key, line); err != nil {
				return err
			}
			if _, err := dec.Token(); err != nil {
				return jsonError(data, lines, dec, err)
			}
			prefixes = append(prefixes, key+".")
			continue
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return jsonError(data, lines, dec, err)
		}
		if len(prefixes)+jsonDepth(raw) > maxDepth {
			return &lineError{line: line, msg: fmt.Sprintf("objects nested more than %d deep", maxDepth)}
		}
		v, ok := jsonLeaf(raw)
		if !ok {
			return &lineError{line: line, msg: "a JSON string holds an invalid \\u escape"}
		}
		if err := c.add(key, v, line); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &lineError{line: lines.at(dec.InputOffset()), msg: "unexpected content after the JSON object"}
	}
	return nil
}

// jsonNext is the first byte at or after off that is not whitespace or the
// colon after a key: the start of the next value.
func jsonNext(data []byte, off int64) byte {
	for ; off < int64(len(data)); off++ {
		if strings.IndexByte(" \t\r\n:", data[off]) < 0 {
			return data[off]
		}
	}
	return 0
}

// jsonDepth is how deeply the arrays and objects of one JSON value nest.
func jsonDepth(raw []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(raw); i++ {
		switch b := raw[i]; {
		case inString && b == '\\':
			i++
		case b == '"':
			inString = !inString
		case inString:
		case b == '[' || b == '{':
			depth++
			deepest = max(deepest, depth)
		case b == ']' || b == '}':
			depth--
		}
	}
	return deepest
}

// jsonLeaf is a scalar's text (a string unquoted, a number or bool as
// written, null as empty) or an array's JSON text. It is false when decoding
// the string would replace a lone surrogate escape with U+FFFD.
func jsonLeaf(raw []byte) (model.Value, bool) {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return model.NewValueString(s), !jsonReplaced(raw, s)
		}
	}
	if string(raw) == "null" {
		return model.Value{}, true
	}
	return model.NewValue(raw), true
}

// jsonReplaced reports whether s, decoded from the JSON text raw, holds more
// U+FFFD than raw wrote (as itself or as \ufffd): encoding/json silently
// turns a lone surrogate escape (\ud800) into U+FFFD.
func jsonReplaced(raw []byte, s string) bool {
	written := bytes.Count(raw, []byte("\uFFFD"))
	for i := 0; i+1 < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if raw[i+1] == 'u' && i+6 <= len(raw) && strings.EqualFold(string(raw[i+2:i+6]), "fffd") {
			written++
		}
		i++ // skip the escaped character, so \\ufffd is not an escape
	}
	return strings.Count(s, "\uFFFD") != written
}

// jsonError locates a decoding error. A json.Decoder's SyntaxError offset is
// not an offset in the input, so the error is placed at the first byte after
// what the decoder consumed that is not whitespace or a separator.
func jsonError(data []byte, lines *lineIndex, dec *json.Decoder, err error) error {
	off := dec.InputOffset()
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n:,", data[off]) >= 0 {
		off++
	}
	line := lines.at(off)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &lineError{line: line, msg: "invalid JSON syntax"}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &lineError{line: lines.at(int64(len(data))), msg: "unexpected end of JSON"}
	}
	return &lineError{line: line, msg: "invalid JSON"}
}

// parseYAML reads one YAML document. Aliases (*name) and merge keys (<<) are
// refused rather than expanded: an alias to its own ancestor is a cycle, and
// nested aliases grow exponentially ("billion laughs"); a property file has
// no need for either, and refusing is simpler to trust than an expansion
// budget. Anchors alone (&name) are harmless and allowed.
func parseYAML(data []byte, c *collector) error {
	if off := yamlpos.Control(data); off >= 0 {
		return &lineError{line: yamlpos.LineAt(data, off), msg: "a control character YAML does not allow"}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil // an empty file
		}
		return yamlSyntaxError(data, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		if err != nil {
			return yamlSyntaxError(data, err)
		}
		return &lineError{line: max(extra.Line, 1), msg: "more than one YAML document in the file"}
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.AliasNode {
		return yamlRefused(root)
	}
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil // a document with no content: "---" or comments
	}
	if root.Kind != yaml.MappingNode {
		return &lineError{line: root.Line, msg: "a YAML property file must be a mapping of keys to values"}
	}
	return walkYAML(c, root, "", 1)
}

func walkYAML(c *collector, n *yaml.Node, prefix string, depth int) error {
	if depth > maxDepth {
		return &lineError{line: n.Line, msg: fmt.Sprintf("objects nested more than %d deep", maxDepth)}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if err := yamlRefused(k); err != nil {
			return err
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!binary" {
			return &lineError{line: k.Line, msg: "a YAML key must be a plain scalar"}
		}
		key := prefix + k.Value
		switch v.Kind {
		case yaml.MappingNode:
			if err := checkKey(key, k.Line); err != nil {
				return err
			}
			if err := walkYAML(c, v, key+".", depth+1); err != nil {
				return err
			}
		case yaml.SequenceNode:
			b, err := yamlSequence(v, depth+1)
			if err != nil {
				return err
			}
			if err := c.add(key, model.NewValue(b), k.Line); err != nil {
				return err
			}
		case yaml.ScalarNode:
			val, err := yamlScalar(v)
			if err != nil {
				return err
			}
			if err := c.add(key, val, k.Line); err != nil {
				return err
			}
		default:
			return yamlRefused(v)
		}
	}
	return nil
}

// yamlRefused is the error for a node this reader refuses (an alias or a
// merge key), or nil.
func yamlRefused(n *yaml.Node) error {
	switch {
	case n.Kind == yaml.AliasNode:
		return &lineError{line: n.Line, msg: "YAML aliases (*name) are not supported"}
	case n.ShortTag() == "!!merge":
		return &lineError{line: n.Line, msg: "YAML merge keys (<<) are not supported"}
	case n.Kind == yaml.ScalarNode || n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode:
		return nil
	}
	return &lineError{line: n.Line, msg: "an unexpected YAML node"}
}

// yamlScalar is a scalar's text, empty for null, the decoded bytes of a
// !!binary value.
func yamlScalar(v *yaml.Node) (model.Value, error) {
	switch v.ShortTag() {
	case "!!null":
		return model.Value{}, nil
	case "!!binary":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(v.Value), ""))
		if err != nil {
			return model.Value{}, &lineError{line: v.Line, msg: "a !!binary value that is not base64"}
		}
		return model.NewValue(b), nil
	}
	return model.NewValueString(v.Value), nil
}

// yamlSequence is a sequence's JSON text. The tree is checked first, so the
// decoder never expands an alias nor goes deeper than the bound.
func yamlSequence(v *yaml.Node, depth int) ([]byte, error) {
	var check func(n *yaml.Node, depth int) error
	check = func(n *yaml.Node, depth int) error {
		if depth > maxDepth {
			return &lineError{line: n.Line, msg: fmt.Sprintf("objects nested more than %d deep", maxDepth)}
		}
		if err := yamlRefused(n); err != nil {
			return err
		}
		if n.ShortTag() == "!!binary" {
			return &lineError{line: n.Line, msg: "a !!binary value inside a YAML sequence is not supported"}
		}
		for _, child := range n.Content {
			if err := check(child, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	for _, child := range v.Content {
		if err := check(child, depth); err != nil {
			return nil, err
		}
	}
	var items any
	if err := v.Decode(&items); err != nil {
		return nil, &lineError{line: v.Line, msg: "invalid YAML sequence"}
	}
	b, err := json.Marshal(items)
	if err != nil {
		return nil, &lineError{line: v.Line, msg: "a YAML sequence that cannot be written as JSON"}
	}
	return b, nil
}

// yamlSyntaxError keeps only the line of a YAML error: its text can quote
// the input. The YAML library leaves the line out when it is the first, and
// for an alias to an anchor not yet defined, which is found here instead.
func yamlSyntaxError(data []byte, err error) error {
	line, anchor := yamlpos.ErrorLine(data, err)
	if anchor {
		return &lineError{line: line, msg: "YAML aliases (*name) are not supported"}
	}
	return &lineError{line: line, msg: "invalid YAML syntax"}
}

// parseProperties reads the Java .properties format the way the
// magiconair/properties library did, in one pass of its own: the library
// has no line numbers, keeps the last of two definitions, quotes the input
// in its errors, and leaves a goroutine blocked forever (holding the text)
// on a line with a value but no key. Unlike the library it joins a \u
// surrogate pair into one character and refuses a lone surrogate instead
// of writing U+FFFD.
func parseProperties(data []byte, c *collector) error {
	s := string(data)
	line := 1
	for i := 0; i < len(s); {
		switch s[i] {
		case '\n':
			line++
			i++
			continue
		case ' ', '\t', '\f', '\r':
			i++
			continue
		case '#', '!': // a comment runs to the end of its line, backslash or not
			for i < len(s) && s[i] != '\n' && s[i] != '\r' {
				i++
			}
			continue
		}
		start := line
		var key, value strings.Builder
		var err error
		// The key runs to whitespace, ':' or '=', or the end of the line.
		for i < len(s) && strings.IndexByte(" \f\t\r\n:=", s[i]) < 0 {
			if s[i] != '\\' {
				key.WriteByte(s[i])
				i++
				continue
			}
			if i, err = propertiesEscape(s, i+1, &key, &line); err != nil {
				return &lineError{line: line, msg: err.Error()}
			}
		}
		if key.Len() == 0 {
			return &lineError{line: start, msg: "a value with no key"}
		}
		i = skipBlanks(s, i)
		if i < len(s) && (s[i] == ':' || s[i] == '=') {
			i++
		}
		i = skipBlanks(s, i)
		// The value runs to the end of the line; a backslash there continues
		// it on the next, without that line's leading whitespace.
		for i < len(s) && s[i] != '\n' && s[i] != '\r' {
			if s[i] != '\\' {
				value.WriteByte(s[i])
				i++
				continue
			}
			if i+1 < len(s) && (s[i+1] == '\n' || s[i+1] == '\r') {
				if s[i+1] == '\n' {
					line++
				}
				i = skipBlanks(s, i+2)
				continue
			}
			if i, err = propertiesEscape(s, i+1, &value, &line); err != nil {
				return &lineError{line: line, msg: err.Error()}
			}
		}
		if err := c.add(key.String(), model.NewValueString(value.String()), start); err != nil {
			return err
		}
	}
	return nil
}

// skipBlanks is the index of the first byte at or after i that is not a
// space, tab or form feed.
func skipBlanks(s string, i int) int {
	for i < len(s) && strings.IndexByte(" \f\t", s[i]) >= 0 {
		i++
	}
	return i
}

// propertiesEscape writes the character escaped at s[i] (after a
// backslash) to b and returns the index after it. An unknown escape is the
// character itself, as in Java.
func propertiesEscape(s string, i int, b *strings.Builder, line *int) (int, error) {
	if i >= len(s) {
		return i, errors.New("a backslash at the end of the file")
	}
	if j := strings.IndexByte("fnrt", s[i]); j >= 0 {
		b.WriteByte("\f\n\r\t"[j])
		return i + 1, nil
	}
	if s[i] != 'u' {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == '\n' {
			*line++
		}
		b.WriteRune(r)
		return i + n, nil
	}
	r, ok := propertiesHex(s, i+1)
	i += 5
	if ok && utf16.IsSurrogate(r) {
		var low rune
		if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
			low, ok = propertiesHex(s, i+2)
			i += 6
		} else {
			ok = false
		}
		if r = utf16.DecodeRune(r, low); r == utf8.RuneError {
			ok = false
		}
	}
	if !ok {
		return i, errors.New(`an invalid \u escape`)
	}
	b.WriteRune(r)
	return i, nil
}

// propertiesHex is the rune written by the four hex digits at s[i:].
func propertiesHex(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	v, err := strconv.ParseUint(s[i:i+4], 16, 16)
	return rune(v), err == nil
}

// parseEnv hands the env library one line at a time (env values do not span
// lines): the library returns a map, which loses the line of each key and
// the first of two definitions, and its errors quote the input, so only
// their line is kept.
func parseEnv(data []byte, c *collector) error {
	for line, rest := 1, data; len(rest) > 0; line++ {
		var l []byte
		l, rest, _ = bytes.Cut(rest, []byte("\n"))
		if t := bytes.TrimSpace(l); len(t) == 0 || t[0] == '#' {
			continue
		}
		m, err := envparse.Parse(bytes.NewReader(l))
		if err != nil {
			var pe *envparse.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, bufio.ErrTooLong) {
				return &lineError{line: line, msg: fmt.Sprintf("a line longer than %d bytes", bufio.MaxScanTokenSize)}
			}
			return &lineError{line: line, msg: "invalid env syntax"}
		}
		for k, v := range m {
			if err := c.add(k, model.NewValueString(v), line); err != nil {
				return err
			}
		}
	}
	return nil
}
