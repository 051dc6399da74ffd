package model

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestIncidentReport: every node with what it could read (a manager every
// secret), every finding most urgent first, secret ages oldest first with
// the expired marked, and the audit events of this swarm in the window —
// and, as JSON, no value anywhere.
func TestIncidentReport(t *testing.T) {
	w := incident()
	m, err := ParseManifest(ManifestPath, []byte("policy: {max-age: 30d}\n"))
	if err != nil {
		t.Fatal(err)
	}
	w.man, w.source.Manifest = m, m
	w.swarm.Secrets[0].CreatedAt = t0.Add(-40 * 24 * time.Hour) // api_db_pass_v1, mounted: expired
	since := t0.Add(-24 * time.Hour)
	audit := []AuditEvent{
		{Time: t0.Add(-48 * time.Hour), Swarm: "c1", Action: "apply", Subject: "prod", Result: "started"}, // before the window
		{Time: t0.Add(-time.Hour), Swarm: "c1", Plan: "p-1", Action: "create", Subject: "x_v2", Result: "ok"},
		{Time: t0.Add(-time.Hour), Swarm: "other", Action: "create", Subject: "elsewhere", Result: "ok"}, // another swarm
		{Time: t0.Add(-30 * time.Minute), Action: "reveal", Subject: "api.properties.prod#db_pass", Result: "ok"},
	}
	r := NewIncidentReport(IncidentInput{Swarm: &w.swarm, Drift: driftAt(w, t0), Source: &w.source, Operator: "ops@host", Now: t0, Since: since, Audit: audit})

	var nodes []string
	for _, n := range r.Nodes {
		nodes = append(nodes, fmt.Sprintf("%s all=%v %d %s", n.Node.ID, n.HoldsEverySecret, n.Exposed, strings.Join(n.Secrets, ",")))
	}
	want := fmt.Sprintf("m1 all=true %d |w1 all=false 4 api_db_pass_v1,billing_key_v1,cache_key_v1,hand_made|w2 all=false 3 billing_key_v2,cache_key_v1,web_tok_v1", len(w.swarm.Secrets))
	if strings.Join(nodes, "|") != want {
		t.Errorf("nodes:\n%s\nwant\n%s", strings.Join(nodes, "|"), want)
	}
	if !r.FindingsChecked || len(r.Findings) == 0 || r.Findings[0].Severity != SeverityHigh {
		t.Errorf("findings: %+v", r.Findings)
	}
	if s := r.Secrets[0]; s.Name != "api_db_pass_v1" || s.AgeDays != 40 || !s.Expired || strings.Join(s.MountedBy, ",") != "api" {
		t.Errorf("the oldest secret first, expired: %+v", s)
	}
	for _, s := range r.Secrets[1:] {
		if s.Expired {
			t.Errorf("%s is not expired", s.Name)
		}
	}
	var events []string
	for _, e := range r.Timeline {
		events = append(events, e.Action+" "+e.Subject)
	}
	if strings.Join(events, ",") != "create x_v2,reveal api.properties.prod#db_pass" {
		t.Errorf("timeline %q", events)
	}
	b, _ := json.Marshal(r)
	for _, v := range []string{"api-New-2", "web-New-2", "cache-New-2", "billing-Now-2", "api-Old-1"} {
		if strings.Contains(string(b), v) {
			t.Errorf("the report holds a value")
		}
	}
	if r.Version != 1 || r.Operator != "ops@host" || r.Swarm != "c1" || r.Env != "prod" {
		t.Errorf("header %+v", r)
	}

	bare := NewIncidentReport(IncidentInput{Swarm: &w.swarm, Now: t0, Since: since})
	if bare.FindingsChecked || len(bare.Findings) != 0 || bare.Findings == nil || bare.Secrets[0].Expired {
		t.Errorf("without a source: %+v", bare)
	}
}
