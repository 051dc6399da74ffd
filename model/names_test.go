package model

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"db.password":       "db.password",
		"DB_PASSWORD":       "db_password",
		"stats user":        "stats_user",
		"a/b:c":             "a_b_c",
		"_private":          "private",
		"..":                "",
		"":                  "",
		"Ünïcode-key":       "n_code-key",
		"my-service.Prod_1": "my-service.prod_1",
		"az_AZ.09-`{/:@[":   "az_az.09",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzNormalize holds Normalize, and its shortcut for names that are
// already normal, to the rule as first written: lower case, every rune but
// a-z 0-9 _ . - made '_', then "_.-" trimmed.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"db.password", "DB_PASSWORD", "_private", "a_", "-", "x.y-z_0", "Ünïcode-key", "\xff", "a\x00b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b strings.Builder
		for _, r := range strings.ToLower(s) {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-' {
				b.WriteRune(r)
			} else {
				b.WriteByte('_')
			}
		}
		if got, want := Normalize(s), strings.Trim(b.String(), "_.-"); got != want {
			t.Fatalf("Normalize(%q) = %q, want %q", s, got, want)
		}
	})
}

func TestLogicalName(t *testing.T) {
	cases := []struct{ service, key, want string }{
		{"my_service", "db.password", "my_service_db.password"},
		{"My-Service", "API Key", "my-service_api_key"},
		{SharedService, "payment_key", "payment_key"},
		{"api", "$$$", ""},
	}
	for _, c := range cases {
		if got := LogicalName(c.service, c.key); got != c.want {
			t.Errorf("LogicalName(%q, %q) = %q, want %q", c.service, c.key, got, c.want)
		}
	}
}

func TestVersionNames(t *testing.T) {
	name, short := VersionName("payment_key", 2)
	if name != "payment_key_v2" || short {
		t.Fatalf("VersionName = %q, %v", name, short)
	}
	long := "my_very_long_service_name_for_the_billing_department_" + strings.Repeat("x", 40)
	a, shortA := VersionName(long, 12)
	b, _ := VersionName(long+"y", 12)
	if !shortA || len(a) > MaxSecretNameLen || !ValidSecretName(a) || !strings.HasSuffix(a, "_v12") {
		t.Fatalf("long name not shortened properly: %q (%d)", a, len(a))
	}
	if a == b {
		t.Fatalf("two long names collide: %q", a)
	}
	// At Docker's limit a name is kept whole; one character more and it is shortened.
	for l, want := range map[string]bool{strings.Repeat("k", 61): false, strings.Repeat("k", 62): true} {
		name, short := VersionName(l, 1)
		if short != want || len(name) > MaxSecretNameLen || (!short && name != l+"_v1") {
			t.Errorf("VersionName(%d chars, 1) = %q (%d chars), shortened %v", len(l), name, len(name), short)
		}
	}
	for _, c := range []struct {
		in      string
		logical string
		version int
		ok      bool
	}{
		{"payment_key_v2", "payment_key", 2, true},
		{"my_secret_data", "my_secret_data", 0, false},
		{"db_v1_v10", "db_v1", 10, true},
		{"vault_v", "vault_v", 0, false},
	} {
		l, v, ok := ParseVersionName(c.in)
		if l != c.logical || v != c.version || ok != c.ok {
			t.Errorf("ParseVersionName(%q) = %q %d %v", c.in, l, v, ok)
		}
	}
	if ValidSecretName("_x") || ValidSecretName(strings.Repeat("a", 65)) || !ValidSecretName("a.b-c_d") {
		t.Fatal("ValidSecretName is wrong")
	}
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"api_db_pass":                 "api_db_pass",
		"db\x1b[31mRED\x1b]0;PWNED\a": `db\x1b[31mRED\x1b]0;PWNED\a`,
		"line\nbreak":                 `line\nbreak`,
		"évident":                     "évident",
		"abc\u202edef":                `abc\u202edef`,
		"bad\xffutf8":                 `bad\xffutf8`,
		`say "hi"`:                    `say "hi"`,
	} {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseVersionName holds the hand-written parse to the rule it
// replaced, the regexp _v([0-9]{1,9})$.
func FuzzParseVersionName(f *testing.F) {
	for _, s := range []string{"db_v3", "db_v", "_v1", "v1", "a_v0123456789", "a_v123456789", "a__v2", "a_v2_v3", "a_V2", "a_v٣", ""} {
		f.Add(s)
	}
	rule := regexp.MustCompile(`_v([0-9]{1,9})$`)
	f.Fuzz(func(t *testing.T, name string) {
		wantL, wantV, wantOK := name, 0, false
		if m := rule.FindStringSubmatchIndex(name); m != nil {
			v, err := strconv.Atoi(name[m[2]:m[3]])
			if err == nil {
				wantL, wantV, wantOK = name[:m[0]], v, true
			}
		}
		l, v, ok := ParseVersionName(name)
		if l != wantL || v != wantV || ok != wantOK {
			t.Errorf("ParseVersionName(%q) = %q %d %v, the rule says %q %d %v", name, l, v, ok, wantL, wantV, wantOK)
		}
	})
}
