package azkv

import (
	"strings"
	"testing"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretdeck/secretdeck/model"
)

// FuzzMapSecret: whatever a vault's writer names or tags a secret, and
// whatever --source says, mapping never panics, a mapped entry has a
// service, a key and an environment that print as they are, a prefixed
// source maps only its own names, and an error is one line.
func FuzzMapSecret(f *testing.F) {
	f.Add("azkv://myvault", "prod--api--pass", "", "", "")
	f.Add("azkv://myvault/team", "team--prod--api--pass", "", "", "")
	f.Add("azkv://myvault", "anything", "my_service", "db.password", "prod")
	f.Add("azkv://myvault", "x", "svc\x1b[2J", "k", "prod")
	f.Add("azkv://myvault", "pr\x1bod--api--pass", "", "", "")
	f.Add("azkv://my.vault.azure.cn/a-b", "a-b--e--s--k", "", "k", "")
	f.Fuzz(func(t *testing.T, uri, name, service, key, env string) {
		s, err := Open(Options{URI: uri, Credential: &azfake.TokenCredential{}})
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("a two-line error: %q", err)
			}
			return
		}
		tags := map[string]*string{}
		for k, v := range map[string]string{TagService: service, TagKey: key, TagEnv: env} {
			if v != "" {
				tags[k] = to.Ptr(v)
			}
		}
		e, ok, why := s.mapSecret(name, &azsecrets.SecretProperties{Tags: tags})
		if !ok {
			if why != "" && strings.Contains(why, "\n") {
				t.Fatalf("a two-line reason: %q", why)
			}
			return
		}
		for _, part := range []string{e.service, e.key, e.env} {
			if part == "" || model.Printable(part) != part {
				t.Fatalf("mapped %q to %q/%q/%q", name, e.env, e.service, e.key)
			}
		}
		if s.prefix != "" && !strings.HasPrefix(name, s.prefix+"--") {
			t.Fatalf("%s mapped %q, outside its prefix", uri, name)
		}
	})
}
