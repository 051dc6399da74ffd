package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/swarm"
)

type pruneOptions struct {
	keep      int
	unmanaged bool
	yes       bool
}

func newPruneCommand(global *globalOptions) *cobra.Command {
	opts := &pruneOptions{}
	cmd := &cobra.Command{
		Use:   "prune [NAME]",
		Short: "Remove old secret versions nothing uses, or one named secret",
		Long: `Remove versions of logical secrets beyond --keep previous ones. A secret
named by any service's Spec or PreviousSpec is never removed (Docker would let
you remove one named only by a PreviousSpec, and the next rollback would then
fail). Secrets secretdeck did not create are left alone unless --unmanaged.

With NAME, remove that one secret (what drift's orphan findings point at),
whoever made it, under the same rule; the newest version a plan made is left
to "apply --resume" or "apply --revert". Each removal goes to the audit log.`,
		Example: `  secretdeck prune                 # list and ask
  secretdeck prune --keep 0 --yes  # keep only the versions in use
  secretdeck prune legacy_token    # one orphan, by name`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if global.readOnly {
				return errors.New("prune removes secrets, and secretdeck was started with --read-only")
			}
			if len(args) == 1 && (cmd.Flags().Changed("keep") || cmd.Flags().Changed("unmanaged")) {
				return errors.New("prune NAME removes that one secret: it takes no --keep or --unmanaged")
			}
			c, err := global.connect(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			snap, err := c.Snapshot(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			var candidates []model.Secret
			if len(args) == 1 {
				s, err := snap.PruneNamed(args[0])
				if err != nil {
					return err
				}
				candidates = []model.Secret{s}
			} else {
				candidates = snap.PruneCandidates(nil, opts.keep, opts.unmanaged)
			}
			if len(candidates) == 0 {
				fmt.Fprintln(out, "Nothing to prune.")
				return nil
			}
			audit, err := openAuditLog()
			if err != nil {
				return fmt.Errorf("nothing removed: %w (prune records every removal there)", err)
			}
			fmt.Fprintf(out, "Remove %d secret(s) that no Spec or PreviousSpec names:\n", len(candidates))
			for _, s := range candidates {
				fmt.Fprintf(out, "  - %s\n", s.Name)
			}
			if err := confirmYes(cmd, opts.yes, "\nRemove them? [y/N] "); err != nil {
				return err
			}
			if len(args) == 1 {
				// Checked again now: a service may have started to use it
				// while the operator read the question.
				if snap, err = c.Snapshot(cmd.Context()); err != nil {
					return err
				}
				if _, err := snap.PruneNamed(candidates[0].ID); err != nil {
					return fmt.Errorf("nothing removed: %w", err)
				}
			}
			return removeSecrets(cmd.Context(), out, c, snap, candidates, func(s model.Step) {
				fmt.Fprintln(out, progressLine(s))
				if _, err := audit.append(auditRecord{Context: snap.Endpoint.Context, Swarm: snap.ClusterID,
					Action: s.Action, Subject: s.Secret, Result: s.Result}); err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "secretdeck: warning: the audit log did not record it: "+oneLine(err.Error()))
				}
			})
		},
	}
	cmd.Flags().IntVar(&opts.keep, "keep", 1, "previous versions to keep besides the one in use")
	cmd.Flags().BoolVar(&opts.unmanaged, "unmanaged", false, "also remove old versions secretdeck did not create")
	cmd.Flags().BoolVarP(&opts.yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// removeSecrets removes secrets one by one, saying what it did.
func removeSecrets(ctx context.Context, out io.Writer, c *swarm.Client, snap *model.SwarmSnapshot, secrets []model.Secret, progress func(model.Step)) error {
	w := c.NewWriter(snap.ClusterID)
	var errs error
	for _, s := range secrets {
		err := w.RemoveSecret(ctx, s.ID)
		step := model.Step{Secret: s.Name, Action: "prune", Result: resultOf(err)}
		if progress != nil {
			progress(step)
		} else {
			fmt.Fprintln(out, progressLine(step))
		}
		errs = errors.Join(errs, err)
	}
	return errs
}
