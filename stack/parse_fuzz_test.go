package stack

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secretdeck/secretdeck/model"
)

// marker stands for a secret value in test inputs and env: it must never
// reach an error.
const marker = "SECRET-MARKER-7f3a"

func addSeeds(f *testing.F) [][]byte {
	files, _ := filepath.Glob("testdata/*.yml")
	var seeds [][]byte
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, data)
	}
	return seeds
}

// FuzzParse checks what must hold for any file: Parse returns in bounded
// time without a panic; an error is a ParseError that quotes no value and
// prints safely; a parsed file's references resolve to its definitions.
func FuzzParse(f *testing.F) {
	for _, s := range addSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte("x: &a [*a]\n"))
	f.Add([]byte("services:\n  web:\n    image: nginx\n    env_file: /dev/zero\n    ports: ['1-65535:1-65535']\n"))
	env := map[string]string{"CNAME": marker, "MODE": "0400"}
	f.Fuzz(func(t *testing.T, data []byte) {
		// A hang shows as a crash with the input saved, not as a stall.
		watchdog := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("Parse hangs on %q", data)) })
		start := time.Now()
		file, err := Parse("shop", "stacks/shop.yml", data, env)
		watchdog.Stop()
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Parse took %v", d)
		}
		if err != nil {
			var pe *model.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("not a ParseError: %T %v", err, err)
			}
			if strings.Contains(err.Error(), marker) || model.Printable(err.Error()) != err.Error() {
				t.Fatalf("unsafe error: %q", err)
			}
			if pe.Line < 0 || pe.Line > strings.Count(string(data), "\n")+1 {
				t.Fatalf("error at line %d of a file of %d lines", pe.Line, strings.Count(string(data), "\n")+1)
			}
			return
		}
		for _, svc := range file.Services {
			if svc.Name != "shop_"+svc.Key {
				t.Fatalf("service %q named %q", svc.Key, svc.Name)
			}
			for _, r := range svc.Secrets {
				if d := file.Secret(r.Key); d == nil || d.Name != r.Name || r.Target == "" {
					t.Fatalf("secret ref %+v does not resolve to %+v", r, d)
				}
			}
			for _, r := range svc.Configs {
				if d := file.Config(r.Key); d == nil || d.Name != r.Name {
					t.Fatalf("config ref %+v does not resolve to %+v", r, d)
				}
			}
		}
		for _, d := range append(file.Secrets, file.Configs...) {
			stackNamed := d.Naming == NamedByStack && d.Name == "shop_"+d.Key && !d.External
			keyNamed := d.Naming == NamedByKey && d.Name == d.Key && d.External
			if d.Name == "" || (!stackNamed && !keyNamed && d.Naming != NamedByName && d.Naming != NamedByExternalName) {
				t.Fatalf("definition %+v", d)
			}
		}
	})
}
