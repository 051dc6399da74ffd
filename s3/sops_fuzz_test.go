package s3

import (
	"os"
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/model"
)

// FuzzSOPSDetect: SOPS detection and decoding never panic on what a bucket
// writer can put in a file, a plain file comes back unchanged, and an error
// never repeats the file's text (the marker stands for a value).
func FuzzSOPSDetect(f *testing.F) {
	const marker = "MARKER-7Qx"
	seeds := []struct {
		format model.Format
		data   string
	}{
		{model.FormatJSON, `{"a": "` + marker + `", "sops": {"mac": "ENC[AES256_GCM,data:` + marker + `,iv:a,tag:b,type:str]", "version": "3.13.3", "lastmodified": "2026-01-01T00:00:00Z", "age": [{"recipient": "age1x", "enc": "x"}]}}`},
		{model.FormatYAML, "a: " + marker + "\nsops:\n    mac: ENC[" + marker + "]\n    version: 3.13.3\n    age:\n        - recipient: age1x\n          enc: x\n"},
		{model.FormatEnv, "A=" + marker + "\nsops_mac=ENC[" + marker + "]\nsops_version=3.13.3\nsops_lastmodified=2026-01-01T00:00:00Z\n"},
		{model.FormatProperties, "a = " + marker + "\n[sops]\nmac = ENC[" + marker + "]\nversion = 3.13.3\n"},
		{model.FormatJSON, `{"sops": {"mac": "x", "version": "1", "hc_vault": [{"vault_address": "http://127.0.0.1:1"}]}, "k": "` + marker + `"}`},
	}
	for _, s := range seeds {
		f.Add(string(s.format), []byte(s.data))
	}
	// No age key anywhere: decoding goes as far as the data key.
	empty := f.TempDir()
	for k, v := range map[string]string{"SOPS_AGE_KEY_FILE": "", "SOPS_AGE_KEY": "", "SOPS_AGE_KEY_CMD": "", "HOME": empty, "XDG_CONFIG_HOME": empty} {
		old, had := os.LookupEnv(k)
		os.Setenv(k, v)
		if v == "" {
			os.Unsetenv(k)
		}
		f.Cleanup(func() {
			if had {
				os.Setenv(k, old)
			} else {
				os.Unsetenv(k)
			}
		})
	}
	f.Fuzz(func(t *testing.T, format string, data []byte) {
		fm := model.Format(format)
		out, how, err := decode("f", fm, data)
		if _, isSOPS := sopsStore(fm, data); !isSOPS {
			if err != nil || how != ViaPlain || string(out) != string(data) {
				t.Fatalf("a plain file changed: %q %v", how, err)
			}
			return
		}
		if err != nil && strings.Contains(err.Error(), marker) {
			t.Fatalf("the error repeats the file: %v", err)
		}
	})
}
