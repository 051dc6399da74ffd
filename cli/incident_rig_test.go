package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/secretdeck/secretdeck/internal/leak"
	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// TestExposurePlansForReal: on the rig, whose manager runs every task (its
// worker is drained), "node X is compromised" and "secret Y leaked" become
// plans. A manager exposes every secret; while the source holds an exposed
// value the plan is refused, naming it; --same-value-as finds another
// secret holding the leaked value by fingerprint; once the source has new
// values, the plan file made for the manager is applied (made again from its
// origin, the node) and rotates every exposed secret. The drained worker,
// which never ran a task, exposes nothing.
func TestExposurePlansForReal(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	keyBytes := bytes.Repeat([]byte{9}, model.FingerprintKeySize)
	key, _ := model.NewFingerprintKey(keyBytes)
	p := sw.prefix
	values := []string{"inc-Api-Value-1", "inc-Shared-Value-2", "inc-Other-Value-3", "inc-Other-New-4", "inc-Api-New-5", "inc-Web-New-6", "inc-Billing-New-7"}
	sw.secret("api_tok_v1", values[0], managedLabels(key, p+"api_tok", 1, values[0]))
	sw.secret("web_key_v1", values[1], managedLabels(key, p+"web_key", 1, values[1]))
	sw.secret("billing_key_v1", values[1], managedLabels(key, p+"billing_key", 1, values[1]))
	sw.secret("other_k_v1", values[2], managedLabels(key, p+"other_k", 1, values[2]))
	api := sw.runningService("api", nil, "api_tok_v1:tok:0:0:0444")
	sw.service("web", nil, nil, "web_key_v1:key")
	sw.service("billing", nil, nil, "billing_key_v1:key")
	sw.service("other", nil, nil, "other_k_v1:k")
	sw.waitRunning(api)
	bucket := srv.NewBucket(t, map[string]string{
		model.FingerprintKeyPath:      string(keyBytes),
		p + "api.properties.prod":     "tok = " + values[0] + "\n",
		p + "web.properties.prod":     "key = " + values[1] + "\n",
		p + "billing.properties.prod": "key = " + values[1] + "\n",
		p + "other.properties.prod":   "k = " + values[3] + "\n", // a new value: stale
	})
	where := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}
	var seen strings.Builder
	cli := func(args ...string) result {
		r := runCLI(t, append(args, where...)...)
		seen.WriteString(r.all())
		return r
	}

	r := cli("plan", "--same-value-as", p+"web_key_v1")
	if r.code != exitError || !strings.Contains(r.stderr, "still holds the value leaked with "+p+"web_key_v1 for "+p+"billing_key, "+p+"web_key") ||
		!strings.Contains(r.stderr, "--secret "+p+"billing_key --secret "+p+"web_key") {
		t.Fatalf("the leaked value is held by billing too, and still in the source: exit %d\n%s", r.code, r.all())
	}
	r = cli("plan", "--same-value-as", p+"web_key", "--allow-same-value")
	if r.code != exitError || !strings.Contains(r.stderr, "nothing to do") || strings.Contains(r.stdout, p+"other_k") {
		t.Fatalf("allowed, nothing else holds the value (other_k is stale, and not selected): exit %d\n%s", r.code, r.all())
	}

	r = cli("plan", "--exposed-on-node", "self")
	if r.code != exitError || !strings.Contains(r.stderr, "a manager: it holds every secret") ||
		!strings.Contains(r.stderr, "for "+p+"api_tok, "+p+"billing_key, "+p+"web_key") {
		t.Fatalf("the manager exposes every secret, three still in the source: exit %d\n%s", r.code, r.all())
	}
	if r := cli("plan", "--exposed-on-node", drainedWorker(t)); r.code != exitError || !strings.Contains(r.stderr, "nothing to do: no secret the source declares was exposed on node") {
		t.Fatalf("the drained worker never ran a task: exit %d\n%s", r.code, r.all())
	}
	if r := cli("plan", "--allow-same-value"); r.code != exitError || !strings.Contains(r.stderr, "--allow-same-value goes with --exposed-on-node or --same-value-as") {
		t.Errorf("--allow-same-value alone: exit %d\n%s", r.code, r.all())
	}
	if r := cli("plan", "--exposed-on-node", "self", "--same-value-as", p+"web_key"); r.code != exitError || !strings.Contains(r.stderr, "two incidents") {
		t.Errorf("both selections: exit %d\n%s", r.code, r.all())
	}
	if r := cli("plan", "--exposed-on-node", "vm"); r.code != exitError || !strings.Contains(r.stderr, `"vm" names`) {
		t.Logf("every rig engine is called vm: %s", r.stderr) // informative: a rig on other hosts names them otherwise
	}

	srv.Put(t, bucket, p+"api.properties.prod", "tok = "+values[4]+"\n")
	srv.Put(t, bucket, p+"web.properties.prod", "key = "+values[5]+"\n")
	srv.Put(t, bucket, p+"billing.properties.prod", "key = "+values[6]+"\n")
	file := filepath.Join(t.TempDir(), "incident.json")
	r = cli("plan", "--exposed-on-node", "self", "--out", file)
	if r.code != 0 || !strings.Contains(r.stdout, "INCIDENT: secrets exposed on node ") || !strings.Contains(r.stdout, "a new value ("+p+"api.properties.prod)") {
		t.Fatalf("new values everywhere: exit %d\n%s", r.code, r.all())
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var plan model.RotationPlan
	if err := json.Unmarshal(data, &plan); err != nil || plan.Made.ExposedOnNode == "" || plan.Made.ExposedOnNode == "self" {
		t.Fatalf("the origin names the node by its ID: %+v (%v)", plan.Made, err)
	}
	r = runCLI(t, "apply", file, "--yes", "--host", testrig.Docker(t))
	seen.WriteString(r.all())
	if r.code != 0 {
		t.Fatalf("apply of the plan file: exit %d\n%s", r.code, r.all())
	}
	for _, name := range []string{"api_tok_v2", "web_key_v2", "billing_key_v2", "other_k_v2"} {
		if !sw.secretExists(name) {
			t.Errorf("%s was not created: every exposed secret is rotated", name)
		}
	}
	if got := sw.spec(api); len(got) != 1 || !strings.HasPrefix(got[0], "api_tok_v2:tok") {
		t.Errorf("api mounts %v", got)
	}
	leak.Check(t, "the output of plan and apply", seen.String(), values...)
}

// TestExpiredForReal: under an age policy, a secret is expired once older
// than max-age by Docker's own CreatedAt, not before; apply rotates it to a
// new version although the source holds the same value.
func TestExpiredForReal(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	keyBytes := bytes.Repeat([]byte{11}, model.FingerprintKeySize)
	key, _ := model.NewFingerprintKey(keyBytes)
	p := sw.prefix
	value := "aged-Value-1"
	sw.secret("api_tok_v1", value, managedLabels(key, p+"api_tok", 1, value))
	made := time.Now()
	sw.service("api", nil, nil, "api_tok_v1:tok")
	bucket := srv.NewBucket(t, map[string]string{
		model.FingerprintKeyPath:  string(keyBytes),
		model.ManifestPath:        "services:\n  " + p + "api:\n    policy: {max-age: 10s}\n",
		p + "api.properties.prod": "tok = " + value + "\n",
	})
	where := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}
	expired := func() []string {
		r := runCLI(t, append([]string{"drift", "--json"}, where...)...)
		var out struct{ Findings []model.Finding }
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("drift --json: %v\n%s", err, r.all())
		}
		var got []string
		for _, f := range out.Findings {
			if f.Kind == model.KindExpired {
				got = append(got, strings.TrimPrefix(f.Secret, p)+": "+f.Explanation)
			}
		}
		return got
	}
	if got := expired(); len(got) != 0 && time.Since(made) < 9*time.Second {
		t.Fatalf("a secret made %s ago is not expired under max-age 10s: %q", time.Since(made), got)
	}
	time.Sleep(time.Until(made.Add(11 * time.Second)))
	got := expired()
	if len(got) != 1 || !strings.HasPrefix(got[0], "api_tok_v1: ") || !strings.Contains(got[0], "services."+p+"api.policy.max-age: 10s") ||
		!strings.Contains(got[0], "made "+made.UTC().Format("2006-01-02")) {
		t.Fatalf("expired: %q", got)
	}
	r := runCLI(t, append([]string{"apply", "--yes", "--secret", p + "api_tok"}, where...)...)
	if r.code != 0 || !sw.secretExists("api_tok_v2") {
		t.Fatalf("apply makes a new version of the same value: exit %d\n%s", r.code, r.all())
	}
	if got := sw.spec(sw.serviceID("api")); len(got) != 1 || !strings.HasPrefix(got[0], "api_tok_v2:tok") {
		t.Errorf("api mounts %v", got)
	}
	leak.Check(t, "the output of apply", r.all(), value)
}

// TestInspectNodeForReal: on the rig's manager (where every task runs: its
// worker is drained), `inspect node` lists what the node's tasks mount now
// and what the task history says they mounted, and marks the manager as
// holding every secret; the drained worker ran none of them, the node that
// is down says so, and the shared hostname is refused for an ID. The case
// of a worker running tasks cannot happen on this rig (no task runs on a
// drained node): model's TestInspectNode covers it with the model's fakes.
func TestInspectNodeForReal(t *testing.T) {
	sw := newRigSwarm(t)
	p := sw.prefix
	sw.secret("node_tok_v1", "node-Value-1", nil)
	sw.secret("node_tok_v2", "node-Value-2", nil)
	id := sw.runningService("node", nil, "node_tok_v1:tok:0:0:0444")
	sw.waitMounting(id, "node_tok_v1")
	sw.mountInstead(id, "node_tok_v2")
	sw.waitMounting(id, "node_tok_v2")
	host := []string{"--host", testrig.Docker(t)}

	inspect := func(node string) (model.NodeDetail, result) {
		r := runCLI(t, append([]string{"inspect", "node", node, "--json"}, host...)...)
		var d model.NodeDetail
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &d) != nil {
			t.Fatalf("inspect node %s: exit %d\n%s", node, r.code, r.all())
		}
		return d, r
	}
	d, _ := inspect("self")
	ours := map[string]string{}
	for _, s := range d.Secrets {
		if strings.HasPrefix(s.Name, p) {
			ours[strings.TrimPrefix(s.Name, p)] = fmt.Sprintf("now=%v %s", s.Now, strings.Join(s.Services, ","))
		}
	}
	if want := map[string]string{"node_tok_v1": "now=false " + p + "node", "node_tok_v2": "now=true " + p + "node"}; fmt.Sprint(ours) != fmt.Sprint(want) {
		t.Errorf("the manager's tasks mount %v, want %v", ours, want)
	}
	n := d.Node
	if !d.HoldsEverySecret || d.AllSecrets < 2 || n.Role != "manager" || !n.Leader || n.State != "ready" || n.Availability != "active" || n.EngineVersion == "" || n.Addr == "" {
		t.Errorf("the manager: %+v", d)
	}
	r := runCLI(t, append([]string{"inspect", "node", n.ID}, host...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "As a manager it holds the Raft store: EVERY secret") || !strings.Contains(r.stdout, p+"node_tok_v1") ||
		!strings.Contains(r.stdout, "engine "+n.EngineVersion) {
		t.Errorf("text: exit %d\n%s", r.code, r.all())
	}

	w, _ := inspect(drainedWorker(t))
	if w.HoldsEverySecret || w.Node.Role != "worker" || w.Node.Availability != "drain" {
		t.Errorf("the drained worker: %+v", w)
	}
	for _, s := range w.Secrets {
		if strings.HasPrefix(s.Name, p) {
			t.Errorf("a task of ours ran on the drained worker: %+v", s)
		}
	}
	if lost, _ := inspect(testrig.LostNode(t)); lost.Node.State != "down" {
		t.Errorf("the lost worker: %+v", lost.Node)
	}
	if r := runCLI(t, append([]string{"inspect", "node", "vm"}, host...)...); r.code == 0 {
		t.Logf("hostname vm names one node here: %s", r.stdout)
	} else {
		assertOneLineError(t, r, `"vm" names`, "give the node's ID")
	}
	if r := runCLI(t, append([]string{"inspect", "node", "no-such-node"}, host...)...); r.code != exitError || !strings.Contains(r.stderr, `no node named "no-such-node"`) {
		t.Errorf("unknown node: %s", r.all())
	}
}

// TestReportForReal: the incident report of a swarm with known values —
// mounted, in the source, in a service's env (an exposure), rotated by an
// apply the audit log recorded — names the nodes, the manager as holding
// every secret, the findings, the secrets' ages and the apply's steps, in
// Markdown and in JSON, written 0600 even over a file that was 0644, and
// holds none of the values.
func TestReportForReal(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	keyBytes := bytes.Repeat([]byte{13}, model.FingerprintKeySize)
	key, _ := model.NewFingerprintKey(keyBytes)
	p := sw.prefix
	values := []string{"report-Old-Value-1", "report-New-Value-2", "report-Env-Value-3"}
	sw.secret("api_tok_v1", values[0], managedLabels(key, p+"api_tok", 1, values[0]))
	sw.service("api", nil, nil, "api_tok_v1:tok")
	sw.service("leaky", []string{"DB_PASSWORD=" + values[2]}, nil)
	bucket := srv.NewBucket(t, map[string]string{
		model.FingerprintKeyPath:    string(keyBytes),
		p + "api.properties.prod":   "tok = " + values[1] + "\n",
		p + "leaky.properties.prod": "db_password = " + values[2] + "\n",
	})
	where := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}
	r := runCLI(t, append([]string{"apply", "--yes", "--secret", p + "api_tok"}, where...)...)
	if r.code != 0 {
		t.Fatalf("apply: exit %d\n%s", r.code, r.all())
	}
	planID := regexp.MustCompile(`p-[0-9]{8}-[0-9]{6}-[0-9a-f]{4}`).FindString(r.stdout)
	dir := t.TempDir()
	md, js := filepath.Join(dir, "incident.md"), filepath.Join(dir, "incident.json")
	if err := os.WriteFile(md, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	var seen strings.Builder
	for _, c := range [][]string{{"--format", "md", "--out", md}, {"--format", "json", "--since", "1h", "--out", js}} {
		r := runCLI(t, append(append([]string{"report"}, c...), where...)...)
		seen.WriteString(r.all())
		if r.code != 0 || !strings.Contains(r.stdout, "mode 0600") {
			t.Fatalf("report %v: exit %d\n%s", c, r.code, r.all())
		}
	}
	for _, f := range []string{md, js} {
		st, err := os.Stat(f)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v", f, err, st.Mode())
		}
		b, _ := os.ReadFile(f)
		seen.Write(b)
	}
	b, _ := os.ReadFile(md)
	text := string(b)
	for _, want := range []string{"# Incident report: swarm `", "| manager (leader) |", "every secret (", "`env-exposure`", "env var DB_PASSWORD of service " + p + "leaky",
		"`" + p + "api_tok_v2`", "| create | `" + p + "api_tok_v2` | ok |", "`" + planID + "`"} {
		if !strings.Contains(text, want) {
			t.Errorf("the Markdown report lacks %q:\n%s", want, text)
		}
	}
	var rep model.IncidentReport
	b, _ = os.ReadFile(js)
	if err := json.Unmarshal(b, &rep); err != nil || rep.Version != 1 || !rep.FindingsChecked || len(rep.Timeline) == 0 || rep.Timeline[0].Plan != planID {
		t.Fatalf("the JSON report: %v %+v", err, rep.Timeline)
	}
	managers := 0
	for _, n := range rep.Nodes {
		if n.HoldsEverySecret {
			managers++
			if n.Exposed != len(rep.Secrets) || n.Node.Role != "manager" {
				t.Errorf("the manager could read every secret: %+v", n)
			}
		}
	}
	if managers != 1 {
		t.Errorf("%d managers holding every secret, the rig has one", managers)
	}
	leak.Check(t, "the incident reports and their output", seen.String(), values...)
}
