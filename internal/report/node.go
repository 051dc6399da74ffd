package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/secretdeck/secretdeck/model"
)

// NodeDetail writes what `inspect node` shows: the node, and the secrets an
// attacker on it could read.
func NodeDetail(out io.Writer, d *model.NodeDetail) error { return NodeDetailWidth(out, d, 0) }

// narrowDetail is the width under which a node's secrets are listed without
// their logical secret (the name says it, mostly): at 80 columns the table
// would wrap.
const narrowDetail = 100

// NodeDetailWidth is NodeDetail for a screen width columns wide (0: any).
func NodeDetailWidth(out io.Writer, d *model.NodeDetail, width int) error {
	narrow := width > 0 && width < narrowDetail
	w := NewWriter(out)
	n := d.Node
	w.Printf("Node          %s (%s)\n", dash(n.Hostname), n.ID)
	role := n.Role
	if n.Leader {
		role += " (leader)"
	}
	w.Printf("Role          %s\n", role)
	w.Printf("Availability  %s · state %s · address %s · engine %s\n", dash(n.Availability), dash(n.State), dash(n.Addr), dash(n.EngineVersion))
	w.Printf("Tasks         %d meant to run, %d in the history the swarm keeps\n", d.Running, d.History)
	if d.HoldsEverySecret {
		w.Printf("\nAs a manager it holds the Raft store: EVERY secret of the swarm (%d), whatever runs on it.\n", d.AllSecrets)
		if d.AllConfigs > 0 {
			w.Printf("And every config (%d).\n", d.AllConfigs)
		}
		w.Printf("If it is compromised: secretdeck plan --exposed-on-node %s\n", n.ID)
	}
	w.Printf("\nSECRETS ITS TASKS MOUNT OR MOUNTED\n")
	if len(d.Secrets) == 0 {
		w.Printf("None: no task the swarm remembers ran here with a secret.\n")
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		if narrow {
			fmt.Fprintln(tw, "SECRET\tNOW\tSERVICES\tTASKS")
		} else {
			fmt.Fprintln(tw, "SECRET\tLOGICAL\tNOW\tSERVICES\tTASKS")
		}
		for _, s := range d.Secrets {
			now := "no (history)"
			if s.Now {
				now = "yes"
			}
			if narrow {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", s.Name, now, strings.Join(s.Services, ", "), s.Tasks)
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", s.Name, dash(s.Logical), now, strings.Join(s.Services, ", "), s.Tasks)
		}
		w.Flush(tw)
	}
	if d.Removed > 0 {
		w.Printf("And %d secret(s) removed since.\n", d.Removed)
	}
	if len(d.Configs) > 0 {
		w.Printf("\nCONFIGS ITS TASKS MOUNT OR MOUNTED (Docker shows a config's content to whoever can inspect it)\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "CONFIG\tNOW\tSERVICES\tTASKS")
		for _, c := range d.Configs {
			now := "no (history)"
			if c.Now {
				now = "yes"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", c.Name, now, strings.Join(c.Services, ", "), c.Tasks)
		}
		w.Flush(tw)
	}
	w.Printf("The swarm keeps only the last tasks of each slot (TaskHistoryRetentionLimit): earlier tasks may have run here too.\n")
	return w.Err()
}
