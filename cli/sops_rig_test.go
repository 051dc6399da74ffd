package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

var varying = regexp.MustCompile(`p-\d{8}-\d{6}-[0-9a-f]{4}|source version [^)\s]+`)

// TestSOPSSourcesShowTheSameDriftAndPlans: my_service.json.prod encrypted
// with SOPS (age), in a folder and in a bucket (the rig's versitygw), gives
// the same keys, drift and plan as the plain file; status says how each
// file was obtained and which backend; a file encrypted for another key is
// reported, not fatal, and no value shows anywhere.
func TestSOPSSourcesShowTheSameDriftAndPlans(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	keyFile, recipient := testrig.AgeKey(t)
	_, otherRecipient := testrig.AgeKey(t)
	testrig.NoAgeKeys(t)
	t.Setenv("SOPS_AGE_KEY_FILE", keyFile)

	keyBytes := bytes.Repeat([]byte{7}, model.FingerprintKeySize)
	key, _ := model.NewFingerprintKey(keyBytes)
	p := sw.prefix
	svc := p + "my_service"
	// db.password is stale (v1 holds the old value), token is missing.
	sw.secret("my_service_db.password_v1", "old-Sops-Value-1", managedLabels(key, svc+"_db.password", 1, "old-Sops-Value-1"))
	sw.service("my_service", nil, nil, "my_service_db.password_v1:db.password")
	file := svc + ".json.prod"
	plain := `{"db": {"password": "new-Sops-Value-2"}, "token": "tok-Sops-Value-3"}`
	encrypted := testrig.SOPSEncrypt(t, recipient, "json", plain)
	foreign := testrig.SOPSEncrypt(t, otherRecipient, "json", `{"x": "foreign-Sops-Value-4"}`)

	sources := map[string]map[string]string{
		"plain":     {file: plain},
		"encrypted": {file: encrypted, p + "other.json.prod": foreign},
	}
	uris := map[string]string{}
	for name, files := range sources {
		files[model.FingerprintKeyPath] = string(keyBytes)
		dir := t.TempDir()
		for k, v := range files {
			path := filepath.Join(dir, filepath.FromSlash(k))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(v), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		uris[name+" folder"] = dir
		uris[name+" bucket"] = "s3://" + srv.NewBucket(t, files)
	}

	// What each command says, with the source's own name (a folder, a
	// bucket) taken out.
	say := func(uri string, args ...string) string {
		t.Helper()
		r := runCLI(t, append(args, "--host", testrig.Docker(t), "--source", uri, "--env", "prod")...)
		if r.code == exitError {
			t.Fatalf("%s on %s: exit %d\n%s", args[0], uri, r.code, r.all())
		}
		for _, v := range []string{"new-Sops-Value-2", "tok-Sops-Value-3", "foreign-Sops-Value-4", "old-Sops-Value-1"} {
			if strings.Contains(r.all(), v) {
				t.Fatalf("%s on %s shows a value", args[0], uri)
			}
		}
		// The plan's ID, and each file's version (an ETag, a version ID, a
		// content hash), differ from source to source.
		return varying.ReplaceAllString(strings.ReplaceAll(r.stdout, uri, "SOURCE"), "X")
	}
	type view struct{ drift, plan string }
	views := map[string]view{}
	for name, uri := range uris {
		// The findings about my_service.json.prod; the foreign file's own
		// is checked below.
		var out struct{ Findings []model.Finding }
		if err := json.Unmarshal([]byte(say(uri, "drift", "--json")), &out); err != nil {
			t.Fatalf("%s: drift --json: %v", name, err)
		}
		var drift []string
		for _, f := range out.Findings {
			// The test's own findings: other tests change the shared rig
			// between two runs of drift.
			if !strings.HasPrefix(f.Service+f.Secret+f.File+f.Logical, p) {
				continue
			}
			if f.File == p+"other.json.prod" {
				if !strings.HasPrefix(name, "encrypted") || f.Kind != "unparsable" || !strings.Contains(f.Explanation, "wrong key") {
					t.Errorf("%s: the foreign file's finding: %+v", name, f)
				}
				continue
			}
			js, _ := json.Marshal(f)
			drift = append(drift, string(js))
		}
		views[name] = view{drift: strings.Join(drift, "\n"), plan: say(uri, "plan", "--service", svc)}
	}
	want := views["plain folder"]
	if !strings.Contains(want.drift, "stale") || !strings.Contains(want.drift, "missing") || !strings.Contains(want.plan, svc+"_token_v1") {
		t.Fatalf("the plain file should give stale and missing, and a plan that makes the token:\n%s\n%s", want.drift, want.plan)
	}
	for name, v := range views {
		if v.drift != want.drift {
			t.Errorf("%s: drift differs from the plain folder's:\n%s\n---\n%s", name, v.drift, want.drift)
		}
		if v.plan != want.plan {
			t.Errorf("%s: plan differs from the plain folder's:\n%s\n---\n%s", name, v.plan, want.plan)
		}
	}

	// status: the backend, and how each file was obtained.
	for _, name := range []string{"encrypted folder", "encrypted bucket"} {
		r := runCLI(t, "status", "--json", "--host", testrig.Docker(t), "--source", uris[name], "--env", "prod")
		var st statusReport
		if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st.Source == nil {
			t.Fatalf("%s: status --json: %v\n%s", name, err, r.all())
		}
		if w := map[string]string{"encrypted folder": "folder", "encrypted bucket": "s3"}[name]; st.Source.Backend != w {
			t.Errorf("%s: backend %q, want %q", name, st.Source.Backend, w)
		}
		for _, f := range st.Source.Files {
			switch f.Key {
			case file:
				if f.Via != "sops+age" || strings.Join(f.Keys, ",") != "db.password,token" || f.Error != nil {
					t.Errorf("%s: %s via %q keys %v err %v", name, f.Key, f.Via, f.Keys, f.Error)
				}
			case p + "other.json.prod":
				if f.Error == nil || !strings.Contains(f.Error.Msg, "wrong key") || !strings.Contains(f.Error.Msg, otherRecipient) {
					t.Errorf("%s: the foreign file: %+v", name, f.Error)
				}
			}
		}
		text := runCLI(t, "status", "--host", testrig.Docker(t), "--source", uris[name], "--env", "prod")
		if !strings.Contains(text.stdout, "VIA") || !strings.Contains(text.stdout, "sops+age") || !strings.Contains(text.stdout, "("+st.Source.Backend+")") {
			t.Errorf("%s: status text lacks the backend or the VIA column:\n%s", name, text.stdout)
		}
	}
	if r := runCLI(t, "status", "--json", "--host", testrig.Docker(t), "--source", uris["plain folder"], "--env", "prod"); !strings.Contains(r.stdout, `"via": "plain"`) {
		t.Errorf("a plain file's via:\n%s", r.stdout)
	}
}
