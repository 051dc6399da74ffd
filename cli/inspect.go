package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/secretdeck/secretdeck/model"
)

type inspectOptions struct {
	json bool
}

func newInspectCommand(global *globalOptions) *cobra.Command {
	opts := &inspectOptions{}
	cmd := &cobra.Command{
		Use:   "inspect",
		Short: "Show one secret or service: versions, who uses it, blast radius, findings",
		Long: `Show one swarm secret or service in depth. With --source, its fingerprint is
checked against the property files and its drift findings are listed.

For a secret: its labels, every version of its logical secret and who mounts
each (Spec and PreviousSpec, with target/uid/gid/mode), and its blast radius:
the tasks that mounted it, the nodes they ran on, and every manager (managers
hold the whole Raft log). For a service: its secret references, its env vars
(names and lengths only; exposures flagged), update config and previous spec.`,
		Args: cobra.NoArgs,
	}
	cmd.PersistentFlags().BoolVar(&opts.json, "json", false, "print as JSON")
	cmd.AddCommand(
		&cobra.Command{
			Use:     "secret NAME",
			Short:   "Show a secret, its versions, who uses it and its blast radius",
			Example: "  secretdeck inspect secret payment_key_v1 --source s3://ops-config/services --env prod",
			Args:    cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				w, r, err := loadForInspect(cmd, global)
				if err != nil {
					return err
				}
				var key model.FingerprintKey
				if w.source != nil {
					key = w.source.Key
				}
				d, err := w.swarm.InspectSecret(args[0], r, key)
				if err != nil {
					return err
				}
				if opts.json {
					return writeJSON(cmd.OutOrStdout(), d)
				}
				return writeSecretDetail(cmd.OutOrStdout(), d)
			},
		},
		&cobra.Command{
			Use:     "service NAME",
			Short:   "Show a service, its secret references, env var names and findings",
			Example: "  secretdeck inspect service proxy --source s3://ops-config/services --env prod",
			Args:    cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				w, r, err := loadForInspect(cmd, global)
				if err != nil {
					return err
				}
				d, err := w.swarm.InspectService(args[0], r)
				if err != nil {
					return err
				}
				if opts.json {
					return writeJSON(cmd.OutOrStdout(), d)
				}
				return writeServiceDetail(cmd.OutOrStdout(), d)
			},
		},
	)
	return cmd
}

func loadForInspect(cmd *cobra.Command, global *globalOptions) (*world, *model.DriftReport, error) {
	w, err := loadWorld(cmd.Context(), global)
	if err != nil {
		return nil, nil, err
	}
	if w.source == nil {
		return w, nil, nil
	}
	return w, w.drift(), nil
}

func writeJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeSecretDetail(out io.Writer, d *model.SecretDetail) error {
	w := &errWriter{w: out}
	s := d.Secret
	w.printf("Secret       %s (%s)\n", s.Name, s.ID)
	w.printf("Created      %s, updated %s\n", s.CreatedAt.UTC().Format(timeLayout), s.UpdatedAt.UTC().Format(timeLayout))
	owner := "made outside secretdeck (adopted by its name)"
	if d.Managed {
		owner = "made by secretdeck"
	}
	w.printf("Logical      %s, version %d, %s\n", dash(d.Logical), d.Version, owner)
	w.printf("Fingerprint  %s\n", d.Fingerprint)
	writeLabels(w, s.Labels)

	w.printf("\nVERSIONS OF %s\n", d.Logical)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tCREATED\tPLAN\tMOUNTED BY\tROLLBACK OF")
	for _, v := range d.Versions {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", v.Name, v.N, v.CreatedAt.UTC().Format(timeLayout), dash(v.Plan),
			dash(strings.Join(v.MountedBy, ", ")), dash(strings.Join(v.Previous, ", ")))
	}
	w.flush(tw)

	writeBlast(w, d.Blast)
	writeFindings(w, d.Findings)
	return w.err
}

func writeBlast(w *errWriter, b model.BlastRadius) {
	w.printf("\nBLAST RADIUS\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tSTACK\tIN\tTARGET\tUID:GID\tMODE")
	for _, u := range b.Services {
		in := "spec"
		switch {
		case u.Spec && u.Previous:
			in = "spec+previous"
		case u.Previous:
			in = "previous (rollback)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s:%s\t%04o\n", u.Service, dash(u.Stack), in, u.Ref.Target, u.Ref.UID, u.Ref.GID, u.Ref.Mode)
	}
	w.flush(tw)
	if len(b.Services) == 0 {
		w.printf("No service mounts it, nor would a rollback.\n")
	}
	w.printf("Tasks that mounted it: %d · nodes: %s · managers (hold every secret): %s\n",
		len(b.Tasks), dash(strings.Join(b.Nodes, ", ")), dash(strings.Join(b.Managers, ", ")))
	if !b.Complete {
		w.printf("Incomplete: %s\n", b.Incomplete)
	}
}

func writeServiceDetail(out io.Writer, d *model.ServiceDetail) error {
	w := &errWriter{w: out}
	s := d.Service
	w.printf("Service   %s (%s)\n", s.Name, s.ID)
	w.printf("Stack     %s\n", dash(s.Stack))
	w.printf("Image     %s\n", s.Spec.Image)
	w.printf("Tasks     %d/%d running (%s)\n", d.Running, d.Desired, s.Mode)
	if s.UpdateStatus != nil {
		w.printf("Update    %s %s\n", s.UpdateStatus.State, s.UpdateStatus.Message)
	}
	if u := s.UpdateConfig; u != nil {
		w.printf("Rollout   parallelism %d, order %s, on failure %s, monitor %s, delay %s\n",
			u.Parallelism, dash(u.Order), dash(u.FailureAction), u.Monitor, u.Delay)
	}
	writeLabels(w, s.Spec.Labels)
	writeRefs(w, "SECRETS", s.Spec.Secrets)
	if s.Previous != nil {
		writeRefs(w, "SECRETS OF THE PREVIOUS SPEC (what a rollback restores)", s.Previous.Secrets)
	}
	w.printf("\nENV (values never shown)\n")
	for _, e := range d.Env {
		flag := ""
		if e.Exposed {
			flag = "  ← EXPOSED: see findings"
		}
		w.printf("  %s (%d bytes)%s\n", e.Name, e.Length, flag)
	}
	writeFindings(w, d.Findings)
	return w.err
}

func writeRefs(w *errWriter, title string, refs []model.FileRef) {
	w.printf("\n%s\n", title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SECRET\tTARGET\tUID:GID\tMODE")
	for _, r := range refs {
		fmt.Fprintf(tw, "%s\t%s\t%s:%s\t%04o\n", r.Name, r.Target, r.UID, r.GID, r.Mode)
	}
	w.flush(tw)
}

func writeLabels(w *errWriter, labels map[string]string) {
	for _, k := range sortedKeys(labels) {
		w.printf("Label        %s=%s\n", k, labels[k])
	}
}

func writeFindings(w *errWriter, fs []model.Finding) {
	if len(fs) == 0 {
		return
	}
	w.printf("\nFINDINGS\n")
	for _, f := range fs {
		w.printf("  %-6s %-15s %s\n", f.Severity, f.Kind, f.Explanation)
	}
}
