package model

import (
	"bytes"
	"encoding/binary"
	"strings"

	"github.com/secretdeck/secretdeck/internal/lazyre"
)

// ValueScanner finds the values of a source's property files inside text
// that is not secret (a config's data): every value of minComparedValue
// bytes or more that the manifest does not exclude, found whole (not inside
// a longer word), in one pass over the text.
type ValueScanner struct {
	byPrefix map[uint32][]sourceValue // by the value's first 4 bytes
}

// NewValueScanner indexes the values of src's property files.
func NewValueScanner(src *SourceSnapshot) *ValueScanner {
	sc := &ValueScanner{byPrefix: map[uint32][]sourceValue{}}
	if src == nil {
		return sc
	}
	for _, f := range src.Files {
		for _, e := range f.Entries {
			if e.Value.Len() < minComparedValue || src.Manifest.Excluded(f.Service, e.Key) {
				continue
			}
			p := prefix4(e.Value.bytes())
			sc.byPrefix[p] = append(sc.byPrefix[p], sourceValue{e.Value, f.Key, e.Key})
		}
	}
	return sc
}

func prefix4(b []byte) uint32 { return binary.LittleEndian.Uint32(b[:4]) }

// valueHit is a source value found in a text, at [start, end).
type valueHit struct {
	start, end int
	sv         sourceValue
}

// find returns the values found in data, left to right, without overlaps;
// at most limit (0: all).
func (sc *ValueScanner) find(data []byte, limit int) []valueHit {
	if sc == nil || len(sc.byPrefix) == 0 {
		return nil
	}
	var hits []valueHit
	for i := 0; i+4 <= len(data); i++ {
		cands := sc.byPrefix[prefix4(data[i:])]
		if len(cands) == 0 || (i > 0 && wordByte(data[i-1])) {
			continue
		}
		best := -1
		for j, sv := range cands {
			v := sv.value.bytes()
			end := i + len(v)
			if end <= len(data) && bytes.Equal(data[i:end], v) && (end == len(data) || !wordByte(data[end])) &&
				(best < 0 || len(v) > cands[best].value.Len()) {
				best = j
			}
		}
		if best < 0 {
			continue
		}
		end := i + cands[best].value.Len()
		hits = append(hits, valueHit{i, end, cands[best]})
		if limit > 0 && len(hits) == limit {
			break
		}
		i = end - 1
	}
	return hits
}

// wordByte reports whether b continues a word: a value found next to one is
// part of a longer word, not the value.
func wordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b >= 0x80
}

// Mask is what a masked value is shown as.
const Mask = "••••••••"

// credentialAssign matches a line that sets a name to something:
// NAME=x, name: x, "name": "x", - NAME=x, export NAME=x.
var credentialAssign = lazyre.New(`^(\s*(?:-\s*|export\s+)?["']?)([A-Za-z_][A-Za-z0-9_.\-]*)(["']?\s*[=:]\s*)(.*?)\s*$`)

// credentialValue is the literal a credential-like line sets, or "" when it
// sets none: nothing, a reference ($VAR, ${VAR}, {{ template }}, a path), a
// nested block, or a word like true/null.
func credentialValue(line []byte) (name, value string, at int) {
	m := credentialAssign().FindSubmatchIndex(line)
	if m == nil {
		return "", "", 0
	}
	name = string(line[m[4]:m[5]])
	if !SensitiveName(name) {
		return "", "", 0
	}
	v := strings.TrimRight(string(line[m[8]:m[9]]), ",;")
	v = strings.Trim(v, `"'`)
	switch {
	case v == "", v == Mask, strings.HasPrefix(v, "$"), strings.HasPrefix(v, "{"), strings.HasPrefix(v, "["),
		strings.HasPrefix(v, "/"), strings.HasPrefix(v, "<"), strings.HasPrefix(v, "%("), windowsPath(v):
		return "", "", 0
	}
	switch strings.ToLower(v) {
	case "true", "false", "null", "none", "~", "yes", "no", "on", "off", "changeme", "redacted":
		return "", "", 0
	}
	return name, v, m[8]
}

// credentialLiteral is the first line of data that sets a credential-like
// name to a literal: its number (1-based) and the name; 0 when none does.
func credentialLiteral(data []byte) (int, string) {
	for i, line := range bytes.Split(data, []byte("\n")) {
		if name, _, _ := credentialValue(line); name != "" {
			return i + 1, name
		}
	}
	return 0, ""
}

// MaskConfig returns data with every source value sc finds and every
// literal set to a credential-like name replaced by Mask: what a config's
// content and diff show.
func MaskConfig(data []byte, sc *ValueScanner) []byte {
	if data == nil {
		return nil
	}
	var out bytes.Buffer
	last := 0
	for _, h := range sc.find(data, 0) {
		out.Write(data[last:h.start])
		out.WriteString(Mask)
		last = h.end
	}
	out.Write(data[last:])
	lines := bytes.Split(out.Bytes(), []byte("\n"))
	for i, line := range lines {
		if name, _, at := credentialValue(line); name != "" {
			lines[i] = append(append([]byte{}, line[:at]...), Mask...)
		}
	}
	return bytes.Join(lines, []byte("\n"))
}
