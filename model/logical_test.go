package model

import (
	"testing"
	"time"
)

// One logical name for one thing: what a service already mounts at an
// entry's target names the logical secret, in drift, in the plan and in
// SwarmSnapshot.LogicalOf (what the Secrets pane and inspect show).
func TestOneLogicalNameEverywhere(t *testing.T) {
	cases := []struct {
		name    string
		world   *world
		want    []string
		adopted bool // the mounted secret is a version of the entry's logical secret
	}{
		{"a hand-made secret at the target names the logical secret (Docker's example)",
			newWorld().secret("my_secret_data").service("redis", "my_secret_data:my_secret_data").
				file("redis.env.prod", "redis", "my_secret_data=v"),
			[]string{"unverifiable redis/my_secret_data/my_secret_data"}, true},
		{"a hand-made version at the target: its logical is its name without _v<N>",
			newWorld().secret("db_pw_v3").service("api", "db_pw_v3:db_password").
				file("api.properties.prod", "api", "db_password=v"),
			[]string{"unverifiable api/db_pw/db_pw_v3"}, true},
		{"the conventional name has versions: it stays",
			newWorld().secret("my_secret_data").managed("redis_my_secret_data", 1, "old").
				service("redis", "my_secret_data:my_secret_data").file("redis.env.prod", "redis", "my_secret_data=v"),
			[]string{"unverifiable redis/redis_my_secret_data/my_secret_data"}, false},
		{"another entry claims the name: no adoption",
			newWorld().secret("token").service("api", "token:api_token").
				file("api.properties.prod", "api", "api_token=v").file("shared.properties.prod", SharedService, "token=w"),
			[]string{"unverifiable api/api_api_token/token", "target-mismatch api/token/token", "open-grant /token/"}, false},
		{"two services mount one hand-made secret: neither adopts it",
			newWorld().secret("token").service("a", "token:token").service("b", "token:token").
				file("a.properties.prod", "a", "token=v").file("b.properties.prod", "b", "token=v"),
			[]string{"unverifiable a/a_token/token", "unverifiable b/b_token/token"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.world.drift()
			assertFindings(t, r, c.want...)
			if !c.adopted {
				return
			}
			for _, f := range r.Findings {
				if l := c.world.swarm.LogicalOf("id-" + f.Secret); l != f.Logical {
					t.Errorf("drift calls %s a version of %s, LogicalOf says %s", f.Secret, f.Logical, l)
				}
			}
		})
	}
}

// The plan rotates the adopted secret under the name the swarm already uses,
// and `--secret` selects it by that name.
func TestPlanRotatesAnAdoptedSecretUnderItsName(t *testing.T) {
	w := newWorld().secret("my_secret_data").service("redis", "my_secret_data:my_secret_data").
		file("redis.env.prod", "redis", "my_secret_data=v")
	r := w.drift()
	p, err := NewPlan(PlanInput{Drift: r, Swarm: &w.swarm, Source: &w.source, ID: "p-1", Now: time.Now(),
		Select: func(f Finding) bool { return f.Logical == "my_secret_data" }})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Creates) != 1 || p.Creates[0].Name != "my_secret_data_v1" || p.Creates[0].Logical != "my_secret_data" {
		t.Fatalf("creates = %+v, want my_secret_data_v1 of my_secret_data", p.Creates)
	}
}
