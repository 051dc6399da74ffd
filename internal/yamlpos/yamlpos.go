// Package yamlpos finds lines in YAML text for error messages that must say
// where, never what: the parsers of property files and stack files report
// a line and their own words, not the library's text (which quotes input).
package yamlpos

import "bytes"

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
