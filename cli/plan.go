package cli

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/secretdeck/secretdeck/internal/report"
	"github.com/secretdeck/secretdeck/model"
)

type planOptions struct {
	out      string
	secrets  []string
	services []string
	// resume, when set, makes the plan that finishes plan resume.
	resume string
	// acceptExposed moves values that were visible in a service's env as
	// they are; revoke plans the revocation of unauthorized mounts (only).
	acceptExposed, revoke bool
	// exposedOnNode and sameValueAs narrow the plan to what an incident
	// exposed; allowSameValue leaves the secrets whose source still holds
	// the exposed value as they are instead of refusing.
	exposedOnNode, sameValueAs string
	allowSameValue             bool
	apply                      model.ApplyOptions // Keep sets the plan's prune steps
}

func newPlanCommand(global *globalOptions) *cobra.Command {
	opts := &planOptions{apply: model.DefaultApplyOptions()}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Preview the rotation that would fix the drift: secrets to create, one update per service",
		Long: `Compile the fixable findings (missing, not-mounted, stale, unverifiable,
lagging, target-mismatch, expired, runtime-stale, env-exposure where the
source says how, previous-spec-exposure, config-stale, config-missing,
config-not-mounted) into a plan: new secret and config versions
<logical>_v<N+1>, then ONE service update per service carrying all its swaps,
each keeping the target, uid, gid and mode of the reference it replaces. For
each service the preview shows the references before and after, its rollout
config, the tasks that will restart, stack warnings, and the equivalent docker
command line. Last, the plan removes the versions of those secrets beyond
--keep previous ones that no service's Spec nor PreviousSpec will name.

A credential in a service's env (env-exposure) is moved into a secret where
secretdeck.yaml links a source entry to the variable (keys.<key>.env) or the
image's convention is known (Docker Flow Proxy; file-env: true for images
that read NAME_FILE): the same update mounts the secret and removes the
variable, and once every service is verified one more update with no change
flushes the previous spec, which still shows the value. A value the variable
held in clear is refused as burned until the source has a new one
(--accept-exposed-value moves it as it is).

--revoke plans only revocations: each service that mounts a secret the
source never granted it (unauthorized-mount) loses that mount.

Incidents: --exposed-on-node NODE (an ID, a unique ID prefix, a hostname
that names one node, or self) narrows the plan to what that node could read:
the secrets its tasks mount or mounted (the task history the swarm keeps),
or every secret for a manager, which holds the Raft store.
--same-value-as SECRET narrows it to that secret and every logical secret
whose newest version holds the same value under another name (by
fingerprint; needs the source's fingerprint key). A rotation needs new
values: while the source still holds an exposed value the plan is refused,
naming the secrets and files; --allow-same-value plans the others and
leaves those as they are. Exposed secrets no property file declares are
named, for you to rotate by hand.

--out writes the plan to a file WITHOUT any value (names, versions, source
versions, service versions) for "secretdeck apply FILE".`,
		Example: `  secretdeck plan --source s3://ops-config/services --env prod
  secretdeck plan --env prod --secret payment_key --out rotate-payment.json
  secretdeck apply rotate-payment.json
  secretdeck plan --env prod --revoke --service intruder
  secretdeck plan --env prod --exposed-on-node worker-3 --out incident.json
  secretdeck plan --env prod --same-value-as payment_key_v2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, w, err := makePlan(cmd, global, opts)
			if err != nil {
				return err
			}
			report.StackDiffs(p, w.source)
			if err := report.Plan(cmd.OutOrStdout(), p); err != nil {
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
	addKeepFlag(cmd.Flags(), &opts.apply)
	cmd.Flags().StringVar(&opts.out, "out", "", "write the plan to this file (it holds no value)")
	return cmd
}

// addApplyFlags are the options of a rotation, the same for `apply` and the
// workbench (and --keep for `plan`, which writes the prune steps).
func addApplyFlags(fs *pflag.FlagSet, o *model.ApplyOptions) {
	fs.IntVar(&o.Parallel, "parallel", o.Parallel, "services updated at the same time")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long one service's rollout may take")
	fs.BoolVar(&o.RestoreSource, "restore-source-on-failure", false, "when a plan that restarts services fails, also put the property files they read back to their previous version (versioned buckets)")
	fs.BoolVar(&o.NoStackEdit, "no-stack-edit", false, "show the plan's stack file edits as diffs and leave them to you (a pull request) instead of writing them")
	fs.BoolVar(&o.WaitForAllNodes, "wait-for-all-nodes", false, "verify a rollout only when every task runs, also those no node can take now (down or drained nodes); by default they are named and not waited for")
	addKeepFlag(fs, o)
}

func addKeepFlag(fs *pflag.FlagSet, o *model.ApplyOptions) {
	fs.IntVar(&o.Keep, "keep", o.Keep, "previous versions of each rotated secret to keep; older ones nothing names are removed last (-1: remove none)")
}

func addSelectFlags(cmd *cobra.Command, opts *planOptions) {
	cmd.Flags().StringSliceVar(&opts.secrets, "secret", nil, "only this logical secret (repeatable)")
	cmd.Flags().StringSliceVar(&opts.services, "service", nil, "only findings of this service (repeatable)")
	cmd.Flags().BoolVar(&opts.revoke, "revoke", false, "plan only revocations: take each secret a service was never granted (unauthorized-mount) away from it (narrow with --service)")
	cmd.Flags().BoolVar(&opts.acceptExposed, "accept-exposed-value", false, "move a credential from a service's env into a secret even though the source holds the value that was exposed (rotate it soon)")
	cmd.Flags().StringVar(&opts.exposedOnNode, "exposed-on-node", "", "only the secrets node NODE (ID, hostname or self) could read: what its tasks mount or mounted; on a manager, every secret")
	cmd.Flags().StringVar(&opts.sameValueAs, "same-value-as", "", "only secret SECRET (a leaked value) and every logical secret whose newest version holds the same value, by fingerprint")
	cmd.Flags().BoolVar(&opts.allowSameValue, "allow-same-value", false, "with --exposed-on-node or --same-value-as: plan the others when the source still holds an exposed value, leaving those as they are")
}

// makePlan loads the world and compiles its drift into a plan (or the plan
// that resumes opts.resume).
func makePlan(cmd *cobra.Command, global *globalOptions, opts *planOptions) (*model.RotationPlan, *world, error) {
	if global.source == "" {
		return nil, nil, errNeedSource
	}
	if err := opts.apply.Validate(); err != nil {
		return nil, nil, err
	}
	w, err := loadWorld(cmd.Context(), global)
	if err != nil {
		return nil, nil, err
	}
	r := w.drift()
	sel, err := selector(cmd, w.swarm, r, opts)
	if err != nil {
		return nil, nil, err
	}
	in := model.PlanInput{Drift: r, Swarm: w.swarm, Source: w.source, Select: sel, Options: opts.apply, ID: newPlanID(), Now: time.Now(),
		AcceptExposed: opts.acceptExposed, Revoke: opts.revoke, AllowSameValue: opts.allowSameValue}
	if in.Exposure, err = exposure(w, r, opts); err != nil {
		return nil, nil, err
	}
	if in.Exposure != nil {
		if err := report.Exposure(cmd.OutOrStdout(), in.Exposure); err != nil {
			return nil, nil, err
		}
	}
	var p *model.RotationPlan
	if opts.resume != "" {
		p, err = model.NewResumePlan(in, opts.resume)
	} else {
		p, err = model.NewPlan(in)
	}
	if err != nil {
		return nil, nil, err
	}
	return p, w, nil
}

// selector picks the findings of --secret and --service. A selector that
// names nothing is an error naming what exists, never an empty plan that
// reads like "all clear"; a version's name selects its logical secret, and
// says so on stderr.
func selector(cmd *cobra.Command, s *model.SwarmSnapshot, r *model.DriftReport, opts *planOptions) (func(model.Finding) bool, error) {
	var logicals []string
	for _, name := range opts.secrets {
		l, note, err := r.ResolveSecret(s, name)
		if err != nil {
			return nil, err
		}
		if note != "" {
			fmt.Fprintln(cmd.ErrOrStderr(), "secretdeck: "+note)
		}
		logicals = append(logicals, l)
	}
	for _, name := range opts.services {
		if err := s.ResolveService(name); err != nil {
			return nil, err
		}
	}
	if opts.revoke && opts.resume != "" {
		return nil, fmt.Errorf("--revoke makes a plan of its own: it cannot be part of a resume")
	}
	return func(f model.Finding) bool {
		return (f.Kind == model.KindUnauthorizedMount) == opts.revoke &&
			(len(logicals) == 0 || slices.Contains(logicals, f.Logical)) &&
			(len(opts.services) == 0 || slices.Contains(opts.services, f.Service))
	}, nil
}

// exposure is what --exposed-on-node or --same-value-as selects (nil for
// neither).
func exposure(w *world, r *model.DriftReport, opts *planOptions) (*model.Exposure, error) {
	switch {
	case opts.exposedOnNode != "" && opts.sameValueAs != "":
		return nil, errors.New("--exposed-on-node and --same-value-as are two incidents: plan one, then the other")
	case (opts.exposedOnNode != "" || opts.sameValueAs != "") && (opts.resume != "" || opts.revoke):
		return nil, errors.New("--exposed-on-node and --same-value-as make a rotation of their own: not with --resume or --revoke")
	case opts.exposedOnNode != "":
		return model.ExposedOnNode(w.swarm, r, w.source.Key, opts.exposedOnNode)
	case opts.sameValueAs != "":
		return model.SameValueAs(w.swarm, r, w.source.Key, opts.sameValueAs)
	case opts.allowSameValue:
		return nil, errors.New("--allow-same-value goes with --exposed-on-node or --same-value-as")
	}
	return nil, nil
}

// newPlanID is sortable by time and unique: p-20261122-154512-3fa9.
func newPlanID() string {
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	return "p-" + time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}
