package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/secretdeck/secretdeck/internal/report"
)

type auditOptions struct {
	json  bool
	limit int
	plan  string
}

func newAuditCommand() *cobra.Command {
	opts := &auditOptions{}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "List the audit log: every apply step and every reveal, newest first",
		Long: `List this machine's audit log ($XDG_STATE_HOME/secretdeck/audit.jsonl, or
~/.local/state/secretdeck/audit.jsonl): time, user@host, context, swarm, plan,
action, subject and result. It never holds a value. Each apply also copies its
steps to the source, under .secretdeck/audit/<plan>.jsonl.`,
		Example: `  secretdeck audit
  secretdeck audit --plan p-20261122-154512-3fa9 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := openAuditLog()
			if err != nil {
				return err
			}
			recs, err := log.read()
			if err != nil {
				return err
			}
			slices.Reverse(recs)
			recs = slices.DeleteFunc(recs, func(r auditRecord) bool { return opts.plan != "" && r.Plan != opts.plan })
			if opts.limit > 0 && len(recs) > opts.limit {
				recs = recs[:opts.limit]
			}
			out := cmd.OutOrStdout()
			if opts.json {
				enc := json.NewEncoder(out)
				for _, r := range recs {
					if err := enc.Encode(r); err != nil {
						return err
					}
				}
				return nil
			}
			if len(recs) == 0 {
				_, err := fmt.Fprintf(out, "The audit log %s is empty.\n", log.path)
				return err
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tUSER\tPLAN\tACTION\tSUBJECT\tRESULT")
			for _, r := range recs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.Local().Format("2006-01-02 15:04:05"), r.User, report.Dash(r.Plan), r.Action, r.Subject, r.Result)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&opts.json, "json", false, "print records as JSON lines")
	cmd.Flags().IntVar(&opts.limit, "limit", 50, "at most this many records (0: all)")
	cmd.Flags().StringVar(&opts.plan, "plan", "", "only the steps of this plan")
	return cmd
}
