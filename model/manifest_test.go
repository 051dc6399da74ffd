package model

import (
	"errors"
	"testing"
)

func TestParseManifest(t *testing.T) {
	m, err := ParseManifest(ManifestPath, []byte(`
environments:
  prod: {protected: true}
services:
  my_service:
    exclude: [db.host, "feature.*"]
    keys:
      db.password: {secret: my_service_db_password, target: db_password, uid: "1000", gid: "1000", mode: "0400"}
  legacy_app:
    whole-file: true
    secret: legacy_app_config
    target: app.json
    mode: 0440
  shared:
    keys:
      payment_key: {services: [billing, checkout]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if !m.Protected("prod") || m.Protected("dev") {
		t.Error("protected environments wrong")
	}
	if !m.Excluded("my_service", "feature.max_items") || !m.Excluded("my_service", "db.host") || m.Excluded("my_service", "db.password") {
		t.Error("exclusions wrong")
	}
	kp := m.Services["my_service"].Keys["db.password"]
	if kp.Secret != "my_service_db_password" || kp.Target != "db_password" || *kp.UID != "1000" || *kp.Mode != 0o400 {
		t.Errorf("key policy wrong: %+v", kp)
	}
	legacy := m.Services["legacy_app"]
	if !legacy.WholeFile || legacy.Secret != "legacy_app_config" || *legacy.Mode != 0o440 {
		t.Errorf("whole-file policy wrong: %+v", legacy)
	}
	if got := m.Services["shared"].Keys["payment_key"].Services; len(got) != 2 {
		t.Errorf("shared services wrong: %v", got)
	}
}

func TestParseManifestErrorsNameFileAndLine(t *testing.T) {
	cases := []struct {
		name, doc string
		line      int
	}{
		{"unknown field", "services:\n  api:\n    exclud: [x]\n", 3},
		{"bad mode", "services:\n  api:\n    keys:\n      k: {mode: \"rw\"}\n", 4},
		{"bad secret name", "services:\n  api:\n    keys:\n      k: {secret: \"-bad\"}\n", 0},
		{"not yaml", "services: [\n", 1},
	}
	for _, c := range cases {
		_, err := ParseManifest(ManifestPath, []byte(c.doc))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.File != ManifestPath || pe.Line != c.line {
			t.Errorf("%s: got %v (line %v), want a ParseError at line %d", c.name, err, pe, c.line)
		}
	}
	if m, err := ParseManifest(ManifestPath, nil); err != nil || m == nil {
		t.Errorf("an empty manifest is valid: %v", err)
	}
}

// TestManifestModes: a mode is any octal permission up to 0777.
func TestManifestModes(t *testing.T) {
	for mode, ok := range map[string]bool{"0777": true, "0400": true, "400": true, "01000": false, "0800": false} {
		_, err := ParseManifest(ManifestPath, []byte("services:\n  api:\n    keys:\n      k: {mode: \""+mode+"\"}\n"))
		if (err == nil) != ok {
			t.Errorf("mode %s: accepted %v, want %v (%v)", mode, err == nil, ok, err)
		}
	}
}

// TestParseErrorNamesTheLine: the line is given when it is known.
func TestParseErrorNamesTheLine(t *testing.T) {
	if got := (&ParseError{File: "api.json.prod", Line: 3, Msg: "bad"}).Error(); got != "api.json.prod:3: bad" {
		t.Errorf("with a line: %s", got)
	}
	if got := (&ParseError{File: "api.json.prod", Msg: "bad"}).Error(); got != "api.json.prod: bad" {
		t.Errorf("without: %s", got)
	}
}
