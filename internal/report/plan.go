package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/secretdeck/secretdeck/internal/lazyre"
	"github.com/secretdeck/secretdeck/internal/udiff"
	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/stack"
)

// Plan writes the preview of a rotation plan: what is created, and per
// service the references before and after, its rollout, the tasks that
// restart, stack warnings and the equivalent docker command.
func Plan(out io.Writer, p *model.RotationPlan) error {
	w := NewWriter(out)
	w.Printf("PLAN %s · env %s · %s · swarm %s\n", p.ID, p.Env, p.Source, p.ClusterID)
	if p.Protected {
		w.Printf("Environment %s is PROTECTED: apply asks for its name to be typed.\n", p.Env)
	}
	w.Printf("\nCreate %d secret(s):\n", len(p.Creates))
	for _, c := range p.Creates {
		w.Printf("  + %s   (from %s key %q, source version %s)\n", c.Name, c.File, c.Key, Dash(c.SourceVersion))
		if c.Shortened {
			w.Printf("    (name shortened with a hash: the logical name is longer than Docker allows)\n")
		}
		if c.Ansible {
			w.Printf("    labels ansible_version=%d, ansible_key=<SHA-224 of the value>: the newest version was made by Ansible, whose next run must take this one for the newest\n", c.Version)
		}
	}
	if len(p.ConfigCreates) > 0 {
		w.Printf("\nCreate %d config(s):\n", len(p.ConfigCreates))
		for _, c := range p.ConfigCreates {
			tmpl := ""
			if c.TemplateDriver != "" {
				tmpl = ", templated (" + c.TemplateDriver + ")"
			}
			w.Printf("  + %s   (from %s, source version %s, sha256 %s%s)\n", c.Name, c.File, Dash(c.SourceVersion), short(c.SHA256, 12), tmpl)
		}
	}
	w.Printf("\nUpdate %d service(s), one update each:\n", len(p.Services))
	for _, s := range p.Services {
		if !s.Edits() {
			w.Printf("\n  %s   no change, no task restarts: its previous spec is flushed, once every service is verified\n", s.Service)
			w.Printf("    why: %s\n", s.Purge)
			w.Printf("    $ %s\n", s.PurgeCommand())
			continue
		}
		w.Printf("\n  %s   %d running task(s) restart%s\n", s.Service, s.Restarts, rollout(s.Update))
		if s.Restart != "" {
			w.Printf("    restart: %s (every task is replaced, as with --force)\n", s.Restart)
		}
		for _, u := range s.Unschedulable {
			w.Printf("    ! %s: cannot run now, not waited for (--wait-for-all-nodes waits)\n", u)
		}
		for _, e := range s.EnvRemove {
			w.Printf("    - env %s   (a credential in clear: moved into the secret mounted below)\n", e)
		}
		for _, e := range s.EnvAdd {
			w.Printf("    + env %s\n", e)
		}
		for _, line := range refDiff(s.Before, s.After) {
			w.Printf("    %s\n", line)
		}
		if s.ConfigsAfter != nil && !slices.Equal(s.ConfigsBefore, s.ConfigsAfter) {
			for _, line := range refDiff(s.ConfigsBefore, s.ConfigsAfter) {
				w.Printf("    config %s\n", line)
			}
		}
		for _, name := range s.Revoke {
			w.Printf("    revoked: %s was never granted to %s (unauthorized-mount); rotate what it could read\n", name, s.Service)
		}
		w.Printf("    $ %s\n", command(s.DockerArgs(), "        "))
		if s.Purge != "" {
			w.Printf("    then, once every service is verified, one more update with no change (no restart):\n")
			w.Printf("    %s\n    $ %s\n", s.Purge, s.PurgeCommand())
		}
		switch {
		case s.StackFile != "":
			w.Printf("    stack %s, file %s: the edits that keep the next deploy on these secrets, if any, are below\n", s.Stack, s.StackFile)
			for _, target := range s.StackMissing {
				w.Printf("    ! %s mounts nothing at target %s: the next `docker stack deploy` drops this mount; add it to the file\n", s.StackFile, target)
			}
		case s.Stack != "":
			w.Printf("    ! stack %s: the next `docker stack deploy` reverts this unless the stack file names the new secret (its file is unknown: stacks/%s.yml in the source, or --stack-file)\n", s.Stack, s.Stack)
		}
	}
	if len(p.StackEdits) > 0 {
		w.Printf("\nThen edit %d stack file(s), once every service is verified, so that the next `docker stack deploy` keeps what this plan mounts:\n", len(p.StackEdits))
		for _, e := range p.StackEdits {
			w.Printf("  %s: secret %s, name %s → %s (services %s)\n", e.File, e.Key, e.From, e.To, strings.Join(e.Services, ", "))
			for _, line := range strings.Split(strings.TrimRight(e.Diff, "\n"), "\n") {
				if line != "" {
					w.Printf("    %s\n", line)
				}
			}
		}
	}
	if len(p.Removes) > 0 {
		w.Printf("\nThen remove %d secret(s) or config(s), once every service is verified:\n", len(p.Removes))
		for _, r := range p.Removes {
			kind := ""
			if r.Config {
				kind = "config "
			}
			w.Printf("  - %s%s   (%s)\n", kind, r.Name, removalWhy(r))
		}
	}
	return w.Err()
}

// commandWidth is the widest line of a command wrapped for pasting: an
// 80-column terminal shows it whole.
const commandWidth = 78

// command lays a command out one argument per line, each line but the last
// ended by a backslash, so that it pastes as one command at any width; a
// flag whose value does not fit on its line gets a line of its own.
func command(args []string, indent string) string {
	lines := []string{args[0]}
	for _, a := range args[1:] {
		flag, value, ok := strings.Cut(a, " ")
		if ok && len(indent)+len(a)+2 > commandWidth {
			lines = append(lines, indent+flag, indent+"    "+value)
			continue
		}
		lines = append(lines, indent+a)
	}
	return strings.Join(lines, " \\\n")
}

func removalWhy(r model.SecretRemoval) string {
	if r.Why == model.RemoveRevert {
		return "made by the plan being reverted"
	}
	return "an old version of " + r.Logical + " beyond the ones kept, named by no service"
}

func rollout(u *model.UpdateConfig) string {
	if u == nil {
		return " · Docker's default rollout (parallelism 1, stop-first, on failure pause)"
	}
	return fmt.Sprintf(" · parallelism %d, order %s, on failure %s, monitor %s", u.Parallelism, Dash(u.Order), Dash(u.FailureAction), u.Monitor)
}

// refDiff lists the references a service loses (-), gains (+) and keeps.
func refDiff(before, after []model.FileRef) []string {
	f := func(r model.FileRef) string {
		return fmt.Sprintf("%s → %s  %s:%s %04o", r.Name, r.Target, r.UID, r.GID, r.Mode)
	}
	var out []string
	for _, b := range before {
		if !slices.Contains(after, b) {
			out = append(out, "- "+f(b))
		}
	}
	for _, a := range after {
		if !slices.Contains(before, a) {
			out = append(out, "+ "+f(a))
		} else {
			out = append(out, "  "+f(a))
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return strings.Compare(a[2:], b[2:]) })
	return out
}

// StackDiffs fills in each stack file edit of p the diff it makes to the
// file as source holds it (what `diff -u` would show), or why it cannot be
// made; a preview's, never part of what apply checks.
func StackDiffs(p *model.RotationPlan, source *model.SourceSnapshot) {
	if p == nil || source == nil {
		return
	}
	for i := range p.StackEdits {
		e := &p.StackEdits[i]
		for _, sf := range source.Stacks {
			if sf.Path != e.File {
				continue
			}
			old := []byte(sf.Data.Reveal())
			edited, err := stack.SetSecretName(old, e.Key, e.To, map[string]string{})
			if err != nil {
				e.Diff = "cannot be edited: " + err.Error()
				continue
			}
			e.Diff = maskDiff(udiff.UnifiedDiff(e.File, old, edited))
		}
	}
}

// credentialLine matches a line that sets a credential-like name to a
// literal (`DB_PASSWORD=x`, `- API_TOKEN: x`, `secret_key: "x"`): a stack
// file's environment can hold one within a diff's context of the edit.
var credentialLine = lazyre.New(`^( \s*(?:-\s*)?"?)([A-Za-z_][A-Za-z0-9_.-]*)("?\s*[=:]\s*)([^\s{].*)$`)

// maskDiff masks the value of every context line of a diff that sets a
// credential-like name, so a preview never shows one (the changed lines are
// the names secretdeck edits).
func maskDiff(diff string) string {
	lines := strings.Split(diff, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "---") || strings.HasPrefix(l, "+++") || strings.HasPrefix(l, "@@") {
			continue
		}
		if m := credentialLine().FindStringSubmatch(l); m != nil && model.SensitiveName(m[2]) {
			lines[i] = m[1] + m[2] + m[3] + "••••••••"
		}
	}
	return strings.Join(lines, "\n")
}

// short is s cut to n bytes (a hash's head).
func short(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
