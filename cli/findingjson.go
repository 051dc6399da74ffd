package cli

import (
	"strconv"
	"unicode/utf8"

	"github.com/secretdeck/secretdeck/model"
)

// appendFinding appends f as json.MarshalIndent(f, prefix, "  ") writes it,
// byte for byte (TestAppendFindingIsMarshalIndent, FuzzAppendFinding): at
// 10,000 findings, reflection and a second pass to indent were a tenth of
// `drift --json`'s CPU.
func appendFinding(b []byte, f *model.Finding, prefix string) []byte {
	field := func(b []byte, name string, first bool) []byte {
		if !first {
			b = append(b, ',')
		}
		b = append(b, '\n')
		b = append(b, prefix...)
		b = append(b, `  "`...)
		b = append(b, name...)
		return append(b, `": `...)
	}
	str := func(b []byte, name, v string, omitEmpty bool) []byte {
		if omitEmpty && v == "" {
			return b
		}
		return appendJSONString(field(b, name, false), v)
	}
	b = append(b, '{')
	b = appendJSONString(field(b, "kind", true), string(f.Kind))
	b = str(b, "severity", f.Severity.String(), false)
	b = str(b, "service", f.Service, true)
	b = str(b, "logical", f.Logical, true)
	b = str(b, "secret", f.Secret, true)
	b = str(b, "file", f.File, true)
	b = str(b, "key", f.Key, true)
	b = str(b, "plan", f.Plan, true)
	b = str(b, "config", f.Config, true)
	b = str(b, "image", f.Image, true)
	if f.Layer != 0 {
		b = strconv.AppendInt(field(b, "layer", false), int64(f.Layer), 10)
	}
	b = str(b, "explanation", f.Explanation, false)
	b = field(b, "actions", false)
	switch {
	case f.Actions == nil:
		b = append(b, "null"...)
	case len(f.Actions) == 0:
		b = append(b, "[]"...)
	default:
		b = append(b, '[')
		for i, a := range f.Actions {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '\n')
			b = append(b, prefix...)
			b = append(b, "    "...)
			b = appendJSONString(b, string(a))
		}
		b = append(b, '\n')
		b = append(b, prefix...)
		b = append(b, "  ]"...)
	}
	b = str(b, "command", f.Command, true)
	b = str(b, "hint", f.Hint, true)
	b = str(b, "diff", f.Diff, true)
	b = append(b, '\n')
	b = append(b, prefix...)
	return append(b, '}')
}

// appendJSONString quotes s as encoding/json does, HTML escaping included.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
