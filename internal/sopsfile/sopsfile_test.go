package sopsfile

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/secretdeck/secretdeck/internal/testrig"
)

// A key made with the real age-keygen: its file, public key and identity.
type testKey struct {
	file, recipient string
	ids             []age.Identity
}

func newKey(t *testing.T) testKey {
	t.Helper()
	file, recipient := testrig.AgeKey(t)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := age.ParseIdentities(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return testKey{file, recipient, ids}
}

// sopsRun runs the real sops with plain text on stdin, in an empty home:
// no key but those the arguments and env name.
func sopsRun(t *testing.T, stdin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(testrig.SOPS(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sops %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

func encrypt(t *testing.T, typ, plain string, recipients []string, flags ...string) string {
	t.Helper()
	var global []string
	if len(flags) > 0 && flags[0] == "--config" { // a global flag
		global, flags = flags[:2], flags[2:]
	}
	args := append(global, "encrypt", "--age", strings.Join(recipients, ","), "--input-type", typ, "--output-type", typ)
	args = append(args, flags...)
	return sopsRun(t, plain, nil, append(args, "/dev/stdin")...)
}

func sopsDecrypt(t *testing.T, k testKey, typ, enc string) string {
	t.Helper()
	return sopsRun(t, enc, []string{"SOPS_AGE_KEY_FILE=" + k.file}, "decrypt", "--input-type", typ, "--output-type", typ, "/dev/stdin")
}

// rule is the sops flag naming a .sops.yaml whose one creation rule holds
// the settings sops has no flag for (mac_only_encrypted, comment regexes).
// It holds no key, so it may be on disk.
func rule(t *testing.T, settings ...string) []string {
	t.Helper()
	file := t.TempDir() + "/.sops.yaml"
	config := "creation_rules:\n  - " + strings.Join(settings, "\n    ") + "\n"
	if err := os.WriteFile(file, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"--config", file}
}

// decrypt is what secretdeck does with a SOPS file.
func decrypt(typ, enc string, ids []age.Identity) ([]byte, error) {
	f, err := Load(Format(typ), []byte(enc))
	if err != nil {
		return nil, err
	}
	key, err := f.DataKey(ids)
	if err != nil {
		return nil, err
	}
	return f.Decrypt(key)
}

func reasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return 0
}

// TestDecryptsAsSOPSDoes: files the real sops encrypted, in every format
// and with every rule of what is left in clear, decrypt to exactly the
// bytes `sops decrypt` writes — values, types, order, comments.
func TestDecryptsAsSOPSDoes(t *testing.T) {
	k := newKey(t)
	second := newKey(t)
	cases := []struct {
		name, typ, plain string
		flags            []string
		want             []string // in the plain output
	}{
		{"json nested", "json", `{"db": {"password": "pw-7Qx", "port": 5432, "ratio": 1.5, "on": true, "off": false, "none": null, "empty": "",
			"list": ["a", 1, 2.5, true, {"in": "x-7Qx"}, []], "uni": "héllo ✓ 日本 <&>", "multi": "line1\nline2"}, "big": 1e21, "neg": -3, "z": {}}`,
			nil, []string{"pw-7Qx", "5432", "x-7Qx", "héllo ✓ 日本", `line1\nline2`, "1e+21"}},
		{"yaml with comments", "yaml", "# head comment\ndb:\n  # before password\n  password: pw-7Qx # inline\n  port: 5432\n  ratio: 1.5\n  on: true\n  empty: \"\"\n  none:\n  when: 2026-01-01T00:00:00Z\n  list:\n    - a\n    # item comment\n    - 1\n    - in: x-7Qx\nmulti: |\n  line1\n  line2\nuni: héllo ✓\n# foot\n",
			nil, []string{"pw-7Qx", "# before password", "# item comment", "x-7Qx", "line1", "héllo ✓", "2026-01-01T00:00:00Z"}},
		{"dotenv", "dotenv", "A=1\n# a comment\nB=héllo ✓\nC=multi\\nline\nD=\nPASS=pw-7Qx\n", nil, []string{"PASS=pw-7Qx", "# a comment", `C=multi\nline`}},
		{"ini (properties)", "ini", "stats.password = pw-7Qx\nstats.user = p\n\n[section]\nk = v-7Qx\n", nil, []string{"pw-7Qx", "v-7Qx", "[section]"}},
		{"unencrypted suffix", "json", `{"user_clear": "visible", "pw": "pw-7Qx", "n_clear": 3}`, []string{"--unencrypted-suffix", "_clear"}, []string{"visible", "pw-7Qx"}},
		{"encrypted suffix", "yaml", "pw_secret: pw-7Qx\nuser: u\n", []string{"--encrypted-suffix", "_secret"}, []string{"pw-7Qx"}},
		{"encrypted regex", "yaml", "password: pw-7Qx\nuser: u\nnested:\n  password: n-7Qx\n  port: 1\n", []string{"--encrypted-regex", "^pass"}, []string{"pw-7Qx", "n-7Qx"}},
		{"unencrypted regex", "dotenv", "PUBLIC_URL=http://x\nPASS=pw-7Qx\n", []string{"--unencrypted-regex", "^PUBLIC"}, []string{"pw-7Qx", "http://x"}},
		{"mac only encrypted", "json", `{"password": "pw-7Qx", "user": "u", "port": 1}`, rule(t, "encrypted_regex: ^pass", "mac_only_encrypted: true"), []string{"pw-7Qx"}},
		{"unencrypted comment regex", "yaml", "# clear below\nuser: u\n# secret\npassword: pw-7Qx\n", rule(t, "unencrypted_comment_regex: clear"), []string{"pw-7Qx"}},
		{"encrypted comment regex", "yaml", "user: u\n# mark:enc\npassword: pw-7Qx\nlist:\n  - a\n  # mark:enc\n  - b-7Qx\n", rule(t, "encrypted_comment_regex: mark:enc"), []string{"pw-7Qx", "b-7Qx"}},
		{"two recipients", "json", `{"a": "pw-7Qx"}`, nil, []string{"pw-7Qx"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			enc := encrypt(t, c.typ, c.plain, []string{second.recipient, k.recipient}, c.flags...)
			if strings.Contains(enc, "pw-7Qx") {
				t.Fatal("sops left the password in clear")
			}
			want := sopsDecrypt(t, k, c.typ, enc)
			got, err := decrypt(c.typ, enc, k.ids)
			if err != nil {
				t.Fatalf("decrypt: %v", err)
			}
			if string(got) != want {
				t.Errorf("ours:\n%s\nsops decrypt:\n%s", got, want)
			}
			for _, w := range c.want {
				if !strings.Contains(string(got), w) {
					t.Errorf("%q missing from\n%s", w, got)
				}
			}
			if strings.Contains(string(got), "ENC[") || strings.Contains(string(got), "sops") {
				t.Errorf("encrypted values or metadata left:\n%s", got)
			}
		})
	}
}

// TestRefusesWhatSOPSRefuses: the wrong key, no key, ciphertexts swapped
// between keys (the path is authenticated), a flipped MAC, another
// lastmodified, a value changed in clear, a value dropped, a type changed
// — each with its reason.
func TestRefusesWhatSOPSRefuses(t *testing.T) {
	k, other := newKey(t), newKey(t)
	good := encrypt(t, "json", `{"a": "pw-7Qx", "b": "other-7Qx", "n": 5, "user_unencrypted": "u"}`, []string{k.recipient})
	enc := regexp.MustCompile(`ENC\[[^\]]*\]`)
	values := enc.FindAllString(good, -1) // a, b, n, then the MAC
	if len(values) != 4 {
		t.Fatalf("%d encrypted values", len(values))
	}
	mac := values[3]
	p := len("ENC[AES256_GCM,data:")
	flipped := mac[:p] + flip(mac[p]) + mac[p+1:]
	lastmod := regexp.MustCompile(`"lastmodified": "[^"]*"`).FindString(good)
	cases := []struct {
		name string
		file string
		ids  []age.Identity
		want Reason
	}{
		{"wrong key", good, other.ids, WrongKey},
		{"no key", good, nil, NoKey},
		{"swapped ciphertexts", strings.NewReplacer(values[0], values[1], values[1], values[0]).Replace(good), k.ids, BadValue},
		{"type changed", strings.Replace(good, values[0], strings.Replace(values[0], "type:str", "type:int", 1), 1), k.ids, BadValue},
		{"not encrypted", strings.Replace(good, values[0], "pw", 1), k.ids, BadValue},
		{"flipped MAC", strings.Replace(good, mac, flipped, 1), k.ids, BadMAC},
		{"lastmodified changed", strings.Replace(good, lastmod, `"lastmodified": "2020-01-01T00:00:00Z"`, 1), k.ids, BadMAC},
		{"clear value changed", strings.Replace(good, `"user_unencrypted": "u"`, `"user_unencrypted": "v"`, 1), k.ids, BadMAC},
		{"value dropped", regexp.MustCompile(`\s*"b": "ENC\[[^"]*",`).ReplaceAllString(good, ""), k.ids, BadMAC},
		{"no MAC", strings.Replace(good, mac, "", 1), k.ids, BadMAC},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.file == good && c.want != WrongKey && c.want != NoKey {
				t.Fatal("the test did not change the file")
			}
			_, err := decrypt("json", c.file, c.ids)
			if reasonOf(err) != c.want {
				t.Fatalf("got %v (reason %d), want reason %d", err, reasonOf(err), c.want)
			}
			if strings.Contains(err.Error(), "7Qx") || strings.Contains(err.Error(), "ENC[") {
				t.Errorf("the error quotes the file: %v", err)
			}
		})
	}
	if _, err := decrypt("json", good, k.ids); err != nil {
		t.Fatalf("the good file: %v", err)
	}
}

// flip changes one base64 character into another.
func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

// TestOtherKeyKindsAreNeverContacted: a file whose only keys are PGP, KMS
// or Vault is refused with their kinds, and the Vault address it names
// gets no connection.
func TestOtherKeyKindsAreNeverContacted(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	contacted := make(chan bool, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			c.Close()
			contacted <- true
		}
	}()
	file := `{"a": "ENC[AES256_GCM,data:AA==,iv:AAAA,tag:AAAA,type:str]", "sops": {
		"hc_vault": [{"vault_address": "http://` + l.Addr().String() + `", "engine_path": "sops", "key_name": "k", "created_at": "2026-01-01T00:00:00Z", "enc": "vault:v1:x"}],
		"kms": [{"arn": "arn:aws:kms:us-east-1:1:key/x", "created_at": "2026-01-01T00:00:00Z", "enc": "x", "aws_profile": ""}],
		"pgp": [{"fp": "ABCD", "created_at": "2026-01-01T00:00:00Z", "enc": "x"}],
		"lastmodified": "2026-01-01T00:00:00Z", "mac": "x", "version": "3.13.3"}}`
	f, err := Load(JSON, []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.KeyKinds(), ","); got != "hc_vault,kms,pgp" {
		t.Errorf("kinds %q", got)
	}
	if _, err := f.DataKey(newKey(t).ids); reasonOf(err) != NotAge {
		t.Errorf("got %v, want NotAge", err)
	}
	select {
	case <-contacted:
		t.Error("the Vault address the file names was contacted")
	case <-time.After(200 * time.Millisecond):
	}
}

// TestMetadataSOPSDoesNotWrite: metadata SOPS would refuse is Unreadable,
// several key groups are refused, and hostile shapes end in an error.
func TestMetadataSOPSDoesNotWrite(t *testing.T) {
	age1 := `{"recipient": "age1x", "enc": "x"}`
	md := func(extra string) string {
		return `{"a": 1, "sops": {` + extra + `"lastmodified": "2026-01-01T00:00:00Z", "mac": "x", "version": "3.13.3"}}`
	}
	unreadable := []struct{ name, typ, file string }{
		{"bad lastmodified", "json", strings.Replace(md(`"age": [`+age1+`], `), "2026-01-01T00:00:00Z", "yesterday", 1)},
		{"two rules", "json", md(`"age": [` + age1 + `], "encrypted_regex": "a", "unencrypted_suffix": "_u", `)},
		{"no key", "json", md(``)},
		{"bad created_at", "json", md(`"pgp": [{"fp": "x", "created_at": "then", "enc": "x"}], `)},
		{"sops not a mapping", "json", `{"sops": "x"}`},
		{"two sops entries", "json", `{"sops": {}, "sops": {}}`},
		{"array at the top", "json", `[1]`},
		{"content after", "json", md(`"age": [`+age1+`], `) + `{}`},
		{"too deep", "json", `{"a": ` + strings.Repeat("[", 500) + strings.Repeat("]", 500) + `, "sops": {}}`},
		{"yaml alias", "yaml", "a: &x [1]\nb: *x\nsops:\n  age:\n  - recipient: age1x\n    enc: x\n  lastmodified: \"2026-01-01T00:00:00Z\"\n  mac: x\n"},
		{"yaml list at the top", "yaml", "- a\n"},
		{"dotenv line without =", "dotenv", "A\nsops_mac=x\n"},
		{"dotenv list gap", "dotenv", "sops_age__list_1__map_recipient=age1x\nsops_lastmodified=2026-01-01T00:00:00Z\nsops_mac=x\n"},
		{"dotenv value and map", "dotenv", "sops_age=x\nsops_age__list_0__map_enc=x\nsops_lastmodified=2026-01-01T00:00:00Z\nsops_mac=x\n"},
		{"dotenv huge index", "dotenv", "sops_age__list_99999999999__map_enc=x\nsops_lastmodified=2026-01-01T00:00:00Z\nsops_mac=x\n"},
		{"no metadata", "ini", "a = 1\n"},
		{"too many keys", "json", md(`"age": [` + strings.Repeat(age1+`, `, 100) + age1 + `], `)},
	}
	for _, c := range unreadable {
		if _, err := Load(Format(c.typ), []byte(c.file)); reasonOf(err) != Unreadable {
			t.Errorf("%s: got %v, want Unreadable", c.name, err)
		}
	}
	groups := md(`"key_groups": [{"age": [` + age1 + `]}, {"age": [` + age1 + `]}], "shamir_threshold": 2, `)
	f, err := Load(JSON, []byte(groups))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.DataKey(newKey(t).ids); reasonOf(err) != KeyGroups {
		t.Errorf("key groups: got %v", err)
	}
	// One key group written as key_groups is read like top-level keys.
	one := md(`"key_groups": [{"age": [` + age1 + `]}], `)
	if f, err := Load(JSON, []byte(one)); err != nil || len(f.AgeRecipients()) != 1 {
		t.Errorf("one key group: %v", err)
	}
}

// encryptForTest writes one value as SOPS does, with key and the path's
// additional data: the hostile files below need many valid values.
func encryptForTest(t *testing.T, key []byte, plain, aad string) string {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, 32)
	if err != nil {
		t.Fatal(err)
	}
	iv := make([]byte, 32)
	out := gcm.Seal(nil, iv, []byte(plain), []byte(aad))
	b64 := base64.StdEncoding.EncodeToString
	return "ENC[AES256_GCM,data:" + b64(out[:len(out)-16]) + ",iv:" + b64(iv) + ",tag:" + b64(out[len(out)-16:]) + ",type:str]"
}

// TestHostileFilesCostLittle: files shaped to make the walk quadratic —
// many values under one long key, a long run of comments under a comment
// rule — decrypt in bounded time (1 MiB and 256 KiB here; a source reads
// up to 4 MiB: a quadratic walk takes minutes on 256 KiB of comments).
func TestHostileFilesCostLittle(t *testing.T) {
	key := make([]byte, 32)
	meta := func(extra string) string {
		return `"lastmodified": "2026-01-01T00:00:00Z", "mac": "x", "version": "3.13.3", "age": [{"recipient": "age1x", "enc": "x"}]` + extra
	}
	long := strings.Repeat("k", 4000)
	var b strings.Builder
	b.WriteString(`{"` + long + `": {`)
	for i := 0; b.Len() < 1<<20; i++ {
		name := strconv.Itoa(i)
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"` + name + `": "` + encryptForTest(t, key, "v", long+":"+name+":") + `"`)
	}
	b.WriteString(`}, "sops": {` + meta("") + `}}`)
	comments := strings.Repeat("# c\n", 1<<16) + "a: b\nsops:\n  encrypted_comment_regex: c\n  lastmodified: \"2026-01-01T00:00:00Z\"\n  mac: x\n  age:\n    - recipient: age1x\n      enc: x\n"
	for _, c := range []struct{ name, typ, file string }{
		{"values under a long key", "json", b.String()},
		{"a run of comments", "yaml", comments},
	} {
		start := time.Now()
		f, err := Load(Format(c.typ), []byte(c.file))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if _, err := f.Decrypt(key); reasonOf(err) != BadMAC && reasonOf(err) != BadValue {
			t.Errorf("%s: %v", c.name, err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: %v", c.name, d)
		}
		t.Logf("%s: %d bytes in %v", c.name, len(c.file), time.Since(start))
	}
}
