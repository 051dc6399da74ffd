package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// namesWorld is a small swarm where names go wrong: a shared secret half
// rotated by hand (pay_v1 on billing, pay_v2 on checkout), a secret mounted
// under a hand-made name (cache_data on cache), an orphan made by hand
// (legacy), and a credential in an env var of proxy.
type namesWorld struct {
	sw         *rigSwarm
	p          string
	args       []string // --host, --source, --env
	bucketName string
}

func newNamesWorld(t *testing.T) *namesWorld {
	t.Helper()
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	p := sw.prefix
	sw.secret("pay_v1", "pay-value-1", nil)
	sw.secret("pay_v2", "pay-value-2", nil)
	sw.secret("cache_data", "cache-value", nil)
	sw.secret("legacy", "legacy-value", nil)
	sw.service("billing", nil, nil, "pay_v1:"+p+"pay")
	sw.service("checkout", nil, nil, "pay_v2:"+p+"pay")
	sw.service("cache", nil, nil, "cache_data:data")
	sw.service("proxy", []string{"STATS_PASS=stats-Value-In-Clear"}, nil)
	bucket := srv.NewBucket(t, map[string]string{
		"shared.properties.prod":    p + "pay=pay-value-2\n",
		p + "cache.properties.prod": "data=cache-value\n",
		p + "proxy.properties.prod": "stats.password=stats-Value-In-Clear\n",
	})
	return &namesWorld{sw: sw, p: p, bucketName: bucket,
		args: []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}}
}

func (w *namesWorld) run(t *testing.T, args ...string) result {
	t.Helper()
	return runCLI(t, append(args, w.args...)...)
}

// A selector that matches nothing is an error naming what exists, not an
// empty plan; a version's name selects its logical secret; the name the
// swarm uses for a hand-made secret is the name the plan uses.
func TestPlanSelectorsNameWhatExists(t *testing.T) {
	w := newNamesWorld(t)
	p := w.p
	assertOneLineError(t, w.run(t, "plan", "--service", p+"billingg"), `no service named "`+p+`billingg"; services: `+p+"billing")
	assertOneLineError(t, w.run(t, "plan", "--secret", p+"pya"), `no logical secret named "`+p+`pya"; logical secrets: `+p+"pay")

	r := w.run(t, "plan", "--secret", p+"pay_v2")
	if r.code != 0 || !strings.Contains(r.stderr, p+"pay_v2 is a version of the logical secret "+p+"pay") ||
		!strings.Contains(r.stdout, "+ "+p+"pay_v3") {
		t.Errorf("plan --secret %spay_v2: exit %d\nstdout: %s\nstderr: %s", p, r.code, r.stdout, r.stderr)
	}
	r = w.run(t, "plan", "--secret", p+"cache_data")
	if r.code != 0 || !strings.Contains(r.stdout, "+ "+p+"cache_data_v1") {
		t.Errorf("plan --secret %scache_data: exit %d\nstdout: %s\nstderr: %s", p, r.code, r.stdout, r.stderr)
	}
}

// inspect secret takes a logical name or a version's, and both show the blast
// radius of the whole logical secret; a typo names the closest secrets.
func TestInspectSecretShowsEveryVersionsConsumers(t *testing.T) {
	w := newNamesWorld(t)
	p := w.p
	for _, asked := range []string{p + "pay", p + "pay_v1"} {
		r := w.run(t, "inspect", "secret", asked)
		_, union, _ := strings.Cut(r.stdout, "BLAST RADIUS OF "+p+"pay (every version)")
		if r.code != 0 || !strings.Contains(union, p+"billing") || !strings.Contains(union, p+"checkout") {
			t.Errorf("inspect secret %s: exit %d, want billing and checkout in the logical blast radius\n%s%s", asked, r.code, r.stdout, r.stderr)
		}
		r = w.run(t, "inspect", "secret", asked, "--json")
		var d struct {
			Asked        string
			LogicalBlast struct{ Services []struct{ Service string } } `json:"logicalBlastRadius"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &d); err != nil || d.Asked != asked || len(d.LogicalBlast.Services) != 2 {
			t.Errorf("inspect secret %s --json: %v %+v", asked, err, d)
		}
	}
	assertOneLineError(t, w.run(t, "inspect", "secret", p+"legacyy"), `no secret named "`+p+`legacyy"; closest: `+p+"legacy (`docker secret ls` lists them all)")
}

// drift lists findings in the order its help states: the exposed credential
// is the first HIGH finding.
func TestDriftListsWhatItsHelpSays(t *testing.T) {
	w := newNamesWorld(t)
	help := runCLI(t, "drift", "--help").stdout
	if !strings.Contains(help, "env-exposure, previous-spec-exposure, image-history-exposure, unauthorized-mount, stale, missing, lagging, stack-reverted, stack-pinned (high);") {
		t.Errorf("drift --help does not state the order:\n%s", help)
	}
	r := w.run(t, "drift", "--json")
	var out driftOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("drift --json: %v\n%s%s", err, r.stdout, r.stderr)
	}
	var high []string
	for _, f := range out.Findings {
		if f.Severity == model.SeverityHigh && strings.Contains(f.Service+f.Secret+f.File+f.Logical, w.p) {
			high = append(high, string(f.Kind))
		}
	}
	if len(high) < 2 || high[0] != "env-exposure" {
		t.Errorf("HIGH findings in the order %v, want env-exposure first", high)
	}
}

// Every finding of drift ends in a command that runs as written: secretdeck's
// parse through the real command tree (and `plan` runs), docker's run against
// the engine (the env var's removal ends the exposure).
func TestDriftCommandsRunAsWritten(t *testing.T) {
	w := newNamesWorld(t)
	t.Setenv("DOCKER_HOST", testrig.Docker(t))
	findings := func() []model.Finding {
		t.Helper()
		r := w.run(t, "drift", "--json")
		var out driftOutput
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("drift --json: %v\n%s%s", err, r.stdout, r.stderr)
		}
		var ours []model.Finding
		for _, f := range out.Findings {
			if strings.Contains(f.Service+f.Secret+f.File+f.Logical, w.p) {
				ours = append(ours, f)
			}
		}
		return ours
	}
	kinds := map[model.Kind]bool{}
	for _, f := range findings() {
		kinds[f.Kind] = true
		args := splitShell(t, f.Command)
		if len(args) == 0 {
			t.Errorf("%s has no command", f.ID())
			continue
		}
		switch args[0] {
		case "secretdeck":
			if err := parseSecretdeck(args[1:]); err != nil {
				t.Errorf("%s: %q does not parse: %v", f.ID(), f.Command, err)
			}
			if args[1] == "plan" {
				if r := runCLI(t, args[1:]...); r.code != 0 {
					t.Errorf("%s: %q exits %d: %s", f.ID(), f.Command, r.code, r.stderr)
				}
			}
		case "docker":
			if out, err := exec.Command("docker", args[1:]...).CombinedOutput(); err != nil {
				t.Errorf("%s: %q: %v\n%s", f.ID(), f.Command, err, out)
			}
		default:
			t.Errorf("%s: %q is neither secretdeck's nor docker's", f.ID(), f.Command)
		}
	}
	for _, k := range []model.Kind{model.KindEnvExposure, model.KindLagging, model.KindOrphan, model.KindUnverifiable} {
		if !kinds[k] {
			t.Errorf("the test world has no %s finding", k)
		}
	}
	for _, f := range findings() {
		if f.Kind == model.KindEnvExposure {
			t.Errorf("%q ran and the exposure is still there: %s", f.Command, f.Explanation)
		}
	}
}

// prune NAME removes the one orphan drift points at, made by hand or not, and
// audits it; a secret a Spec or a PreviousSpec names gets one line and stays.
func TestPruneNamedRemovesOneOrphan(t *testing.T) {
	w := newNamesWorld(t)
	p := w.p
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	host := []string{"--host", testrig.Docker(t)}

	assertOneLineError(t, runCLI(t, append([]string{"prune", p + "pay_v1", "--yes"}, host...)...),
		p+"pay_v1 is not removable: service "+p+"billing mounts it")
	assertOneLineError(t, runCLI(t, append([]string{"prune", p + "legacyy", "--yes"}, host...)...), "closest: "+p+"legacy")
	if !w.sw.secretExists("pay_v1") || !w.sw.secretExists("legacy") {
		t.Fatal("a refused prune removed something")
	}
	r := runCLI(t, append([]string{"prune", p + "legacy", "--yes"}, host...)...)
	if r.code != 0 || w.sw.secretExists("legacy") {
		t.Fatalf("prune %slegacy: exit %d, still there: %v\n%s", p, r.code, w.sw.secretExists("legacy"), r.all())
	}
	log, err := os.ReadFile(filepath.Join(state, "secretdeck", "audit.jsonl"))
	if err != nil || !strings.Contains(string(log), `"action":"prune","subject":"`+p+`legacy","result":"ok"`) {
		t.Errorf("the audit log does not record the removal (%v):\n%s", err, log)
	}
}
