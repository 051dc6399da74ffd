package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// TestDatedVersionNamesForReal: a swarm that names versions by date, with
// naming: set to the date rule: inspect lists the older dated secret as a
// previous version of the same logical secret, and the next rotation
// creates today's date name.
func TestDatedVersionNamesForReal(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	p := sw.prefix
	sw.secret("api_key_2024_01_01", "dated-Old-Value-1", nil)
	sw.secret("api_key_2024_06_01", "dated-Old-Value-2", nil)
	sw.service("api", nil, nil, "api_key_2024_06_01:"+p+"api_key")
	bucket := srv.NewBucket(t, map[string]string{
		"shared.properties.prod": p + "api_key = dated-New-Value-3\n",
		model.ManifestPath:       "naming: '{name}_{date:2006_01_02}'\n",
	})
	args := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}

	r := runCLI(t, append([]string{"inspect", "secret", p + "api_key_2024_06_01"}, args...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "Logical      "+p+"api_key,") ||
		!strings.Contains(r.stdout, "A version by its name ({name}_{date:2006_01_02}): "+p+"api_key_2024_01_01, "+p+"api_key_2024_06_01") {
		t.Fatalf("inspect: exit %d\n%s", r.code, r.all())
	}
	old := false
	for _, f := range findings(t, args, "") {
		old = old || (f.Kind == model.KindOrphan && f.Secret == p+"api_key_2024_01_01" && strings.Contains(f.Explanation, "is an old version of "+p+"api_key"))
	}
	if !old {
		t.Error("the older dated secret is an old version of the logical secret, not an unrelated orphan")
	}
	today := time.Now().UTC().Format("2006_01_02")
	r = runCLI(t, append([]string{"apply", "--yes", "--secret", p + "api_key"}, args...)...)
	if r.code != 0 || !sw.secretExists("api_key_"+today) {
		t.Fatalf("the rotation creates today's name (%s): exit %d\n%s", today, r.code, r.all())
	}
	if got := sw.spec(sw.serviceID("api")); len(got) != 1 || !strings.HasPrefix(got[0], "api_key_"+today+":"+p+"api_key:") {
		t.Errorf("mounts %v", got)
	}
}
