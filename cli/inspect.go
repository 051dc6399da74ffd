package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/secretdeck/secretdeck/internal/report"
	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/swarm"
)

type inspectOptions struct {
	json bool
}

func newInspectCommand(global *globalOptions) *cobra.Command {
	opts := &inspectOptions{}
	cmd := &cobra.Command{
		Use:   "inspect",
		Short: "Show one secret, config, service or node: versions, who uses it, blast radius, what a node could read",
		Long: `Show one swarm secret or service in depth. With --source, its fingerprint is
checked against the property files and its drift findings are listed.

For a secret: its labels, every version of its logical secret and who mounts
each (Spec and PreviousSpec, with target/uid/gid/mode), and its blast radius:
the tasks that mounted it, the nodes they ran on, and every manager (managers
hold the whole Raft log). For a service: its secret references, its env vars
(names and lengths only; exposures flagged), update config and previous spec.
For a node: hostname, role, availability, state, address, engine version,
leader, and the secrets its tasks mount now or mounted (the task history the
swarm keeps); a manager holds every secret (the Raft store).`,
		Example: `  secretdeck inspect secret payment_key --source s3://ops-config/services --env prod
  secretdeck inspect service proxy --json
  secretdeck inspect node self`,
		Args: func(cmd *cobra.Command, args []string) error {
			err := noSubcommand(cmd, args)
			if err != nil && !strings.Contains(err.Error(), "did you mean") {
				// `inspect payment_key_v2`: a name without its kind.
				err = fmt.Errorf("%w; to inspect a secret, a service or a node by that name: `secretdeck inspect secret %s`, `secretdeck inspect service %s` or `secretdeck inspect node %s`", err, args[0], args[0], args[0])
			}
			return err
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			// Reached only without arguments: say what is missing.
			return usageError{cmd, errors.New("inspect what? `secretdeck inspect secret NAME`, `secretdeck inspect service NAME` or `secretdeck inspect node NAME`")}
		},
	}
	cmd.PersistentFlags().BoolVar(&opts.json, "json", false, "print as JSON")
	cmd.AddCommand(
		&cobra.Command{
			Use:   "secret NAME",
			Short: "Show a secret (a version's name, or a logical secret's), its versions, who uses it and its blast radius",
			Example: `  secretdeck inspect secret payment_key --source s3://ops-config/services --env prod
  secretdeck inspect secret payment_key_v1 --json`,
			Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				w, r, err := loadForInspect(cmd, global, func(ctx context.Context, c *swarm.Client) (*model.SwarmSnapshot, error) {
					return c.SnapshotForSecret(ctx, args[0])
				})
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
				out := cmd.OutOrStdout()
				if note := report.Asked(d); note != "" {
					fmt.Fprintf(out, "%s\n\n", note)
				}
				if err := report.SecretDetail(out, d); err != nil {
					return err
				}
				return report.LogicalBlast(out, d)
			},
		},
		&cobra.Command{
			Use:     "service NAME",
			Short:   "Show a service, its secret references, env var names and findings",
			Example: "  secretdeck inspect service proxy --source s3://ops-config/services --env prod",
			Args:    cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				w, r, err := loadForInspect(cmd, global, func(ctx context.Context, c *swarm.Client) (*model.SwarmSnapshot, error) {
					return c.SnapshotForService(ctx, args[0])
				})
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
				return report.ServiceDetail(cmd.OutOrStdout(), d)
			},
		},
		&cobra.Command{
			Use:   "config NAME",
			Short: "Show a config (a version's name, or a logical config's): who mounts it, its versions, its content with values masked",
			Long: `Show one swarm config: its labels and templating, the services that mount it
(Spec and PreviousSpec, with target/uid/gid/mode), the versions of its logical
config, its findings, and its content. Docker returns a config's content to
anyone who can inspect it; with --source, every value of a property file in it
is masked, and a literal set to a credential-like name always is.`,
			Example: `  secretdeck inspect config web_nginx.conf --source s3://ops-config/services --env prod
  secretdeck inspect config web_nginx.conf_v2 --json`,
			Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				var (
					w   *world
					r   *model.DriftReport
					err error
				)
				if global.source == "" {
					w, err = loadWorld(cmd.Context(), global)
				} else {
					w, r, err = loadForInspect(cmd, global, nil)
				}
				if err != nil {
					return err
				}
				d, err := w.swarm.InspectConfig(args[0], r, w.source)
				if err != nil {
					return err
				}
				if opts.json {
					return writeJSON(cmd.OutOrStdout(), d)
				}
				return report.ConfigDetail(cmd.OutOrStdout(), d)
			},
		},
		&cobra.Command{
			Use:   "node NAME",
			Short: "Show a node (ID, hostname or self) and the secrets its tasks mount or mounted; a manager holds every secret",
			Example: `  secretdeck inspect node self
  secretdeck inspect node worker-3 --json`,
			Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				w, err := loadWorld(cmd.Context(), global)
				if err != nil {
					return err
				}
				d, err := w.swarm.InspectNode(args[0])
				if err != nil {
					return err
				}
				if opts.json {
					return writeJSON(cmd.OutOrStdout(), d)
				}
				return report.NodeDetail(cmd.OutOrStdout(), d)
			},
		},
	)
	return cmd
}

// loadForInspect reads what inspect needs. With a source, drift reads the
// whole swarm, and so does inspect; without one, only the part that
// partial loads (one secret or service, what names it, their tasks).
func loadForInspect(cmd *cobra.Command, global *globalOptions, partial func(context.Context, *swarm.Client) (*model.SwarmSnapshot, error)) (*world, *model.DriftReport, error) {
	if global.source == "" {
		ctx := cmd.Context()
		start := time.Now()
		c, err := global.connect(ctx)
		if err != nil {
			return nil, nil, err
		}
		defer c.Close()
		snap, err := partial(ctx, c)
		if err != nil {
			return nil, nil, err
		}
		global.logger().Debug("swarm loaded for inspect", "endpoint", snap.Endpoint.Host,
			"secrets", len(snap.Secrets), "services", len(snap.Services), "tasks", len(snap.Tasks), "took", time.Since(start))
		return &world{swarm: snap}, nil, nil
	}
	w, err := loadWorld(cmd.Context(), global)
	if err != nil {
		return nil, nil, err
	}
	return w, w.drift(), nil
}

func writeJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
