package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/secretdeck/secretdeck/model"
)

// LogicalBlast writes the blast radius of a secret's whole logical secret:
// every service that names any version of it (Spec or PreviousSpec) and
// which versions, then the tasks, nodes and managers of all of them. When a
// logical name was asked, it first says which version the detail above shows.
func LogicalBlast(out io.Writer, d *model.SecretDetail) error {
	w := NewWriter(out)
	b := d.LogicalBlast
	w.Printf("\nBLAST RADIUS OF %s (every version)\n", b.Logical)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tSTACK\tMOUNTS (SPEC)\tROLLBACK WOULD MOUNT (PREVIOUS SPEC)")
	for _, u := range b.Services {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Service, dash(u.Stack), dash(strings.Join(u.Spec, ", ")), dash(strings.Join(u.Previous, ", ")))
	}
	w.Flush(tw)
	if len(b.Services) == 0 {
		w.Printf("No service mounts any version, nor would a rollback.\n")
	}
	w.Printf("Tasks that mounted a version: %d · nodes: %s · managers (hold every secret): %s\n",
		len(b.Tasks), dash(strings.Join(b.Nodes, ", ")), dash(strings.Join(b.Managers, ", ")))
	if !b.Complete {
		w.Printf("Incomplete: %s\n", b.Incomplete)
	}
	return w.Err()
}

// Asked says, when a logical secret's name was asked, which version the
// detail shows ("" when a secret's own name or ID was asked).
func Asked(d *model.SecretDetail) string {
	if d.Asked == "" || d.Asked == d.Secret.Name || d.Asked == d.Secret.ID {
		return ""
	}
	return fmt.Sprintf("%s is a logical secret: showing its newest version, %s; its blast radius covers every version.", d.Asked, d.Secret.Name)
}
