package model

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strconv"
)

// Secrets made by Ansible's community.docker.docker_secret with
// rolling_versions: true are named NAME_v<N> and carry two labels:
// ansible_version (N, how Ansible finds the newest version) and ansible_key
// (the unkeyed SHA-224 hex of the value, how it decides "changed"). While a
// team moves to secretdeck both tools touch the same secrets, so secretdeck
// checks a value by that label when its own fingerprint is absent, and gives
// its new versions the same labels when the newest version has them
// (secretdeck.yaml: compat: {ansible: false} turns that off).
const (
	LabelAnsibleKey     = "ansible_key"
	LabelAnsibleVersion = "ansible_version"
)

// What a secret's value was checked by.
const (
	EvidenceFingerprint = "fingerprint" // secretdeck's keyed fingerprint
	EvidenceAnsible     = "ansible"     // Ansible's ansible_key label
)

// Check compares the secret with labels, a version of logical, with value
// v: by secretdeck's keyed fingerprint when it has one, else by the digest
// Ansible wrote. evidence says which ("" when there was none).
func (k FingerprintKey) Check(labels map[string]string, logical string, v Value) (m FingerprintMatch, evidence string) {
	if fp := Fingerprint(labels[LabelFingerprint]); fp != "" {
		return k.Compare(fp, logical, v), EvidenceFingerprint
	}
	if want := labels[LabelAnsibleKey]; want != "" {
		// Constant time, as for our own fingerprints: the label is public,
		// the value is not.
		if subtle.ConstantTimeCompare([]byte(want), []byte(AnsibleKey(v))) == 1 {
			return FingerprintMatches, EvidenceAnsible
		}
		return FingerprintDiffers, EvidenceAnsible
	}
	return FingerprintUnknown, ""
}

// AnsibleKey is the ansible_key label of a secret holding v: the SHA-224 hex
// of its bytes, as docker_secret computes it.
func AnsibleKey(v Value) string {
	sum := sha256.Sum224(v.bytes())
	return hex.EncodeToString(sum[:])
}

// ansibleVersion is a secret's ansible_version label, 0 when absent or not
// a number (as Ansible counts it).
func ansibleVersion(s *Secret) int {
	n, err := strconv.Atoi(s.Labels[LabelAnsibleVersion])
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// ansibleMade reports whether a secret carries Ansible's rolling-version
// labels.
func ansibleMade(s *Secret) bool {
	_, v := s.Labels[LabelAnsibleVersion]
	_, k := s.Labels[LabelAnsibleKey]
	return v && k
}

// AnsibleCompat reports whether secretdeck keeps Ansible's labels true on
// the versions it makes (the default; compat: {ansible: false} turns it off).
func (m *Manifest) AnsibleCompat() bool {
	return m == nil || m.Compat.Ansible == nil || *m.Compat.Ansible
}
