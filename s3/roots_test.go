package s3

import (
	"context"
	"crypto/x509"
	"os"
	"os/exec"
	"testing"
)

// TestOpenGivesRootsOnlyToTLSEndpoints: on a host without a certificate
// store (the scratch image), opening a bucket sets the bundled roots when
// anything may speak TLS — AWS itself, an https endpoint, or credentials
// fetched from a service (STS, SSO, the instance's role) — so that its
// handshakes can be verified; over plain http with keys given, it loads
// none (20 ms of CPU before the first list, for no handshake). Each case
// runs in a process of its own: the roots are set once per process.
func TestOpenGivesRootsOnlyToTLSEndpoints(t *testing.T) {
	if endpoint, ok := os.LookupEnv("S3_ROOTS_TEST_ENDPOINT"); ok {
		if _, err := Open(context.Background(), Options{URI: "s3://bucket/prefix", Endpoint: endpoint, SecretsDir: t.TempDir()}); err != nil {
			t.Fatal(err)
		}
		pool, err := x509.SystemCertPool()
		roots := err == nil && !pool.Equal(x509.NewCertPool())
		if want := os.Getenv("S3_ROOTS_TEST_WANT") == "roots"; roots != want {
			t.Fatalf("endpoint %q, keys %q: roots set %v, want %v", endpoint, os.Getenv("AWS_ACCESS_KEY_ID"), roots, want)
		}
		return
	}
	for _, c := range []struct{ endpoint, keyID, want string }{
		{"", "test", "roots"},
		{"https://s3.example.invalid", "test", "roots"},
		{"http://127.0.0.1:9", "test", "none"},
		{"http://127.0.0.1:9", "", "roots"}, // no keys: the instance's role, or SSO
	} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestOpenGivesRootsOnlyToTLSEndpoints$")
		dir := t.TempDir()
		cmd.Env = append(os.Environ(), "S3_ROOTS_TEST_ENDPOINT="+c.endpoint, "S3_ROOTS_TEST_WANT="+c.want,
			"SSL_CERT_FILE="+dir+"/none.pem", "SSL_CERT_DIR="+dir,
			"AWS_ENDPOINT_URL_S3=", "AWS_ENDPOINT_URL=", "AWS_ACCESS_KEY_ID="+c.keyID, "AWS_SECRET_ACCESS_KEY="+c.keyID, "AWS_REGION=us-east-1",
			"AWS_PROFILE=", "AWS_CONFIG_FILE="+dir+"/config", "AWS_SHARED_CREDENTIALS_FILE="+dir+"/credentials", "AWS_EC2_METADATA_DISABLED=true")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("endpoint %q, keys %q: %v\n%s", c.endpoint, c.keyID, err, out)
		}
	}
}
