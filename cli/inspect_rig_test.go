package cli

import (
	"bytes"
	"context"
	"testing"

	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/swarm"
)

// Without --source, inspect asks the engine only for what its question
// needs (swarm.LoadForSecret, LoadForService); on a real engine, whose
// filters are prefixes, case-insensitive and exact by turns, what it prints
// must be what the whole swarm says: versions found by label and by name,
// a version named unlike its logical secret, a service that names one only
// in its PreviousSpec, a running task and its node, bystanders.
func TestInspectWithoutSourceSaysWhatTheWholeSwarmSays(t *testing.T) {
	sw := newRigSwarm(t)
	p := sw.prefix
	sw.decoy()
	sw.secret("pay_v1", "v1", map[string]string{model.LabelLogical: p + "pay", model.LabelVersion: "1"})
	sw.secret("pay_v2", "v2", nil)
	sw.secret("handmade", "v3", map[string]string{model.LabelLogical: p + "pay", model.LabelVersion: "3"})
	sw.secret("PAY_v9", "decoy", nil) // a case-insensitive prefix of pay, a version of nothing asked
	sw.secret("legacy", "legacy", nil)
	billing := sw.runningService("billing", nil, "pay_v1:pay:0:0:0400")
	sw.service("checkout", nil, nil, "pay_v2:pay")
	sw.service("cache", nil, nil, "legacy:data")
	sw.mountInstead(sw.serviceID("cache"), "handmade") // cache's PreviousSpec now names legacy
	sw.waitRunning(billing)

	whole := func() *model.SwarmSnapshot {
		c, err := swarm.Connect(context.Background(), swarm.ConnectOptions{Host: testrig.Docker(t)})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		s, err := c.Snapshot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	printed := func(v any, err error) string {
		if err != nil {
			return "error: " + err.Error() + "\n"
		}
		var b bytes.Buffer
		if err := writeJSON(&b, v); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	asks := [][]string{
		{"secret", p + "pay"}, {"secret", p + "pay_v1"}, {"secret", p + "pay_v2"}, {"secret", p + "handmade"},
		{"secret", p + "legacy"}, {"secret", sw.ids[p+"pay_v2"]},
		{"service", p + "billing"}, {"service", billing}, {"service", p + "cache"},
	}
	for _, ask := range asks {
		// A task may change between two reads of a live swarm: compare
		// with a whole read made just before, a few times at most.
		var got, want string
		for range 3 {
			s := whole()
			if ask[0] == "secret" {
				want = printed(s.InspectSecret(ask[1], nil, model.FingerprintKey{}))
			} else {
				want = printed(s.InspectService(ask[1], nil))
			}
			r := runCLI(t, "inspect", ask[0], ask[1], "--json", "--host", testrig.Docker(t))
			if got = r.stdout; r.code != 0 {
				got = "error: " + r.stderr
			}
			if got == want {
				break
			}
		}
		if got != want {
			t.Errorf("inspect %s %s --json printed:\n%s\nthe whole swarm says:\n%s", ask[0], ask[1], got, want)
		}
	}
	// A worker and an engine in no swarm say what they are, as status does.
	for _, host := range []string{testrig.WorkerDocker(t), testrig.NoSwarmDocker(t)} {
		want := runCLI(t, "status", "--host", host).stderr
		for _, kind := range []string{"secret", "service"} {
			if r := runCLI(t, "inspect", kind, p+"pay", "--host", host); r.code != 1 || r.stderr != want {
				t.Errorf("inspect %s on %s: exit %d, %q; status says %q", kind, host, r.code, r.stderr, want)
			}
		}
	}
	assertOneLineError(t, runCLI(t, "inspect", "secret", p+"legacyy", "--host", testrig.Docker(t)),
		`no secret named "`+p+`legacyy"; closest: `+p+"legacy")
	assertOneLineError(t, runCLI(t, "inspect", "service", p+"billingg", "--host", testrig.Docker(t)),
		`no service named "`+p+`billingg"`)
}
