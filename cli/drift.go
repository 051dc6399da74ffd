package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secretdeck/secretdeck/internal/report"
	"github.com/secretdeck/secretdeck/model"
)

// Exit code of drift when it found something, like terraform's detailed exit
// code: CI can gate on it.
const exitDrift = 2

type driftOptions struct {
	json bool
}

var errNeedSource = errors.New("no property source: give --source s3://bucket/prefix or a folder (or set SECRETDECK_SOURCE)")

func newDriftCommand(global *globalOptions) *cobra.Command {
	opts := &driftOptions{}
	cmd := &cobra.Command{
		Use:   "drift",
		Short: "Compare the property files with the swarm: what is missing, stale, half-rotated or exposed",
		Long: `Compare the property files of an environment with the swarm, without ever
reading a secret back: a secret secretdeck created carries a keyed fingerprint
(HMAC-SHA256 with the key in .secretdeck/fingerprint-key of the source) in its
labels, and a secret made outside secretdeck is reported as unverifiable.

It also reads, from the engine, the history of every image the services run
(` + "`docker history`" + ` shows build args in clear): a source value there is
image-history-exposure (high), a credential-like ARG or ENV with a literal too
(medium); an image the engine does not hold is image-unchecked. Never pulled.

Findings, most urgent first:
  ` + strings.ReplaceAll(model.UrgencyText(), "; ", ";\n  ") + `.
Each ends with the command that fixes it, ready to paste (the $ line).

Exit code: 0 no drift, 2 drift found, 1 error.`,
		Example: `  secretdeck drift --source s3://ops-config/services --env prod
  secretdeck drift --json --env prod | jq '.findings[] | select(.severity == "high")'
  secretdeck drift --env prod; [ $? -eq 2 ] && echo "drift found"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if global.source == "" {
				return errNeedSource
			}
			w, err := loadWorldWithImages(cmd.Context(), global)
			if err != nil {
				return err
			}
			r := w.drift() // most urgent first, as the help says
			out := newDriftOutput(w.source, r)
			if opts.json {
				err = out.writeJSON(cmd.OutOrStdout())
			} else {
				err = out.writeText(cmd.OutOrStdout())
			}
			if err == nil && len(r.Findings) > 0 {
				return exitCodeError{exitDrift}
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&opts.json, "json", false, "print findings as JSON (schema in the README)")
	return cmd
}

// drift compares the loaded source with the loaded swarm.
func (w *world) drift() *model.DriftReport {
	return model.Drift(model.DriftInput{Swarm: w.swarm, Source: w.source, Manifest: w.source.Manifest, Key: w.source.Key, Images: w.images})
}

// driftOutput is the stable shape of `drift --json`.
type driftOutput struct {
	Source         string          `json:"source"`
	Env            string          `json:"env"`
	FingerprintKey bool            `json:"fingerprintKey"`
	Summary        driftSummary    `json:"summary"`
	Findings       []model.Finding `json:"findings"`
}

type driftSummary struct {
	Total      int            `json:"total"`
	BySeverity map[string]int `json:"bySeverity"`
	ByKind     map[string]int `json:"byKind"`
}

func newDriftOutput(src *model.SourceSnapshot, r *model.DriftReport) driftOutput {
	out := driftOutput{
		Source: src.URI, Env: r.Env, FingerprintKey: r.FingerprintKey, Findings: r.Findings,
		Summary: driftSummary{Total: len(r.Findings), BySeverity: map[string]int{}, ByKind: map[string]int{}},
	}
	for _, f := range r.Findings {
		out.Summary.BySeverity[f.Severity.String()]++
		out.Summary.ByKind[string(f.Kind)]++
	}
	return out
}

// writeJSON prints o as json.Encoder with a two-space indent would, one
// finding at a time: 10,000 findings are never held whole as text, and
// again indented (about 25 MB at that size).
func (o driftOutput) writeJSON(out io.Writer) error {
	head, err := json.MarshalIndent(struct {
		Source         string       `json:"source"`
		Env            string       `json:"env"`
		FingerprintKey bool         `json:"fingerprintKey"`
		Summary        driftSummary `json:"summary"`
	}{o.Source, o.Env, o.FingerprintKey, o.Summary}, "", "  ")
	if err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	w.Write(head[:len(head)-len("\n}")])
	switch {
	case o.Findings == nil:
		w.WriteString(",\n  \"findings\": null")
	case len(o.Findings) == 0:
		w.WriteString(",\n  \"findings\": []")
	default:
		w.WriteString(",\n  \"findings\": [")
		var buf []byte
		for i := range o.Findings {
			if i > 0 {
				w.WriteByte(',')
			}
			w.WriteString("\n    ")
			buf = appendFinding(buf[:0], &o.Findings[i], "    ")
			w.Write(buf)
		}
		w.WriteString("\n  ]")
	}
	w.WriteString("\n}\n")
	return w.Flush() // the first write error, if any
}

func (o driftOutput) writeText(out io.Writer) error {
	w := report.NewWriter(out)
	if len(o.Findings) == 0 {
		w.Printf("No drift: the swarm matches %s (env %s).\n", o.Source, o.Env)
		return w.Err()
	}
	current := model.Severity(-1)
	for _, f := range o.Findings {
		if f.Severity != current {
			current = f.Severity
			w.Printf("\n%s (%d)\n", strings.ToUpper(current.String()), o.Summary.BySeverity[current.String()])
		}
		w.Printf("  %-15s %s\n", f.Kind, subject(f))
		w.Printf("  %-15s %s\n", "", f.Explanation)
		action := joinActions(f.Actions)
		if f.Hint != "" {
			action += ": " + f.Hint
		}
		w.Printf("  %-15s → %s\n", "", action)
		if f.Command != "" {
			w.Printf("  %-15s $ %s\n", "", f.Command)
		}
		for _, line := range strings.Split(strings.TrimRight(f.Diff, "\n"), "\n") {
			if line != "" {
				w.Printf("  %-15s │ %s\n", "", model.PrintableText([]byte(line)))
			}
		}
	}
	w.Printf("\n%s\n", o.summaryLine())
	return w.Err()
}

func (o driftOutput) summaryLine() string {
	var parts []string
	for _, s := range []model.Severity{model.SeverityHigh, model.SeverityMedium, model.SeverityLow, model.SeverityInfo} {
		if n := o.Summary.BySeverity[s.String()]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	line := fmt.Sprintf("%d findings (%s) between %s (env %s) and the swarm.", o.Summary.Total, strings.Join(parts, ", "), o.Source, o.Env)
	if !o.FingerprintKey {
		line += " No fingerprint key in the source yet: values of existing secrets cannot be checked (the first apply creates it)."
	}
	return line
}

// subject names what a finding is about, most specific first.
func subject(f model.Finding) string {
	var parts []string
	add := func(label, v string) {
		if v != "" {
			parts = append(parts, label+" "+v)
		}
	}
	add("service", f.Service)
	add("secret", f.Secret)
	add("config", f.Config)
	if f.Secret == "" && f.Config == "" {
		add("logical", f.Logical)
	}
	add("image", f.Image)
	if f.Layer > 0 {
		add("history entry", fmt.Sprint(f.Layer))
	}
	add("file", f.File)
	add("key", f.Key)
	add("plan", f.Plan)
	return strings.Join(parts, " · ")
}

func joinActions(as []model.Action) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, " or ")
}
