package model

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// One test per finding kind: the smallest world that shows it.
func TestDriftKinds(t *testing.T) {
	cases := []struct {
		name  string
		world *world
		want  []string
	}{
		{"in sync: nothing to say",
			newWorld().managed("api_db_pass", 1, "s3cret!").service("api", "api_db_pass_v1:db_pass").
				file("api.properties.prod", "api", "db_pass=s3cret!"),
			nil},
		{"missing: no swarm secret for an entry",
			newWorld().service("api").file("api.properties.prod", "api", "db_pass=s3cret!"),
			[]string{"missing api/api_db_pass/"}},
		{"not-mounted: the secret exists, the service does not mount it",
			newWorld().managed("api_db_pass", 1, "s3cret!").service("api").file("api.properties.prod", "api", "db_pass=s3cret!"),
			[]string{"not-mounted api/api_db_pass/api_db_pass_v1"}},
		{"stale: the fingerprint differs from the source value",
			newWorld().managed("api_db_pass", 1, "old-value").service("api", "api_db_pass_v1:db_pass").
				file("api.properties.prod", "api", "db_pass=new-value"),
			[]string{"stale api/api_db_pass/api_db_pass_v1"}},
		{"unverifiable: made outside secretdeck",
			newWorld().secret("api_db_pass").service("api", "api_db_pass:db_pass").file("api.properties.prod", "api", "db_pass=s3cret!"),
			[]string{"unverifiable api/api_db_pass/api_db_pass"}},
		{"lagging: an older version is mounted, with the plan that made the new one",
			newWorld().managed("api_db_pass", 1, "v").managed("api_db_pass", 2, "v", LabelPlan, "p-123").
				service("api", "api_db_pass_v1:db_pass").file("api.properties.prod", "api", "db_pass=v"),
			[]string{"lagging api/api_db_pass/api_db_pass_v1"}},
		{"target-mismatch: the version is mounted at another target",
			newWorld().managed("api_db_pass", 1, "v").service("api", "api_db_pass_v1:old_name").file("api.properties.prod", "api", "db_pass=v"),
			[]string{"target-mismatch api/api_db_pass/api_db_pass_v1"}},
		{"orphan: an old version nothing mounts",
			newWorld().managed("api_db_pass", 1, "old").managed("api_db_pass", 2, "v").service("api", "api_db_pass_v2:db_pass").
				file("api.properties.prod", "api", "db_pass=v"),
			[]string{"orphan /api_db_pass/api_db_pass_v1"}},
		{"undeclared: a mount no file declares",
			newWorld().secret("tls_cert").service("web", "tls_cert:tls_cert"),
			[]string{"undeclared web//tls_cert"}},
		{"unknown-service: a file for a service the swarm does not run",
			newWorld().file("old_api.properties.prod", "old_api", "token=abcdefgh"),
			[]string{"unknown-service old_api//"}},
		{"env-exposure: a source value in clear in an env var",
			func() *world {
				w := newWorld().managed("proxy_stats.password", 1, "hunter2-stats").service("proxy", "proxy_stats.password_v1:stats.password").
					file("proxy.properties.prod", "proxy", "stats.password=hunter2-stats")
				w.last().Spec.Env = []EnvVar{{Name: "STATS_CREDS", Value: NewValueString("hunter2-stats")}}
				return w
			}(),
			[]string{"env-exposure proxy//"}},
		{"env-exposure: a sensitive-looking name with a literal value",
			func() *world {
				w := newWorld().service("proxy")
				w.last().Spec.Env = []EnvVar{
					{Name: "STATS_PASS", Value: NewValueString("x")},
					{Name: "DB_PASSWORD_FILE", Value: NewValueString("/run/secrets/db")}, // the right way, but nothing is mounted there
					{Name: "LOG_LEVEL", Value: NewValueString("debug")},
				}
				return w
			}(),
			[]string{"env-exposure proxy//", "wiring proxy//"}},
		{"runtime-stale: the service reads a file that changed after its task started",
			func() *world {
				w := newWorld().managed("my_service_db_pass", 1, "v").service("my_service", "my_service_db_pass_v1:db_pass").running(t0).
					file("my_service.json.prod", "my_service", "db_pass=v")
				w.last().Spec.Env = []EnvVar{{Name: "MY_PROPS_FILE", Value: NewValueString("my_service.json.prod")}}
				w.source.Files[0].LastModified = t0.Add(time.Hour)
				return w
			}(),
			[]string{"runtime-stale my_service//"}},
		{"stack-owned: a stack service that a rotation would change",
			func() *world {
				w := newWorld().managed("shop_web_session", 1, "old").service("shop_web", "shop_web_session_v1:session").
					file("shop_web.properties.prod", "shop_web", "session=new")
				w.last().Stack = "shop"
				return w
			}(),
			[]string{"stale shop_web/shop_web_session/shop_web_session_v1", "stack-owned shop_web//"}},
		{"unparsable: a file that does not parse",
			func() *world {
				w := newWorld().service("billing").file("billing.yaml.prod", "billing")
				w.source.Files[0].Err = &ParseError{File: "billing.yaml.prod", Line: 3, Msg: "did not find expected ',' or '}'"}
				return w
			}(),
			[]string{"unparsable billing//"}},
		{"oversize: a value Docker cannot hold",
			newWorld().service("api").file("api.properties.prod", "api", "blob="+strings.Repeat("x", MaxSecretSize)),
			[]string{"oversize api/api_blob/"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assertFindings(t, c.world.drift(), c.want...)
		})
	}
}

func TestDriftWithoutFingerprintKeySaysSo(t *testing.T) {
	w := newWorld().managed("api_db_pass", 1, "v").service("api", "api_db_pass_v1:db_pass").file("api.properties.prod", "api", "db_pass=v")
	w.key = FingerprintKey{}
	r := w.drift()
	assertFindings(t, r, "unverifiable api/api_db_pass/api_db_pass_v1")
	if r.FingerprintKey || !strings.Contains(r.Findings[0].Explanation, FingerprintKeyPath) {
		t.Errorf("the finding must say the key is missing: %+v", r.Findings[0])
	}
}

func TestDriftTrickyCases(t *testing.T) {
	t.Run("a secret renamed by hand is still found by target, and names the logical secret", func(t *testing.T) {
		w := newWorld().secret("db_pass_manual_2024").service("api", "db_pass_manual_2024:db_pass").
			file("api.properties.prod", "api", "db_pass=v")
		assertFindings(t, w.drift(), "unverifiable api/db_pass_manual_2024/db_pass_manual_2024")
	})
	t.Run("a service that mounts two versions", func(t *testing.T) {
		w := newWorld().managed("api_db_pass", 1, "v").managed("api_db_pass", 2, "v").
			service("api", "api_db_pass_v1:db_pass", "api_db_pass_v2:db_pass_next").
			file("api.properties.prod", "api", "db_pass=v")
		assertFindings(t, w.drift(), "lagging api/api_db_pass/api_db_pass_v1", "undeclared api/api_db_pass/api_db_pass_v2")
	})
	t.Run("a shared key mounted by three services at different versions", func(t *testing.T) {
		w := newWorld().managed("payment_key", 1, "old").managed("payment_key", 2, "old").managed("payment_key", 3, "new").
			service("billing", "payment_key_v1:payment_key").
			service("checkout", "payment_key_v2:payment_key").
			service("refunds", "payment_key_v3:payment_key").
			file("shared.properties.prod", SharedService, "payment_key=new")
		r := w.drift()
		assertFindings(t, r,
			"stale billing/payment_key/payment_key_v1", "stale checkout/payment_key/payment_key_v2",
			"lagging billing/payment_key/payment_key_v1", "lagging checkout/payment_key/payment_key_v2",
			"open-grant /payment_key/")
		if f := r.Findings[4]; !strings.Contains(f.Explanation, "services: {shared: {keys: {payment_key: {services: [billing, checkout, refunds]}}}}") {
			t.Errorf("open-grant proposes the list of who mounts it now: %s", f.Explanation)
		}
		if got := r.Desired[0].Consumers; strings.Join(got, ",") != "billing,checkout,refunds" {
			t.Errorf("consumers = %v", got)
		}
	})
	t.Run("keys that normalize to nothing, or to the same name", func(t *testing.T) {
		w := newWorld().service("api").file("api.properties.prod", "api", "$$$=v", "DB_PASS=a", "db_pass=b")
		assertFindings(t, w.drift(), "missing api/api_db_pass/", "unparsable api//", "unparsable api//")
	})
	t.Run("an over-long name is shortened to a valid one", func(t *testing.T) {
		long := strings.Repeat("k", 70)
		w := newWorld().service("api").file("api.properties.prod", "api", long+"=v")
		r := w.drift()
		assertFindings(t, r, "missing api/api_"+long+"/")
		if name, short := VersionName(r.Desired[0].Logical, 1); !short || !ValidSecretName(name) {
			t.Errorf("version name %q not shortened to a valid name", name)
		}
	})
	t.Run("an empty file asks for nothing", func(t *testing.T) {
		w := newWorld().service("api").file("api.properties.prod", "api")
		assertFindings(t, w.drift())
	})
	t.Run("a manifest override of name, target and mode", func(t *testing.T) {
		m, err := ParseManifest(ManifestPath, []byte(`
services:
  api:
    exclude: [db.host]
    keys:
      db.password: {secret: api_database_pw, target: database_pw, mode: "0400"}
`))
		if err != nil {
			t.Fatal(err)
		}
		w := newWorld().managed("api_database_pw", 1, "v").service("api", "api_database_pw_v1:database_pw").
			file("api.properties.prod", "api", "db.password=v", "db.host=db1")
		w.man = m
		assertFindings(t, w.drift(), "target-mismatch api/api_database_pw/api_database_pw_v1")
		w.last().Spec.Secrets[0].Mode = 0o400
		assertFindings(t, w.drift())
	})
	t.Run("the docs' rotation example is adopted", func(t *testing.T) {
		w := newWorld().secret("my_secret_data").secret("my_secret_data_v2").
			service("redis", "my_secret_data_v2:my_secret_data").
			file("redis.env.prod", "redis", "my_secret_data=v")
		w.man = &Manifest{Services: map[string]ServicePolicy{"redis": {Keys: map[string]KeyPolicy{"my_secret_data": {MountPolicy: MountPolicy{Secret: "my_secret_data"}}}}}}
		assertFindings(t, w.drift(), "unverifiable redis/my_secret_data/my_secret_data_v2", "orphan /my_secret_data/my_secret_data")
	})
	t.Run("a secret named only by a PreviousSpec is not an orphan", func(t *testing.T) {
		w := newWorld().managed("api_k", 1, "v").managed("api_k", 2, "v").service("api", "api_k_v2:k").
			file("api.properties.prod", "api", "k=v")
		w.last().Previous = &ServiceSpec{Secrets: []FileRef{{ID: "id-api_k_v1", Name: "api_k_v1", Target: "k"}}}
		assertFindings(t, w.drift())
	})
}

func TestDriftIsDeterministic(t *testing.T) {
	w := newWorld().secret("a").secret("b").service("x", "a:a", "b:b").service("y", "b:b").
		file("old.properties.prod", "old", "k=v")
	first, _ := json.Marshal(w.drift())
	for range 20 {
		again, _ := json.Marshal(w.drift())
		if string(again) != string(first) {
			t.Fatalf("drift output changed between runs:\n%s\n%s", first, again)
		}
	}
}

// TestDriftListsTheMostUrgentFirst: Drift returns its findings in the order
// drift --help states (UrgencyText, written from the same list): an exposed
// credential before a stale, missing or lagging secret.
func TestDriftListsTheMostUrgentFirst(t *testing.T) {
	w := newWorld().secret("pay_v1").managed("pay", 2, "x").managed("api_k", 1, "old").
		service("billing", "pay_v1:pay").service("api", "api_k_v1:k").service("proxy", "api_k_v1:k").
		file("shared.properties.prod", SharedService, "pay=x").
		file("api.properties.prod", "api", "k=new", "missing_one=m").
		file("proxy.properties.prod", "proxy", "stats.password=hunter2-stats")
	w.swarm.Services[2].Spec.Env = []EnvVar{{Name: "STATS_PASS", Value: NewValueString("hunter2-stats")}}
	w.swarm.Services[1].Previous = &ServiceSpec{Env: []EnvVar{{Name: "API_TOKEN", Value: NewValueString("removed-by-hand")}}}
	var got []string
	fs := w.drift().Findings
	if !slices.IsSortedFunc(fs, func(a, b Finding) int { return cmp.Compare(b.Severity, a.Severity) }) {
		t.Errorf("drift's findings are not by severity: %v", ids(fs))
	}
	for _, f := range fs {
		if f.Severity == SeverityHigh && !slices.Contains(got, string(f.Kind)) {
			got = append(got, string(f.Kind))
		}
	}
	if want := "env-exposure, previous-spec-exposure, unauthorized-mount, stale, missing, lagging"; strings.Join(got, ", ") != want || !strings.HasPrefix(UrgencyText(), "env-exposure, previous-spec-exposure, image-history-exposure, unauthorized-mount, stale, missing, lagging, stack-reverted, stack-pinned, config-exposure, config-stale (high); ") {
		t.Errorf("high findings in the order %v; help says %q", got, UrgencyText())
	}
	if len(Urgency) != len(Kinds) {
		t.Errorf("Urgency lists %d kinds, there are %d", len(Urgency), len(Kinds))
	}
}
