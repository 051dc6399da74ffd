package s3

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/secretdeck/secretdeck/model"
)

// hangGuard only stops a test that would otherwise never end (the alias
// cycle looped forever); it is not a timing assertion.
const hangGuard = 10 * time.Second

// parseGuarded is Parse in a goroutine, failing the test if it does not
// return before hangGuard.
func parseGuarded(t *testing.T, format model.Format, data string) ([]model.Entry, *model.ParseError) {
	t.Helper()
	type result struct {
		es []model.Entry
		pe *model.ParseError
	}
	done := make(chan result, 1)
	go func() {
		es, pe := Parse("f", format, []byte(data))
		done <- result{es, pe}
	}()
	select {
	case r := <-done:
		return r.es, r.pe
	case <-time.After(hangGuard):
		t.Fatalf("%s: Parse of %d bytes did not return within %v", format, len(data), hangGuard)
		return nil, nil
	}
}

// billionLaughs nests nine levels of ten aliases to the level below: 10^9
// entries once expanded, from a few hundred bytes.
func billionLaughs() string {
	var sb strings.Builder
	sb.WriteString("l0: &l0 {x0: lol, x1: lol, x2: lol, x3: lol, x4: lol, x5: lol, x6: lol, x7: lol, x8: lol, x9: lol}\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&sb, "l%d: &l%d {", i, i)
		for j := range 10 {
			if j > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "x%d: *l%d", j, i-1)
		}
		sb.WriteString("}\n")
	}
	return sb.String()
}

// keys writes n key lines in a format, each value holding the secret.
func keys(format model.Format, n int) string {
	var sb strings.Builder
	if format == model.FormatJSON {
		sb.WriteString("{\n")
	}
	for i := range n {
		switch format {
		case model.FormatJSON:
			if i > 0 {
				sb.WriteString(",\n")
			}
			fmt.Fprintf(&sb, "%q: %q", fmt.Sprint("k", i), known)
		case model.FormatYAML:
			fmt.Fprintf(&sb, "k%d: %s\n", i, known)
		case model.FormatProperties, model.FormatEnv:
			fmt.Fprintf(&sb, "K%d=%s\n", i, known)
		}
	}
	if format == model.FormatJSON {
		sb.WriteString("\n}")
	}
	return sb.String()
}

// nested opens depth objects (or arrays) in a format around one value.
func nested(format model.Format, open, close string, depth int) string {
	if format == model.FormatJSON {
		return "{" + strings.Repeat(`"a": `+open, depth-1) + `"a": "` + known + `"` + strings.Repeat(close, depth-1) + "}"
	}
	return strings.Repeat("a: "+open, depth-1) + "a: " + known + strings.Repeat(close, depth-1) + "\n"
}

// Files written to hurt: each one is refused quickly, with our words and
// its line, instead of hanging, eating memory or yielding millions of keys.
func TestParseHostileInputsAreRefusedQuickly(t *testing.T) {
	cases := []struct {
		name   string
		format model.Format
		data   string
		line   int
		msg    string
	}{
		{"yaml alias to its own ancestor", model.FormatYAML, "a: &a\n  b: *a\n", 2, "YAML aliases (*name) are not supported"},
		{"yaml billion laughs", model.FormatYAML, billionLaughs(), 2, "YAML aliases (*name) are not supported"},
		{"yaml alias in a sequence", model.FormatYAML, "a: &a [x]\nb: [*a, *a]\n", 2, "YAML aliases (*name) are not supported"},
		{"yaml merge key", model.FormatYAML, "base: &b {x: 1}\nsvc:\n  <<: *b\n", 3, "YAML merge keys (<<) are not supported"},
		{"yaml 9000 nested mappings", model.FormatYAML, nested(model.FormatYAML, "{", "}", 9000), 1, "objects nested more than 32 deep"},
		{"yaml 9000 nested sequences", model.FormatYAML, nested(model.FormatYAML, "[", "]", 9000), 1, "objects nested more than 32 deep"},
		{"json 9000 nested objects", model.FormatJSON, nested(model.FormatJSON, "{", "}", 9000), 1, "objects nested more than 32 deep"},
		{"json 9000 nested arrays", model.FormatJSON, `{"a": ` + strings.Repeat("[", 9000) + strings.Repeat("]", 9000) + "}", 1, "objects nested more than 32 deep"},
		{"json 100k keys", model.FormatJSON, keys(model.FormatJSON, 100_000), 10_002, "more than 10000 keys in one file"},
		{"yaml 100k keys", model.FormatYAML, keys(model.FormatYAML, 100_000), 10_001, "more than 10000 keys in one file"},
		{"properties 100k keys", model.FormatProperties, keys(model.FormatProperties, 100_000), 10_001, "more than 10000 keys in one file"},
		{"env 20k keys", model.FormatEnv, keys(model.FormatEnv, 20_000), 10_001, "more than 10000 keys in one file"},
		{"env line over 64 KiB", model.FormatEnv, "A=1\nB=" + strings.Repeat("x", 70_000) + "\nC=2\n", 2, "a line longer than 65536 bytes"},
		{"json long key", model.FormatJSON, `{"` + strings.Repeat("k", 2000) + `": 1}`, 1, "a key longer than 1024 bytes"},
		{"json long prefix", model.FormatJSON, `{"` + strings.Repeat("k", 2000) + `": {"a": 1}}`, 1, "a key longer than 1024 bytes"},
		{"yaml long prefix", model.FormatYAML, strings.Repeat("k", 1000) + ":\n  " + strings.Repeat("k", 100) + ": 1\n", 2, "a key longer than 1024 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			es, pe := parseGuarded(t, c.format, c.data)
			if pe == nil {
				t.Fatalf("no error, %d entries", len(es))
			}
			if pe.Line != c.line || pe.Msg != c.msg {
				t.Errorf("got line %d %q, want line %d %q", pe.Line, pe.Msg, c.line, c.msg)
			}
		})
	}
}

// A file at the bounds is read in full: the bounds refuse files, they never
// cut one short.
func TestParseAtTheBounds(t *testing.T) {
	for _, f := range model.Formats {
		t.Run(string(f)+" entries", func(t *testing.T) {
			es, pe := parseGuarded(t, f, keys(f, maxEntries))
			if pe != nil || len(es) != maxEntries {
				t.Fatalf("%d keys: got %d entries, %v", maxEntries, len(es), pe)
			}
		})
	}
	for _, f := range []model.Format{model.FormatJSON, model.FormatYAML} {
		t.Run(string(f)+" depth", func(t *testing.T) {
			es, pe := parseGuarded(t, f, nested(f, "{", "}", maxDepth))
			if pe != nil || len(es) != 1 || es[0].Key != strings.TrimSuffix(strings.Repeat("a.", maxDepth), ".") {
				t.Fatalf("depth %d: got %v, %v", maxDepth, es, pe)
			}
			if _, pe := parseGuarded(t, f, nested(f, "{", "}", maxDepth+1)); pe == nil {
				t.Fatalf("depth %d: no error", maxDepth+1)
			}
			if _, pe := parseGuarded(t, f, nested(f, "[", "]", maxDepth+1)); pe == nil {
				t.Fatalf("depth %d of arrays: no error", maxDepth+1)
			}
		})
	}
}

// What a decoder would change or drop without a word is refused, with the
// line, or handled on purpose.
func TestParseRefusesSilentChanges(t *testing.T) {
	cases := []struct {
		name   string
		format model.Format
		data   string
		line   int
		msg    string
	}{
		{"json invalid utf-8", model.FormatJSON, "{\n\"a\": \"\xff\xfe" + known + "\"}", 2, "the file is not valid UTF-8 text"},
		{"properties invalid utf-8", model.FormatProperties, "a = 1\nb = caf\xe9\n", 2, "the file is not valid UTF-8 text"},
		{"json lone surrogate value", model.FormatJSON, `{"a": "x\ud800y"}`, 1, `a JSON string holds an invalid \u escape`},
		{"json lone surrogate key", model.FormatJSON, `{"a\udc00": "x"}`, 1, `a JSON key holds an invalid \u escape`},
		{"json duplicate", model.FormatJSON, "{\n\"a\": 1,\n\"a\": 2}", 3, "a key is defined twice (first on line 2)"},
		{"json duplicate by flattening", model.FormatJSON, "{\"a.b\": 1,\n\"a\": {\"b\": 2}}", 2, "a key is defined twice (first on line 1)"},
		{"yaml duplicate", model.FormatYAML, "a: 1\nb: 2\na: 3\n", 3, "a key is defined twice (first on line 1)"},
		{"properties duplicate", model.FormatProperties, "a = 1\nb = 2\na = " + known + "\n", 3, "a key is defined twice (first on line 1)"},
		{"properties duplicate after continuation", model.FormatProperties, "a = 1 \\\n  2\na : 3\n", 3, "a key is defined twice (first on line 1)"},
		{"env duplicate", model.FormatEnv, "A=1\n# x\nexport A=" + known + "\n", 3, "a key is defined twice (first on line 1)"},
		{"yaml second document", model.FormatYAML, "a: 1\n---\nb: 2\n", 2, "more than one YAML document in the file"},
		{"yaml error on line 1", model.FormatYAML, "a: b: " + known + "\n", 1, "invalid YAML syntax"},
		{"yaml control character", model.FormatYAML, "a: 1\nb: \x01" + known + "\n", 2, "a control character YAML does not allow"},
		{"yaml binary not base64", model.FormatYAML, "a: 1\nb: !!binary " + known + "\n", 2, "a !!binary value that is not base64"},
		{"yaml binary in a sequence", model.FormatYAML, "a: [!!binary aGVsbG8=]\n", 1, "a !!binary value inside a YAML sequence is not supported"},
		{"yaml non-scalar key", model.FormatYAML, "? [a, b]\n: 1\n", 1, "a YAML key must be a plain scalar"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			es, pe := parseGuarded(t, c.format, c.data)
			if pe == nil {
				t.Fatalf("no error, entries %v", es)
			}
			if pe.Line != c.line || pe.Msg != c.msg {
				t.Errorf("got line %d %q, want line %d %q", pe.Line, pe.Msg, c.line, c.msg)
			}
		})
	}
}

func TestParseYAMLBinaryIsDecoded(t *testing.T) {
	got := entriesOf(t, model.FormatYAML, "a: !!binary aGVs\n  bG8=\nb: !!binary \"AP8=\"\n")
	if got["a"] != "hello" || got["b"] != "\x00\xff" {
		t.Errorf("got %q", got)
	}
}

// A key is shown in the terminal: one holding a control character (here an
// ESC sequence that colours and retitles the terminal) is refused with its
// line, whichever escape of the format wrote it.
func TestParseRefusesControlCharactersInKeys(t *testing.T) {
	cases := []struct {
		format model.Format
		data   string
		line   int
	}{
		{model.FormatJSON, "{\n\"db\\u001b[31mRED\\u001b]0;PWNED\\u0007\": 1}", 2},
		{model.FormatJSON, "{\"db\": {\"\\u009b31m\": 1}}", 1},
		{model.FormatYAML, "a: 1\n\"db\\e[31mRED\": 1\n", 2},
		{model.FormatProperties, "a = 1\ndb\\u001b[31mRED = 1\n", 2},
		{model.FormatProperties, "a = 1\ndb\\\n = 1\n", 2},
	}
	for _, c := range cases {
		es, pe := parseGuarded(t, c.format, c.data)
		if pe == nil || pe.Line != c.line || pe.Msg != "a key contains a control character" {
			t.Errorf("%s %q: got %v %v, want line %d", c.format, c.data, es, pe, c.line)
		}
	}
}

func TestParseProperties(t *testing.T) {
	got := entriesOf(t, model.FormatProperties, "a\\ b\\:c\\=d = v\\t\\u00e9\\q\n"+
		"! comment \\\nlong = first \\\n   second\n"+
		"smile : \\ud83d\\ude00\nbare\n  k  v  \ncrlf=x\r\nlast")
	want := map[string]string{"a b:c=d": "v\té" + "q", "long": "first second", "smile": "😀", "bare": "", "k": "v  ", "crlf": "x", "last": ""}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	es, pe := Parse("f", model.FormatProperties, []byte("# c\na = 1 \\\n  2\n\nb = 3\n"))
	if pe != nil || es[0].Line != 2 || es[1].Line != 5 {
		t.Errorf("lines: %+v %v", es, pe)
	}
	for _, c := range []struct {
		data string
		line int
		msg  string
	}{
		{"a = 1\n = " + known + "\n", 2, "a value with no key"},
		{"a = 1\nb = \\ud800" + known + "\n", 2, `an invalid \u escape`},
		{"a = 1\nb = \\u12\n", 2, `an invalid \u escape`},
		{"a = 1\nb = " + known + "\\", 2, "a backslash at the end of the file"},
	} {
		if _, pe := Parse("f", model.FormatProperties, []byte(c.data)); pe == nil || pe.Line != c.line || pe.Msg != c.msg {
			t.Errorf("%q: got %v, want line %d %q", c.data, pe, c.line, c.msg)
		}
	}
}

// The properties library left a goroutine blocked forever, holding the
// file's text, for each file with a value but no key.
func TestParsePropertiesLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 50 {
		if _, pe := Parse("f", model.FormatProperties, []byte("=ab\""+known+"\n")); pe == nil {
			t.Fatal("no error")
		}
	}
	time.Sleep(50 * time.Millisecond)
	if n := runtime.NumGoroutine(); n > before+5 {
		t.Errorf("goroutines: %d before, %d after 50 failed files", before, n)
	}
}
