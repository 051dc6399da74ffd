package s3

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// sopsPlain are property files in every format SOPS encrypts, with the
// values the tests look for after decryption.
var sopsPlain = map[string]string{
	"my_service.json.prod":  `{"db": {"password": "json-pw-7Qx", "user": "api"}, "port": 5432}`,
	"worker.yaml.prod":      "queue:\n  pass: yaml-pw-7Qx\n  user: w\n",
	"redis.env.prod":        "REDIS_PASS=\"env pw 7Qx\"\nREDIS_USER=r\n",
	"proxy.properties.prod": "stats.password = props-pw-7Qx\nstats.user = p\n",
}

// sopsInputType is the SOPS --input-type of a property file.
func sopsInputType(key string) string {
	_, format, _, _ := ParseName(key)
	switch format {
	case model.FormatEnv:
		return "dotenv"
	case model.FormatProperties:
		return "ini"
	}
	return string(format)
}

// sopsEncrypt encrypts a property file for recipient with the real sops.
func sopsEncrypt(t *testing.T, recipient, key, plain string) string {
	t.Helper()
	return testrig.SOPSEncrypt(t, recipient, sopsInputType(key), plain)
}

func ageKey(t *testing.T) (string, string) { return testrig.AgeKey(t) }

func noAgeKeys(t *testing.T) { testrig.NoAgeKeys(t) }

func load(t *testing.T, opts Options) *model.SourceSnapshot {
	t.Helper()
	src, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := src.Load(context.Background(), "prod")
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// entriesOf is every file's entries with their values, and its error.
func sopsEntries(snap *model.SourceSnapshot) map[string]string {
	out := map[string]string{}
	for _, f := range snap.Files {
		var b strings.Builder
		for _, e := range f.Entries {
			b.WriteString(e.Key + "=" + e.Value.Reveal() + ";")
		}
		if f.Err != nil {
			b.WriteString("ERR " + f.Err.Error())
		}
		out[f.Key] = b.String()
	}
	return out
}

// TestSOPSFilesReadLikePlainOnes: a folder and a bucket (the rig's
// versitygw) holding SOPS-encrypted files give the same keys and values as
// the plain files, and say how each was obtained.
func TestSOPSFilesReadLikePlainOnes(t *testing.T) {
	keyFile, recipient := ageKey(t)
	encrypted := map[string]string{}
	for k, v := range sopsPlain {
		encrypted[k] = sopsEncrypt(t, recipient, k, v)
		if strings.Contains(encrypted[k], "7Qx") {
			t.Fatalf("%s: sops left a value in clear", k)
		}
	}
	noAgeKeys(t)
	t.Setenv("SOPS_AGE_KEY_FILE", keyFile)

	plain := load(t, Options{URI: writeFolder(t, sopsPlain)})
	want := sopsEntries(plain)
	for k, v := range want {
		if strings.Contains(v, "ERR") || v == "" {
			t.Fatalf("plain %s: %s", k, v)
		}
	}
	check := func(t *testing.T, snap *model.SourceSnapshot) {
		t.Helper()
		got := sopsEntries(snap)
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: encrypted gives %q, plain %q", k, got[k], w)
			}
		}
		for _, f := range snap.Files {
			if f.Via != "sops+age" {
				t.Errorf("%s: via %q, want sops+age", f.Key, f.Via)
			}
			if strings.Contains(f.Raw.Reveal(), "ENC[") || !strings.Contains(f.Raw.Reveal(), "7Qx") {
				t.Errorf("%s: the whole-file value is not the decrypted file", f.Key)
			}
		}
	}
	for _, f := range plain.Files {
		if f.Via != ViaPlain {
			t.Errorf("plain %s: via %q", f.Key, f.Via)
		}
	}
	t.Run("folder", func(t *testing.T) { check(t, load(t, Options{URI: writeFolder(t, encrypted)})) })
	t.Run("reloaded from memory", func(t *testing.T) {
		src, err := Open(context.Background(), Options{URI: writeFolder(t, encrypted)})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // the second Load reuses what the first read and decrypted
			snap, err := src.Load(context.Background(), "prod")
			if err != nil {
				t.Fatal(err)
			}
			check(t, snap)
		}
	})
	t.Run("bucket", func(t *testing.T) {
		opts, srv := rigOptions(t, "")
		opts.URI = "s3://" + srv.NewBucket(t, encrypted)
		check(t, load(t, opts))
	})
	t.Run("SOPS_AGE_KEY", func(t *testing.T) {
		data, err := os.ReadFile(keyFile)
		if err != nil {
			t.Fatal(err)
		}
		noAgeKeys(t)
		t.Setenv("SOPS_AGE_KEY", string(data))
		check(t, load(t, Options{URI: writeFolder(t, encrypted)}))
	})
}

// TestSOPSFailuresAreReportedOnTheFile: a file that cannot be decrypted (no
// key, another key, values changed without SOPS, a key service named by
// the file) is reported on that file, never with a value, and the others
// load.
func TestSOPSFailuresAreReportedOnTheFile(t *testing.T) {
	mine, myRecipient := ageKey(t)
	_, otherRecipient := ageKey(t)
	plain := sopsPlain["my_service.json.prod"]
	good := sopsEncrypt(t, myRecipient, "my_service.json.prod", plain)
	// Drop an encrypted value: each left still decrypts, the MAC does not match.
	dropped := regexp.MustCompile(`,\s*"user": "ENC\[[^"]*"`).ReplaceAllString(good, "")
	if dropped == good {
		t.Fatal("no user value to drop")
	}
	// A value's ciphertext swapped for another's: GCM refuses it.
	swapped := swapFirstTwoCiphertexts(t, good)
	// The age entry twice, as two key groups (Shamir secret sharing).
	ages := regexp.MustCompile(`"age": \[[^\]]*\]`).FindString(good)
	groups := strings.Replace(good, ages, `"key_groups": [{`+ages+`}, {`+ages+`}], "shamir_threshold": 2`, 1)
	vault := strings.Replace(good, `"sops": {`, `"sops": {"hc_vault": [{"vault_address": "http://127.0.0.1:1", "engine_path": "sops", "key_name": "k", "created_at": "2026-01-01T00:00:00Z", "enc": "vault:v1:x"}],`, 1)
	files := map[string]string{
		"ok.json.prod":        good,
		"other.json.prod":     sopsEncrypt(t, otherRecipient, "other.json.prod", plain),
		"dropped.json.prod":   dropped,
		"swapped.json.prod":   swapped,
		"broken.json.prod":    strings.Replace(good, `"lastmodified": "`, `"lastmodified": "yesterday`, 1),
		"vaultonly.json.prod": strings.NewReplacer(`"age": [`, `"age_": [`).Replace(vault),
		"plain.env.prod":      "A=1\n",
		"groups.json.prod":    groups,
	}
	noAgeKeys(t)
	t.Setenv("SOPS_AGE_KEY_FILE", mine)
	got := sopsEntries(load(t, Options{URI: writeFolder(t, files)}))
	want := map[string]string{
		"ok.json.prod":        "db.password=json-pw-7Qx;db.user=api;port=5432;",
		"plain.env.prod":      "A=1;",
		"other.json.prod":     "ERR other.json.prod: SOPS: wrong key: none of the age keys given",
		"dropped.json.prod":   "ERR dropped.json.prod: SOPS: MAC mismatch",
		"swapped.json.prod":   "ERR swapped.json.prod: SOPS: a value does not decrypt",
		"broken.json.prod":    "ERR broken.json.prod: carries SOPS metadata but is not a SOPS file",
		"vaultonly.json.prod": "ERR vaultonly.json.prod: SOPS: encrypted for hc_vault: secretdeck decrypts with age keys only",
		"groups.json.prod":    "ERR groups.json.prod: SOPS: encrypted with several key groups (Shamir secret sharing)",
	}
	for k, w := range want {
		if !strings.HasPrefix(got[k], w) {
			t.Errorf("%s: got %q, want %q…", k, got[k], w)
		}
		if strings.HasPrefix(w, "ERR") && (strings.Contains(got[k], "7Qx") || strings.Contains(got[k], "api")) {
			t.Errorf("%s: the error holds a value: %q", k, got[k])
		}
	}
	if !strings.Contains(got["other.json.prod"], otherRecipient) {
		t.Errorf("wrong key: the error should name the recipient it needs: %q", got["other.json.prod"])
	}

	noAgeKeys(t)
	got = sopsEntries(load(t, Options{URI: writeFolder(t, files)}))
	if w := "ERR ok.json.prod: SOPS: no age key to decrypt it (for " + myRecipient + "): set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY"; got["ok.json.prod"] != w {
		t.Errorf("no key: got %q, want %q", got["ok.json.prod"], w)
	}
	if got["plain.env.prod"] != "A=1;" {
		t.Errorf("a plain file beside one that cannot be decrypted: %q", got["plain.env.prod"])
	}
}

// swapFirstTwoCiphertexts swaps the data of the file's first two encrypted
// values, keeping their IVs and tags.
func swapFirstTwoCiphertexts(t *testing.T, s string) string {
	t.Helper()
	parts := strings.SplitN(s, "ENC[AES256_GCM,data:", 3)
	if len(parts) != 3 {
		t.Fatal("fewer than two encrypted values")
	}
	d1, r1, _ := strings.Cut(parts[1], ",")
	d2, r2, _ := strings.Cut(parts[2], ",")
	return parts[0] + "ENC[AES256_GCM,data:" + d2 + "," + r1 + "ENC[AES256_GCM,data:" + d1 + "," + r2
}

// TestSOPSDetection: what carries SOPS metadata as SOPS writes it, per
// format, and what merely mentions sops.
func TestSOPSDetection(t *testing.T) {
	cases := []struct {
		format model.Format
		data   string
		want   bool
	}{
		{model.FormatJSON, `{"a": 1, "sops": {"mac": "ENC[x]", "version": "3.13.3"}}`, true},
		{model.FormatJSON, `{"a": 1, "sops": {"mac": "", "version": "3.13.3"}}`, false},
		{model.FormatJSON, `{"sops": "mac version"}`, false},
		{model.FormatJSON, `{"db": {"sops": {"mac": "x", "version": "1"}}}`, false},
		{model.FormatYAML, "a: 1\nsops:\n    age: []\n    mac: ENC[x]\n    version: 3.13.3\n", true},
		{model.FormatYAML, "sops: # comment\n  mac: ENC[x]\n", true},
		{model.FormatYAML, "sops:\n  age: x\nother:\n  mac: ENC[x]\n", false},
		{model.FormatYAML, "db:\n  sops:\n    mac: ENC[x]\n", false},
		{model.FormatEnv, "A=1\nsops_mac=ENC[x]\nsops_version=3.13.3\n", true},
		{model.FormatEnv, "sops_mac=ENC[x]\n", false},
		{model.FormatProperties, "a = 1\n\n[sops]\nmac = ENC[x]\nversion = 3\n", true},
		{model.FormatProperties, "mac = ENC[x]\n[sops]\nversion = 3\n", false},
		{model.FormatFile, `{"sops": {"mac": "x", "version": "1"}}`, false},
	}
	for _, c := range cases {
		if _, got := sopsStore(c.format, []byte(c.data)); got != c.want {
			t.Errorf("%s %q: SOPS %v, want %v", c.format, c.data, got, c.want)
		}
	}
}

// TestSOPSReadsNoSSHKeyAndNeverPrompts: the age keys come from
// SOPS_AGE_KEY(_FILE) or keys.txt only. A file encrypted for the operator's
// SSH key (whose public half anyone may know) is reported, never decrypted
// with ~/.ssh/id_ed25519 — SOPS would, and for a protected key it would ask
// for the passphrase on the terminal, under the workbench's screen.
func TestSOPSReadsNoSSHKeyAndNeverPrompts(t *testing.T) {
	keygen := testrig.Tool(t, "ssh-keygen")
	noAgeKeys(t)
	home := os.Getenv("HOME")
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(home, ".ssh", "id_ed25519")
	if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	enc := sopsEncrypt(t, strings.TrimSpace(string(pub)), "api.json.prod", `{"a": "ssh-pw-7Qx"}`)
	got := sopsEntries(load(t, Options{URI: writeFolder(t, map[string]string{"api.json.prod": enc})}))
	if w := "ERR api.json.prod: SOPS: no age key to decrypt it"; !strings.HasPrefix(got["api.json.prod"], w) {
		t.Errorf("got %q, want %q…", got["api.json.prod"], w)
	}
}
