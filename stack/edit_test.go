package stack

import (
	"errors"
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/internal/udiff"
)

// Each edit is checked byte for byte against the file expected after it:
// comments, order, quotes and indentation outside the edited name stay.
func TestSetSecretName(t *testing.T) {
	cases := []struct {
		name   string
		before string
		after  string
	}{
		{
			name: "name: present, plain, with a comment kept",
			before: `version: "3.8"   # shop
services:
  web:
    image: nginx
    secrets: [payment_key]
secrets:
  payment_key:
    external: true
    name: payment_key_v2   # rotated by secretdeck
`,
			after: `version: "3.8"   # shop
services:
  web:
    image: nginx
    secrets: [payment_key]
secrets:
  payment_key:
    external: true
    name: payment_key_v3   # rotated by secretdeck
`,
		},
		{
			name:   "name: double-quoted stays double-quoted",
			before: "version: '3.8'\nsecrets:\n  payment_key:\n    name: \"payment_key_v2\"\n    external: true\n",
			after:  "version: '3.8'\nsecrets:\n  payment_key:\n    name: \"payment_key_v3\"\n    external: true\n",
		},
		{
			name:   "name: single-quoted stays single-quoted",
			before: "version: '3.8'\nsecrets:\n  payment_key:\n    name: 'payment_key_v2'\n    external: true\n",
			after:  "version: '3.8'\nsecrets:\n  payment_key:\n    name: 'payment_key_v3'\n    external: true\n",
		},
		{
			name: "external: true without a name: gets a name: line at its indentation",
			before: `version: "3.8"
secrets:
    # the key from the payment provider
    payment_key:
        # rotated by hand until now
        external: true
    db:
        external: true
`,
			after: `version: "3.8"
secrets:
    # the key from the payment provider
    payment_key:
        # rotated by hand until now
        name: payment_key_v3
        external: true
    db:
        external: true
`,
		},
		{
			name:   "a file: secret gets a versioned name: (docker/cli#667)",
			before: "version: \"3.8\"\nsecrets:\n  payment_key:\n    file: ./payment_key.txt\n    labels:\n      team: shop\n",
			after:  "version: \"3.8\"\nsecrets:\n  payment_key:\n    name: payment_key_v3\n    file: ./payment_key.txt\n    labels:\n      team: shop\n",
		},
		{
			name:   "a flow mapping gets an entry",
			before: "version: \"3.8\"\nsecrets:\n  payment_key: {external: true}  # keep\n  db: {external: true}\n",
			after:  "version: \"3.8\"\nsecrets:\n  payment_key: {name: payment_key_v3, external: true}  # keep\n  db: {external: true}\n",
		},
		{
			name:   "a name: in a flow mapping is replaced",
			before: "version: \"3.8\"\nsecrets:\n  payment_key: {external: true, name: payment_key_v2}\n",
			after:  "version: \"3.8\"\nsecrets:\n  payment_key: {external: true, name: payment_key_v3}\n",
		},
		{
			name:   "the deprecated external.name: is replaced, not doubled by a name:",
			before: "version: \"3.8\"\nsecrets:\n  payment_key:\n    external:\n      name: payment_key_v2\n",
			after:  "version: \"3.8\"\nsecrets:\n  payment_key:\n    external:\n      name: payment_key_v3\n",
		},
		{
			name:   "before version 3.5, external: true becomes external: {name: …}",
			before: "version: \"3.1\"\nsecrets:\n  payment_key:\n    external: true # from vault\n",
			after:  "version: \"3.1\"\nsecrets:\n  payment_key:\n    external: {name: payment_key_v3} # from vault\n",
		},
		{
			name:   "CRLF line ends are kept",
			before: "version: \"3.8\"\r\nsecrets:\r\n  payment_key:\r\n    external: true\r\n",
			after:  "version: \"3.8\"\r\nsecrets:\r\n  payment_key:\r\n    name: payment_key_v3\r\n    external: true\r\n",
		},
		{
			name:   "a byte order mark and no final newline are kept",
			before: "\ufeffsecrets:\n  payment_key: {external: true, name: 'payment_key_v2'}",
			after:  "\ufeffsecrets:\n  payment_key: {external: true, name: 'payment_key_v3'}",
		},
		{
			name:   "a byte order mark before an edit on the first line",
			before: "\ufeffsecrets: {payment_key: {external: true, name: payment_key_v2}}\n",
			after:  "\ufeffsecrets: {payment_key: {external: true, name: payment_key_v3}}\n",
		},
		{
			name:   "only the top-level definition changes, not a service's secrets: of the same key",
			before: "services:\n  web:\n    image: nginx\n    secrets:\n      - source: payment_key\n        target: payment_key\nsecrets:\n  payment_key:\n    external: true\n",
			after:  "services:\n  web:\n    image: nginx\n    secrets:\n      - source: payment_key\n        target: payment_key\nsecrets:\n  payment_key:\n    name: payment_key_v3\n    external: true\n",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := SetSecretName([]byte(c.before), "payment_key", "payment_key_v3", nil)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.after {
				t.Errorf("got:\n%s\nwant:\n%s\ndiff:\n%s", got, c.after, udiff.UnifiedDiff("shop.yml", []byte(c.after), got))
			}
			f, err := Parse("shop", "shop.yml", got, nil)
			if err != nil || f.Secret("payment_key").Name != "payment_key_v3" {
				t.Errorf("after the edit: %v %+v", err, f)
			}
		})
	}
}

func TestSetNameQuotesWhatYAMLWouldNotReadAsText(t *testing.T) {
	got, err := SetSecretName([]byte("secrets:\n  k:\n    name: old\n    external: true\n"), "k", "1e3", nil)
	if err != nil || string(got) != "secrets:\n  k:\n    name: \"1e3\"\n    external: true\n" {
		t.Errorf("got %q, %v", got, err)
	}
	got, err = SetSecretName([]byte("secrets:\n  k: {external: true}\n"), "k", "true", nil)
	if err != nil || string(got) != "secrets:\n  k: {name: \"true\", external: true}\n" {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestSetConfigName(t *testing.T) {
	before := "version: \"3.8\"\nconfigs:\n  nginx:\n    file: ./nginx.conf\nsecrets:\n  nginx:\n    external: true\n"
	got, err := SetConfigName([]byte(before), "nginx", "shop_nginx_v2", nil)
	want := "version: \"3.8\"\nconfigs:\n  nginx:\n    name: shop_nginx_v2\n    file: ./nginx.conf\nsecrets:\n  nginx:\n    external: true\n"
	if err != nil || string(got) != want {
		t.Errorf("got %q, %v", got, err)
	}
}

// Setting the name a definition already resolves to changes nothing: the
// next plan of the same rotation edits no file.
func TestSetNameAlreadySet(t *testing.T) {
	for _, before := range []string{
		"secrets:\n  payment_key:\n    name: payment_key_v3\n    external: true\n",
		"secrets:\n  payment_key_v3:\n    external: true\n",
	} {
		key := strings.TrimSuffix(strings.Fields(before)[1], ":")
		got, err := SetSecretName([]byte(before), key, "payment_key_v3", nil)
		if err != nil || string(got) != before {
			t.Errorf("got %q, %v", got, err)
		}
	}
	// A name the stack gives depends on the stack's name, which the file
	// does not hold: asked for, it is written out.
	got, err := SetSecretName([]byte("secrets:\n  db:\n    file: x\n"), "db", verifyStack+"_db", nil)
	if err != nil || string(got) != "secrets:\n  db:\n    name: "+verifyStack+"_db\n    file: x\n" {
		t.Errorf("got %q, %v", got, err)
	}
}

// What cannot be edited in place safely is left for a person, with a reason
// and the line.
func TestSetNameRefuses(t *testing.T) {
	cases := []struct {
		name   string
		before string
		key    string
		line   int
		msg    string
	}{
		{"no such secret", "secrets:\n  a: {external: true}\n", "payment_key", 0,
			`the file defines no secret "payment_key" under secrets:`},
		{"name from a variable", "secrets:\n  payment_key:\n    external: true\n    name: ${PK_NAME:-payment_key_v2}\n", "payment_key", 2,
			`the name of secret "payment_key" comes from a variable: set the variable to payment_key_v3 instead`},
		{"definition through an alias", "x-pk: &pk\n  external: true\nsecrets:\n  payment_key: *pk\n", "payment_key", 4,
			`secret "payment_key" is defined through a YAML alias or merge key: change its name by hand`},
		{"anchored definition", "secrets:\n  payment_key: &pk\n    external: true\n  other: *pk\n", "payment_key", 2,
			`secret "payment_key" is defined through a YAML alias or merge key: change its name by hand`},
		{"name: through a merge key", "x-pk: &pk\n  name: payment_key_v2\nsecrets:\n  payment_key:\n    <<: *pk\n    external: true\n", "payment_key", 2,
			`secret "payment_key" takes its name: through a YAML alias or merge key: change its name by hand`},
		{"block scalar", "secrets:\n  payment_key:\n    external: true\n    name: >-\n      payment_key_v2\n", "payment_key", 4,
			`secret "payment_key" has a name written as a block scalar: change its name by hand`},
		{"plain name over two lines", "secrets:\n  payment_key:\n    external: true\n    name: payment_key\n      _v2\n", "payment_key", 4,
			`secret "payment_key" has a name this edit cannot place: change its name by hand`},
		{"version 3.4, created by the stack", "version: \"3.4\"\nsecrets:\n  payment_key:\n    file: ./pk\n", "payment_key", 3,
			`secret "payment_key" is created by the stack, and this compose file version has no name: (version 3.5 has): change its name by hand`},
		{"a file that does not load", "secrets:\n  payment_key:\n    nmae: x\n", "payment_key", 3,
			`the stack file does not load: secrets.payment_key: additional property 'nmae' is not allowed`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := SetSecretName([]byte(c.before), c.key, "payment_key_v3", nil)
			var ee *EditError
			if !errors.As(err, &ee) {
				t.Fatalf("got %q, %v; want an EditError", got, err)
			}
			if ee.Line != c.line || ee.Msg != c.msg {
				t.Errorf("got line %d %q\nwant line %d %q", ee.Line, ee.Msg, c.line, c.msg)
			}
		})
	}
	if _, err := SetSecretName([]byte("secrets:\n  a: {external: true}\n"), "a", "bad name", nil); err == nil {
		t.Error("a name docker refuses was written")
	}
}

// The edit is checked by parsing the result: an edit that would change
// anything but the definition's name is refused.
func TestVerifyEditRefusesOtherChanges(t *testing.T) {
	before, err := Parse(verifyStack, "", []byte("services:\n  web:\n    image: nginx\n    secrets: [a]\nsecrets:\n  a: {external: true}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{
		"services:\n  web:\n    image: nginx\n    secrets: [a]\nsecrets:\n  a: {external: true, name: a_v2}\n",
		"services:\n  web:\n    image: nginx\n    secrets: [{source: a, mode: 0400}]\nsecrets:\n  a: {external: true, name: a_v2}\n",
		"services:\n  web:\n    image: nginx\n    secrets: [a]\nsecrets:\n  a: {external: true, name: a_v2}\n  b: {external: true}\n",
		"services:\n  web:\n    image: nginx\n    secrets: [a]\nsecrets:\n  a: {external: true, name: a_v3}\n",
	} {
		err := verifyEdit(cloneFile(before), []byte(out), "secret", "a", "a_v2", nil)
		if (err == nil) != (out == "services:\n  web:\n    image: nginx\n    secrets: [a]\nsecrets:\n  a: {external: true, name: a_v2}\n") {
			t.Errorf("%q: %v", out, err)
		}
	}
}
