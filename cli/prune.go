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
		Use:   "prune",
		Short: "Remove old secret versions nothing uses",
		Long: `Remove versions of logical secrets beyond --keep previous ones. A secret
named by any service's Spec or PreviousSpec is never removed (Docker would let
you remove one named only by a PreviousSpec, and the next rollback would then
fail). Secrets secretdeck did not create are left alone unless --unmanaged.`,
		Example: `  secretdeck prune                 # list and ask
  secretdeck prune --keep 0 --yes  # keep only the versions in use`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if global.readOnly {
				return errors.New("prune removes secrets, and secretdeck was started with --read-only")
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
			candidates := snap.PruneCandidates(nil, opts.keep, opts.unmanaged)
			if len(candidates) == 0 {
				fmt.Fprintln(out, "Nothing to prune.")
				return nil
			}
			fmt.Fprintf(out, "Remove %d secret(s) that no Spec or PreviousSpec names:\n", len(candidates))
			for _, s := range candidates {
				fmt.Fprintf(out, "  - %s\n", s.Name)
			}
			if err := confirmYes(cmd, opts.yes, "\nRemove them? [y/N] "); err != nil {
				return err
			}
			return removeSecrets(cmd.Context(), out, c, snap, candidates, nil)
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
