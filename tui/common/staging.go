package common

import (
	"strings"

	"github.com/secretdeck/secretdeck/model"
)

// Staging is what the operator staged for the next plan: findings, whole
// logical secrets, whole services. It is shared by every pane (to mark rows)
// and turned into a plan by the engine (model.NewPlan), not by the TUI.
type Staging struct {
	Findings map[string]bool // by Finding.ID
	Logicals map[string]bool
	Services map[string]bool
}

// NewStaging returns an empty staging.
func NewStaging() *Staging {
	return &Staging{Findings: map[string]bool{}, Logicals: map[string]bool{}, Services: map[string]bool{}}
}

// Selects reports whether a finding is staged (directly or through its
// logical secret or service) and a plan can fix it.
func (s *Staging) Selects(f model.Finding) bool {
	return model.Fixable(f) && (s.Findings[f.ID()] || s.Logicals[f.Logical] || s.Services[f.Service])
}

// Empty reports whether nothing is staged.
func (s *Staging) Empty() bool {
	return len(s.Findings)+len(s.Logicals)+len(s.Services) == 0
}

// Clear unstages everything.
func (s *Staging) Clear() { *s = *NewStaging() }

// Count is how many items are staged.
func (s *Staging) Count() int { return len(s.Findings) + len(s.Logicals) + len(s.Services) }

// StageMsg stages (On) or unstages an item: Kind is "finding", "logical" or
// "service".
type StageMsg struct {
	Kind, Key string
	On        bool
}

// Apply records m.
func (s *Staging) Apply(m StageMsg) {
	set := map[string]map[string]bool{"finding": s.Findings, "logical": s.Logicals, "service": s.Services}[m.Kind]
	if set == nil || m.Key == "" {
		return
	}
	if m.On {
		set[m.Key] = true
	} else {
		delete(set, m.Key)
	}
}

// Mark prefixes a cell of a staged row.
func Mark(staged bool, cell string) string {
	if staged {
		return "+ " + cell
	}
	return cell
}

// FindingID is the finding ID inside a Drift row key (ID#index).
func FindingID(rowKey string) string {
	if i := strings.LastIndex(rowKey, "#"); i >= 0 {
		return rowKey[:i]
	}
	return rowKey
}
