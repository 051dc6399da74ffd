package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/secretdeck/secretdeck/internal/report"
	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
)

type reportOptions struct {
	format string
	out    string
	since  string
}

func newReportCommand(global *globalOptions) *cobra.Command {
	opts := &reportOptions{format: "md", since: "7d"}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write an incident report: nodes and what each could read, findings, secret ages, the audit timeline — never a value",
		Long: `Write the record of the swarm for an incident ticket: when and by whom it
was made, the endpoint and swarm, every node (role, availability, state,
address, engine) and what an attacker on it could read (a manager: every
secret), every drift finding (with --source; credentials in clear in the
history of the images the services run included), the age of every secret
(oldest first; expired ones marked), and the timeline of this machine's
audit log in the window --since (rotations, reveals, prunes).

It holds no secret value: names, dates, counts and the verdicts of keyed
fingerprints only. --format md reads as a document; --format json is the
same data, its shape documented in the README (version 1). --out writes the
file with mode 0600. The workbench writes the same document: W in its Nodes
pane.`,
		Example: `  secretdeck report --source s3://ops-config/services --env prod --out incident.md
  secretdeck report --format json --since 30d --out incident.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runReport(cmd, global, opts)
		},
	}
	cmd.Flags().StringVar(&opts.format, "format", opts.format, "md or json")
	cmd.Flags().StringVar(&opts.out, "out", "", "write the report to this file (mode 0600) instead of stdout")
	cmd.Flags().StringVar(&opts.since, "since", opts.since, "the audit timeline's window: 7d, 12w, 36h…")
	return cmd
}

func runReport(cmd *cobra.Command, global *globalOptions, opts *reportOptions) error {
	if opts.format != "md" && opts.format != "json" {
		return usageError{cmd, fmt.Errorf("--format %q: md or json", opts.format)}
	}
	since, err := model.ParseAge(opts.since)
	if err != nil {
		return usageError{cmd, fmt.Errorf("--since: %w", err)}
	}
	w, err := loadWorldWithImages(cmd.Context(), global)
	if err != nil {
		return err
	}
	log, err := openAuditLog()
	if err != nil {
		return err
	}
	recs, err := log.read()
	if err != nil {
		return err
	}
	now := time.Now()
	in := model.IncidentInput{Swarm: w.swarm, Source: w.source, Operator: userAtHost(), Now: now, Since: now.Add(-since)}
	if w.source != nil {
		in.Drift = w.drift()
	}
	for _, r := range recs {
		in.Audit = append(in.Audit, model.AuditEvent{Time: r.Time, User: r.User, Swarm: r.Swarm, Plan: r.Plan, Action: r.Action, Subject: r.Subject, Result: r.Result})
	}
	rep := model.NewIncidentReport(in)
	var b bytes.Buffer
	if opts.format == "json" {
		err = writeJSON(&b, rep)
	} else {
		err = report.IncidentMarkdown(&b, rep)
	}
	if err != nil {
		return err
	}
	if opts.out == "" {
		_, err = cmd.OutOrStdout().Write(b.Bytes())
		return err
	}
	if err := writePrivate(opts.out, b.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Report written to %s (mode 0600, no values in it).\n", opts.out)
	return nil
}

// workbenchReportWindow is the audit timeline's window of a report written
// from the workbench: report's default --since.
const workbenchReportWindow = 7 * 24 * time.Hour

// writeWorkbenchReport writes what `secretdeck report --format md --out
// path` writes, from the data the workbench shows (the swarm, the source
// and its drift, this machine's audit log as last loaded): mode 0600,
// never a value. A path starting with ~/ is in the home directory.
func writeWorkbenchReport(path string, d *common.Data) error {
	if d == nil || d.Swarm == nil {
		return fmt.Errorf("nothing loaded yet: wait for the swarm, then write the report")
	}
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		home, err := os.UserHomeDir()
		if err != nil {
			return err
		}
		path = filepath.Join(home, rest)
	}
	now := time.Now()
	in := model.IncidentInput{Swarm: d.Swarm, Source: d.Source, Drift: d.Drift, Operator: userAtHost(), Now: now, Since: now.Add(-workbenchReportWindow)}
	for _, r := range d.Audit {
		in.Audit = append(in.Audit, model.AuditEvent{Time: r.Time, User: r.User, Swarm: r.Swarm, Plan: r.Plan, Action: r.Action, Subject: r.Subject, Result: r.Result})
	}
	var b bytes.Buffer
	if err := report.IncidentMarkdown(&b, model.NewIncidentReport(in)); err != nil {
		return err
	}
	return writePrivate(path, b.Bytes())
}

// writePrivate writes data to name with mode 0600 whatever was there: a
// temporary file (made 0600) in the same directory, renamed over it, so
// that an existing file's wider mode is not kept and no reader ever sees
// half a report.
func writePrivate(name string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // a no-op once renamed
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}
