package roots

import (
	"crypto/x509"
	"os"
	"os/exec"
	"testing"
)

// A host with no certificate store gets the bundled roots from Ensure, and
// only from Ensure. Run in a child process: the system pool is loaded once
// per process, and the store is hidden through SSL_CERT_FILE/SSL_CERT_DIR.
func TestEnsureGivesRootsToAHostWithoutAStore(t *testing.T) {
	if mode := os.Getenv("ROOTS_TEST_CHILD"); mode != "" {
		if mode == "ensure" {
			Ensure()
		}
		pool, err := x509.SystemCertPool()
		empty := err != nil || pool.Equal(x509.NewCertPool())
		if empty != (mode == "none") {
			t.Fatalf("mode %s: system pool empty=%v (err %v)", mode, empty, err)
		}
		return
	}
	for _, mode := range []string{"none", "ensure"} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestEnsureGivesRootsToAHostWithoutAStore$")
		dir := t.TempDir()
		cmd.Env = append(os.Environ(), "ROOTS_TEST_CHILD="+mode, "SSL_CERT_FILE="+dir+"/none.pem", "SSL_CERT_DIR="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("without a store, %s: %v\n%s", mode, err, out)
		}
	}
}

func TestEnsureKeepsTheSystemStore(t *testing.T) {
	Ensure()
	Ensure() // a second call must not panic (SetFallbackRoots would)
	if _, err := x509.SystemCertPool(); err != nil {
		t.Fatal(err)
	}
}
