package report

import (
	"strings"
	"testing"
	"time"

	"github.com/secretdeck/secretdeck/model"
)

// TestIncidentMarkdownKeepsItsShape: what the swarm names (a hostname, a
// label, an explanation) cannot add a table column, a heading or a link to
// the document; every section is there, also when empty.
func TestIncidentMarkdownKeepsItsShape(t *testing.T) {
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	evil := "a|b`c\n# Owned [x](http://e) <script>"
	r := &model.IncidentReport{Version: 1, GeneratedAt: at, Operator: "ops@host", Swarm: "c1", Since: at.Add(-time.Hour), FindingsChecked: true,
		Nodes:    []model.NodeReport{{Node: model.Node{ID: "n1", Hostname: evil, Role: "worker"}, Exposed: 1, Secrets: []string{"s|1"}}},
		Findings: []model.Finding{{Kind: model.KindStale, Severity: model.SeverityHigh, Explanation: evil, Command: "secretdeck plan --secret `x`"}},
		Secrets:  []model.SecretAge{{Name: "s|1", Logical: "s", CreatedAt: at, MountedBy: []string{evil}}},
		Timeline: []model.AuditEvent{
			{Time: at, User: "u", Plan: "p-1", Action: "watch", Subject: "api", Result: "updating"},
			{Time: at.Add(time.Second), User: "u", Plan: "p-1", Action: "watch", Subject: "api", Result: "updating"},
			{Time: at.Add(2 * time.Second), User: "u", Plan: "p-1", Action: "verified", Subject: evil, Result: "ok"},
		}}
	var b strings.Builder
	if err := IncidentMarkdown(&b, r); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, section := range []string{"# Incident report: swarm `c1`", "## Summary", "## Nodes and what each could read", "## Findings", "## Secret ages (oldest first)", "## Audit timeline since"} {
		if !strings.Contains(md, "\n"+section) && !strings.HasPrefix(md, section) {
			t.Errorf("no section %q", section)
		}
	}
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "# Incident report") && !strings.HasPrefix(line, "## ") {
			t.Errorf("a name made a heading: %q", line)
		}
		if strings.HasPrefix(line, "|") && strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") != strings.Count(tableHeader(md, line), "|") {
			t.Errorf("a name changed a table's columns: %q", line)
		}
		if text := outsideCode(line); strings.Contains(strings.ReplaceAll(text, `\]`, ""), "](") || strings.Contains(text, "<script>") {
			t.Errorf("a name made a link or markup: %q", line)
		}
	}
	if !strings.Contains(md, "updating (×2, until 12:00:01)") {
		t.Errorf("a watched rollout's repeated lines are one row:\n%s", md)
	}
}

// tableHeader is the header line of the table line belongs to, without
// escaped pipes.
func tableHeader(md, line string) string {
	lines := strings.Split(md, "\n")
	header := ""
	for _, l := range lines {
		if !strings.HasPrefix(l, "|") {
			header = ""
			continue
		}
		if header == "" {
			header = l
		}
		if l == line {
			return strings.ReplaceAll(header, `\|`, "")
		}
	}
	return ""
}

// outsideCode is line without its code spans (where Markdown reads nothing)
// nor escaped backticks.
func outsideCode(line string) string {
	parts := strings.Split(strings.ReplaceAll(line, "\\`", ""), "`")
	var out []string
	for i, p := range parts {
		if i%2 == 0 {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}
