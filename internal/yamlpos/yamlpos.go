// Package yamlpos finds lines in YAML text for error messages that must say
// where, never what: the parsers of property files and stack files report
// a line and their own words, not the library's text (which quotes input).
package yamlpos

import (
	"bytes"
	"strconv"

	"github.com/secretdeck/secretdeck/internal/lazyre"
)

// LineAt is the 1-based line of byte offset off in data (clamped).
func LineAt(data []byte, off int) int {
	off = min(max(off, 0), len(data))
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// AliasLine is the line of the first *name in data that stands as a YAML
// token (not inside a longer word), or 1.
func AliasLine(data []byte, name string) int {
	alias := []byte("*" + name)
	for off := 0; ; {
		i := bytes.Index(data[off:], alias)
		if i < 0 {
			return 1
		}
		at, end := off+i, off+i+len(alias)
		before := at == 0 || bytes.IndexByte([]byte(" \t\n[{,:-"), data[at-1]) >= 0
		after := end == len(data) || bytes.IndexByte([]byte(" \t\r\n]},"), data[end]) >= 0
		if before && after {
			return LineAt(data, at)
		}
		off = at + 1
	}
}

// Control is the offset of the first character YAML does not allow, or -1:
// the YAML reader refuses them without saying where.
func Control(data []byte) int {
	for i, r := range string(data) {
		switch {
		case r == '\t' || r == '\n' || r == '\r' || r == 0x85:
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0xfffe || r == 0xffff:
			return i
		}
	}
	return -1
}

var (
	yamlLine          = lazyre.New(`^yaml: line ([0-9]+):`)
	yamlUnknownAnchor = lazyre.New(`^yaml: unknown anchor '(.*)' referenced$`)
)

// ErrorLine is the line a YAML library error is about, found without
// keeping its text (which can quote the input): the library leaves the line
// out when it is the first, and for an alias to an anchor not (yet)
// defined (unknownAnchor), whose line is found in data instead.
func ErrorLine(data []byte, err error) (line int, unknownAnchor bool) {
	if m := yamlUnknownAnchor().FindStringSubmatch(err.Error()); m != nil {
		return AliasLine(data, m[1]), true
	}
	if m := yamlLine().FindStringSubmatch(err.Error()); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil {
			return n, false
		}
	}
	return 1, false
}
