package cli

import (
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/secretdeck/secretdeck/internal/leak"
	"github.com/secretdeck/secretdeck/internal/testcert"
	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// pemCert is a certificate for cn ending at notAfter with its private key
// after it (as a server's .pem often holds both), and the key alone.
func pemCert(t *testing.T, cn string, notAfter time.Time) (certAndKey, key string) {
	c, k := testcert.PEM(t, cn, notAfter)
	return string(c) + string(k), string(k)
}

// TestFileSecretsForReal: a PEM certificate and 1 KiB of random bytes under
// secrets/prod/<service>/ are mounted byte-identical (checked from inside
// the task); a certificate expiring within 30 days is a finding with its
// date and never its key; replacing it rotates it.
func TestFileSecretsForReal(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	p := sw.prefix
	soon := time.Now().Add(10 * 24 * time.Hour).UTC()
	cert, key := pemCert(t, "api.example", soon)
	blob := make([]byte, 1024)
	if _, err := rand.Read(blob); err != nil {
		t.Fatal(err)
	}
	id := sw.runningService("web", nil)
	sw.waitRunning(id)
	dir := "secrets/prod/" + p + "web/"
	bucket := srv.NewBucket(t, map[string]string{dir + "tls.pem": cert, dir + "blob.bin": string(blob)})
	args := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}

	fs := findings(t, args, p+"web", key)
	if !strings.Contains(kindsOf(fs), "cert-expiry") {
		t.Fatalf("an expiring certificate is a finding: %s", kindsOf(fs))
	}
	for _, f := range fs {
		if f.Kind == model.KindCertExpiry && !strings.Contains(f.Explanation, soon.Format("2006-01-02")) {
			t.Errorf("the finding shows the expiry date: %s", f.Explanation)
		}
	}
	r := runCLI(t, append([]string{"apply", "--yes", "--service", p + "web"}, args...)...)
	leak.Check(t, "apply", r.all(), key)
	if r.code != 0 {
		t.Fatalf("apply: exit %d\n%s", r.code, r.all())
	}
	sw.logsShow("web", fmt.Sprintf("file=/run/secrets/tls.pem size=%d mode=444 sha256=%s", len(cert), sha(cert)))
	sw.logsShow("web", fmt.Sprintf("file=/run/secrets/blob.bin size=%d mode=444 sha256=%s", len(blob), sha(string(blob))))

	renewed, key2 := pemCert(t, "api.example", time.Now().AddDate(1, 0, 0))
	srv.Put(t, bucket, dir+"tls.pem", renewed)
	if fs := findings(t, args, p+"web", key, key2); kindsOf(fs) != "stale "+p+"web_tls.pem_v1" {
		t.Fatalf("a replaced certificate is stale, and no longer expiring: %s", kindsOf(fs))
	}
	if r := runCLI(t, append([]string{"apply", "--yes", "--service", p + "web"}, args...)...); r.code != 0 {
		t.Fatalf("rotate: exit %d\n%s", r.code, r.all())
	}
	sw.logsShow("web", fmt.Sprintf("file=/run/secrets/tls.pem size=%d mode=444 sha256=%s", len(renewed), sha(renewed)))
}
