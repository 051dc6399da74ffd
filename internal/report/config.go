package report

import (
	"io"
	"strings"

	"github.com/secretdeck/secretdeck/model"
)

// ConfigDetail writes what `inspect config` shows.
func ConfigDetail(out io.Writer, d *model.ConfigDetail) error {
	w := NewWriter(out)
	c := d.Config
	w.Printf("Config       %s (%s)\n", c.Name, c.ID)
	switch {
	case d.Managed:
		w.Printf("Logical      %s, version %d (made by secretdeck)\n", d.Logical, d.Version)
	case d.Logical != "":
		w.Printf("Logical      %s, version %d (by its name)\n", d.Logical, d.Version)
	}
	w.Printf("Size         %d bytes\n", c.Size)
	w.Printf("Created      %s\n", c.CreatedAt.UTC().Format("2006-01-02 15:04:05 MST"))
	if c.Templating != "" {
		w.Printf("Templating   %s: Docker renders it in each task; the API never returns what a task rendered\n", c.Templating)
	}
	for _, k := range sortedKeys(c.Labels) {
		w.Printf("Label        %s=%s\n", k, c.Labels[k])
	}
	w.Printf("\nMOUNTED BY\n")
	if len(d.Users) == 0 {
		w.Printf("  no service's spec nor previous spec names it\n")
	}
	for _, u := range d.Users {
		where := "spec"
		if u.Previous {
			where = "previous spec only (what a rollback restores)"
		}
		w.Printf("  %-24s → %s  %s:%s %04o  (%s)\n", u.Service, u.Ref.Target, u.Ref.UID, u.Ref.GID, u.Ref.Mode, where)
	}
	if len(d.Versions) > 1 {
		w.Printf("\nVERSIONS OF %s\n", d.Logical)
		for _, v := range d.Versions {
			w.Printf("  v%-4d %-40s %s  %d service(s)\n", v.N, v.Name, v.CreatedAt.UTC().Format("2006-01-02"), v.Users)
		}
	}
	if len(d.Findings) > 0 {
		w.Printf("\nFINDINGS\n")
		for _, f := range d.Findings {
			w.Printf("  %-7s %-18s %s\n", f.Severity, f.Kind, f.Explanation)
		}
	}
	w.Printf("\nCONTENT (anyone who can inspect reads a config: values of the property files")
	if !d.SourceChecked {
		w.Printf(" — none given, pass --source to mask them —")
	}
	w.Printf(" and credential-like literals are shown as %s)\n", model.Mask)
	if d.Binary {
		w.Printf("  (binary data, %d bytes)\n", c.Size)
		return w.Err()
	}
	for _, line := range strings.Split(strings.TrimSuffix(d.Content, "\n"), "\n") {
		w.Printf("  │ %s\n", line)
	}
	return w.Err()
}
