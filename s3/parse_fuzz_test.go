package s3

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/magiconair/properties"

	"github.com/secretdeck/secretdeck/model"
)

// marker stands for a secret value in the fuzz inputs: it must never reach an
// error.
const marker = "SECRET-MARKER-7f3a"

// errorTexts are all the messages Parse may give, numbers written as N: an
// error built from anything else could carry the input.
var errorTexts = map[string]bool{
	"the file is not valid UTF-8 text":                         true,
	"more than N keys in one file":                             true,
	"a key longer than N bytes":                                true,
	"a key contains a control character":                       true,
	"a key is defined twice (first on line N)":                 true,
	"objects nested more than N deep":                          true,
	"a JSON property file must be an object":                   true,
	"a JSON key holds an invalid \\u escape":                   true,
	"a JSON string holds an invalid \\u escape":                true,
	"unexpected content after the JSON object":                 true,
	"invalid JSON syntax":                                      true,
	"unexpected end of JSON":                                   true,
	"invalid JSON":                                             true,
	"a control character YAML does not allow":                  true,
	"more than one YAML document in the file":                  true,
	"a YAML property file must be a mapping of keys to values": true,
	"a YAML key must be a plain scalar":                        true,
	"YAML aliases (*name) are not supported":                   true,
	"YAML merge keys (<<) are not supported":                   true,
	"an unexpected YAML node":                                  true,
	"a !!binary value that is not base64":                      true,
	"a !!binary value inside a YAML sequence is not supported": true,
	"invalid YAML sequence":                                    true,
	"a YAML sequence that cannot be written as JSON":           true,
	"invalid YAML syntax":                                      true,
	"a value with no key":                                      true,
	"an invalid \\u escape":                                    true,
	"a backslash at the end of the file":                       true,
	"invalid env syntax":                                       true,
	"a line longer than N bytes":                               true,
}

var numbers = regexp.MustCompile(` [0-9]+`)

// fuzzParse checks what must hold for any input: no panic, output within
// the bounds, keys safe to print, and errors from our own words only, at a
// line of the file.
func fuzzParse(f *testing.F, format model.Format, seeds []string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		es, pe := Parse("f", format, data)
		if pe != nil {
			text := pe.Error() + fmt.Sprintf("%v %+v %#v", pe, pe, pe)
			if strings.Contains(text, marker) || strings.Contains(text, "MARKER") {
				t.Fatalf("error leaks the marker: %s", text)
			}
			if !errorTexts[numbers.ReplaceAllString(pe.Msg, " N")] {
				t.Fatalf("error not from our words: %q", pe.Msg)
			}
			if lines := bytes.Count(data, []byte("\n")) + 1; pe.Line < 0 || pe.Line > lines {
				t.Fatalf("error on line %d of a %d-line file", pe.Line, lines)
			}
			if len(es) != 0 {
				t.Fatalf("entries with an error: %d", len(es))
			}
			return
		}
		if len(es) > maxEntries {
			t.Fatalf("%d entries, the bound is %d", len(es), maxEntries)
		}
		for _, e := range es {
			if len(e.Key) > maxKeyBytes || strings.ContainsFunc(e.Key, unicode.IsControl) {
				t.Fatalf("unsafe key %q", e.Key)
			}
		}
	})
}

func FuzzParseJSON(f *testing.F) {
	fuzzParse(f, model.FormatJSON, []string{
		`{"db": {"user": "app", "password": "` + marker + `", "pool": {"max": 10}}, "hosts": ["a", "` + marker + `"], "none": null}`,
		"{\n  \"a\": \"x\",\n  \"b\": " + marker + "\n}",
		`{"a": "` + marker,
		`["` + marker + `"]`,
		`{"a": 1}` + "\n" + `{"b": "` + marker + `"}`,
		`{"a": "` + marker + "\xff\"}",
		`{"a": "\ud800` + marker + `"}`,
		`{"a\u001b[31m": "` + marker + `"}`,
		`{"a": "1", "a": "` + marker + `"}`,
		`{"a.b": "1", "a": {"b": "` + marker + `"}}`,
		nested(model.FormatJSON, "{", "}", 40),
		`{"a": ` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "}",
	})
}

func FuzzParseYAML(f *testing.F) {
	fuzzParse(f, model.FormatYAML, []string{
		"db:\n  user: app\n  password: '" + marker + "'\n  pool: {max: 10}\nhosts: [a, " + marker + "]\nempty:\n",
		"a: &a\n  b: *a\n",
		billionLaughs(),
		"base: &b {x: " + marker + "}\nsvc:\n  <<: *b\n",
		"a: 1\nb: *" + marker + "\n",
		"a: 1\n---\nb: " + marker + "\n",
		"a: !!binary " + marker + "\n",
		"a: [!!binary aGVsbG8=, " + marker + "]\n",
		"a: b: " + marker + "\n",
		"a: 1\nb: [" + marker + "\nc: 2\n",
		"a: 1\n\tb: " + marker + "\n",
		"- " + marker + "\n",
		"\"db\\e[31m\": " + marker + "\n",
		"a: 1\na: " + marker + "\n",
		"? [a, b]\n: " + marker + "\n",
		nested(model.FormatYAML, "{", "}", 40),
	})
}

func FuzzParseProperties(f *testing.F) {
	fuzzParse(f, model.FormatProperties, []string{
		"# comment\ndb.user = app\ndb.password : " + marker + "\nlong = first \\\n  second\nref = ${db.user}\n",
		"a = 1\n=ab\"" + marker + "\n",
		"a = 1\n:\"\"" + marker + "\"\n",
		"a = 1\nb = \\u12" + marker + "\n",
		"a = 1\na = " + marker + "\n",
		"db\\u001b[31m = " + marker + "\n",
		"a = " + marker + "\\\r\nb = 2\r\n",
		"a = 1\rb = " + marker + "\r",
		"! comment \\\n" + marker + " = 1\n",
		"a = caf\xe9 " + marker + "\n",
	})
}

func FuzzParseEnv(f *testing.F) {
	fuzzParse(f, model.FormatEnv, []string{
		"# comment\nDB_USER=app\nexport DB_PASSWORD=\"" + marker + "\"\nSINGLE='a$b'\n",
		"A=1\nB=\"" + marker + "\n",
		"A=1\n" + marker + "\n",
		"A=1\nB=\"x\\q" + marker + "\"\n",
		"A=1\n" + marker + "=1\n",
		"A=1\nexport A=" + marker + "\n",
		"A=\\u12" + marker + "\n",
		"A=" + marker + "\x01\n",
	})
}

// The properties reader is our own; where it reads a file, it reads what the
// properties library read, but for a \u surrogate pair, which it joins into
// one character where the library wrote two U+FFFD.
func FuzzParsePropertiesMatchesLibrary(f *testing.F) {
	for _, s := range []string{
		"# comment\ndb.user = app\ndb.password : " + marker + "\nlong = first \\\n  second\nref = ${db.user}\n",
		"a\\ b\\:c\\=d = v\\t\\n\\u00e9\\q\n! c \\\nkey\n",
		"a = x\\\r\n  y\rb:c\fd=e\n",
		"k = \\ud83d\\ude00\n",
		"  k\\\n  v = 1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		es, pe := Parse("f", model.FormatProperties, data)
		if pe != nil {
			return
		}
		p, err := loadWithLibrary(data)
		if err != nil {
			t.Fatalf("we read %q, the library refuses it", data)
		}
		if len(p.Keys()) != len(es) {
			t.Fatalf("%q: %d keys, the library has %d", data, len(es), len(p.Keys()))
		}
		if surrogateEscape.Match(data) {
			return // the library wrote U+FFFD where we joined a pair, in a key or a value
		}
		for _, e := range es {
			want, ok := p.Get(e.Key)
			if !ok || e.Value.Reveal() != want {
				t.Fatalf("%q: key %q = %q, the library has %q (%v)", data, e.Key, e.Value.Reveal(), want, ok)
			}
		}
	})
}

var surrogateEscape = regexp.MustCompile(`(?i)\\u[d][89a-f]`)

func loadWithLibrary(data []byte) (p *properties.Properties, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	l := &properties.Loader{Encoding: properties.UTF8, DisableExpansion: true}
	return l.LoadBytes(data)
}
