package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/s3"
)

// lockStaleAfter is when a held lock is called stale: longer than any
// apply takes (a rollout times out in minutes). A stale lock is reported with
// its holder, never taken over: only `secretdeck unlock ID` removes it.
const lockStaleAfter = time.Hour

// takeLock takes the source's operator lock for plan p, before the apply's
// first change; the returned release removes it at the end, whatever the
// end (success, failure, rollback, a signal). A lock that cannot be removed
// (the source unreachable by then) is said, with what to run.
func takeLock(ctx context.Context, src s3.Source, p *model.RotationPlan) (release func(warn func(string)), err error) {
	lock := s3.Lock{Plan: p.ID, By: userAtHost(), PID: os.Getpid(), Since: time.Now().UTC()}
	if err := s3.AcquireLock(ctx, src, lock, lockStaleAfter); err != nil {
		return nil, err
	}
	return func(warn func(string)) {
		err := s3.ReleaseLock(context.WithoutCancel(ctx), src, p.ID)
		var held *s3.LockHeldError
		switch {
		case errors.As(err, &held): // unlocked meanwhile, and taken by another apply
			warn(fmt.Sprintf("the lock %s is now held by %s, not by plan %s: left as it is", s3.LockPath, held.Holder.Describe(time.Now()), p.ID))
		case err != nil && !errors.Is(err, s3.ErrNoLock):
			warn(fmt.Sprintf("the lock %s of plan %s could not be removed (%s): once no apply runs, run `secretdeck unlock %s`",
				s3.LockPath, p.ID, oneLine(err.Error()), p.ID))
		}
	}, nil
}

// refuseIfLocked refuses an apply before its preview and question when
// another holds the source's lock; the apply takes the lock itself later,
// create-only, so a race between two is still decided there.
func refuseIfLocked(ctx context.Context, global *globalOptions) error {
	src, err := global.openSource(ctx)
	if err != nil {
		return err
	}
	return s3.CheckLock(ctx, src, lockStaleAfter)
}

func newUnlockCommand(global *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "unlock PLAN-ID",
		Short: "Remove the operator lock an apply left behind (killed, or its machine lost)",
		Long: `An apply holds the lock .secretdeck/lock in the source from before its first
change to its end, so that two applies never interleave; a second apply is
refused, naming the holder. An apply that was killed (kill -9, a lost
machine) leaves its lock: once you know that apply is gone, remove it with
the plan ID the refusal names, then finish or undo that plan with
"apply --resume ID" or "apply --revert ID".

unlock removes the lock only when it is held by PLAN-ID, and never in
--read-only. A lock older than an hour is reported as stale; it is still
never removed by anything but unlock.`,
		Example: `  secretdeck unlock p-20261122-154512-3fa9 --source s3://ops-config/services
  secretdeck apply --resume p-20261122-154512-3fa9 --source s3://ops-config/services --env prod`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUnlock(cmd, global, args[0])
		},
	}
}

func runUnlock(cmd *cobra.Command, global *globalOptions, id string) error {
	if global.readOnly {
		return errors.New("unlock changes the source, and secretdeck was started with --read-only")
	}
	if global.source == "" {
		return errNeedSource
	}
	if !model.ValidPlanID(id) {
		return fmt.Errorf("%q is not a plan ID (p-YYYYMMDD-HHMMSS-xxxx): the refused apply named the lock's plan", model.Printable(id))
	}
	src, err := global.openSource(cmd.Context())
	if err != nil {
		return err
	}
	holder, err := s3.ReadLock(cmd.Context(), src)
	if err != nil {
		return err
	}
	if holder == nil {
		return fmt.Errorf("%s holds no lock: nothing to remove", src.URI())
	}
	if holder.Plan != id {
		return fmt.Errorf("nothing removed: the lock of %s is held by %s, not by %s", src.URI(), holder.Describe(time.Now()), id)
	}
	if err := s3.ReleaseLock(cmd.Context(), src, id); err != nil {
		return fmt.Errorf("nothing removed: %w", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Removed the lock of %s: %s. If that apply left its plan half-done, `secretdeck drift` shows it; finish with `secretdeck apply --resume %s` or undo with --revert %s.\n",
		src.URI(), holder.Describe(time.Now()), id, id)
	return nil
}

// lockLine is who holds the source's lock, for the workbench's status line;
// "" when none is held. A lock that cannot be read says so.
func lockLine(ctx context.Context, src s3.Source) string {
	holder, err := s3.ReadLock(ctx, src)
	switch {
	case err != nil:
		return "unknown (" + oneLine(err.Error()) + ")"
	case holder == nil:
		return ""
	}
	return holder.Describe(time.Now())
}

// nextStep adds to a failed apply's error what finishes the job when the
// failure could not be undone (the engine stopped answering, a rollback
// failed): drift names the plan, and --revert or --resume ends it. Said
// once, in the same line.
func nextStep(err error, p *model.RotationPlan) error {
	var failed *model.ApplyError
	if !errors.As(err, &failed) || !strings.Contains(failed.Result.Summary, "NOT undone") {
		return err
	}
	return fmt.Errorf("%w; once the engine answers, `secretdeck drift` names plan %s: `secretdeck apply --revert %s` undoes the rest, or `--resume %s` finishes it",
		err, p.ID, p.ID, p.ID)
}
