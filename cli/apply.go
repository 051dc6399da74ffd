package cli

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/secretdeck/secretdeck/internal/report"
	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/s3"
	"github.com/secretdeck/secretdeck/swarm"
)

type applyOptions struct {
	planOptions
	yes      bool
	timeout  time.Duration
	parallel int
	resume   string
	revert   string
	keep     int
}

func newApplyCommand(global *globalOptions) *cobra.Command {
	opts := &applyOptions{}
	cmd := &cobra.Command{
		Use:   "apply [PLAN-FILE]",
		Short: "Apply a plan: create, swap, watch every rollout, verify — or roll back",
		Long: `Apply a plan written by "secretdeck plan --out", or a fresh one. Values are
re-read from the source now; the plan is refused if a source file or a service
changed since it was made, or if it is for another swarm.

Services are updated concurrently (4 at a time). A service is done when Docker
says its update is "completed" AND every running task mounts the new secrets;
paused, rolled back, or not done in --timeout is a failure. On failure the
services this plan updated are rolled back, the secrets it created are removed,
and secretdeck exits 1 saying exactly where the swarm stands.

Asks for confirmation (the environment's name for a protected one) unless
--yes, which is required when stdin is not a terminal.`,
		Example: `  secretdeck apply --source s3://ops-config/services --env prod
  secretdeck apply rotate-payment.json --yes
  secretdeck apply --resume p-20261122-154512-3fa9 --env prod
  secretdeck apply --revert p-20261122-154512-3fa9 --env prod`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runApply(cmd, global, opts, args)
		},
	}
	addSelectFlags(cmd, &opts.planOptions)
	cmd.Flags().BoolVarP(&opts.yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().DurationVar(&opts.timeout, "timeout", 5*time.Minute, "how long one service's rollout may take")
	cmd.Flags().IntVar(&opts.parallel, "parallel", 4, "services updated at the same time")
	cmd.Flags().IntVar(&opts.keep, "keep", 1, "after success, prune versions of the rotated secrets beyond this many previous ones (-1: prune nothing)")
	cmd.Flags().StringVar(&opts.resume, "resume", "", "finish plan ID, left half-done (drift shows it as lagging)")
	cmd.Flags().StringVar(&opts.revert, "revert", "", "undo plan ID: services back on the versions before it, its secrets removed")
	return cmd
}

func runApply(cmd *cobra.Command, global *globalOptions, opts *applyOptions, args []string) error {
	if global.readOnly {
		return errors.New("apply changes the swarm, and secretdeck was started with --read-only")
	}
	if global.source == "" && len(args) == 0 {
		return errNeedSource
	}
	out := cmd.OutOrStdout()
	var (
		p   *model.RotationPlan
		err error
	)
	var undo map[string]string // secrets to remove after a revert
	switch {
	case opts.resume != "" && (opts.revert != "" || len(args) == 1):
		return errors.New("--resume takes no plan file and no --revert")
	case opts.resume != "":
		id := opts.resume
		opts.logicals = func(w *world) []string { return w.swarm.PlanLogicals(id) }
		if p, _, err = makePlan(cmd, global, &opts.planOptions); err != nil {
			return err
		}
	case opts.revert != "":
		w, err := loadWorld(cmd.Context(), global)
		if err != nil {
			return err
		}
		if p, err = model.NewRevertPlan(w.swarm, w.source, opts.revert, newPlanID(), time.Now()); err != nil {
			return err
		}
		undo = w.swarm.PlanSecrets(opts.revert)
	case len(args) == 1:
		data, err := os.ReadFile(args[0])
		if err != nil {
			return err
		}
		if p, err = model.ReadPlan(data); err != nil {
			return err
		}
		// The plan names its source and environment, as a terraform plan
		// file does; a flag (or SECRETDECK_SOURCE/ENV) that says otherwise is
		// refused by the check below, before anything changes.
		global.source = cmp.Or(global.source, p.Source)
		global.env = cmp.Or(global.env, p.Env)
	default:
		if p, _, err = makePlan(cmd, global, &opts.planOptions); err != nil {
			return err
		}
	}
	if err := report.Plan(out, p); err != nil {
		return err
	}
	if err := confirm(cmd, p, opts.yes); err != nil {
		return err
	}

	fmt.Fprintf(out, "\nApplying plan %s…\n", p.ID)
	res, err := executePlan(cmd.Context(), global, p, execOptions{timeout: opts.timeout, parallel: opts.parallel, keep: opts.keep, undo: undo, env: global.env},
		func(s model.Step) { fmt.Fprintln(out, progressLine(s)) },
		func(warning string) { fmt.Fprintln(cmd.ErrOrStderr(), "secretdeck: warning: "+warning) })
	if err != nil {
		return err
	}
	fmt.Fprintln(out, res.Summary)
	return nil
}

// execOptions tune executePlan.
type execOptions struct {
	timeout  time.Duration
	parallel int
	keep     int               // prune beyond this many previous versions; -1: no prune
	env      string            // the environment asked for ("": the plan's)
	undo     map[string]string // secrets to remove after a revert (ID → name)
}

// executePlan is apply's one code path, for the command and the TUI: connect,
// check the plan against the swarm and the source now, make sure the source
// has a fingerprint key, apply, prune, and audit every step locally and in
// the source.
func executePlan(ctx context.Context, global *globalOptions, p *model.RotationPlan, o execOptions, progress func(model.Step), warn func(string)) (*model.ApplyResult, error) {
	c, err := global.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	snap, err := c.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	src, err := global.openSource(ctx)
	if err != nil {
		return nil, err
	}
	// The environment the operator asked for: a plan for another one is
	// refused by the check.
	current, err := src.Load(ctx, cmp.Or(o.env, p.Env))
	if err != nil {
		return nil, err
	}
	audit, err := openAuditLog()
	if err != nil {
		return nil, err
	}
	writer := c.NewWriter(snap.ClusterID)
	in := model.ApplyInput{Plan: p, Swarm: writer, Source: current, By: userAtHost(), Timeout: o.timeout, Concurrency: o.parallel}
	if err := model.Check(ctx, in); err != nil {
		return nil, err
	}
	// No apply without its audit trail: refuse before anything changes, as
	// reveal does.
	if _, err := audit.append(auditRecord{Context: snap.Endpoint.Context, Swarm: snap.ClusterID, Plan: p.ID,
		Action: "apply", Subject: p.Env, Result: "started"}); err != nil {
		return nil, fmt.Errorf("nothing applied: %w (apply records every step there)", err)
	}
	if in.Key, err = s3.EnsureKey(ctx, src); err != nil {
		return nil, err
	}
	// Every step goes to the local audit log, and at the end to the source's
	// .secretdeck/audit/<plan>.jsonl so the team sees it from anywhere.
	// A local write that fails mid-apply cannot stop the apply half-way: it
	// is said once, and the source's copy still gets every step.
	var (
		shared   bytes.Buffer
		localErr error
	)
	in.Progress = func(s model.Step) {
		progress(s)
		rec := auditRecord{Context: snap.Endpoint.Context, Swarm: snap.ClusterID, Plan: s.Plan,
			Action: s.Action, Subject: s.Service + s.Secret, Result: s.Result, Fingerprint: s.Fingerprint}
		line, err := audit.append(rec)
		shared.Write(line)
		if err != nil && localErr == nil {
			localErr = err
			warn("the local audit log stopped recording (" + oneLine(err.Error()) + "); the source's copy gets every step")
		}
	}
	defer func() {
		if shared.Len() == 0 {
			return
		}
		if err := s3.WriteAudit(context.WithoutCancel(ctx), src, p.ID+".jsonl", shared.Bytes()); err != nil {
			warn("the audit log could not be copied to the source: " + oneLine(err.Error()))
		}
	}()
	res, err := model.Apply(ctx, in)
	if err != nil {
		return nil, err
	}
	if o.keep >= 0 && len(o.undo) == 0 {
		if err := pruneAfter(ctx, c, p, o.keep, in.Progress); err != nil {
			return res, fmt.Errorf("plan %s applied, but pruning failed: %w", p.ID, err)
		}
	}
	for id, name := range o.undo {
		err := writer.RemoveSecret(ctx, id)
		in.Progress(model.Step{Plan: p.ID, Secret: name, Action: "remove", Result: resultOf(err)})
		if err != nil {
			return res, fmt.Errorf("plan reverted, but its secret %s stays: %w", name, err)
		}
	}
	return res, nil
}

func resultOf(err error) string {
	if err != nil {
		return "failed: " + err.Error()
	}
	return "ok"
}

func progressLine(s model.Step) string {
	subject := s.Service + s.Secret
	line := fmt.Sprintf("  %-9s %-40s %s", s.Action, subject, s.Result)
	if s.Desired > 0 {
		line += fmt.Sprintf(" (%d/%d tasks running)", s.Running, s.Desired)
	}
	if s.Detail != "" {
		line += ": " + s.Detail
	}
	return line
}

// pruneAfter removes versions of the plan's logical secrets beyond keep.
func pruneAfter(ctx context.Context, c *swarm.Client, p *model.RotationPlan, keep int, progress func(model.Step)) error {
	snap, err := c.Snapshot(ctx)
	if err != nil {
		return err
	}
	var logicals []string
	for _, cr := range p.Creates {
		logicals = append(logicals, cr.Logical)
	}
	for _, sc := range p.Services {
		for _, r := range sc.After {
			if l := snap.LogicalOf(r.ID); l != "" {
				logicals = append(logicals, l)
			}
		}
	}
	if len(logicals) == 0 {
		return nil
	}
	return removeSecrets(ctx, io.Discard, c, snap, snap.PruneCandidates(logicals, keep, false), func(s model.Step) {
		s.Plan = p.ID
		progress(s)
	})
}

// confirm asks the operator, unless --yes. A protected environment needs its
// name typed.
func confirm(cmd *cobra.Command, p *model.RotationPlan, yes bool) error {
	if yes {
		return nil
	}
	want, prompt := "y", fmt.Sprintf("\nCreate %d secret(s) and update %d service(s) in %s? [y/N] ", len(p.Creates), len(p.Services), p.Env)
	if p.Protected {
		want, prompt = p.Env, fmt.Sprintf("\n%s is protected: type its name to apply: ", p.Env)
	}
	return ask(cmd, prompt, want)
}

// confirmYes asks a y/N question unless yes.
func confirmYes(cmd *cobra.Command, yes bool, prompt string) error {
	if yes {
		return nil
	}
	return ask(cmd, prompt, "y")
}

func ask(cmd *cobra.Command, prompt, want string) error {
	if !term.IsTerminal(os.Stdin.Fd()) {
		return fmt.Errorf("%s asks for confirmation and stdin is not a terminal: add --yes to go ahead without asking", cmd.Name())
	}
	fmt.Fprint(cmd.OutOrStdout(), prompt)
	answer, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
	if strings.TrimSpace(answer) != want {
		return errors.New("nothing changed: not confirmed")
	}
	return nil
}
