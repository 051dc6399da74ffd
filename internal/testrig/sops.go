package testrig

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// SOPS returns the real sops binary: on PATH, or where scripts/test
// installs it (the cache's secretdeck/bin).
func SOPS(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("sops"); err == nil {
		return p
	}
	if cache, err := os.UserCacheDir(); err == nil {
		p := filepath.Join(cache, "secretdeck", "bin", "sops")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return Tool(t, "sops") // skips, or fails when integration is required
}

// AgeKey makes an age key pair with the real age-keygen: the key file's
// path (in a test folder) and its public key.
func AgeKey(t testing.TB) (file, recipient string) {
	t.Helper()
	keygen := Tool(t, "age-keygen")
	file = filepath.Join(t.TempDir(), "key.txt")
	if out, err := exec.Command(keygen, "-o", file).CombinedOutput(); err != nil {
		t.Fatalf("age-keygen: %v\n%s", err, out)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if r, ok := strings.CutPrefix(line, "# public key: "); ok {
			return file, r
		}
	}
	t.Fatal("age-keygen wrote no public key")
	return "", ""
}

// SOPSEncrypt encrypts plain for an age recipient with the real sops;
// typ is its --input-type (json, yaml, dotenv, ini). The clear text goes
// through stdin: it never touches the disk.
func SOPSEncrypt(t testing.TB, recipient, typ, plain string) string {
	t.Helper()
	cmd := exec.Command(SOPS(t), "encrypt", "--age", recipient, "--input-type", typ, "--output-type", typ, "/dev/stdin")
	cmd.Stdin = strings.NewReader(plain)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sops encrypt: %v\n%s", err, stderr.String())
	}
	return string(out)
}

// NoAgeKeys leaves SOPS no age key but those the test then sets
// (SOPS_AGE_KEY_FILE, SOPS_AGE_KEY).
func NoAgeKeys(t testing.TB) {
	t.Helper()
	for _, k := range []string{"SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY", "SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_FILE", "SOPS_AGE_SSH_PRIVATE_KEY_CMD"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
}
