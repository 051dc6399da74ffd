package common

import (
	"fmt"
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
	// Node, when set (a node's ID), makes the plan an incident plan: what
	// `plan --exposed-on-node` makes, the engine's exposure of the node.
	// It stands alone: staging it unstages the rest, and staging anything
	// else unstages it. NodeLogicals are what it exposed when staged, to
	// mark rows; the plan asks the engine again.
	Node         string
	NodeLogicals map[string]bool
}

// NewStaging returns an empty staging.
func NewStaging() *Staging {
	return &Staging{Findings: map[string]bool{}, Logicals: map[string]bool{}, Services: map[string]bool{}}
}

// Selects reports whether a finding is staged (directly or through its
// logical secret or service) and a plan can fix it. A revocation is staged
// only on its own finding: staging a secret or a service never takes a
// mount away.
func (s *Staging) Selects(f model.Finding) bool {
	if s.Node != "" {
		return model.Fixable(f) && f.Kind != model.KindUnauthorizedMount && s.NodeLogicals[f.Logical]
	}
	if f.Kind == model.KindUnauthorizedMount {
		return model.Fixable(f) && s.Findings[f.ID()]
	}
	return model.Fixable(f) && (s.Findings[f.ID()] || s.Logicals[f.Logical] || s.Services[f.Service])
}

// Empty reports whether nothing is staged.
func (s *Staging) Empty() bool { return s.Count() == 0 }

// Clear unstages everything.
func (s *Staging) Clear() { *s = *NewStaging() }

// Count is how many items are staged.
func (s *Staging) Count() int {
	n := len(s.Findings) + len(s.Logicals) + len(s.Services)
	if s.Node != "" {
		n++
	}
	return n
}

// StageKind says what a StageMsg stages.
type StageKind int

// The kinds of staging item: each is a set of Staging, except StageClear.
const (
	// StageFinding is one drift finding, by Finding.ID.
	StageFinding StageKind = iota + 1
	// StageLogical is a whole logical secret: every finding about it.
	StageLogical
	// StageService is a whole service: every finding about it.
	StageService
	// StageClear unstages everything (Key and On do not matter): u in the
	// Plan pane.
	StageClear
	// StageNode is what a node exposed (Key: its ID; Logicals: the
	// logical secrets exposed), as `plan --exposed-on-node`.
	StageNode
)

// String names k as the panes say it.
func (k StageKind) String() string {
	switch k {
	case StageFinding:
		return "finding"
	case StageLogical:
		return "logical secret"
	case StageService:
		return "service"
	case StageClear:
		return "everything"
	case StageNode:
		return "node's exposure"
	}
	return fmt.Sprintf("StageKind(%d)", int(k))
}

// StageMsg stages (On) or unstages an item of Kind. The Plan pane records
// it and compiles the plan again; the other panes re-mark their rows.
type StageMsg struct {
	Kind StageKind
	Key  string
	On   bool
	// Logicals: for StageNode, the logical secrets the node exposed,
	// separated by spaces (no name holds one), so that the message stays
	// comparable.
	Logicals string
}

// Apply records m. A kind it does not know is a bug in the caller: it
// panics rather than drop the operator's choice without a word.
func (s *Staging) Apply(m StageMsg) {
	var set map[string]bool
	switch m.Kind {
	case StageFinding:
		set = s.Findings
	case StageLogical:
		set = s.Logicals
	case StageService:
		set = s.Services
	case StageClear:
		s.Clear()
		return
	case StageNode:
		s.stageNode(m)
		return
	default:
		panic("common: stage " + m.Kind.String() + ": no such kind")
	}
	if m.Key == "" {
		return // a row that names nothing stages nothing
	}
	if m.On && s.Node != "" { // an incident plan stands alone
		s.Node, s.NodeLogicals = "", nil
	}
	if m.On {
		set[m.Key] = true
	} else {
		delete(set, m.Key)
	}
}

// stageNode makes the plan the node's incident plan, alone; or unstages it.
func (s *Staging) stageNode(m StageMsg) {
	switch {
	case m.Key == "":
	case m.On:
		s.Clear()
		s.Node, s.NodeLogicals = m.Key, map[string]bool{}
		for _, l := range strings.Fields(m.Logicals) {
			s.NodeLogicals[l] = true
		}
	case s.Node == m.Key:
		s.Node, s.NodeLogicals = "", nil
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
