// Package report renders details as text, the same for the headless
// commands and the TUI's detail views. Nothing here prints a value: the model
// types it renders hold values as model.Value, which redacts itself.
package report

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/secretdeck/secretdeck/model"
)

// TimeLayout is how times are shown.
const TimeLayout = "2006-01-02 15:04:05Z"

// SecretDetail writes what `inspect secret` shows.
func SecretDetail(out io.Writer, d *model.SecretDetail) error {
	w := NewWriter(out)
	s := d.Secret
	w.Printf("Secret       %s (%s)\n", s.Name, s.ID)
	w.Printf("Created      %s, updated %s\n", s.CreatedAt.UTC().Format(TimeLayout), s.UpdatedAt.UTC().Format(TimeLayout))
	owner := "made outside secretdeck (adopted by its name)"
	if d.Managed {
		owner = "made by secretdeck"
	}
	w.Printf("Logical      %s, version %d, %s\n", dash(d.Logical), d.Version, owner)
	w.Printf("Fingerprint  %s\n", d.Fingerprint)
	writeLabels(w, 13, s.Labels)

	w.Printf("\nVERSIONS OF %s\n", d.Logical)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tCREATED\tPLAN\tMOUNTED BY\tROLLBACK OF")
	byRule := map[string][]string{} // how the versions without secretdeck's labels were recognised
	for _, v := range d.Versions {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", v.Name, v.N, v.CreatedAt.UTC().Format(TimeLayout), dash(v.Plan),
			dash(strings.Join(v.MountedBy, ", ")), dash(strings.Join(v.Previous, ", ")))
		if v.AdoptedBy != "" && v.AdoptedBy != model.AdoptedByLabels {
			byRule[v.AdoptedBy] = append(byRule[v.AdoptedBy], v.Name)
		}
	}
	w.Flush(tw)
	for _, rule := range slices.Sorted(maps.Keys(byRule)) {
		w.Printf("A version by %s: %s\n", rule, strings.Join(byRule[rule], ", "))
	}

	writeBlast(w, d.Blast)
	writeFindings(w, d.Findings)
	return w.Err()
}

func writeBlast(w *Writer, b model.BlastRadius) {
	w.Printf("\nBLAST RADIUS\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tSTACK\tIN\tTARGET\tUID:GID\tMODE")
	for _, u := range b.Services {
		in := "spec"
		switch {
		case u.Spec && u.Previous:
			in = "spec+previous"
		case u.Previous:
			in = "previous (rollback)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s:%s\t%04o\n", u.Service, dash(u.Stack), in, u.Ref.Target, u.Ref.UID, u.Ref.GID, u.Ref.Mode)
	}
	w.Flush(tw)
	if len(b.Services) == 0 {
		w.Printf("No service mounts it, nor would a rollback.\n")
	}
	w.Printf("Tasks that mounted it: %d · nodes: %s · managers (hold every secret): %s\n",
		len(b.Tasks), dash(strings.Join(b.Nodes, ", ")), dash(strings.Join(b.Managers, ", ")))
	if !b.Complete {
		w.Printf("Incomplete: %s\n", b.Incomplete)
	}
}

// ServiceDetail writes what `inspect service` shows.
func ServiceDetail(out io.Writer, d *model.ServiceDetail) error {
	w := NewWriter(out)
	s := d.Service
	w.Printf("Service   %s (%s)\n", s.Name, s.ID)
	stack := dash(s.Stack)
	switch {
	case d.StackFile != "":
		stack += " (stack file " + d.StackFile + ")"
	case s.Stack != "":
		stack += " (its stack file is unknown: stacks/" + s.Stack + ".yml in the source, or --stack-file)"
	}
	w.Printf("Stack     %s\n", stack)
	w.Printf("Image     %s\n", s.Spec.Image)
	w.Printf("Tasks     %d/%d running (%s)\n", d.Running, d.Desired, s.Mode)
	if s.UpdateStatus != nil {
		w.Printf("Update    %s %s\n", s.UpdateStatus.State, s.UpdateStatus.Message)
	}
	if u := s.UpdateConfig; u != nil {
		w.Printf("Rollout   parallelism %d, order %s, on failure %s, monitor %s, delay %s\n",
			u.Parallelism, dash(u.Order), dash(u.FailureAction), u.Monitor, u.Delay)
	}
	writeLabels(w, 10, s.Spec.Labels)
	writeRefs(w, "SECRETS", s.Spec.Secrets)
	if s.Previous != nil {
		writeRefs(w, "SECRETS OF THE PREVIOUS SPEC (what a rollback restores)", s.Previous.Secrets)
	}
	if d.StackFile != "" {
		w.Printf("\nSECRETS AS %s DECLARES THEM (what the next `docker stack deploy` mounts)\n", d.StackFile)
		for _, r := range d.StackSecrets {
			w.Printf("  %s → %s  (secret %s of the file)\n", r.Name, r.Target, r.Key)
		}
	}
	w.Printf("\nENV (values never shown)\n")
	for _, e := range d.Env {
		flag := ""
		if e.Exposed {
			flag = "  ← EXPOSED: see findings"
		}
		w.Printf("  %s (%d bytes)%s\n", e.Name, e.Length, flag)
	}
	writeFailedTasks(w, d.Tasks)
	writeFindings(w, d.Findings)
	return w.Err()
}

// writeFailedTasks lists the service's last failed or rejected tasks, newest
// first, with why, as `docker service ps --no-trunc` would say it.
func writeFailedTasks(w *Writer, tasks []model.Task) {
	var failed []model.Task
	for _, t := range tasks {
		if t.State == "failed" || t.State == "rejected" {
			failed = append(failed, t)
		}
	}
	if len(failed) == 0 {
		return
	}
	slices.SortFunc(failed, func(a, b model.Task) int { return b.CreatedAt.Compare(a.CreatedAt) })
	w.Printf("\nFAILED TASKS (newest first)\n")
	for _, t := range failed[:min(len(failed), 5)] {
		w.Printf("  %s  node %s  %s  %s: %s\n", t.ID, dash(t.NodeID), t.CreatedAt.UTC().Format("2006-01-02 15:04:05Z"), t.State, dash(cmp.Or(t.Err, t.Message)))
	}
	if len(failed) > 5 {
		w.Printf("  … and %d more (docker service ps)\n", len(failed)-5)
	}
}

func writeRefs(w *Writer, title string, refs []model.FileRef) {
	w.Printf("\n%s\n", title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SECRET\tTARGET\tUID:GID\tMODE")
	for _, r := range refs {
		fmt.Fprintf(tw, "%s\t%s\t%s:%s\t%04o\n", r.Name, r.Target, r.UID, r.GID, r.Mode)
	}
	w.Flush(tw)
}

func writeLabels(w *Writer, width int, labels map[string]string) {
	for _, k := range sortedKeys(labels) {
		w.Printf("%-*s%s=%s\n", width, "Label", k, labels[k])
	}
}

func writeFindings(w *Writer, fs []model.Finding) {
	if len(fs) == 0 {
		return
	}
	w.Printf("\nFINDINGS\n")
	for _, f := range fs {
		w.Printf("  %-6s %-15s %s\n", f.Severity, f.Kind, f.Explanation)
	}
}

// Writer remembers the first write error, so that renderers stay linear and
// check it once at the end (Err).
type Writer struct {
	w   io.Writer
	err error
}

// NewWriter wraps w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Err is the first write error.
func (e *Writer) Err() error { return e.err }

func (e *Writer) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// Printf writes a formatted line.
func (e *Writer) Printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }

// Flush flushes a tabwriter writing into e, keeping the first error.
func (e *Writer) Flush(tw *tabwriter.Writer) {
	if err := tw.Flush(); e.err == nil {
		e.err = err
	}
}

// Dash shows an empty string as "-".
func Dash(s string) string { return dash(s) }

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
