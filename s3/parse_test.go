package s3

import (
	"fmt"
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/model"
)

const known = "hunter2-Sup3r-s3cret"

func entriesOf(t *testing.T, format model.Format, data string) map[string]string {
	t.Helper()
	es, pe := Parse("f", format, []byte(data))
	if pe != nil {
		t.Fatalf("parse %s: %v", format, pe)
	}
	out := map[string]string{}
	for _, e := range es {
		out[e.Key] = e.Value.Reveal()
	}
	return out
}

func TestParseFormats(t *testing.T) {
	cases := []struct {
		format model.Format
		data   string
		want   map[string]string
	}{
		{model.FormatJSON, `{"db": {"user": "app", "password": "p\"w", "pool": {"max": 10}}, "debug": true, "ratio": 0.5, "hosts": ["a", "b"], "none": null}`,
			map[string]string{"db.user": "app", "db.password": `p"w`, "db.pool.max": "10", "debug": "true", "ratio": "0.5", "hosts": `["a", "b"]`, "none": ""}},
		{model.FormatYAML, "db:\n  user: app\n  password: 'p: w'\n  pool: {max: 10}\nhosts: [a, b]\nempty:\n",
			map[string]string{"db.user": "app", "db.password": "p: w", "db.pool.max": "10", "hosts": `["a","b"]`, "empty": ""}},
		{model.FormatProperties, "# comment\ndb.user = app\ndb.password : p=w\nlong = first \\\n  second\nref = ${db.user}\n",
			map[string]string{"db.user": "app", "db.password": "p=w", "long": "first second", "ref": "${db.user}"}},
		{model.FormatEnv, "# comment\nDB_USER=app\nexport DB_PASSWORD=\"p w\"\nSINGLE='a$b'\n",
			map[string]string{"DB_USER": "app", "DB_PASSWORD": "p w", "SINGLE": "a$b"}},
	}
	for _, c := range cases {
		t.Run(string(c.format), func(t *testing.T) {
			got := entriesOf(t, c.format, c.data)
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("got  %v\nwant %v", got, c.want)
			}
		})
	}
}

func TestParseLineNumbers(t *testing.T) {
	es, pe := Parse("f", model.FormatYAML, []byte("a: 1\nb:\n  c: 2\n"))
	if pe != nil || es[0].Line != 1 || es[1].Key != "b.c" || es[1].Line != 3 {
		t.Fatalf("yaml lines: %+v %v", es, pe)
	}
	es, pe = Parse("f", model.FormatJSON, []byte("{\n  \"a\": 1,\n  \"b\": {\n    \"c\": 2\n  }\n}"))
	if pe != nil || es[0].Line != 2 || es[1].Line != 4 {
		t.Fatalf("json lines: %+v %v", es, pe)
	}
	es, pe = Parse("f", model.FormatEnv, []byte("# x\n\nA=1\n"))
	if pe != nil || es[0].Line != 3 {
		t.Fatalf("env lines: %+v %v", es, pe)
	}
}

func TestParseEmptyFiles(t *testing.T) {
	for _, f := range model.Formats {
		for _, data := range []string{"", "\n", "  \n"} {
			if es, pe := Parse("f", f, []byte(data)); pe != nil || len(es) != 0 {
				t.Errorf("%s %q: %v %v", f, data, es, pe)
			}
		}
	}
	for _, data := range []string{"---", "# only a comment\n---\n", "~\n"} {
		if es, pe := Parse("f", model.FormatYAML, []byte(data)); pe != nil || len(es) != 0 {
			t.Errorf("yaml %q: %v %v", data, es, pe)
		}
	}
}

// Broken files, each holding a known secret near the error: the error names
// the file and the line, and never the value.
func TestParseErrorsNameLineAndNeverTheValue(t *testing.T) {
	cases := []struct {
		format model.Format
		data   string
		line   int
	}{
		{model.FormatJSON, "{\n  \"a\": \"x\",\n  \"b\": " + known + "\n}", 3},
		{model.FormatJSON, "{\n  \"a\": \"" + known + "\"", 2},
		{model.FormatJSON, "[\"" + known + "\"]", 1},
		{model.FormatJSON, "{\"a\": 1}\n{\"b\": \"" + known + "\"}", 2},
		{model.FormatYAML, "a: 1\nb: [" + known + "\nc: 2\n", 0},
		{model.FormatYAML, "a: 1\n\tb: " + known + "\n", 2},
		{model.FormatYAML, "- " + known + "\n", 1},
		{model.FormatProperties, "a = 1\nb = \\u12" + known + "\n", 2},
		// The library quotes the token with %q: after the escaped quote, a
		// regex that removed "…" spans let the tail through.
		{model.FormatProperties, "a = 1\n=ab\"" + known + "\n", 2},
		{model.FormatProperties, "a = 1\n:\"\"" + known + "\"\n", 2},
		{model.FormatEnv, "A=1\nB=\"x\\q" + known + "\"\n", 2},
		{model.FormatEnv, "A=1\n" + known + "=1\n", 2},
		{model.FormatYAML, "a: 1\nb: *" + known + "\n", 2},
		{model.FormatEnv, "A=1\nB=\"" + known + "\n", 2},
		{model.FormatEnv, "A=1\n" + known + "\n", 2},
	}
	for _, c := range cases {
		es, pe := Parse("svc.x.prod", c.format, []byte(c.data))
		if pe == nil {
			t.Errorf("%s %q: no error (entries %v)", c.format, c.data, es)
			continue
		}
		msg := pe.Error() + fmt.Sprintf("%+v %#v", pe, pe)
		if strings.Contains(msg, known) || strings.Contains(msg, known[:6]) {
			t.Errorf("%s: error leaks the value: %s", c.format, msg)
		}
		if pe.File != "svc.x.prod" || (c.line > 0 && pe.Line != c.line) {
			t.Errorf("%s %q: got %q (line %d), want line %d", c.format, c.data, pe.Error(), pe.Line, c.line)
		}
	}
}

func TestParseDuplicateKeys(t *testing.T) {
	for _, c := range []struct {
		format model.Format
		data   string
	}{
		{model.FormatJSON, `{"a.b": "1", "a": {"b": "2"}}`},
		{model.FormatJSON, `{"a": "1", "a": "2"}`},
		{model.FormatYAML, "a.b: 1\na:\n  b: 2\n"},
	} {
		if _, pe := Parse("f", c.format, []byte(c.data)); pe == nil || !strings.Contains(pe.Msg, "twice") {
			t.Errorf("%s %s: want a duplicate key error, got %v", c.format, c.data, pe)
		}
	}
}

func TestParseName(t *testing.T) {
	cases := []struct {
		key, service string
		format       model.Format
		env          string
		ok           bool
	}{
		{"my_service.json.prod", "my_service", model.FormatJSON, "prod", true},
		{"shared.yaml.dev", "shared", model.FormatYAML, "dev", true},
		{"api.v2.env.prod", "api.v2", model.FormatEnv, "prod", true},
		{"prod/my_service.yaml", "my_service", model.FormatYAML, "prod", true},
		{"prod/my_service.yml", "my_service", model.FormatYAML, "prod", true},
		{"dev/proxy.properties", "proxy", model.FormatProperties, "dev", true},
		{"README.md", "", "", "", false},
		{"my_service.toml.prod", "", "", "", false},
		{"a/b/c.json", "", "", "", false},
		{".json.prod", "", "", "", false},
		{"prod/.env", "", "", "", false},
	}
	for _, c := range cases {
		s, f, e, ok := ParseName(c.key)
		if s != c.service || f != c.format || e != c.env || ok != c.ok {
			t.Errorf("ParseName(%q) = %q %q %q %v", c.key, s, f, e, ok)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("{\n")
	for i := range 10 {
		fmt.Fprintf(&sb, "  \"group%d\": {\"user\": \"u%d\", \"password\": \"p%d-%s\"},\n", i, i, i, known)
	}
	sb.WriteString("  \"last\": 1\n}")
	data := []byte(sb.String())
	b.ReportAllocs()
	for b.Loop() {
		for range 1000 { // 1,000 files, 21,000 keys
			if _, pe := Parse("f", model.FormatJSON, data); pe != nil {
				b.Fatal(pe)
			}
		}
	}
}
