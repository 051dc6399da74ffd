package report

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secretdeck/secretdeck/model"
)

// The docker command of a plan pastes into a shell as the one command it
// says, wrapped to fit 80 columns, whatever the names hold.
func TestPlanDockerCommandPastes(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, target := range []string{"db_pass", "my db's pass; echo pwned", "a_rather_long_target_name_for_the_mounted_secret_file"} {
		sc := model.ServiceChange{
			Service: "api",
			Before:  []model.FileRef{{ID: "s1", Name: "api_db_pass_v1", Target: target, UID: "0", GID: "0", Mode: 0o400}},
			After:   []model.FileRef{{Name: "api_db_pass_v2", Target: target, UID: "0", GID: "0", Mode: 0o400}},
		}
		var b bytes.Buffer
		if err := Plan(&b, &model.RotationPlan{ID: "p-1", Services: []model.ServiceChange{sc}}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		start := strings.Index(out, "$ ")
		if start < 0 {
			t.Fatalf("no command:\n%s", out)
		}
		var cmd []string
		for _, l := range strings.Split(out[start+2:], "\n") {
			// A word longer than a line stays whole: breaking it would change it.
			if len(l)+4 > 80 && !strings.Contains(l, "a_rather_long") && !strings.Contains(l, "pwned") {
				t.Errorf("a line of %d columns: %q", len(l)+4, l)
			}
			cmd = append(cmd, l)
			if !strings.HasSuffix(l, `\`) {
				break
			}
		}
		script := strings.Replace(strings.Join(cmd, "\n"), "docker service update", `printf '%s\n'`, 1)
		got, err := exec.Command(sh, "-c", script).Output()
		if err != nil {
			t.Fatalf("%v: %s", err, script)
		}
		want := []string{"--secret-rm", "api_db_pass_v1", "--secret-add", "source=api_db_pass_v2,target=" + target + ",uid=0,gid=0,mode=0400", "api"}
		if argv := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n"); !slices.Equal(argv, want) {
			t.Errorf("the shell reads %q, want %q\n%s", argv, want, script)
		}
	}
}

// A service's detail says why its tasks failed, newest first.
func TestServiceDetailShowsFailedTasks(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
	d := &model.ServiceDetail{Service: model.Service{Name: "api", ID: "s1"}, Tasks: []model.Task{
		{ID: "t1", NodeID: "n1", State: "failed", Err: "task: non-zero exit (1)", CreatedAt: t0},
		{ID: "t2", NodeID: "n2", State: "rejected", Err: "secret not found: api_key_v2", CreatedAt: t0.Add(time.Minute)},
		{ID: "t3", NodeID: "n1", State: "running", CreatedAt: t0.Add(2 * time.Minute)},
	}}
	var b bytes.Buffer
	if err := ServiceDetail(&b, d); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	i, j := strings.Index(out, "t2  node n2  2026-11-30 06:01:00Z  rejected: secret not found: api_key_v2"), strings.Index(out, "t1  node n1  2026-11-30 06:00:00Z  failed: task: non-zero exit (1)")
	if !strings.Contains(out, "FAILED TASKS (newest first)") || i < 0 || j < 0 || i > j || strings.Contains(out, "t3  node") {
		t.Fatalf("failed tasks:\n%s", out)
	}
}

// TestStackDiffMasksCredentialsInContext: a stack file whose environment
// sets a credential near the edited name shows the edit, never the value;
// and the diff is not part of a plan file.
func TestStackDiffMasksCredentialsInContext(t *testing.T) {
	data := "version: \"3.8\"\nservices:\n  web:\n    image: app\n    environment:\n      API_TOKEN: tok-in-env\n      DB_PASSWORD: hunter2-in-env\n    secrets: [tls]\nsecrets:\n  tls: {external: true, name: tls_v1}\n"
	src := &model.SourceSnapshot{Stacks: []model.StackFile{{Stack: "shop", Path: "stacks/shop.yml", Data: model.NewValueString(data)}}}
	p := &model.RotationPlan{StackEdits: []model.StackEdit{{Stack: "shop", File: "stacks/shop.yml", Key: "tls", From: "tls_v1", To: "tls_v2"}}}
	StackDiffs(p, src)
	d := p.StackEdits[0].Diff
	if strings.Contains(d, "hunter2-in-env") || strings.Contains(d, "tok-in-env") || !strings.Contains(d, "name: tls_v2") || !strings.Contains(d, "DB_PASSWORD: ••••••••") {
		t.Errorf("diff:\n%s", d)
	}
	if b, _ := json.Marshal(p); strings.Contains(string(b), "tls_v2}") && strings.Contains(string(b), "@@") {
		t.Errorf("the diff is in the plan file: %s", b)
	}
}
