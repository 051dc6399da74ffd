package model

import (
	"bytes"
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
	fp := k.Fingerprint(v)
	if !strings.HasPrefix(string(fp), "hmac-sha256:"+k.ID()+":") || strings.Contains(string(fp), knownSecret) {
		t.Fatalf("unexpected fingerprint %q", fp)
	}
	if k.Fingerprint(v) != fp {
		t.Fatal("fingerprints must be deterministic")
	}
	cases := []struct {
		name   string
		key    FingerprintKey
		stored Fingerprint
		value  Value
		want   FingerprintMatch
	}{
		{"same value", k, fp, v, FingerprintMatches},
		{"changed value", k, fp, NewValueString("new"), FingerprintDiffers},
		{"no label", k, "", v, FingerprintUnknown},
		{"no key", FingerprintKey{}, fp, v, FingerprintNoKey},
		{"replaced key", other, fp, v, FingerprintOtherKey},
		{"garbage label", k, "sha1:abc", v, FingerprintOtherKey},
	}
	for _, c := range cases {
		if got := c.key.Compare(c.stored, c.value); got != c.want {
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
