package swarm

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/secretdeck/secretdeck/model"
)

// decodeSecrets reads the engine's answer to GET /secrets (a JSON array of
// swarm.Secret) straight into model.Secret as it arrives, instead of
// decoding it whole into moby's types first: at 10,000 secrets that took
// 60–160 ms and 20 MB of garbage, and began only once the last byte was in.
// It reads only what convertSecret keeps, skipping (but checking) the rest,
// and gives the same secrets encoding/json and convertSecret would
// (FuzzDecodeSecrets holds it to that); secrets with the same labels share
// one map, and label keys and values are held once (labels are read, never
// written: printableLabels).
func decodeSecrets(r io.Reader) ([]model.Secret, error) {
	d := &jsonReader{r: bufio.NewReaderSize(r, 32<<10), labels: newLabelPool()}
	out, err := d.secrets()
	if err != nil {
		return nil, fmt.Errorf("decode the list of secrets: %w", err)
	}
	return out, nil
}

// jsonReader is a minimal streaming JSON reader for the shapes the engine
// sends: it knows the grammar, not the types.
type jsonReader struct {
	r      *bufio.Reader
	off    int64  // bytes read, for errors
	buf    []byte // the string being read
	raw    []byte // the raw value being read (times)
	labels *labelPool
}

var errSyntax = errors.New("invalid JSON")

func (d *jsonReader) fail(what string) error {
	return fmt.Errorf("%w at byte %d: %s", errSyntax, d.off, what)
}

func (d *jsonReader) byte() (byte, error) {
	c, err := d.r.ReadByte()
	if err != nil {
		if err == io.EOF {
			return 0, d.fail("unexpected end")
		}
		return 0, err
	}
	d.off++
	return c, nil
}

// next is the next byte that is not white space, consumed.
func (d *jsonReader) next() (byte, error) {
	for {
		c, err := d.byte()
		if err != nil || (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			return c, err
		}
	}
}

// peek is the next byte that is not white space, left unread.
func (d *jsonReader) peek() (byte, error) {
	c, err := d.next()
	if err != nil {
		return 0, err
	}
	_ = d.r.UnreadByte()
	d.off--
	return c, nil
}

func (d *jsonReader) literal(rest string) error {
	for i := range len(rest) {
		c, err := d.byte()
		if err != nil {
			return err
		}
		if c != rest[i] {
			return d.fail("invalid literal")
		}
	}
	return nil
}

// isNull consumes a null if one comes next.
func (d *jsonReader) isNull() (bool, error) {
	c, err := d.peek()
	if err != nil || c != 'n' {
		return false, err
	}
	_, _ = d.byte()
	return true, d.literal("ull")
}

// object calls field for each key of the object that comes next, the
// reader then at the key's value, which field must consume; null is no
// object and calls nothing.
func (d *jsonReader) object(field func(key []byte) error) error {
	return d.members('{', '}', "an object", func() error {
		c, err := d.next()
		if err != nil {
			return err
		}
		if c != '"' {
			return d.fail("want a key")
		}
		key, err := d.stringBody()
		if err != nil {
			return err
		}
		if c, err = d.next(); err != nil {
			return err
		}
		if c != ':' {
			return d.fail("want ':'")
		}
		return field(key)
	})
}

// members reads the null, or the open…close container that comes next,
// calling member for each of its comma-separated members.
func (d *jsonReader) members(open, close byte, what string, member func() error) error {
	c, err := d.next()
	if err != nil {
		return err
	}
	if c == 'n' {
		return d.literal("ull")
	}
	if c != open {
		return d.fail("want " + what)
	}
	if c, err = d.peek(); err != nil {
		return err
	}
	if c == close {
		_, _ = d.next()
		return nil
	}
	for {
		if err := member(); err != nil {
			return err
		}
		if c, err = d.next(); err != nil {
			return err
		}
		if c == close {
			return nil
		}
		if c != ',' {
			return d.fail("want ',' or '" + string(close) + "'")
		}
	}
}

// str reads a string, or leaves to as it is for null (as encoding/json
// does); the bytes are the reader's until the next read.
func (d *jsonReader) str() (s []byte, null bool, err error) {
	c, err := d.next()
	if err != nil {
		return nil, false, err
	}
	if c == 'n' {
		return nil, true, d.literal("ull")
	}
	if c != '"' {
		return nil, false, d.fail("want a string")
	}
	s, err = d.stringBody()
	return s, false, err
}

// stringBody reads a string after its opening quote, unescaped as
// encoding/json does: an invalid UTF-8 byte or a lone surrogate becomes
// U+FFFD.
func (d *jsonReader) stringBody() ([]byte, error) {
	d.buf = d.buf[:0]
	for {
		// Plain ASCII up to the closing quote is copied at once from
		// what is buffered: most strings are nothing else.
		if b, _ := d.r.Peek(max(d.r.Buffered(), 1)); len(b) > 0 {
			i := 0
			for i < len(b) && b[i] >= 0x20 && b[i] != '"' && b[i] != '\\' && b[i] < utf8.RuneSelf {
				i++
			}
			d.buf = append(d.buf, b[:i]...)
			_, _ = d.r.Discard(i)
			d.off += int64(i)
		}
		c, err := d.byte()
		if err != nil {
			return nil, err
		}
		switch {
		case c == '"':
			return d.buf, nil
		case c < 0x20:
			return nil, d.fail("control character in a string")
		case c == '\\':
			if err := d.escape(); err != nil {
				return nil, err
			}
		case c < utf8.RuneSelf:
			d.buf = append(d.buf, c)
		default:
			if err := d.r.UnreadByte(); err != nil {
				return nil, err
			}
			d.off--
			if err := d.multibyte(); err != nil {
				return nil, err
			}
		}
	}
}

// multibyte copies one UTF-8 sequence, or U+FFFD for an invalid byte.
func (d *jsonReader) multibyte() error {
	b, _ := d.r.Peek(utf8.UTFMax) // fewer at the end: DecodeRune says so
	r, n := utf8.DecodeRune(b)
	if r == utf8.RuneError && n <= 1 {
		n = 1
		d.buf = utf8.AppendRune(d.buf, unicode.ReplacementChar)
	} else {
		d.buf = append(d.buf, b[:n]...)
	}
	_, err := d.r.Discard(n)
	d.off += int64(n)
	return err
}

func (d *jsonReader) escape() error {
	c, err := d.byte()
	if err != nil {
		return err
	}
	switch c {
	case '"', '\\', '/':
		d.buf = append(d.buf, c)
	case 'b':
		d.buf = append(d.buf, '\b')
	case 'f':
		d.buf = append(d.buf, '\f')
	case 'n':
		d.buf = append(d.buf, '\n')
	case 'r':
		d.buf = append(d.buf, '\r')
	case 't':
		d.buf = append(d.buf, '\t')
	case 'u':
		r, err := d.hex4()
		if err != nil {
			return err
		}
		if utf16.IsSurrogate(r) {
			// A pair only when a low surrogate follows; else U+FFFD, and
			// what follows is read on its own.
			if b, _ := d.r.Peek(6); len(b) == 6 && b[0] == '\\' && b[1] == 'u' {
				if r2, ok := parseHex4(b[2:]); ok {
					if dec := utf16.DecodeRune(r, r2); dec != unicode.ReplacementChar {
						_, _ = d.r.Discard(6)
						d.off += 6
						d.buf = utf8.AppendRune(d.buf, dec)
						return nil
					}
				}
			}
			r = unicode.ReplacementChar
		}
		d.buf = utf8.AppendRune(d.buf, r)
	default:
		return d.fail("invalid escape")
	}
	return nil
}

func (d *jsonReader) hex4() (rune, error) {
	var b [4]byte
	for i := range b {
		c, err := d.byte()
		if err != nil {
			return 0, err
		}
		b[i] = c
	}
	r, ok := parseHex4(b[:])
	if !ok {
		return 0, d.fail("invalid \\u escape")
	}
	return r, nil
}

func parseHex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	return r, true
}

// skip reads a value of any type, checking its grammar.
func (d *jsonReader) skip() error {
	c, err := d.peek()
	if err != nil {
		return err
	}
	switch {
	case c == '{':
		return d.object(func([]byte) error { return d.skip() })
	case c == '[':
		return d.array(d.skip)
	case c == '"':
		_, _, err := d.str()
		return err
	}
	_, _ = d.next()
	switch {
	case c == 't':
		return d.literal("rue")
	case c == 'f':
		return d.literal("alse")
	case c == 'n':
		return d.literal("ull")
	case c == '-' || ('0' <= c && c <= '9'):
		d.raw = d.raw[:0]
		return d.number(c)
	}
	return d.fail("want a value")
}

// number reads the rest of a number that began with c.
// Its bytes are appended to d.raw.
func (d *jsonReader) number(c byte) error {
	d.raw = append(d.raw, c)
	keep := func(b ...byte) { d.raw = append(d.raw, b...) }
	digits := func(atLeastOne bool) error {
		n := 0
		for {
			b, err := d.r.Peek(1)
			if len(b) == 0 || b[0] < '0' || b[0] > '9' {
				if atLeastOne && n == 0 {
					if err != nil && err != io.EOF {
						return err
					}
					return d.fail("invalid number")
				}
				return nil
			}
			_, _ = d.byte()
			keep(b[0])
			n++
		}
	}
	if c == '-' {
		b, err := d.byte()
		if err != nil {
			return err
		}
		keep(b)
		if b < '0' || b > '9' {
			return d.fail("invalid number")
		}
		c = b
	}
	if c != '0' {
		if err := digits(false); err != nil {
			return err
		}
	}
	if b, _ := d.r.Peek(1); len(b) == 1 && b[0] == '.' {
		_, _ = d.byte()
		keep('.')
		if err := digits(true); err != nil {
			return err
		}
	}
	if b, _ := d.r.Peek(1); len(b) == 1 && (b[0] == 'e' || b[0] == 'E') {
		_, _ = d.byte()
		keep(b[0])
		if s, _ := d.r.Peek(1); len(s) == 1 && (s[0] == '+' || s[0] == '-') {
			_, _ = d.byte()
			keep(s[0])
		}
		return digits(true)
	}
	return nil
}

// array calls elem for each element of the array that comes next; null is
// no array.
func (d *jsonReader) array(elem func() error) error {
	return d.members('[', ']', "an array", elem)
}

// readUint reads an unsigned integer into to (null leaves it).
func (d *jsonReader) readUint(to *uint64) error {
	c, err := d.next()
	if err != nil {
		return err
	}
	if c == 'n' {
		return d.literal("ull")
	}
	if c != '-' && (c < '0' || c > '9') {
		return d.fail("want an unsigned integer")
	}
	d.raw = d.raw[:0]
	if err := d.number(c); err != nil {
		return err
	}
	n, err := strconv.ParseUint(string(d.raw), 10, 64)
	if err != nil {
		return d.fail("want an unsigned integer")
	}
	*to = n
	return nil
}

// readTime reads a time as time.Time's UnmarshalJSON does, from the
// string as it came (null leaves it).
func (d *jsonReader) readTime(to *time.Time) error {
	c, err := d.next()
	if err != nil {
		return err
	}
	if c == 'n' {
		return d.literal("ull")
	}
	if c != '"' {
		return d.fail("want a time")
	}
	d.raw = append(d.raw[:0], c)
	// Most often the whole time is buffered: taken at once.
	if b, _ := d.r.Peek(d.r.Buffered()); len(b) > 0 {
		for i, c := range b {
			if c < 0x20 || c == '\\' {
				break
			}
			if c == '"' {
				d.raw = append(d.raw, b[:i+1]...)
				_, _ = d.r.Discard(i + 1)
				d.off += int64(i + 1)
				return d.unmarshalTime(to)
			}
		}
	}
	for {
		if c, err = d.byte(); err != nil {
			return err
		}
		if c < 0x20 || c == '\\' {
			return d.fail("want a time")
		}
		d.raw = append(d.raw, c)
		if c == '"' {
			break
		}
	}
	return d.unmarshalTime(to)
}

func (d *jsonReader) unmarshalTime(to *time.Time) error {
	if err := to.UnmarshalJSON(d.raw); err != nil {
		return fmt.Errorf("at byte %d: %w", d.off, err)
	}
	return nil
}

// string reads a string into to (null leaves it), interned when intern.
func (d *jsonReader) readString(to *string, intern bool) error {
	s, null, err := d.str()
	if err != nil || null {
		return err
	}
	if intern {
		*to = d.labels.intern(s)
	} else {
		*to = string(s)
	}
	return nil
}

// field reports whether key names field (upper case), as encoding/json
// matches them: exactly, else ignoring case.
func field(key []byte, name string) bool {
	if len(key) == len(name) && string(key) == name {
		return true
	}
	return foldEqual(key, name)
}

// foldEqual is encoding/json's case folding of a key against an upper-case
// ASCII name.
func foldEqual(key []byte, name string) bool {
	i := 0
	for len(key) > 0 {
		var r rune
		if key[0] < utf8.RuneSelf {
			r = rune(key[0])
			if 'a' <= r && r <= 'z' {
				r -= 'a' - 'A'
			}
			key = key[1:]
		} else {
			var n int
			r, n = utf8.DecodeRune(key)
			r = foldRune(r)
			key = key[n:]
		}
		if i >= len(name) || r != rune(name[i]) {
			return false
		}
		i++
	}
	return i == len(name)
}

// foldRune is the smallest rune r folds to, as encoding/json folds.
func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}

// secrets reads the list.
func (d *jsonReader) secrets() ([]model.Secret, error) {
	out := []model.Secret{}
	err := d.array(func() error {
		s, err := d.secret()
		out = append(out, s)
		return err
	})
	return out, err
}

// labelsValue is a map as encoding/json fills it: null makes it nil, an
// object adds to it.
type labelsValue struct {
	set   bool // an object was read: a map, maybe empty
	pairs [][2]string
}

func (d *jsonReader) labelsInto(l *labelsValue) error {
	if null, err := d.isNull(); err != nil || null {
		*l = labelsValue{}
		return err
	}
	l.set = true
	return d.object(func(key []byte) error {
		k := d.labels.intern(key)
		var v string
		if err := d.readString(&v, true); err != nil {
			return err
		}
		l.pairs = append(l.pairs, [2]string{k, v})
		return nil
	})
}

func (d *jsonReader) secret() (model.Secret, error) {
	var s model.Secret
	var labels labelsValue
	var driver *string // Spec.Driver: nil when absent or null
	err := d.object(func(key []byte) error {
		switch {
		case field(key, "ID"):
			return d.readString(&s.ID, false)
		case field(key, "VERSION"):
			return d.object(func(key []byte) error {
				if field(key, "INDEX") {
					return d.readUint(&s.Version)
				}
				return d.skip()
			})
		case field(key, "CREATEDAT"):
			return d.readTime(&s.CreatedAt)
		case field(key, "UPDATEDAT"):
			return d.readTime(&s.UpdatedAt)
		case field(key, "SPEC"):
			return d.object(func(key []byte) error {
				switch {
				case field(key, "NAME"):
					return d.readString(&s.Name, false)
				case field(key, "LABELS"):
					return d.labelsInto(&labels)
				case field(key, "DRIVER"):
					if null, err := d.isNull(); err != nil || null {
						driver = nil
						return err
					}
					if driver == nil {
						driver = new(string)
					}
					return d.object(func(key []byte) error {
						if field(key, "NAME") {
							return d.readString(driver, true)
						}
						return d.skip()
					})
				}
				return d.skip()
			})
		}
		return d.skip()
	})
	if driver != nil {
		s.Driver = *driver
	}
	if labels.set {
		s.Labels = d.labels.shared(labels.pairs)
	}
	return s, err
}

// labelPool holds each label key and value once, and each set of labels
// once: ten thousand secrets made alike share one map. The maps are read,
// never written (printableLabels).
type labelPool struct {
	strs map[string]string
	sets map[string]map[string]string // by their canonical form
	key  []byte
}

func newLabelPool() *labelPool {
	return &labelPool{strs: map[string]string{}, sets: map[string]map[string]string{}}
}

func (p *labelPool) intern(b []byte) string {
	if s, ok := p.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	p.strs[s] = s
	return s
}

// shared is the map of pairs (a later pair wins), escaped for a terminal
// like printableLabels, the same map for the same labels.
func (p *labelPool) shared(pairs [][2]string) map[string]string {
	return p.share(pairs, printableLabels)
}

// share is shared with escape applied to a new map (the pairs as they
// are when escape returns its argument).
func (p *labelPool) share(pairs [][2]string, escape func(map[string]string) map[string]string) map[string]string {
	// The canonical form: the pairs by key, the last of each key.
	slices.SortStableFunc(pairs, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	p.key = p.key[:0]
	for i, kv := range pairs {
		if i+1 < len(pairs) && pairs[i+1][0] == kv[0] {
			continue // a later pair wins
		}
		// Each string after its length: no two sets share a form.
		p.key = binary.AppendUvarint(p.key, uint64(len(kv[0])))
		p.key = append(p.key, kv[0]...)
		p.key = binary.AppendUvarint(p.key, uint64(len(kv[1])))
		p.key = append(p.key, kv[1]...)
	}
	if have, ok := p.sets[string(p.key)]; ok {
		return have
	}
	m := make(map[string]string, len(pairs))
	for _, kv := range pairs {
		m[kv[0]] = kv[1]
	}
	m = escape(m)
	p.sets[string(p.key)] = m
	return m
}

// labels is the same map for the same labels, already escaped (services,
// whose labels were decoded by moby's client and converted).
func (p *labelPool) labels(labels map[string]string) map[string]string {
	if labels == nil {
		return nil
	}
	pairs := make([][2]string, 0, len(labels))
	for k, v := range labels {
		pairs = append(pairs, [2]string{p.intern([]byte(k)), p.intern([]byte(v))})
	}
	return p.share(pairs, func(m map[string]string) map[string]string { return m })
}
