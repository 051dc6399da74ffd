package s3

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/go-envparse"
	"github.com/magiconair/properties"
	"go.yaml.in/yaml/v3"

	"github.com/secretdeck/secretdeck/model"
)

// Parse reads a property file of the given format into entries sorted by
// key. Nested json and yaml objects flatten to dotted keys (a.b.c); arrays
// keep their JSON text as the value. A failure is a *model.ParseError whose
// message never quotes the file's content: parsers put snippets of the input
// in their errors, and the input is secret.
func Parse(file string, format model.Format, data []byte) ([]model.Entry, *model.ParseError) {
	var (
		entries []model.Entry
		err     error
	)
	switch format {
	case model.FormatJSON:
		entries, err = parseJSON(data)
	case model.FormatYAML:
		entries, err = parseYAML(data)
	case model.FormatProperties:
		entries, err = parseProperties(data)
	case model.FormatEnv:
		entries, err = parseEnv(data)
	default:
		err = fmt.Errorf("unknown format %q", format)
	}
	if err != nil {
		return nil, toParseError(file, err)
	}
	slices.SortFunc(entries, func(a, b model.Entry) int { return strings.Compare(a.Key, b.Key) })
	for i := 1; i < len(entries); i++ {
		if entries[i].Key == entries[i-1].Key {
			return nil, &model.ParseError{File: file, Line: entries[i].Line, Msg: fmt.Sprintf("key %q is defined twice", entries[i].Key)}
		}
	}
	return entries, nil
}

// lineError is a parse failure at a known line with a message safe to show.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return e.msg }

var (
	quoted   = regexp.MustCompile("`[^`]*`|'[^']*'|\"[^\"]*\"")
	lineInfo = regexp.MustCompile(`(?i)line ([0-9]+)`)
	// grammarToken is a single punctuation character in quotes.
	grammarToken = regexp.MustCompile(`^'[^A-Za-z0-9\s]'$`)
)

// toParseError keeps the line and the kind of failure, and drops anything a
// library quoted from the input.
func toParseError(file string, err error) *model.ParseError {
	var le *lineError
	if errors.As(err, &le) {
		return &model.ParseError{File: file, Line: le.line, Msg: le.msg}
	}
	msg := err.Error()
	pe := &model.ParseError{File: file}
	if m := lineInfo.FindStringSubmatch(msg); m != nil {
		pe.Line, _ = strconv.Atoi(m[1])
	}
	msg = quoted.ReplaceAllStringFunc(msg, func(q string) string {
		if grammarToken.MatchString(q) {
			return q // a parser's own token (',' or '}'), not input
		}
		return "…"
	})
	msg = lineInfo.ReplaceAllString(msg, "")
	for _, prefix := range []string{"yaml:", "properties:", "error on", "error reading:"} {
		msg = strings.TrimPrefix(strings.TrimSpace(msg), prefix)
	}
	pe.Msg = "syntax error: " + strings.Trim(strings.TrimSpace(msg), ":; ")
	return pe
}

// lineAt is the 1-based line of byte offset off in data.
func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte("\n")) + 1
}

func parseJSON(data []byte) ([]model.Entry, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	var entries []model.Entry
	// walk streams the object that dec is positioned in (its '{' consumed);
	// base is the offset of dec's input in data, for line numbers.
	var walk func(dec *json.Decoder, base int64, prefix string) error
	walk = func(dec *json.Decoder, base int64, prefix string) error {
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return jsonError(data, base, dec, err)
			}
			key := prefix + kt.(string)
			line := lineAt(data, base+dec.InputOffset())
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return jsonError(data, base, dec, err)
			}
			if raw[0] != '{' {
				entries = append(entries, model.Entry{Key: key, Value: jsonLeaf(raw), Line: line})
				continue
			}
			start := base + dec.InputOffset() - int64(len(raw))
			sub := json.NewDecoder(bytes.NewReader(raw))
			sub.UseNumber()
			if _, err := sub.Token(); err != nil {
				return jsonError(data, start, sub, err)
			}
			if err := walk(sub, start, key+"."); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // the closing brace
			return jsonError(data, base, dec, err)
		}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonError(data, 0, dec, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, &lineError{line: lineAt(data, dec.InputOffset()), msg: "a JSON property file must be an object"}
	}
	if err := walk(dec, 0, ""); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &lineError{line: lineAt(data, dec.InputOffset()), msg: "unexpected content after the JSON object"}
	}
	return entries, nil
}

// jsonLeaf is a scalar's text (a string unquoted, a number or bool as
// written, null as empty) or an array's JSON text.
func jsonLeaf(raw []byte) model.Value {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return model.NewValueString(s)
		}
	}
	if string(raw) == "null" {
		return model.Value{}
	}
	return model.NewValue(raw)
}

// jsonError locates a decoding error. A json.Decoder's SyntaxError offset is
// not an offset in the input, so the error is placed at the first byte after
// what the decoder consumed that is not whitespace or a separator.
func jsonError(data []byte, base int64, dec *json.Decoder, err error) error {
	off := base + dec.InputOffset()
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n:,", data[off]) >= 0 {
		off++
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &lineError{line: lineAt(data, off), msg: "invalid JSON syntax"}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &lineError{line: lineAt(data, int64(len(data))), msg: "unexpected end of JSON"}
	}
	return &lineError{msg: "invalid JSON"}
}

func parseYAML(data []byte) ([]model.Entry, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, nil // an empty file
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &lineError{line: root.Line, msg: "a YAML property file must be a mapping of keys to values"}
	}
	var out []model.Entry
	var walk func(n *yaml.Node, prefix string) error
	walk = func(n *yaml.Node, prefix string) error {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := prefix + k.Value
			if v.Kind == yaml.AliasNode {
				v = v.Alias
			}
			switch v.Kind {
			case yaml.MappingNode:
				if err := walk(v, key+"."); err != nil {
					return err
				}
			case yaml.SequenceNode:
				var items any
				if err := v.Decode(&items); err != nil {
					return &lineError{line: v.Line, msg: "invalid YAML sequence"}
				}
				b, err := json.Marshal(items)
				if err != nil {
					return &lineError{line: v.Line, msg: "a YAML sequence that cannot be written as JSON"}
				}
				out = append(out, model.Entry{Key: key, Value: model.NewValue(b), Line: k.Line})
			default:
				val := v.Value
				if v.Tag == "!!null" {
					val = ""
				}
				out = append(out, model.Entry{Key: key, Value: model.NewValueString(val), Line: k.Line})
			}
		}
		return nil
	}
	return out, walk(root, "")
}

func parseProperties(data []byte) (entries []model.Entry, err error) {
	// The library panics on some inputs in its parser; its message can quote
	// the input, so turn it into a sanitized error.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	l := &properties.Loader{Encoding: properties.UTF8, DisableExpansion: true}
	p, err := l.LoadBytes(data)
	if err != nil {
		return nil, err
	}
	for _, k := range p.Keys() {
		v, _ := p.Get(k)
		entries = append(entries, model.Entry{Key: k, Value: model.NewValueString(v)})
	}
	return entries, nil
}

func parseEnv(data []byte) ([]model.Entry, error) {
	m, err := envparse.Parse(bytes.NewReader(data))
	if err != nil {
		var pe *envparse.ParseError
		if errors.As(err, &pe) {
			return nil, &lineError{line: pe.Line, msg: "invalid env syntax"}
		}
		return nil, &lineError{msg: "invalid env file"}
	}
	entries := make([]model.Entry, 0, len(m))
	for k, v := range m {
		entries = append(entries, model.Entry{Key: k, Value: model.NewValueString(v), Line: envLine(data, k)})
	}
	return entries, nil
}

// envLine finds the line that defines key, for the operator's benefit.
func envLine(data []byte, key string) int {
	for i, line := range strings.Split(string(data), "\n") {
		l := strings.TrimPrefix(strings.TrimSpace(line), "export ")
		if strings.HasPrefix(strings.TrimSpace(l), key+"=") {
			return i + 1
		}
	}
	return 0
}
