package stack

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/secretdeck/secretdeck/model"
)

// laughs is a "billion laughs": ten aliases of ten aliases of … a short
// string, 10^levels strings once expanded.
func laughs(levels int) string {
	var b strings.Builder
	b.WriteString("version: \"3.8\"\nx-0: &l0 \"lol\"\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "x-%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), 10), ","))
	}
	b.WriteString("services:\n  web:\n    image: nginx\n")
	return b.String()
}

func nested(depth int) string {
	return "version: \"3.8\"\nx-deep: " + strings.Repeat("[", depth) + strings.Repeat("]", depth) + "\n"
}

// Whoever can write a stack file must not be able to make Parse spend
// unbounded memory or time: such files are refused before docker's loader
// (which has no budget of its own) sees them, with the bound and the line.
func TestParseRefusesHostileFiles(t *testing.T) {
	cases := []struct {
		name string
		file string
		line int
		msg  string
	}{
		{"too large", "x-pad: " + strings.Repeat("a", MaxFileSize-7) + "\n",
			0, "stack file too large (1048577 bytes; the limit is 1048576)"},
		{"billion laughs", laughs(9),
			7, "more than 100000 YAML nodes once aliases are expanded"},
		{"long text repeated by aliases", "x-a: &a \"" + strings.Repeat("a", 200_000) + "\"\nx-b: [" + strings.TrimSuffix(strings.Repeat("*a,", 100), ",") + "]\n",
			2, "more than 16777216 bytes of text once aliases are expanded"},
		{"alias inside its anchor", "version: \"3.8\"\nx-loop: &a [1, *a]\n",
			2, "an alias inside its own anchor"},
		{"merge of its own mapping", "version: \"3.8\"\nx-loop: &a\n  b: 1\n  <<: *a\n",
			2, "an alias inside its own anchor"},
		{"too deep", nested(maxDepth + 1),
			2, "YAML nested more than 64 deep (aliases expanded)"},
		{"too deep through aliases", "x-a: &a " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\nx-b: " + strings.Repeat("[", 30) + "*a" + strings.Repeat("]", 30) + "\n",
			2, "YAML nested more than 64 deep (aliases expanded)"},
		{"too many keys", "x-keys:\n" + strings.Repeat("  k: v\n", 0) + keysLines(maxKeys+1),
			2, "more than 1000 keys in one mapping"},
		{"key that is not a string", "version: \"3.8\"\nx-a:\n  1: one\n",
			3, "a YAML key that is not a string"},
		{"key defined twice", "version: \"3.8\"\nsecrets:\n  a: {external: true}\n  b: {external: true}\n  a: {file: x}\n",
			5, `"a" is defined twice (first on line 3)`},
		{"not UTF-8", "version: \"3.8\"\nx-a: caf\xe9\n", 2, "the file is not valid UTF-8 text"},
		{"control character", "version: \"3.8\"\nx-a: \"\x1b[2J\"\n", 2, "a control character YAML does not allow"},
		{"unknown anchor", "version: \"3.8\"\nx-a: *nowhere\n", 2, "an alias to an unknown anchor"},
		{"syntax", "version: \"3.8\"\nservices: [\n", 2, "invalid YAML syntax"},
		{"syntax on line 1", "version: \"3.8\" x: y\n", 1, "invalid YAML syntax"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("shop", "stacks/shop.yml", []byte(c.file), nil)
			var pe *model.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a ParseError", err)
			}
			if pe.Line != c.line || pe.Msg != c.msg {
				t.Errorf("got line %d %q\nwant line %d %q", pe.Line, pe.Msg, c.line, c.msg)
			}
		})
	}
}

func keysLines(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  k%d: v\n", i)
	}
	return b.String()
}

// The bounds refuse files past them, not files at them: a file at every
// bound at once is read in full.
func TestParseAtTheBounds(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: \"3.8\"\nx-deep: " + strings.Repeat("[", maxDepth-2) + strings.Repeat("]", maxDepth-2) + "\n")
	b.WriteString("x-keys:\n" + keysLines(maxKeys))
	b.WriteString("services:\n  web:\n    image: nginx\n    secrets: [a]\n")
	b.WriteString("secrets:\n  a:\n    external: true\n")
	f, err := Parse("shop", "stacks/shop.yml", []byte(b.String()), nil)
	if err != nil {
		t.Fatalf("a file at the bounds: %v", err)
	}
	line := strings.Count(b.String()[:strings.Index(b.String(), "    secrets: [a]")], "\n") + 1
	if refsOf(f.Service("shop_web").Secrets) != fmt.Sprintf("a a a 0:0 444 @%d\n", line) {
		t.Errorf("refs: %s", refsOf(f.Service("shop_web").Secrets))
	}
	if _, err := Parse("shop", "stacks/shop.yml", []byte("x-pad: "+strings.Repeat("a", MaxFileSize-8)+"\n"), nil); err != nil {
		t.Errorf("a file of %d bytes: %v", MaxFileSize, err)
	}
	if _, err := Parse("shop", "stacks/shop.yml", []byte(laughs(3)), nil); err != nil {
		t.Errorf("1,000 strings by aliases: %v", err)
	}
}

// No error may quote a value of the file or of env: a stack file can hold
// credentials (environment:, labels) and env holds the operator's.
func TestParseErrorsQuoteNoValue(t *testing.T) {
	const head = "version: \"3.8\"\nservices:\n  web:\n    image: nginx\n"
	files := []string{
		head + "    environment:\n      PASSWORD: ${" + marker + "\n",
		head + "    environment: [\"PASSWORD=" + marker + "\"]\n    stop_grace_period: \"" + marker + "\"\n",
		head + "    deploy:\n      replicas: \"" + marker + "\"\n",
		head + "    deploy:\n      replicas: ${SECRET}\n",
		head + "    secrets:\n      - source: a\n        mode: \"" + marker + "\"\nsecrets:\n  a: {external: true}\n",
		head + "    labels: {a: 1}\n    ulimits: {nofile: \"" + marker + "\"}\n",
		head + "    healthcheck:\n      interval: " + marker + "\n",
		head + "    healthcheck:\n      start_period: " + marker + "\n",
		head + "    deploy:\n      resources:\n        limits:\n          memory: " + marker + "\n",
		head + "    volumes: [\"" + marker + ":" + marker + ":" + marker + ":" + marker + "\"]\n",
		head + "    command: \"'" + marker + "\"\n",
		"version: \"" + marker + "\"\n",
		"version: \"3.8\"\nsecrets:\n  a:\n    driver: x\n    file: " + marker + "\n",
		"version: \"3.8\"\nnetworks:\n  n:\n    external:\n      name: " + marker + "\n    name: y\n",
		"version: \"3.8\"\nvolumes:\n  v:\n    external: true\n    driver: " + marker + "\n",
		head + "    volumes:\n      - type: bind\n        target: /x\n        source: \"\"\n    image: " + marker + "\n",
		"x: !!binary " + marker + "\n",
		"x: " + marker + ": y\n",
	}
	for _, file := range files {
		_, err := Parse("shop", "stacks/shop.yml", []byte(file), map[string]string{"SECRET": marker})
		if err == nil {
			t.Errorf("accepted:\n%s", file)
			continue
		}
		if strings.Contains(err.Error(), marker) || strings.Contains(err.Error(), marker[:7]) {
			t.Errorf("the error quotes a value: %v\n%s", err, file)
		}
	}
}

// ports: are not handed to the loader, which expands every range in time
// that grows with its square (1-8000 took 6 s, 1-65535 would take minutes).
func TestParseIgnoresPortRanges(t *testing.T) {
	start := time.Now()
	mustParse(t, "version: \"3.8\"\nservices:\n  web:\n    image: nginx\n    ports: [\"1-65535:1-65535\", \"1-65535:1-65535/udp\"]\n", nil)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v", took)
	}
}
