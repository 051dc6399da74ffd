package cli

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/secretdeck/secretdeck/internal/report"
	"github.com/secretdeck/secretdeck/model"
)

type planOptions struct {
	out      string
	secrets  []string
	services []string
	// logicals restricts the plan further (apply --resume); nil: no limit.
	logicals func(w *world) []string
}

func newPlanCommand(global *globalOptions) *cobra.Command {
	opts := &planOptions{}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Preview the rotation that would fix the drift: secrets to create, one update per service",
		Long: `Compile the fixable findings (missing, not-mounted, stale, unverifiable,
lagging, target-mismatch) into a plan: new secret versions <logical>_v<N+1>,
then ONE service update per service carrying all its swaps, each keeping the
target, uid, gid and mode of the reference it replaces. For each service the
preview shows the references before and after, its rollout config, the tasks
that will restart, stack warnings, and the equivalent docker command line.

--out writes the plan to a file WITHOUT any value (names, versions, source
versions, service versions) for "secretdeck apply FILE".`,
		Example: `  secretdeck plan --source s3://ops-config/services --env prod
  secretdeck plan --env prod --secret payment_key --out rotate-payment.json
  secretdeck apply rotate-payment.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, _, err := makePlan(cmd, global, opts)
			if err != nil {
				return err
			}
			if err := writePreview(cmd.OutOrStdout(), p); err != nil {
				return err
			}
			if opts.out == "" {
				return nil
			}
			b, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				return err
			}
			if err := os.WriteFile(opts.out, append(b, '\n'), 0o600); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "\nPlan written to %s (no values in it). Apply it with: secretdeck apply %s\n", opts.out, opts.out)
			return nil
		},
	}
	addSelectFlags(cmd, opts)
	cmd.Flags().StringVar(&opts.out, "out", "", "write the plan to this file (it holds no value)")
	return cmd
}

func addSelectFlags(cmd *cobra.Command, opts *planOptions) {
	cmd.Flags().StringSliceVar(&opts.secrets, "secret", nil, "only this logical secret (repeatable)")
	cmd.Flags().StringSliceVar(&opts.services, "service", nil, "only findings of this service (repeatable)")
}

// makePlan loads the world and compiles its drift into a plan.
func makePlan(cmd *cobra.Command, global *globalOptions, opts *planOptions) (*model.RotationPlan, *world, error) {
	if global.source == "" {
		return nil, nil, errNeedSource
	}
	w, err := loadWorld(cmd.Context(), global)
	if err != nil {
		return nil, nil, err
	}
	var only []string
	if opts.logicals != nil {
		if only = opts.logicals(w); len(only) == 0 {
			return nil, nil, errors.New("no secret in this swarm carries that plan id: nothing to resume")
		}
	}
	sel := func(f model.Finding) bool {
		return (len(opts.secrets) == 0 || slices.Contains(opts.secrets, f.Logical)) &&
			(len(opts.services) == 0 || slices.Contains(opts.services, f.Service)) &&
			(only == nil || slices.Contains(only, f.Logical))
	}
	p, err := model.NewPlan(model.PlanInput{Drift: w.drift(), Swarm: w.swarm, Source: w.source, Select: sel, ID: newPlanID(), Now: time.Now()})
	if err != nil {
		return nil, nil, err
	}
	return p, w, nil
}

// newPlanID is sortable by time and unique: p-20261122-154512-3fa9.
func newPlanID() string {
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	return "p-" + time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

func writePreview(out io.Writer, p *model.RotationPlan) error {
	w := report.NewWriter(out)
	w.Printf("PLAN %s · env %s · %s · swarm %s\n", p.ID, p.Env, p.Source, p.ClusterID)
	if p.Protected {
		w.Printf("Environment %s is PROTECTED: apply asks for its name to be typed.\n", p.Env)
	}
	w.Printf("\nCreate %d secret(s):\n", len(p.Creates))
	for _, c := range p.Creates {
		w.Printf("  + %s   (from %s key %q, source version %s)\n", c.Name, c.File, c.Key, report.Dash(c.SourceVersion))
		if c.Shortened {
			w.Printf("    (name shortened with a hash: the logical name is longer than Docker allows)\n")
		}
	}
	w.Printf("\nUpdate %d service(s), one update each:\n", len(p.Services))
	for _, s := range p.Services {
		w.Printf("\n  %s   %d running task(s) restart%s\n", s.Service, s.Restarts, rollout(s.Update))
		for _, line := range refDiff(s) {
			w.Printf("    %s\n", line)
		}
		w.Printf("    $ %s\n", s.DockerCommand())
		if s.Stack != "" {
			w.Printf("    ! stack %s: the next `docker stack deploy` reverts this unless the stack file names the new secret\n", s.Stack)
		}
	}
	return w.Err()
}

func rollout(u *model.UpdateConfig) string {
	if u == nil {
		return " · Docker's default rollout (parallelism 1, stop-first, on failure pause)"
	}
	return fmt.Sprintf(" · parallelism %d, order %s, on failure %s, monitor %s", u.Parallelism, report.Dash(u.Order), report.Dash(u.FailureAction), u.Monitor)
}

// refDiff lists the references a service loses (-), gains (+) and keeps.
func refDiff(s model.ServiceChange) []string {
	f := func(r model.FileRef) string {
		return fmt.Sprintf("%s → %s  %s:%s %04o", r.Name, r.Target, r.UID, r.GID, r.Mode)
	}
	var out []string
	for _, b := range s.Before {
		if !slices.Contains(s.After, b) {
			out = append(out, "- "+f(b))
		}
	}
	for _, a := range s.After {
		if !slices.Contains(s.Before, a) {
			out = append(out, "+ "+f(a))
		} else {
			out = append(out, "  "+f(a))
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return strings.Compare(a[2:], b[2:]) })
	return out
}
