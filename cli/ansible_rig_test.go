package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/internal/leak"
	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// ansiblePlay is the playbook a team runs: community.docker.docker_secret
// with rolling versions, the name and value from the environment (never
// argv, like every credential a test hands a child process).
const ansiblePlay = `- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - community.docker.docker_secret:
        name: "{{ lookup('env', 'SECRET_NAME') }}"
        data: "{{ lookup('env', 'SECRET_VALUE') }}"
        rolling_versions: true
        state: present
`

// ansible runs the playbook for secret name with value against the rig and
// reports whether Ansible changed anything.
func ansible(t *testing.T, name, value string) bool {
	t.Helper()
	play := filepath.Join(t.TempDir(), "play.yml")
	if err := os.WriteFile(play, []byte(ansiblePlay), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testrig.Tool(t, "ansible-playbook"), "-i", "localhost,", play)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+testrig.Docker(t), "SECRET_NAME="+name, "SECRET_VALUE="+value,
		"ANSIBLE_LOCALHOST_WARNING=false", "ANSIBLE_INVENTORY_UNPARSED_WARNING=false", "ANSIBLE_NOCOLOR=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ansible-playbook: %v\n%s", err, out)
	}
	return !strings.Contains(string(out), "changed=0")
}

// labelsOf returns the labels of secret prefix+name.
func (r *rigSwarm) labelsOf(name string) map[string]string {
	r.t.Helper()
	res, err := r.api.SecretInspect(context.Background(), r.prefix+name, client.SecretInspectOptions{})
	if err != nil {
		r.t.Fatalf("secret %s: %v", name, err)
	}
	return res.Secret.Spec.Labels
}

// TestAlongsideAnsible: secrets made by Ansible's docker_secret are checked
// by the digest Ansible wrote, a rotation keeps Ansible's bookkeeping true,
// and Ansible's next run neither fails nor is misread.
func TestAlongsideAnsible(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	p := sw.prefix
	const v1, v2, v3, v4 = "ans-Value-One-1", "ans-Value-Two-2", "ans-Value-Three-3", "ans-Value-Four-4"
	logical := p + "ans_api_key"
	for _, v := range []string{v1, v2} {
		if !ansible(t, logical, v) {
			t.Fatal("ansible made no new version")
		}
	}
	sw.ids[logical+"_v2"] = sw.secretID("ans_api_key_v2")
	sw.service("ans", nil, nil, "ans_api_key_v2:api_key")
	bucket := srv.NewBucket(t, map[string]string{p + "ans.properties.prod": "api_key = " + v2 + "\n"})
	args := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}
	values := []string{v1, v2, v3, v4}

	if fs := findings(t, args, p+"ans", values...); len(fs) != 0 {
		t.Fatalf("the value Ansible's label proves: no finding, got %s", kindsOf(fs))
	}
	r := runCLI(t, append([]string{"inspect", "secret", logical + "_v2"}, args...)...)
	if !strings.Contains(r.stdout, "by Ansible's ansible_key label") {
		t.Errorf("inspect says which evidence it used:\n%s", r.all())
	}
	r = runCLI(t, append([]string{"status", "--json"}, args...)...)
	var st statusReport
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.all())
	}
	if i := slices.IndexFunc(st.Secrets, func(s secretStatus) bool { return s.Name == logical+"_v2" }); i < 0 ||
		st.Secrets[i] != (secretStatus{Name: logical + "_v2", Logical: logical, Version: 2, Fingerprint: "match", Evidence: model.EvidenceAnsible}) {
		t.Errorf("status --json says which evidence it used: %+v", st.Secrets)
	}
	if r := runCLI(t, append([]string{"plan", "--secret", logical}, args...)...); r.code != exitError || !strings.Contains(r.stderr, "nothing to do") {
		t.Errorf("nothing to plan for a proven value: exit %d\n%s", r.code, r.all())
	}

	srv.Put(t, bucket, p+"ans.properties.prod", "api_key = "+v3+"\n")
	if fs := findings(t, args, p+"ans", values...); kindsOf(fs) != "stale api_key"+logical+"_v2" {
		t.Fatalf("a new value is stale: %s", kindsOf(fs))
	}
	r = runCLI(t, append([]string{"apply", "--yes", "--secret", logical}, args...)...)
	leak.Check(t, "apply", r.all(), values...)
	if r.code != 0 || !strings.Contains(r.stdout, "ansible_version=3") {
		t.Fatalf("apply: exit %d\n%s", r.code, r.all())
	}
	sum := sha256.Sum224([]byte(v3))
	if l := sw.labelsOf("ans_api_key_v3"); l[model.LabelAnsibleVersion] != "3" || l[model.LabelAnsibleKey] != hex.EncodeToString(sum[:]) {
		t.Errorf("the new version carries Ansible's labels: %v", l)
	}

	if ansible(t, logical, v3) {
		t.Error("Ansible, run with the value secretdeck rotated to, must see no change")
	}
	if !ansible(t, logical, v4) || !sw.secretExists("ans_api_key_v4") {
		t.Fatal("Ansible's next value is its own new version, _v4")
	}
	srv.Put(t, bucket, p+"ans.properties.prod", "api_key = "+v4+"\n")
	fs := findings(t, args, p+"ans", values...)
	if !strings.Contains(kindsOf(fs), "lagging api_key"+logical+"_v3") {
		t.Errorf("the service lags behind Ansible's _v4: %s", kindsOf(fs))
	}
	r = runCLI(t, append([]string{"inspect", "secret", logical + "_v4"}, args...)...)
	if !strings.Contains(r.stdout, "match (by Ansible's ansible_key label)") {
		t.Errorf("_v4 is verified by its ansible_key:\n%s", r.all())
	}
}
