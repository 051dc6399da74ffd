package model

import (
	"fmt"
	"strings"
)

// commands gives every finding the command that fixes it, ready to paste:
// secretdeck's own where it can act (plan, apply --resume, prune), else the
// docker command that would, with a hint for what it cannot say in one line.
// Values never appear: only names.
func (d *drifter) commands() {
	for i := range d.report.Findings {
		f := &d.report.Findings[i]
		f.Command, f.Hint = d.command(f)
	}
}

func (d *drifter) command(f *Finding) (command, hint string) {
	where := []string{"--source", d.in.Source.URI, "--env", d.in.Source.Env}
	plan := func() string {
		return ShellCommand(append([]string{"secretdeck", "plan", "--secret", f.Logical}, where...)...)
	}
	switch f.Kind {
	case KindMissing, KindNotMounted, KindStale, KindUnverifiable, KindTargetMismatch:
		if f.Logical != "" {
			return plan(), "preview; then `secretdeck apply` with the same flags applies it"
		}
	case KindExpired:
		return plan(), "a plan makes a new version even when the source holds the same value: put a new value in " + f.File + " first, or the credential itself stays as old"
	case KindLagging:
		if f.Plan != "" {
			return ShellCommand(append([]string{"secretdeck", "apply", "--resume", f.Plan}, where...)...),
				"or undo it: " + ShellCommand(append([]string{"secretdeck", "apply", "--revert", f.Plan}, where...)...)
		}
		return plan(), "a plan mounts a new version on every consumer"
	case KindUnauthorizedMount:
		return ShellCommand("docker", "service", "update", "--secret-rm", f.Secret, f.Service),
			"revokes it (the service loses the file); then rotate " + f.Logical + ": " + f.Service + " could read its value"
	case KindPreviousSpecExposure:
		return ShellCommand("docker", "service", "update", f.Service),
			"one more update with no change makes today's spec the previous one, so the value leaves `docker service inspect` (nothing restarts; a plan does it too: " +
				ShellCommand(append([]string{"secretdeck", "plan", "--service", f.Service}, where...)...) + "); the value was readable: rotate it"
	case KindWiring:
		return ShellCommand("docker", "service", "inspect", "--format", "{{json .Spec.TaskTemplate.ContainerSpec.Secrets}}", f.Service),
			"the secrets it mounts and where: point " + f.Key + " at one of them, or at this environment's file"
	case KindOrphan:
		return ShellCommand("secretdeck", "prune", f.Secret), ""
	case KindEnvExposure:
		if m := d.report.Move(*f); m != nil {
			hint = fmt.Sprintf("one update removes %s and mounts %s at /run/secrets/%s, a second flushes the previous spec that still shows the value; then `secretdeck apply` with the same flags", m.Env, m.Logical, m.Target)
			if m.Burned {
				hint = "the value was readable: put a new one in " + d.desiredFile(m.Logical) + " first (the plan refuses a burned value unless --accept-exposed-value); " + hint
			}
			return ShellCommand(append([]string{"secretdeck", "plan", "--service", f.Service}, where...)...), hint
		}
		hint = "the value was readable: rotate it, and remove the variable once the service reads a secret file"
		if h := d.moveHints[f.ID()]; h != "" {
			hint = "a plan moves it into a secret with " + h + "; the value was readable: rotate it"
		}
		return ShellCommand("docker", "service", "update", "--env-rm", f.Key, f.Service), hint
	case KindRuntimeStale:
		return ShellCommand(append([]string{"secretdeck", "plan", "--service", f.Service}, where...)...),
			"a plan that restarts its tasks (docker service update --force), watched until each runs the new file; then `secretdeck apply` with the same flags"
	case KindStackPinned:
		return ShellCommand(append([]string{"secretdeck", "plan", "--service", f.Service}, where...)...),
			"a plan that sets the secret's name: in " + f.File + " to the newest version (shown as a diff; --no-stack-edit on apply leaves the file to you)"
	case KindStackFileSecret:
		return ShellCommand(append([]string{"secretdeck", "plan", "--service", f.Service}, where...)...),
			"a plan that gives the secret a new name in " + f.File + " (shown as a diff); the next `docker stack deploy` makes it from the file"
	case KindStackReverted:
		return ShellCommand(append([]string{"secretdeck", "plan", "--service", f.Service}, where...)...),
			"mounts the newest version again and edits the stack file, so that the next `docker stack deploy` keeps it"
	case KindStackOwned:
		return ShellCommand("docker", "service", "inspect", "--format", "{{json .Spec.TaskTemplate.ContainerSpec.Secrets}}", f.Service),
			"after a rotation, name these secrets in the stack file of " + d.services[f.Service].Stack + " before the next `docker stack deploy`"
	case KindImageHistoryExposure:
		hint = "rebuild " + Printable(f.Image) + " with the credential as a build secret (`RUN --mount=type=secret`) rather than a build arg or ENV, and remove the old image from the registry and the nodes"
		if f.File != "" {
			hint += "; the value was readable: put a new one in " + f.File + " and rotate it"
		} else {
			hint += "; the value was readable: change it where it is used"
		}
		return "", hint
	case KindImageUnchecked:
		return "", "on a node that holds it, `" + ShellCommand("docker", "history", "--no-trunc", Printable(f.Image)) + "` shows what it was built with"
	case KindOpenGrant:
		return ShellCommand("secretdeck", "inspect", "secret", f.Logical), "lists who mounts it now: declare those that should in " + ManifestPath
	case KindUndeclared:
		return ShellCommand("secretdeck", "inspect", "secret", f.Secret), "declare it in a property file of " + d.in.Source.Env + ", or leave it: secretdeck does not manage it"
	case KindUnknownService:
		return ShellCommand("docker", "service", "ls", "--filter", "name="+f.Service), "if the service is retired, remove or rename " + f.File + " in the source"
	case KindConfigStale, KindConfigMissing, KindConfigNotMounted:
		return ShellCommand(append([]string{"secretdeck", "plan", "--service", f.Service}, where...)...),
			"a new version of the config if needed, swapped in the service's one update with its secrets (uid, gid, mode kept); then `secretdeck apply` with the same flags"
	case KindConfigOrphan:
		return ShellCommand("docker", "config", "rm", f.Config), "no service's spec nor previous spec names it"
	case KindConfigExposure:
		return ShellCommand("secretdeck", "inspect", "config", f.Config), "shows who mounts it (values masked); move the value into a secret, and point the application at the secret's file"
	case KindUnparsable, KindOversize:
		return ShellCommand(append([]string{"secretdeck", "status"}, where...)...), "fix " + f.File + " in the source: status lists every file's keys and errors (never values)"
	}
	return "", ""
}

// desiredFile is the property file of a logical secret, "" if none.
func (d *drifter) desiredFile(logical string) string {
	if ds := d.desired(logical); ds != nil {
		return ds.File
	}
	return ""
}

// ShellCommand joins args into one line a POSIX shell runs as these args,
// quoting where needed.
func ShellCommand(args ...string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = ShellQuote(a)
	}
	return strings.Join(out, " ")
}
