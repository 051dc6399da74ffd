package model

import (
	"strings"
	"testing"
	"time"
)

// explanations returns the explanations of r's findings of kind k.
func explanations(r *DriftReport, k Kind) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Kind == k {
			out = append(out, f.Explanation)
		}
	}
	return out
}

// TestDriftExplanations: the sentence an operator reads for a finding names
// what is wrong and where, exactly.
func TestDriftExplanations(t *testing.T) {
	manifest := func(t *testing.T, doc string) *Manifest {
		m, err := ParseManifest(ManifestPath, []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	const mountPolicy = `
services:
  api:
    keys:
      db.password: {uid: "1000", gid: "1000", mode: "0400"}
`
	cases := []struct {
		name  string
		world func(t *testing.T) *world
		kind  Kind
		want  string // "" when there is no such finding
	}{
		{"a missing key", func(*testing.T) *world {
			return newWorld().service("api").file("api.properties.prod", "api", "db_pass=s3cret!")
		}, KindMissing, `key "db_pass" in api.properties.prod has no swarm secret; service api should mount it at target "db_pass"`},
		{"a missing whole file", func(t *testing.T) *world {
			w := newWorld().service("legacy").file("legacy.json.prod", "legacy")
			w.source.Files[0].Format, w.source.Files[0].Raw = FormatJSON, NewValueString(`{"a":1}`)
			w.man = manifest(t, "services:\n  legacy: {whole-file: true}\n")
			return w
		}, KindMissing, `the whole file in legacy.json.prod has no swarm secret; service legacy should mount it at target "legacy.json"`},
		{"an empty whole file", func(t *testing.T) *world {
			w := newWorld().service("legacy").file("legacy.json.prod", "legacy")
			w.source.Files[0].Format = FormatJSON
			w.man = manifest(t, "services:\n  legacy: {whole-file: true}\n")
			return w
		}, KindUnparsable, "the whole file of legacy.json.prod is empty: a swarm secret cannot be empty"},
		{"an oversize key", func(*testing.T) *world {
			return newWorld().service("api").file("api.properties.prod", "api", "blob="+strings.Repeat("x", MaxSecretSize))
		}, KindOversize, "blob of api.properties.prod is 512000 bytes: a swarm secret must be under 500 KiB (512,000 bytes)"},
		{"a shared key nothing mounts yet", func(*testing.T) *world {
			return newWorld().service("api").file("shared.properties.prod", SharedService, "token=abcdefgh")
		}, KindMissing, `key "token" in shared.properties.prod has no swarm secret, and no service mounts it yet (name its services in secretdeck.yaml)`},
		{"a rotation a plan left half-done", func(*testing.T) *world {
			return newWorld().managed("api_db_pass", 1, "v").managed("api_db_pass", 2, "v", LabelPlan, "p-123").
				service("api", "api_db_pass_v1:db_pass").file("api.properties.prod", "api", "db_pass=v")
		}, KindLagging, "service api mounts api_db_pass_v1 while the newer api_db_pass_v2 exists: a rotation was left half-done (plan p-123); finish or revert it"},
		{"a newer version no plan made", func(*testing.T) *world {
			return newWorld().managed("api_db_pass", 1, "v").managed("api_db_pass", 2, "v").
				service("api", "api_db_pass_v1:db_pass").file("api.properties.prod", "api", "db_pass=v")
		}, KindLagging, "service api mounts api_db_pass_v1 while the newer api_db_pass_v2 exists: a rotation was left half-done; finish or revert it"},
		{"uid, gid and mode other than the manifest's", func(t *testing.T) *world {
			w := newWorld().managed("api_db.password", 1, "v").service("api", "api_db.password_v1:db.password").
				file("api.properties.prod", "api", "db.password=v")
			w.man = manifest(t, mountPolicy)
			return w
		}, KindTargetMismatch, "service api mounts api_db.password_v1 with uid 0, gid 0, mode 0444, but secretdeck.yaml asks for uid 1000, gid 1000, mode 0400"},
		{"only the mode other than the manifest's", func(t *testing.T) *world {
			w := newWorld().managed("api_db.password", 1, "v").service("api", "api_db.password_v1:db.password").
				file("api.properties.prod", "api", "db.password=v")
			w.last().Spec.Secrets[0].UID, w.last().Spec.Secrets[0].GID = "1000", "1000"
			w.man = manifest(t, mountPolicy)
			return w
		}, KindTargetMismatch, "service api mounts api_db.password_v1 with mode 0444, but secretdeck.yaml asks for uid 1000, gid 1000, mode 0400"},
		{"the mount the manifest asks for", func(t *testing.T) *world {
			w := newWorld().managed("api_db.password", 1, "v").service("api", "api_db.password_v1:db.password").
				file("api.properties.prod", "api", "db.password=v")
			ref := &w.last().Spec.Secrets[0]
			ref.UID, ref.GID, ref.Mode = "1000", "1000", 0o400
			w.man = manifest(t, mountPolicy)
			return w
		}, KindTargetMismatch, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := explanations(c.world(t).drift(), c.kind)
			if (c.want == "" && len(got) != 0) || (c.want != "" && (len(got) != 1 || got[0] != c.want)) {
				t.Errorf("%s findings:\n got %q\nwant %q", c.kind, got, c.want)
			}
		})
	}
}

// TestEnvExposureFromSixBytes: a source value of 6 bytes or more found in
// clear in an env var is reported, whatever the variable is called; shorter
// values match by coincidence and are not looked for.
func TestEnvExposureFromSixBytes(t *testing.T) {
	for _, value := range []string{"abcdef", "abcde"} {
		w := newWorld().service("api").file("api.properties.prod", "api", "token="+value)
		w.last().Spec.Env = []EnvVar{{Name: "UPSTREAM", Value: NewValueString(value)}}
		got := explanations(w.drift(), KindEnvExposure)
		want := []string{`env var UPSTREAM of service api holds, in clear, the value of "token" in api.properties.prod: anyone who can inspect the service reads it`}
		if len(value) < 6 {
			want = nil
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%d bytes: got %q, want %q", len(value), got, want)
		}
	}
}

// TestRuntimeStaleFindsTheFileAnEnvVarNames: an env var names the property
// file by its key, a path or URL ending with the key, or its file name; the
// same file name in another folder is another file.
func TestRuntimeStaleFindsTheFileAnEnvVarNames(t *testing.T) {
	cases := map[string]bool{
		"prod/my_service.json":               true,
		"s3://props/prod/my_service.json":    true,
		"/etc/props/prod/my_service.json":    true,
		"my_service.json":                    true,
		"staging/my_service.json":            false,
		"s3://props/staging/my_service.json": false,
	}
	for ref, stale := range cases {
		w := newWorld().service("my_service").running(t0).file("prod/my_service.json", "my_service")
		w.last().Spec.Env = []EnvVar{{Name: "PROPS", Value: NewValueString(ref)}}
		w.source.Files[0].LastModified = t0.Add(time.Hour)
		got := explanations(w.drift(), KindRuntimeStale)
		if (len(got) == 1) != stale || len(got) > 1 {
			t.Errorf("PROPS=%s: stale %v, want %v (%q)", ref, len(got) == 1, stale, got)
		}
	}
}
