// Package report renders details as text, the same for the headless
// commands and the TUI's detail views. Nothing here prints a value: the model
// types it renders hold values as model.Value, which redacts itself.
package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/secretdeck/secretdeck/model"
)

// TimeLayout is how times are shown.
const TimeLayout = "2006-01-02 15:04:05Z"

// SecretDetail writes what `inspect secret` shows.
func SecretDetail(out io.Writer, d *model.SecretDetail) error {
	w := &errWriter{w: out}
	s := d.Secret
	w.printf("Secret       %s (%s)\n", s.Name, s.ID)
	w.printf("Created      %s, updated %s\n", s.CreatedAt.UTC().Format(TimeLayout), s.UpdatedAt.UTC().Format(TimeLayout))
	owner := "made outside secretdeck (adopted by its name)"
	if d.Managed {
		owner = "made by secretdeck"
	}
	w.printf("Logical      %s, version %d, %s\n", dash(d.Logical), d.Version, owner)
	w.printf("Fingerprint  %s\n", d.Fingerprint)
	writeLabels(w, 13, s.Labels)

	w.printf("\nVERSIONS OF %s\n", d.Logical)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tCREATED\tPLAN\tMOUNTED BY\tROLLBACK OF")
	for _, v := range d.Versions {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", v.Name, v.N, v.CreatedAt.UTC().Format(TimeLayout), dash(v.Plan),
			dash(strings.Join(v.MountedBy, ", ")), dash(strings.Join(v.Previous, ", ")))
	}
	w.flush(tw)

	writeBlast(w, d.Blast)
	writeFindings(w, d.Findings)
	return w.err
}

func writeBlast(w *errWriter, b model.BlastRadius) {
	w.printf("\nBLAST RADIUS\n")
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
	w.flush(tw)
	if len(b.Services) == 0 {
		w.printf("No service mounts it, nor would a rollback.\n")
	}
	w.printf("Tasks that mounted it: %d · nodes: %s · managers (hold every secret): %s\n",
		len(b.Tasks), dash(strings.Join(b.Nodes, ", ")), dash(strings.Join(b.Managers, ", ")))
	if !b.Complete {
		w.printf("Incomplete: %s\n", b.Incomplete)
	}
}

// ServiceDetail writes what `inspect service` shows.
func ServiceDetail(out io.Writer, d *model.ServiceDetail) error {
	w := &errWriter{w: out}
	s := d.Service
	w.printf("Service   %s (%s)\n", s.Name, s.ID)
	w.printf("Stack     %s\n", dash(s.Stack))
	w.printf("Image     %s\n", s.Spec.Image)
	w.printf("Tasks     %d/%d running (%s)\n", d.Running, d.Desired, s.Mode)
	if s.UpdateStatus != nil {
		w.printf("Update    %s %s\n", s.UpdateStatus.State, s.UpdateStatus.Message)
	}
	if u := s.UpdateConfig; u != nil {
		w.printf("Rollout   parallelism %d, order %s, on failure %s, monitor %s, delay %s\n",
			u.Parallelism, dash(u.Order), dash(u.FailureAction), u.Monitor, u.Delay)
	}
	writeLabels(w, 10, s.Spec.Labels)
	writeRefs(w, "SECRETS", s.Spec.Secrets)
	if s.Previous != nil {
		writeRefs(w, "SECRETS OF THE PREVIOUS SPEC (what a rollback restores)", s.Previous.Secrets)
	}
	w.printf("\nENV (values never shown)\n")
	for _, e := range d.Env {
		flag := ""
		if e.Exposed {
			flag = "  ← EXPOSED: see findings"
		}
		w.printf("  %s (%d bytes)%s\n", e.Name, e.Length, flag)
	}
	writeFindings(w, d.Findings)
	return w.err
}

func writeRefs(w *errWriter, title string, refs []model.FileRef) {
	w.printf("\n%s\n", title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SECRET\tTARGET\tUID:GID\tMODE")
	for _, r := range refs {
		fmt.Fprintf(tw, "%s\t%s\t%s:%s\t%04o\n", r.Name, r.Target, r.UID, r.GID, r.Mode)
	}
	w.flush(tw)
}

func writeLabels(w *errWriter, width int, labels map[string]string) {
	for _, k := range sortedKeys(labels) {
		w.printf("%-*s%s=%s\n", width, "Label", k, labels[k])
	}
}

func writeFindings(w *errWriter, fs []model.Finding) {
	if len(fs) == 0 {
		return
	}
	w.printf("\nFINDINGS\n")
	for _, f := range fs {
		w.printf("  %-6s %-15s %s\n", f.Severity, f.Kind, f.Explanation)
	}
}

// errWriter remembers the first write error so renderers stay linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }

func (e *errWriter) flush(tw *tabwriter.Writer) {
	if err := tw.Flush(); e.err == nil {
		e.err = err
	}
}

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
