package model

import (
	"strings"
	"testing"
)

// TestEveryFindingEndsInACommand: each finding carries a command to paste:
// secretdeck's own where it can act, else docker's; names only, quoted for
// the shell where needed.
func TestEveryFindingEndsInACommand(t *testing.T) {
	w := newWorld().managed("api_k", 1, "old").managed("api_k", 2, "old", LabelPlan, "p-7").secret("legacy").secret("tls").
		service("api", "api_k_v1:k", "tls:tls").service("proxy").service("web", "api_k_v2:k").
		file("api.properties.prod", "api", "k=new", "stats.password=hunter2-stats").
		file("ghost.properties.prod", "ghost", "x=1")
	w.swarm.Services[1].Spec.Env = []EnvVar{{Name: "STATS_PASS", Value: NewValueString("hunter2-stats")}, {Name: "API_TOKEN", Value: NewValueString("literal")}}
	w.swarm.Services[2].Stack = "shop"
	w.source.URI = "s3://ops/my props"
	want := map[string]string{
		"stale":           "secretdeck plan --secret api_k --source 's3://ops/my props' --env prod",
		"lagging":         "secretdeck apply --resume p-7 --source 's3://ops/my props' --env prod",
		"missing":         "secretdeck plan --secret api_stats.password --source 's3://ops/my props' --env prod",
		"orphan":          "secretdeck prune legacy",
		"env-exposure":    "docker service update --env-rm API_TOKEN proxy",
		"undeclared":      "secretdeck inspect secret tls",
		"unknown-service": "docker service ls --filter name=ghost",
	}
	seen := map[string]bool{}
	for _, f := range w.drift().Findings {
		if f.Command == "" {
			t.Errorf("%s %s has no command", f.Kind, f.ID())
		}
		if c, ok := want[string(f.Kind)]; ok && !seen[string(f.Kind)] {
			seen[string(f.Kind)] = true
			if f.Command != c {
				t.Errorf("%s: command %q, want %q", f.Kind, f.Command, c)
			}
		}
		if f.Kind == KindEnvExposure && f.Key == "STATS_PASS" && !strings.Contains(f.Hint, "api_stats.password") {
			t.Errorf("the exposed value's hint names the secret to mount it as: %q", f.Hint)
		}
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("no %s finding in the test world", k)
		}
	}
}

func TestShellCommandQuotesOnlyWhatNeedsIt(t *testing.T) {
	got := ShellCommand("docker", "service", "inspect", "--format", "{{json .Spec}}", "it's")
	if want := `docker service inspect --format '{{json .Spec}}' 'it'\''s'`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
