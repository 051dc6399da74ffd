package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// TestApplyAcrossEnvironments: a plan made from prod's files that replaces a
// secret labelled for staging (the wrong context, the wrong --env) is shown
// with a warning and refused under --yes unless --cross-env says it is
// meant; nothing changes when refused. A source that has its fingerprint
// key is never written to for it: the only writes are the audit copy.
func TestApplyAcrossEnvironments(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	keyBytes := bytes.Repeat([]byte{4}, model.FingerprintKeySize)
	key, _ := model.NewFingerprintKey(keyBytes)
	p := sw.prefix
	sw.secret("api_tok_v1", "staging-Value-1", managedLabels(key, p+"api_tok", 1, "staging-Value-1", model.LabelEnv, "staging"))
	sw.service("api", nil, nil, "api_tok_v1:tok")
	bucket := srv.NewBucket(t, map[string]string{
		model.FingerprintKeyPath:  string(keyBytes),
		p + "api.properties.prod": "tok = prod-Value-2\n",
	})
	s3c := testrig.CountingS3Proxy(t, srv.Endpoint)
	args := []string{"--host", testrig.Docker(t), "--s3-endpoint", s3c.Endpoint, "--source", "s3://" + bucket, "--env", "prod"}

	r := runCLI(t, append([]string{"apply", "--yes"}, args...)...)
	if r.code == 0 || !strings.Contains(r.stdout, "WARNING: the new values come from environment prod, but the secrets this plan replaces are labelled for staging.") ||
		!strings.Contains(r.stderr, "add --cross-env") {
		t.Fatalf("refused under --yes: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := sw.spec(sw.serviceID("api")); len(got) != 1 || !strings.HasPrefix(got[0], "api_tok_v1:tok") || sw.secretExists("api_tok_v2") {
		t.Fatalf("something changed: %v", got)
	}
	if w := s3c.Writes(); len(w) != 0 {
		t.Fatalf("a refused apply wrote to the bucket: %v", w)
	}

	s3c.Reset()
	r = runCLI(t, append([]string{"apply", "--yes", "--cross-env"}, args...)...)
	if r.code != 0 {
		t.Fatalf("--cross-env applies: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := sw.spec(sw.serviceID("api")); len(got) != 1 || !strings.HasPrefix(got[0], "api_tok_v2:tok") {
		t.Fatalf("api mounts %v", got)
	}
	for k := range s3c.Writes() {
		if !strings.Contains(k, "/.secretdeck/audit/") && !strings.HasSuffix(k, "/.secretdeck/lock") {
			t.Errorf("apply wrote %s; the source had its key, only the audit copy (and the operator lock) is written", k)
		}
	}
}
