package model

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseManifest: whatever secretdeck.yaml holds (whoever can write the
// bucket writes it), parsing ends quickly, does not panic, its error prints
// as it is (no control character reaches a terminal), and a YAML error never
// repeats the file's text. (A manifest holds names, not values: a name that
// is not valid is quoted back, escaped, so that it can be fixed.)
func FuzzParseManifest(f *testing.F) {
	const marker = "SECRET-MARKER-7f3a"
	for _, seed := range []string{
		"environments:\n  prod: {protected: true}\nservices:\n  api:\n    keys:\n      db_pass: {secret: api_db, target: db.pass, mode: \"0400\"}\n",
		"a: &a\n  b: *a\n",
		"x: &x [" + strings.Repeat("*x,", 50) + "*x]\n",
		"environments:\n  prod: {protected: " + marker + "}\n",
		marker + ": 1\n",
		"services:\n  api:\n    secret: \"" + marker + "!\"\n",
		"services:\n  api:\n    exclude: [\"[" + marker + "\"]\n",
		strings.Repeat("[", 5000),
		"services: !!binary " + marker + "\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		_, err := ParseManifest("secretdeck.yaml", data)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%s to parse %d bytes", d, len(data)) // a hang guard, not a timing assertion
		}
		if err == nil {
			return
		}
		msg := err.Error()
		if Printable(msg) != msg {
			t.Fatalf("the error would drive a terminal: %q", msg)
		}
		if strings.Contains(msg, "not a valid manifest") && strings.Contains(msg, "MARKER") {
			t.Fatalf("the YAML error repeats the file: %v", err)
		}
	})
}
