package stack

import (
	"errors"
	"testing"

	"github.com/secretdeck/secretdeck/internal/udiff"
	"github.com/secretdeck/secretdeck/model"
)

// FuzzEditSecretName checks what must hold for any file: the edit never
// panics; when it succeeds the file resolves the definition to the new name
// and differs from the old one in one line (replaced or added); when it
// fails, it says why in printable words.
func FuzzEditSecretName(f *testing.F) {
	for _, s := range addSeeds(f) {
		f.Add(s, uint8(0), "pk_v9")
		f.Add(s, uint8(129), "cfg_v2")
	}
	f.Add([]byte("version: \"3.1\"\nsecrets:\n  a:\n    external: true # c\n"), uint8(0), "a_v2")
	f.Add([]byte("secrets:\n  a: {external: true, name: 'a_v1'}"), uint8(0), "a_v2")
	f.Add([]byte("secrets:\r\n  a:\r\n    external: true\r\n"), uint8(0), "1e3")
	f.Add([]byte("\ufeffsecrets:\n  a:\n    name: \"a_v1\" # c\n    file: x\n"), uint8(0), "a_v2")
	f.Fuzz(func(t *testing.T, data []byte, pick uint8, name string) {
		kind, set := "secret", SetSecretName
		if pick >= 128 {
			kind, set = "config", SetConfigName
		}
		key := "a"
		if before, err := Parse(verifyStack, "", data, nil); err == nil {
			defs := before.Secrets
			if kind == "config" {
				defs = before.Configs
			}
			if len(defs) > 0 {
				key = defs[int(pick)%len(defs)].Key
			}
		}
		out, err := set(data, key, name, nil)
		if err != nil {
			var ee *EditError
			if errors.As(err, &ee) && model.Printable(ee.Msg) != ee.Msg {
				t.Fatalf("unprintable error %q", ee.Msg)
			}
			return
		}
		if !model.ValidSecretName(name) {
			t.Fatalf("wrote the name %q docker refuses", name)
		}
		after, err := Parse(verifyStack, "", out, nil)
		if err != nil {
			t.Fatalf("the edited file does not load: %v\n%q", err, out)
		}
		if d := definitionOf(after, kind, key); d == nil || d.Name != name {
			t.Fatalf("%s %s does not resolve to %s: %+v", kind, key, name, d)
		}
		a, b := udiff.Lines(data), udiff.Lines(out)
		head, tail := 0, 0
		for head < len(a) && head < len(b) && a[head] == b[head] {
			head++
		}
		for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
			tail++
		}
		if removed, added := len(a)-head-tail, len(b)-head-tail; removed > 1 || added > 1 || (removed == 1 && added == 0) {
			t.Fatalf("the edit removed %d lines and added %d:\n%s", removed, added, udiff.UnifiedDiff("f", data, out))
		}
	})
}
