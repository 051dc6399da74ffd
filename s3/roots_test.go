package s3

import (
	"context"
	"crypto/x509"
	"os"
	"os/exec"
	"testing"
)

// TestOpenGivesRootsOnlyToTLSEndpoints: on a host without a certificate
// store (the scratch image), opening a bucket reached over TLS — AWS
// itself, or an https endpoint — sets the bundled roots, so that its
// handshakes can be verified; one reached over plain http does not load
// any (20 ms of CPU before the first list, for no handshake). Each case
// runs in a process of its own: the roots are set once per process.
func TestOpenGivesRootsOnlyToTLSEndpoints(t *testing.T) {
	if endpoint, ok := os.LookupEnv("S3_ROOTS_TEST_ENDPOINT"); ok {
		if _, err := Open(context.Background(), Options{URI: "s3://bucket/prefix", Endpoint: endpoint, SecretsDir: t.TempDir()}); err != nil {
			t.Fatal(err)
		}
		pool, err := x509.SystemCertPool()
		roots := err == nil && !pool.Equal(x509.NewCertPool())
		if want := endpoint != "http://127.0.0.1:9"; roots != want {
			t.Fatalf("endpoint %q: roots set %v, want %v", endpoint, roots, want)
		}
		return
	}
	for _, endpoint := range []string{"", "https://s3.example.invalid", "http://127.0.0.1:9"} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestOpenGivesRootsOnlyToTLSEndpoints$")
		dir := t.TempDir()
		cmd.Env = append(os.Environ(), "S3_ROOTS_TEST_ENDPOINT="+endpoint, "SSL_CERT_FILE="+dir+"/none.pem", "SSL_CERT_DIR="+dir,
			"AWS_ENDPOINT_URL_S3=", "AWS_ENDPOINT_URL=", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1",
			"AWS_CONFIG_FILE="+dir+"/config", "AWS_SHARED_CREDENTIALS_FILE="+dir+"/credentials", "AWS_EC2_METADATA_DISABLED=true")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("endpoint %q: %v\n%s", endpoint, err, out)
		}
	}
}
