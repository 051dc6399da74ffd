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
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/secretdeck/secretdeck/internal/report"
	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/s3"
)

type applyOptions struct {
	planOptions
	yes      bool
	crossEnv bool // --cross-env: with --yes, replace secrets labelled for another environment
	revert   string
}

func newApplyCommand(global *globalOptions) *cobra.Command {
	opts := &applyOptions{planOptions: planOptions{apply: model.DefaultApplyOptions()}}
	cmd := &cobra.Command{
		Use:   "apply [PLAN-FILE]",
		Short: "Apply a plan: create, swap, watch every rollout, verify — or roll back",
		Long: `Apply a plan written by "secretdeck plan --out", or a fresh one. Values are
re-read from the source now; the plan is refused if a source file or a service
changed since it was made, or if it is for another swarm.

Services are updated concurrently (--parallel at a time). A service is done
when Docker says its update is "completed" AND every running task mounts the
new secrets; paused, rolled back, or not done in --timeout is a failure. On
failure the services this plan updated are rolled back, the secrets it created
are removed, and secretdeck exits 1 saying exactly where the swarm stands.
After success, the plan's last steps remove the old versions beyond --keep
that no Spec nor PreviousSpec names (a plan file carries its own: make it with
"plan --keep").

A plan file names its source and environment: "apply FILE" needs no --source
or --env, and refuses one that says otherwise. Apply makes the plan again
from its origin, the source and the swarm, and refuses a file that differs
(an edit): a plan file can only make apply do what its preview says.

A plan whose new values come from one environment but that replaces secrets
labelled (secretdeck.env) for another is shown with a warning, and needs
that environment's name typed — or --cross-env next to --yes.

Apply holds the source's operator lock (.secretdeck/lock) from before its
first change to its end: another apply on the same source is refused in one
line naming the holder, changing nothing. "secretdeck unlock ID" removes the
lock a killed apply left; then --resume or --revert ends its plan.

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
	addApplyFlags(cmd.Flags(), &opts.apply)
	cmd.Flags().BoolVarP(&opts.yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&opts.crossEnv, "cross-env", false, "with --yes: apply a plan that replaces secrets labelled for another environment")
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
		w   *world // as the plan was made or checked against
		err error
	)
	if err := opts.apply.Validate(); err != nil {
		return err
	}
	switch {
	case opts.resume != "" && (opts.revert != "" || len(args) == 1):
		return errors.New("--resume takes no plan file and no --revert")
	case opts.revert != "":
		if w, err = loadWorld(cmd.Context(), global); err != nil {
			return err
		}
		if p, err = model.NewRevertPlan(w.swarm, w.source, opts.revert, newPlanID(), time.Now()); err != nil {
			return err
		}
	case len(args) == 1:
		if cmd.Flags().Changed("keep") {
			return errors.New("a plan file carries its own removal steps: make it with `secretdeck plan --keep N --out FILE`")
		}
		if opts.exposedOnNode != "" || opts.sameValueAs != "" || opts.allowSameValue {
			return errors.New("a plan file carries its own selection: make it with `secretdeck plan --exposed-on-node NODE` (or --same-value-as) --out FILE")
		}
		data, err := readPlanFile(args[0])
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
		if w, err = loadWorld(cmd.Context(), global); err != nil {
			return err
		}
		// Refused now rather than after the question: a file that is not
		// the plan its origin makes shows a preview that is not the truth.
		if err := model.Verify(p, w.swarm, w.source, nil); err != nil {
			return err
		}
	default: // a fresh plan, or the one that resumes --resume
		if p, w, err = makePlan(cmd, global, &opts.planOptions); err != nil {
			return err
		}
	}
	// The operator lock (cli/lock.go): another apply's is refused now,
	// before the preview and the question; executePlan takes it.
	if err := refuseIfLocked(cmd.Context(), global); err != nil {
		return err
	}
	report.StackDiffs(p, w.source)
	if err := report.Plan(out, p); err != nil {
		return err
	}
	foreign := p.ForeignEnvs(w.swarm)
	if len(foreign) > 0 {
		fmt.Fprintf(out, "\nWARNING: the new values come from environment %s, but the secrets this plan replaces are labelled for %s.\n",
			p.Env, strings.Join(foreign, ", "))
		if opts.yes && !opts.crossEnv {
			return fmt.Errorf("nothing changed: plan %s replaces secrets labelled for %s with values of %s; if that is meant, add --cross-env",
				p.ID, strings.Join(foreign, ", "), p.Env)
		}
	}
	if err := confirm(cmd, p, opts.yes, foreign); err != nil {
		return err
	}

	ctx, stop := interruptTwiceToStop(cmd.Context(), cmd.ErrOrStderr())
	defer stop()
	// "Applying" is said with the first step, once the lock is held and the
	// plan checked: an apply refused by another's lock never says it.
	announced := false
	res, err := executePlan(ctx, global, p, opts.apply, global.env,
		func(s model.Step) {
			if !announced {
				announced = true
				fmt.Fprintf(out, "\nApplying plan %s…\n", p.ID)
			}
			fmt.Fprintln(out, progressLine(s))
		},
		func(warning string) { fmt.Fprintln(cmd.ErrOrStderr(), "secretdeck: warning: "+warning) })
	if err != nil {
		return err
	}
	fmt.Fprintln(out, res.Summary)
	return nil
}

// executePlan is apply's one code path, for the command and the TUI: connect,
// take the source's operator lock (released at the end, whatever the end),
// check the plan against the swarm and the source now (env is the
// environment asked for, "" for the plan's), make sure the source has a
// fingerprint key, apply every step of the plan, and audit each locally and
// in the source.
func executePlan(ctx context.Context, global *globalOptions, p *model.RotationPlan, o model.ApplyOptions, env string, progress func(model.Step), warn func(string)) (*model.ApplyResult, error) {
	c, err := global.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.CanWrite(); err != nil && !global.readOnly {
		return nil, fmt.Errorf("nothing applied: %w", err)
	}
	src, err := global.openSource(ctx)
	if err != nil {
		return nil, err
	}
	// The operator lock (cli/lock.go), before the swarm is read for the
	// check: what is checked is then what no other apply changes. Read-only
	// changes nothing to lock: its adapters refuse every write.
	if !global.readOnly {
		release, err := takeLock(ctx, src, p)
		if err != nil {
			return nil, err
		}
		defer release(warn)
	}
	snap, err := c.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	// The environment the operator asked for: a plan for another one is
	// refused by the check.
	current, err := global.loadSource(ctx, src, cmp.Or(env, p.Env))
	if err != nil {
		return nil, err
	}
	audit, err := openAuditLog()
	if err != nil {
		return nil, err
	}
	writer := c.NewWriter(snap.ClusterID)
	in := model.ApplyInput{Plan: p, Swarm: writer, Source: current, By: userAtHost(), Options: o, Snapshot: snap,
		Stacks: stackWriter{src: src, source: current}}
	if err := model.Check(ctx, in); err != nil {
		return nil, err
	}
	// No apply without its audit trail: refuse before anything changes, as
	// reveal does.
	if _, err := audit.append(auditRecord{Context: snap.Endpoint.Context, Swarm: snap.ClusterID, Plan: p.ID,
		Action: "apply", Subject: p.Env, Result: "started"}); err != nil {
		return nil, fmt.Errorf("nothing applied: %w (apply records every step there)", err)
	}
	if c.Unencrypted() && global.insecureTransport { // else CanWrite refused it, or read-only refuses every write
		warn("--insecure-transport: the changes go to " + snap.Endpoint.Host + " without TLS")
		if _, err := audit.append(auditRecord{Context: snap.Endpoint.Context, Swarm: snap.ClusterID, Plan: p.ID,
			Action: "insecure-transport", Subject: snap.Endpoint.Host, Result: "allowed"}); err != nil {
			return nil, fmt.Errorf("nothing applied: %w", err)
		}
	}
	// The key the source was just read with; made (create-only) when the
	// source has none yet — never a write when it has one.
	in.Key = current.Key
	if in.Key.IsZero() {
		if in.Key, err = s3.EnsureKey(ctx, src); err != nil {
			return nil, err
		}
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
			Action: s.Action, Subject: s.Subject(), Result: s.Result, Fingerprint: s.Fingerprint}
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
		if err := s3.WriteAudit(context.WithoutCancel(ctx), src, p.ID, shared.Bytes()); err != nil {
			warn("the audit log could not be copied to the source (" + oneLine(err.Error()) + "): this machine's log has every step, `secretdeck audit` shows it")
		}
	}()
	res, err := model.Apply(ctx, in)
	var failed *model.ApplyError
	if o.RestoreSource && errors.As(err, &failed) {
		err = restoreSources(context.WithoutCancel(ctx), src, p, failed, in.Progress)
	}
	return res, nextStep(err, p) // cli/lock.go
}

// restoreSources puts back, after a failed apply that restarted services
// and rolled them back, the property files those restarts read: each to the
// version before the one planned, as a new version. Each step is audited;
// the error says what was and was not restored.
func restoreSources(ctx context.Context, src s3.Source, p *model.RotationPlan, failed *model.ApplyError, progress func(model.Step)) error {
	var said []string
	for _, sc := range p.Services {
		state := failed.Result.Services[sc.Service]
		if len(sc.Reads) == 0 || state == "" || state == "verified" {
			continue // not restarted, or not undone
		}
		for _, r := range sc.Reads {
			v, err := s3.RestorePrevious(ctx, src, r.File, r.Version)
			if err != nil {
				progress(model.Step{Plan: p.ID, Secret: r.File, Action: "restore-source", Result: "failed", Detail: err.Error()})
				said = append(said, fmt.Sprintf("%s NOT restored (%s)", r.File, oneLine(err.Error())))
				continue
			}
			progress(model.Step{Plan: p.ID, Secret: r.File, Action: "restore-source", Result: "ok", Detail: "new version " + v})
			said = append(said, fmt.Sprintf("%s restored to its previous version (new version %s)", r.File, v))
		}
	}
	if len(said) == 0 {
		return failed
	}
	return fmt.Errorf("%w; source: %s", failed, strings.Join(said, "; "))
}

// errStopped is why an apply stops on a second interrupt.
var errStopped = errors.New("stopped by a second interrupt")

// interruptTwiceToStop is the context of a running apply: the first SIGINT
// or SIGTERM must not abandon it half-way (services updating, nothing
// verified, nothing to roll back), so it only says that the apply goes on to
// its verdict; the second cancels the context, and the engine then stops the
// safe way: it rolls back what it started and removes the new secrets. As in
// the workbench (q, then ctrl+c).
func interruptTwiceToStop(parent context.Context, stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(parent))
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		for n := 1; ; n++ {
			select {
			case <-done:
				return
			case <-signals:
			}
			if n == 1 {
				fmt.Fprintln(stderr, "secretdeck: finishing the apply: it will stop when verified or rolled back; press ctrl+c again to stop it now (the new secrets are rolled back)")
				continue
			}
			fmt.Fprintln(stderr, "secretdeck: stopping the apply: rolling back the services it updated and removing the secrets it created")
			cancel(errStopped)
			return
		}
	}()
	return ctx, func() {
		signal.Stop(signals)
		close(done)
		cancel(nil)
	}
}

func resultOf(err error) string {
	if err != nil {
		return "failed: " + err.Error()
	}
	return "ok"
}

func progressLine(s model.Step) string {
	subject := s.Subject()
	line := fmt.Sprintf("  %-9s %-40s %s", s.Action, subject, s.Result)
	if s.Desired > 0 {
		line += fmt.Sprintf(" (%d/%d tasks running)", s.Running, s.Desired)
	}
	if s.Detail != "" {
		line += ": " + s.Detail
	}
	return line
}

// confirm asks the operator, unless --yes. A protected environment needs its
// name typed.
// readPlanFile reads at most one byte more than a plan can be: ReadPlan
// refuses it then, and a file that never ends costs no memory.
func readPlanFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, model.MaxPlanSize+1))
}

// confirm asks before an apply: y; the environment's name for a protected
// one; the other environments' names for a plan that replaces their secrets.
func confirm(cmd *cobra.Command, p *model.RotationPlan, yes bool, foreign []string) error {
	if yes {
		return nil
	}
	want, prompt := "y", fmt.Sprintf("\nCreate %d secret(s) and update %d service(s) in %s? [y/N] ", len(p.Creates), len(p.Services), p.Env)
	switch {
	case len(foreign) > 0:
		want = strings.Join(foreign, ",")
		prompt = fmt.Sprintf("\nThis replaces secrets of %s: type %s to apply: ", want, want)
	case p.Protected:
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
