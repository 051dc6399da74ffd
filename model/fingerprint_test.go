package model

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

func testKey(t testing.TB, fill byte) FingerprintKey {
	t.Helper()
	k, err := NewFingerprintKey(bytes.Repeat([]byte{fill}, FingerprintKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestFingerprintCompare(t *testing.T) {
	k, other := testKey(t, 1), testKey(t, 2)
	v := NewValueString(knownSecret)
	fp := k.Fingerprint("api_db_pass", v)
	if !strings.HasPrefix(string(fp), "hmac-sha256-v2:"+k.ID()+":") || strings.Contains(string(fp), knownSecret) {
		t.Fatalf("unexpected fingerprint %q", fp)
	}
	if k.Fingerprint("api_db_pass", v) != fp {
		t.Fatal("fingerprints must be deterministic")
	}
	// A label written before fingerprints were bound to their secret (v1:
	// the HMAC of the value alone) still reads.
	m := hmac.New(sha256.New, bytes.Repeat([]byte{1}, FingerprintKeySize))
	m.Write([]byte(knownSecret))
	v1 := Fingerprint("hmac-sha256:" + k.ID() + ":" + hex.EncodeToString(m.Sum(nil)))
	cases := []struct {
		name   string
		key    FingerprintKey
		stored Fingerprint
		value  Value
		want   FingerprintMatch
	}{
		{"same value", k, fp, v, FingerprintMatches},
		{"a v1 label, same value", k, v1, v, FingerprintMatches},
		{"a v1 label, changed value", k, v1, NewValueString("new"), FingerprintDiffers},
		{"copied from another secret's label", k, k.Fingerprint("root_ca_key", v), v, FingerprintDiffers},
		{"changed value", k, fp, NewValueString("new"), FingerprintDiffers},
		{"no label", k, "", v, FingerprintUnknown},
		{"no key", FingerprintKey{}, fp, v, FingerprintNoKey},
		{"replaced key", other, fp, v, FingerprintOtherKey},
		{"garbage label", k, "sha1:abc", v, FingerprintOtherKey},
	}
	for _, c := range cases {
		if got := c.key.Compare(c.stored, "api_db_pass", c.value); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestFingerprintKeyNeverPrints(t *testing.T) {
	k := testKey(t, 'A')
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%#v", k), fmt.Sprintf("%+v", k)} {
		if strings.Contains(s, strings.Repeat("A", 8)) {
			t.Fatalf("key leaked: %s", s)
		}
	}
	if _, err := NewFingerprintKey([]byte("short")); err == nil {
		t.Fatal("a short key must be refused")
	}
}
