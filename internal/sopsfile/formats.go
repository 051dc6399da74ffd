package sopsfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"gopkg.in/ini.v1"
)

// maxDepth bounds the nesting of a json or yaml file: the walk recurses.
const maxDepth = 100

var errFile = errors.New("not as SOPS writes it")

// topMetadata takes the `sops` entries out of the branches of a json or
// yaml file and returns the first document's, which must be a mapping.
func topMetadata(branches []branch) (map[string]any, error) {
	var md map[string]any
	for bi, b := range branches {
		kept := b[:0]
		for _, it := range b {
			if k, ok := it.key.(string); !ok || k != "sops" {
				kept = append(kept, it)
				continue
			}
			if bi > 0 {
				continue
			}
			if md != nil {
				return nil, errFile // two sops entries
			}
			m, ok := it.value.(branch)
			if !ok {
				return nil, errFile
			}
			md = plainTree(m).(map[string]any)
		}
		branches[bi] = kept
	}
	return md, nil
}

// loadJSON reads a json file as SOPS does: one object, its members in
// order, integers as int and other numbers as float64.
func loadJSON(data []byte) ([]branch, map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, nil, errFile
	}
	b, err := jsonObject(dec, 1)
	if err != nil {
		return nil, nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, errFile // content after the object
	}
	branches := []branch{b}
	md, err := topMetadata(branches)
	return branches, md, err
}

func jsonObject(dec *json.Decoder, depth int) (branch, error) {
	b := branch{}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, errFile
		}
		if tok == json.Delim('}') {
			return b, nil
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errFile
		}
		v, err := jsonValue(dec, depth)
		if err != nil {
			return nil, err
		}
		b = append(b, item{key: key, value: v})
	}
}

// jsonValue reads the value after a key or in an array; an array's end
// is returned as the delimiter itself.
func jsonValue(dec *json.Decoder, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, errFile
	}
	switch tok {
	case json.Delim('{'), json.Delim('['):
		if depth >= maxDepth {
			return nil, errFile
		}
		if tok == json.Delim('{') {
			return jsonObject(dec, depth+1)
		}
		l := []any{}
		for {
			v, err := jsonValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			if v == json.Delim(']') {
				return l, nil
			}
			l = append(l, v)
		}
	case json.Delim(']'):
		return tok, nil
	}
	if n, ok := tok.(json.Number); ok {
		if i, err := n.Int64(); err == nil && int64(int(i)) == i {
			return int(i), nil
		}
		f, err := n.Float64()
		if err != nil {
			return nil, errFile
		}
		return f, nil
	}
	return tok, nil // string, bool or nil
}

// emitJSON writes the plain file as SOPS's decrypt does: members in
// order, tab-indented, comments dropped.
func emitJSON(branches []branch) ([]byte, error) {
	if len(branches) != 1 {
		return nil, errFile
	}
	var b bytes.Buffer
	if err := jsonWrite(&b, branches[0]); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "\t"); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

func jsonWrite(b *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case branch:
		b.WriteByte('{')
		first := true
		for _, it := range v {
			key, ok := it.key.(string)
			if !ok {
				continue // a comment
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			k, _ := json.Marshal(key)
			b.Write(k)
			b.WriteString(": ")
			if err := jsonWrite(b, it.value); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		first := true
		for _, x := range v {
			if _, ok := x.(comment); ok {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			if err := jsonWrite(b, x); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case comment:
		return errFile
	default:
		out, err := json.Marshal(v)
		if err != nil {
			return err
		}
		b.Write(out)
	}
	return nil
}

// loadYAML reads every document of a yaml file as SOPS does, its comments
// kept as items of the tree. Aliases are refused: they can expand a small
// file into a huge tree, and a property file has no use for them.
func loadYAML(data []byte) ([]branch, map[string]any, error) {
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if err == io.EOF {
			break
		}
		if err != nil || !yamlPlain(&doc, 0) {
			return nil, nil, errFile
		}
		docs = append(docs, &doc)
	}
	if len(docs) > 0 {
		// SOPS refuses what does not decode as a mapping (a list, a key
		// defined twice), checked on the first document.
		if yaml.NewDecoder(bytes.NewReader(data)).Decode(map[string]any{}) != nil {
			return nil, nil, errFile
		}
	}
	var branches []branch
	for _, doc := range docs {
		b, err := yamlBranch(doc, branch{}, false)
		if err != nil {
			return nil, nil, err
		}
		branches = append(branches, b)
	}
	md, err := topMetadata(branches)
	return branches, md, err
}

// yamlPlain: no alias anywhere, and no deeper than maxDepth.
func yamlPlain(n *yaml.Node, depth int) bool {
	if n.Kind == yaml.AliasNode || depth > maxDepth {
		return false
	}
	for _, c := range n.Content {
		if !yamlPlain(c, depth+1) {
			return false
		}
	}
	return true
}

// yamlComments appends the lines of a yaml comment ("# a\n# b") to a
// branch or a list, without their '#'.
func yamlComments(text string, inline bool, add func(comment)) {
	for line := range strings.SplitSeq(text, "\n") {
		if line != "" {
			add(comment{text: line[1:], inline: inline})
		}
	}
}

// yamlBranch appends a document's or a mapping's items to b; done says
// the node's own comments were taken by its parent.
func yamlBranch(n *yaml.Node, b branch, done bool) (branch, error) {
	add := func(c comment) { b = append(b, item{key: c}) }
	if !done {
		yamlComments(n.HeadComment, false, add)
		yamlComments(n.LineComment, false, add)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			var err error
			if b, err = yamlBranch(c, b, false); err != nil {
				return nil, err
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			yamlComments(k.HeadComment, false, add)
			yamlComments(k.LineComment, false, add)
			scalar := v.Kind == yaml.ScalarNode
			if scalar {
				yamlComments(v.HeadComment, false, add)
				yamlComments(v.LineComment, true, add)
			}
			var key any
			if err := k.Decode(&key); err != nil {
				return nil, errFile
			}
			val, err := yamlValue(v, scalar)
			if err != nil {
				return nil, err
			}
			b = append(b, item{key: key, value: val})
			if scalar {
				yamlComments(v.FootComment, false, add)
			}
			yamlComments(k.FootComment, false, add)
		}
	case yaml.ScalarNode:
		if n.ShortTag() != "!!null" {
			return nil, errFile // a document that is a single value
		}
	default:
		return nil, errFile
	}
	if !done {
		yamlComments(n.FootComment, false, add)
	}
	return b, nil
}

func yamlValue(n *yaml.Node, done bool) (any, error) {
	switch n.Kind {
	case yaml.MappingNode:
		return yamlBranch(n, branch{}, done)
	case yaml.SequenceNode:
		l := []any{}
		add := func(c comment) { l = append(l, c) }
		if !done {
			yamlComments(n.HeadComment, false, add)
			yamlComments(n.LineComment, false, add)
		}
		for _, c := range n.Content {
			yamlComments(c.HeadComment, false, add)
			yamlComments(c.LineComment, true, add)
			v, err := yamlValue(c, true)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
			yamlComments(c.FootComment, false, add)
		}
		if !done {
			yamlComments(n.FootComment, false, add)
		}
		return l, nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, errFile
		}
		return v, nil
	}
	return nil, errFile
}

// emitYAML writes each document as SOPS's decrypt does: a mapping indented
// by 4, comments placed before the item that follows them.
func emitYAML(branches []branch) ([]byte, error) {
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(4)
	for _, b := range branches {
		m := &yaml.Node{Kind: yaml.MappingNode}
		if err := yamlMapping(b, m); err != nil {
			return nil, err
		}
		if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{m}}); err != nil {
			return nil, err
		}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// commentText joins comment lines as yaml writes them.
func commentText(lines []string) string { return "#" + strings.Join(lines, "\n#") }

func headComment(n *yaml.Node, lines []string) {
	if len(lines) == 0 {
		return
	}
	if n.HeadComment != "" {
		n.HeadComment = commentText(lines) + "\n" + n.HeadComment
	} else {
		n.HeadComment = commentText(lines)
	}
}

func appendComment(s *string, lines []string) {
	if len(lines) == 0 {
		return
	}
	if *s != "" {
		*s += "\n" + commentText(lines)
	} else {
		*s = commentText(lines)
	}
}

func yamlNode(v any) (*yaml.Node, error) {
	switch v := v.(type) {
	case branch:
		m := &yaml.Node{Kind: yaml.MappingNode}
		return m, yamlMapping(v, m)
	case []any:
		s := &yaml.Node{Kind: yaml.SequenceNode}
		return s, yamlSequence(v, s)
	}
	n := &yaml.Node{}
	return n, n.Encode(v)
}

func yamlMapping(b branch, m *yaml.Node) error {
	var cs comments
	for _, it := range b {
		if cs.take(it.key) {
			continue
		}
		cs.begin(m)
		k := &yaml.Node{}
		if err := k.Encode(it.key); err != nil {
			return err
		}
		v, err := yamlNode(it.value)
		if err != nil {
			return err
		}
		cs.place(k, v)
		m.Content = append(m.Content, k, v)
	}
	cs.end(m, 2)
	return nil
}

func yamlSequence(l []any, s *yaml.Node) error {
	var cs comments
	for _, x := range l {
		if cs.take(x) {
			continue
		}
		cs.begin(s)
		n, err := yamlNode(x)
		if err != nil {
			return err
		}
		cs.place(n, n)
		s.Content = append(s.Content, n)
	}
	cs.end(s, 1)
	return nil
}

// comments gathers the comments met before the next entry of a mapping or
// a list, and puts them where SOPS does: the first ones above the whole
// node, a head comment above the entry's key, an inline one after its value,
// what is left under the last entry.
type comments struct {
	head, inline []string
	started      bool
}

// take keeps x when it is a comment.
func (c *comments) take(x any) bool {
	cm, ok := x.(comment)
	switch {
	case !ok:
		return false
	case cm.inline:
		c.inline = append(c.inline, cm.text)
	default:
		c.head = append(c.head, cm.text)
	}
	return true
}

// begin puts the comments before the first entry above parent.
func (c *comments) begin(parent *yaml.Node) {
	if !c.started {
		headComment(parent, c.head)
		c.head, c.started = nil, true
	}
}

// place puts the pending comments on an entry: head ones above key, inline
// ones after value.
func (c *comments) place(key, value *yaml.Node) {
	headComment(key, c.head)
	appendComment(&value.LineComment, c.inline)
	c.head, c.inline = nil, nil
}

// end puts what is left under the last entry of parent (whose entries take
// per nodes each), or above parent when it has none.
func (c *comments) end(parent *yaml.Node, per int) {
	rest := append(c.head, c.inline...)
	switch {
	case len(rest) == 0:
	case !c.started:
		headComment(parent, rest)
	default:
		appendComment(&parent.Content[len(parent.Content)-per].FootComment, rest)
	}
}

// loadDotenv reads KEY=value lines as SOPS does: '#' lines are comments,
// a literal \n in a value is a newline, and sops_* lines are the
// metadata, flattened.
func loadDotenv(data []byte) ([]branch, map[string]any, error) {
	var b, flat branch
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if line[0] == '#' {
			b = append(b, item{key: comment{text: string(line[1:])}})
			continue
		}
		k, v, ok := bytes.Cut(line, []byte("="))
		if !ok {
			return nil, nil, errFile
		}
		it := item{key: string(k), value: strings.ReplaceAll(string(v), `\n`, "\n")}
		if name, isMeta := strings.CutPrefix(string(k), "sops_"); isMeta {
			it.key = name
			flat = append(flat, it)
			continue
		}
		b = append(b, it)
	}
	if flat == nil {
		return nil, nil, errFile
	}
	md, err := unflatten(flat)
	return []branch{b}, md, err
}

func emitDotenv(branches []branch) ([]byte, error) {
	var out bytes.Buffer
	for _, it := range branches[0] {
		if c, ok := it.key.(comment); ok {
			fmt.Fprintf(&out, "#%s\n", c.text)
			continue
		}
		var v string
		switch x := it.value.(type) {
		case branch, []any:
			return nil, errFile
		case string:
			v = strings.ReplaceAll(x, "\n", `\n`)
		default:
			v = valueText(x)
		}
		fmt.Fprintf(&out, "%s=%s\n", it.key, v)
	}
	return out.Bytes(), nil
}

// valueText is a non-string value as SOPS writes it in a dotenv or ini
// file.
func valueText(v any) string {
	switch v := v.(type) {
	case float64:
		s := strconv.FormatFloat(v, 'G', -1, 64)
		if !strings.ContainsAny(s, ".E") {
			s = strconv.FormatFloat(v, 'f', 1, 64)
		}
		return s
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return v.Format(time.RFC3339)
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(v)
}

// iniOptions read an ini file as SOPS does: a section may appear twice.
var iniOptions = ini.LoadOptions{AllowNonUniqueSections: true}

// loadINI reads an ini file (SOPS's encoding of a properties file) with
// the ini library SOPS writes it with: each section is a mapping of its
// keys, the [sops] section the metadata, flattened.
func loadINI(data []byte) ([]branch, map[string]any, error) {
	f, err := ini.LoadSources(iniOptions, data)
	if err != nil {
		return nil, nil, errFile
	}
	var b branch
	var md map[string]any
	for _, s := range f.Sections() {
		var keys branch
		if s.Comment != "" {
			keys = append(keys, item{key: comment{text: iniComment(s.Comment)}})
		}
		for _, k := range s.Keys() {
			keys = append(keys, item{key: k.Name(), value: k.Value()})
			if k.Comment != "" {
				keys = append(keys, item{key: comment{text: iniComment(k.Comment)}})
			}
		}
		if s.Name() != "sops" {
			b = append(b, item{key: s.Name(), value: keys})
			continue
		}
		if md != nil {
			return nil, nil, errFile
		}
		var flat branch
		for _, it := range keys {
			if v, ok := it.value.(string); ok {
				flat = append(flat, item{key: it.key, value: strings.ReplaceAll(v, `\n`, "\n")})
			}
		}
		if md, err = unflatten(flat); err != nil {
			return nil, nil, err
		}
	}
	return []branch{b}, md, nil
}

// iniComment drops a comment's leading ';' or '#' and the spaces after.
func iniComment(c string) string {
	switch {
	case strings.HasPrefix(c, ";"):
		return strings.TrimLeft(c, "; ")
	case strings.HasPrefix(c, "#"):
		return strings.TrimLeft(c, "# ")
	}
	return c
}

func emitINI(branches []branch) ([]byte, error) {
	f := ini.Empty(iniOptions)
	f.DeleteSection(ini.DefaultSection)
	for _, it := range branches[0] {
		name, ok := it.key.(string)
		if !ok {
			continue
		}
		s, err := f.NewSection(name)
		if err != nil {
			return nil, err
		}
		keys, ok := it.value.(branch)
		if !ok {
			return nil, errFile
		}
		if len(keys) > 0 {
			if c, ok := keys[0].key.(comment); ok {
				s.Comment = c.text
				keys = keys[1:]
			}
		}
		var last *ini.Key
		for _, k := range keys {
			if c, ok := k.key.(comment); ok {
				if last != nil {
					last.Comment = c.text
				}
				continue
			}
			if last, err = s.NewKey(k.key.(string), valueText(k.value)); err != nil {
				return nil, err
			}
		}
	}
	var out bytes.Buffer
	if _, err := f.WriteTo(&out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
