package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/secretdeck/secretdeck/model"
)

// IncidentMarkdown writes an incident report as Markdown, for a ticket: a
// summary first, then the nodes and what each could read, the findings,
// secret ages and the audit timeline. Names are code spans and free text is
// escaped, so that nothing the swarm or the source names can change the
// document's structure.
func IncidentMarkdown(out io.Writer, r *model.IncidentReport) error {
	w := NewWriter(out)
	w.Printf("# Incident report: swarm %s\n\n", code(r.Swarm))
	w.Printf("Made %s by %s on %s", r.GeneratedAt.Format(TimeLayout), mdText(r.Operator), code(r.Endpoint.Host))
	if r.Endpoint.Context != "" {
		w.Printf(" (docker context %s)", code(r.Endpoint.Context))
	}
	if r.Source != "" {
		w.Printf(", compared with %s, environment %s", code(r.Source), code(r.Env))
	}
	w.Printf(".\nThis report holds no secret value: names, dates, counts and the verdicts of keyed fingerprints only.\n\n")

	w.Printf("## Summary\n\n")
	managers := 0
	for _, n := range r.Nodes {
		if n.HoldsEverySecret {
			managers++
		}
	}
	w.Printf("- %d node(s), %d manager(s): a manager holds every secret (%d) in its Raft store.\n", len(r.Nodes), managers, len(r.Secrets))
	if r.FindingsChecked {
		w.Printf("- %d finding(s)%s.\n", len(r.Findings), bySeverity(r.Findings))
	} else {
		w.Printf("- Findings not checked: no property source was given (--source, --env).\n")
	}
	if len(r.Secrets) > 0 {
		oldest := r.Secrets[0]
		expired := 0
		for _, s := range r.Secrets {
			if s.Expired {
				expired++
			}
		}
		w.Printf("- %d secret(s); the oldest, %s, was made %s (%d days ago); %d expired under the age policy.\n",
			len(r.Secrets), code(oldest.Name), oldest.CreatedAt.Format("2006-01-02"), oldest.AgeDays, expired)
	}
	w.Printf("- %d audit event(s) since %s.\n\n", len(r.Timeline), r.Since.Format(TimeLayout))

	w.Printf("## Nodes and what each could read\n\n")
	w.Printf("| Node | ID | Role | Availability | State | Address | Engine | Could read |\n|---|---|---|---|---|---|---|---|\n")
	for _, n := range r.Nodes {
		role := n.Node.Role
		if n.Node.Leader {
			role += " (leader)"
		}
		read := fmt.Sprintf("%d secret(s) its tasks mount or mounted", n.Exposed)
		if n.HoldsEverySecret {
			read = fmt.Sprintf("every secret (%d)", n.Exposed)
		}
		w.Printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", cell(n.Node.Hostname), code(n.Node.ID), role, cell(n.Node.Availability),
			cell(n.Node.State), cell(n.Node.Addr), cell(n.Node.EngineVersion), read)
	}
	for _, n := range r.Nodes {
		if !n.HoldsEverySecret && len(n.Secrets) > 0 {
			var names []string
			for _, s := range n.Secrets {
				names = append(names, code(s))
			}
			w.Printf("\n%s (%s), by its tasks now and in the task history the swarm keeps: %s.\n", mdText(n.Node.Hostname), code(n.Node.ID), strings.Join(names, ", "))
		}
	}
	w.Printf("\nThe swarm keeps only the last tasks of each slot (TaskHistoryRetentionLimit): older tasks may have run on other nodes.\n\n")

	w.Printf("## Findings\n\n")
	switch {
	case !r.FindingsChecked:
		w.Printf("Not checked: no property source was given.\n\n")
	case len(r.Findings) == 0:
		w.Printf("None: the swarm is what the source asks for.\n\n")
	}
	for i, f := range r.Findings {
		w.Printf("%d. **%s** %s: %s\n", i+1, f.Severity, code(string(f.Kind)), mdText(f.Explanation))
		if f.Command != "" {
			w.Printf("   Fix: %s\n", code(f.Command))
		} else if f.Hint != "" { // image findings: no command fixes them
			w.Printf("   To do: %s\n", mdText(f.Hint))
		}
	}
	if len(r.Findings) > 0 {
		w.Printf("\n")
	}

	w.Printf("## Secret ages (oldest first)\n\n")
	w.Printf("| Secret | Logical | Created | Age (days) | Mounted by |\n|---|---|---|---|---|\n")
	for _, s := range r.Secrets {
		age := fmt.Sprint(s.AgeDays)
		if s.Expired {
			age += " **expired**"
		}
		by := "-"
		if len(s.MountedBy) > 0 {
			by = code(strings.Join(s.MountedBy, ", "))
		}
		w.Printf("| %s | %s | %s | %s | %s |\n", code(s.Name), code(s.Logical), s.CreatedAt.Format(TimeLayout), age, by)
	}

	w.Printf("\n## Audit timeline since %s\n\n", r.Since.Format(TimeLayout))
	if len(r.Timeline) == 0 {
		w.Printf("No event of this swarm in this machine's audit log in the window.\n")
	} else {
		w.Printf("From this machine's audit log (each apply also copies its steps to the source, under .secretdeck/audit/).\n\n")
		w.Printf("| Time (UTC) | User | Plan | Action | Subject | Result |\n|---|---|---|---|---|---|\n")
		// A rollout watched for a while repeats its line: one row says it,
		// with how many times (the JSON keeps every event).
		for i := 0; i < len(r.Timeline); {
			e, n := r.Timeline[i], 1
			for i+n < len(r.Timeline) && sameStep(e, r.Timeline[i+n]) {
				n++
			}
			result := cell(e.Result)
			if n > 1 {
				result += fmt.Sprintf(" (×%d, until %s)", n, r.Timeline[i+n-1].Time.Format("15:04:05"))
			}
			w.Printf("| %s | %s | %s | %s | %s | %s |\n", e.Time.Format(TimeLayout), cell(e.User), code(e.Plan), cell(e.Action), code(e.Subject), result)
			i += n
		}
	}
	return w.Err()
}

func sameStep(a, b model.AuditEvent) bool {
	return a.User == b.User && a.Plan == b.Plan && a.Action == b.Action && a.Subject == b.Subject && a.Result == b.Result
}

func bySeverity(fs []model.Finding) string {
	counts := map[model.Severity]int{}
	for _, f := range fs {
		counts[f.Severity]++
	}
	var parts []string
	for _, s := range []model.Severity{model.SeverityHigh, model.SeverityMedium, model.SeverityLow, model.SeverityInfo} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, ", ")
}

// code is s as a Markdown code span in a table cell: a backtick cannot
// end it and a pipe cannot end the cell ("-" when empty).
func code(s string) string {
	if s == "" {
		return "-"
	}
	return "`" + strings.NewReplacer("`", "'", "|", `\|`, "\n", " ").Replace(s) + "`"
}

// cell is plain text in a table cell.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return mdText(s)
}

// mdText escapes what Markdown would read as structure in free text. An
// underscore inside a word (api_db_pass_v1) is left as it is: CommonMark
// reads no emphasis there, and names stay readable in the raw text.
func mdText(s string) string {
	return strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`, "|", `\|`, "\n", " ").Replace(s)
}
