package model

import (
	"slices"
	"testing"
)

// A plan made from one environment's files that takes away secrets labelled
// for another says which: the faces ask for a typed confirmation then.
func TestForeignEnvs(t *testing.T) {
	cases := []struct {
		name  string
		world *world
		want  []string
	}{
		{"replaces a secret of its own environment",
			newWorld().managed("api_db_pass", 1, "old", LabelEnv, "prod").service("api", "api_db_pass_v1:db_pass").
				file("api.properties.prod", "api", "db_pass=new"), nil},
		{"replaces a secret labelled for another environment",
			newWorld().managed("api_db_pass", 1, "old", LabelEnv, "staging").service("api", "api_db_pass_v1:db_pass").
				file("api.properties.prod", "api", "db_pass=new"), []string{"staging"}},
		{"replaces a secret with no environment label",
			newWorld().managed("api_db_pass", 1, "old").service("api", "api_db_pass_v1:db_pass").
				file("api.properties.prod", "api", "db_pass=new"), nil},
		{"keeps a foreign secret mounted and only adds one",
			newWorld().managed("api_other", 1, "o", LabelEnv, "staging").service("api", "api_other_v1:other").
				file("api.properties.prod", "api", "db_pass=new"), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := planWith(t, tc.world, nil)
			if len(p.Services) == 0 {
				t.Fatal("the plan changes no service: the case tests nothing")
			}
			if got := p.ForeignEnvs(&tc.world.swarm); !slices.Equal(got, tc.want) {
				t.Fatalf("ForeignEnvs = %v, want %v", got, tc.want)
			}
		})
	}
}
