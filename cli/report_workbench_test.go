package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secretdeck/secretdeck/internal/leak"
	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
)

// The workbench's report key writes what `report --format md` writes, from
// the data on screen: mode 0600 even over a wider file, no value, this
// swarm's audit events only.
func TestWorkbenchReportIsPrivateAndHoldsNoValue(t *testing.T) {
	const value, envValue = "wb-Report-Value-1", "wb-Env-Value-2"
	sw := &model.SwarmSnapshot{ClusterID: "c1", NodeID: "n1", NodeRole: "manager",
		Nodes:   []model.Node{{ID: "n1", Hostname: "mgr", Role: "manager", Leader: true}},
		Secrets: []model.Secret{{ID: "s1", Name: "api_tok", CreatedAt: time.Now().Add(-48 * time.Hour)}},
		Services: []model.Service{{ID: "a", Name: "api", Spec: model.ServiceSpec{
			Secrets: []model.FileRef{{ID: "s1", Name: "api_tok", Target: "tok", UID: "0", GID: "0", Mode: 0o444}},
			Env:     []model.EnvVar{{Name: "API_TOKEN", Value: model.NewValueString(envValue)}}}}},
	}
	src := &model.SourceSnapshot{URI: "./props", Env: "prod", Files: []model.PropertyFile{{Key: "api.properties.prod", Service: "api", Env: "prod",
		Entries: []model.Entry{{Key: "tok", Value: model.NewValueString(value)}}}}}
	d := &common.Data{Swarm: sw, Source: src, Drift: model.Drift(model.DriftInput{Swarm: sw, Source: src}), Audit: []common.AuditEntry{
		{Time: time.Now().Add(-time.Hour), User: "ops@bastion", Swarm: "c1", Action: "reveal", Subject: "api.properties.prod#tok", Result: "ok"},
		{Time: time.Now().Add(-time.Hour), User: "ops@bastion", Swarm: "other", Action: "reveal", Subject: "elsewhere#k", Result: "ok"},
		{Time: time.Now().Add(-30 * 24 * time.Hour), User: "ops@bastion", Swarm: "c1", Action: "reveal", Subject: "last-month#k", Result: "ok"},
	}}
	path := filepath.Join(t.TempDir(), "incident.md")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeWorkbenchReport(path, d); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %o, want 600", info.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	text := string(b)
	for _, w := range []string{"# Incident report: swarm `c1`", "`env-exposure`", "api.properties.prod#tok", "| mgr | `n1` | manager (leader)"} {
		if !strings.Contains(text, w) {
			t.Errorf("the report lacks %q:\n%s", w, text)
		}
	}
	if strings.Contains(text, "elsewhere") || strings.Contains(text, "last-month") {
		t.Errorf("another swarm's audit event, or one older than 7 days, is in the report")
	}
	leak.Check(t, "the workbench's report", text, value, envValue)

	if err := writeWorkbenchReport(filepath.Join(t.TempDir(), "no", "such", "dir.md"), d); err == nil {
		t.Errorf("a folder that does not exist is an error")
	}
	if err := writeWorkbenchReport(path, &common.Data{}); err == nil || !strings.Contains(err.Error(), "nothing loaded yet") {
		t.Errorf("nothing loaded: %v", err)
	}
}
