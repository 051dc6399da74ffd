// Package secrets is the Secrets pane: every swarm secret, its logical secret
// and version, fingerprint state, users and drift; its detail shows versions,
// who mounts it and its blast radius.
package secrets

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"strconv"
	"strings"

	"github.com/secretdeck/secretdeck/internal/report"
	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/list"
	"github.com/secretdeck/secretdeck/tui/table"
)

// Name is the pane's name in tabs and in `:` jumps.
const Name = "secrets"

// New returns the Secrets pane.
func New(c *common.Common) *list.Pane {
	return list.New(c, list.Spec{
		Name: Name,
		Columns: []table.Column{
			{Title: "NAME", Width: 14, Flex: 3, Middle: true}, {Title: "LOGICAL", Width: 8, Flex: 2, Middle: true},
			{Title: "VER", Width: 3}, {Title: "FPRINT", Width: 12}, {Title: "USED", Width: 4},
			{Title: "AGE", Width: 4}, {Title: "DRIFT", Width: 6},
		},
		Rows:   func(d *common.Data) []table.Row { return rows(c, d) },
		Detail: detail,
		Handle: func(p *list.Pane, msg tea.Msg) (bool, tea.Cmd) {
			return list.StageKeys(c, p, msg, common.StageLogical, func(name string) (string, string) { return logicalOf(p.Data(), name), "" })
		},
		Help:  []key.Binding{c.Keys.Stage, c.Keys.Unstage, c.Keys.Preview},
		Empty: "no secrets in this swarm",
	})
}

func rows(c *common.Common, d *common.Data) []table.Row {
	if d == nil || d.Swarm == nil {
		return nil
	}
	used := map[string]int{}
	for i := range d.Swarm.Services {
		for _, id := range d.Swarm.Services[i].ReferencedSecretIDs() {
			used[id]++
		}
	}
	worst := common.Worst{}
	staged := map[string]bool{} // a staged finding marks its secret too
	for _, f := range d.Findings() {
		if f.Secret != "" {
			worst.Add(f.Secret, &f)
			staged[f.Secret] = staged[f.Secret] || c.Staging.Selects(f)
		}
	}
	state := fingerprintStates(d)
	secrets := d.Swarm.Secrets
	out := make([]table.Row, len(secrets))
	for i := range secrets {
		// The cells are made when the row is drawn or filtered (table.Row.Make).
		out[i] = table.Row{Key: secrets[i].Name, Make: func() ([]string, []*lipgloss.Style) {
			s := &secrets[i]
			v := s.LogicalVersion()
			r := table.Row{Cells: []string{
				common.Mark(c.Staging.Logicals[v.Logical] || staged[s.Name], s.Name), v.Logical, strconv.Itoa(v.N), state(*s, v.Logical), strconv.Itoa(used[s.ID]),
				common.Age(c.Now(), s.CreatedAt), "",
			}}
			sev, ok := worst[s.Name]
			common.BadgeOf(c, &r, 6, sev, ok)
			return r.Cells, r.Styles
		}}
	}
	return out
}

// fingerprintStates says what can be told of a secret's value without
// reading it: the engine's answer (as the detail and `inspect` give it), in
// a word.
func fingerprintStates(d *common.Data) func(s model.Secret, logical string) string {
	if d.Drift == nil {
		return func(s model.Secret, _ string) string {
			if s.Labels[model.LabelFingerprint] == "" {
				return "none"
			}
			return "labelled"
		}
	}
	compare := d.Drift.Fingerprints(d.Key())
	return func(s model.Secret, logical string) string {
		m, evidence, declared := compare(s, logical)
		if !declared {
			return "undeclared"
		}
		if evidence == model.EvidenceAnsible && m == model.FingerprintMatches {
			return "ok (ansible)"
		}
		return map[model.FingerprintMatch]string{
			model.FingerprintUnknown: "none", model.FingerprintNoKey: "no key", model.FingerprintOtherKey: "other key",
			model.FingerprintMatches: "ok", model.FingerprintDiffers: "DIFFERS",
		}[m]
	}
}

func detail(d *common.Data, name string, _ int) string {
	if d == nil || d.Swarm == nil {
		return ""
	}
	var drift *model.DriftReport
	if d.Drift != nil {
		drift = d.Drift
	}
	sd, err := d.Swarm.InspectSecret(name, drift, d.Key())
	if err != nil {
		return err.Error() + " (it was removed: press esc)"
	}
	var b strings.Builder
	_ = report.SecretDetail(&b, sd)
	_ = report.LogicalBlast(&b, sd)
	return b.String()
}

// logicalOf is the logical secret of the secret called name.
func logicalOf(d *common.Data, name string) string {
	if d == nil || d.Swarm == nil {
		return ""
	}
	for _, s := range d.Swarm.Secrets {
		if s.Name == name {
			return s.LogicalVersion().Logical
		}
	}
	return ""
}
