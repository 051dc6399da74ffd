package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/secretdeck/secretdeck/model"
)

// Exposure writes what an incident exposed, before the plan that rotates
// it: each exposed logical secret, its exposed versions, and whether the
// source holds a new value; then the exposed secrets no plan can rotate.
func Exposure(out io.Writer, e *model.Exposure) error {
	w := NewWriter(out)
	w.Printf("INCIDENT: secrets %s\n", e.What())
	if len(e.Logicals) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "LOGICAL\tEXPOSED VERSIONS\tSOURCE")
		for _, x := range e.Logicals {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", x.Logical, strings.Join(x.Versions, ", "), exposedState(x))
		}
		w.Flush(tw)
	} else {
		w.Printf("No secret the source declares.\n")
	}
	if n := len(e.Undeclared); n > 0 {
		shown := e.Undeclared[:min(n, 10)]
		more := ""
		if n > len(shown) {
			more = fmt.Sprintf(" and %d more", n-len(shown))
		}
		w.Printf("Exposed too, declared by no property file, so no plan rotates them (rotate them by hand): %s%s\n", strings.Join(shown, ", "), more)
	}
	w.Printf("\n")
	return w.Err()
}

func exposedState(x model.ExposedLogical) string {
	switch {
	case x.SameValue:
		return "holds the EXPOSED value (" + x.File + "): put a new one there"
	case x.Unverifiable:
		return "cannot tell: an exposed version has no fingerprint to check (" + x.File + ")"
	}
	return "a new value (" + x.File + ")"
}
