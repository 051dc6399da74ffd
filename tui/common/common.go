// Package common holds what every pane of the TUI shares: the data they show,
// the Common struct passed to constructors, and the Pane interface.
package common

import (
	"context"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/keys"
	"github.com/secretdeck/secretdeck/tui/styles"
)

// Data is one load of the swarm and the source, with its drift.
type Data struct {
	Swarm  *model.SwarmSnapshot
	Source *model.SourceSnapshot // nil without --source
	Drift  *model.DriftReport    // nil without --source
	// Images are the histories of the images the services run, as the
	// engine holds them (read with the swarm, compared once the source is).
	Images []model.ImageHistory
	Audit  []AuditEntry // this machine's audit log, oldest first
	// Lock is who holds the source's operator lock, in one line ("plan …
	// (user@host, pid …) since …"); "" when none is held.
	Lock string
}

// AuditEntry is one line of the audit log (never a value).
type AuditEntry struct {
	Time                                time.Time
	User, Plan, Action, Subject, Result string
	// Swarm (cluster ID) and Context the action was made in; empty in
	// records written before they were kept.
	Swarm, Context string
}

// Key is the fingerprint key of the source, zero without one.
func (d *Data) Key() model.FingerprintKey {
	if d == nil || d.Source == nil {
		return model.FingerprintKey{}
	}
	return d.Source.Key
}

// Findings returns the drift findings, none without a source.
func (d *Data) Findings() []model.Finding {
	if d == nil || d.Drift == nil {
		return nil
	}
	return d.Drift.Findings
}

// Common is passed to every pane's constructor.
type Common struct {
	Width, Height int
	Styles        *styles.Styles
	Keys          *keys.KeyMap
	Now           func() time.Time
	// Tick starts a timer, like tea.Tick. Every timer of the TUI goes through
	// it, so that tests fire timers when they choose instead of waiting.
	Tick func(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd
	// Audit records an operator action (never a value).
	Audit    func(action, subject string) error
	NoReveal bool
	// RevealFor is how long a revealed value stays on screen.
	RevealFor time.Duration
	// Staging is shared by every pane: staged rows are marked "+".
	Staging *Staging
	// ApplyOptions are what an apply from the workbench runs with: the
	// flags `secretdeck apply` takes, given to `secretdeck` itself.
	ApplyOptions model.ApplyOptions
	// Engine compiles and applies plans (the Plan pane's only way to).
	Engine Engine
	// ReadOnly refuses every change (started with --read-only).
	ReadOnly bool
	// WriteReport writes the incident report of d (what `secretdeck
	// report --format md` writes, never a value) to the file path, mode
	// 0600; nil: this build cannot.
	WriteReport func(path string, d *Data) error
	// Ctx is the app's lifetime: work a pane starts in the background (an
	// apply) is cancelled with it. Panes never store a context of their own.
	Ctx context.Context
}

// Ref names an object a pane can show: a pane name and a row key.
type Ref struct {
	Pane string
	Key  string
}

// JumpMsg asks the app to show ref in its pane, in detail.
type JumpMsg struct{ Ref Ref }

// StatusMsg puts a message in the status line.
type StatusMsg struct {
	Text  string
	Error bool
	// Hold keeps the message this long against the "loaded at" of reloads:
	// an apply's verdict must outlive the reload that follows it.
	Hold time.Duration
}

// EnvSwitchMsg tells every pane that the workbench switches to another
// environment: what a pane revealed or holds of the old one goes.
type EnvSwitchMsg struct{ Env string }

// ReloadMsg asks the app to load the world again (after an apply, so that
// fixed findings go away and every pane re-marks its staged rows).
type ReloadMsg struct{}

// Pane is one tab of the workbench.
type Pane interface {
	Name() string
	SetData(*Data)
	SetSize(width, height int)
	SetFilter(string)
	Update(tea.Msg) (Pane, tea.Cmd)
	View() string
	// Focus selects the row with key and opens its detail; false when absent.
	Focus(key string) bool
	InDetail() bool
	// Capturing reports whether the pane takes every key (a dialog is
	// open): the app's own keys (tab, q, ?…) must not act under it.
	Capturing() bool
	// ShortHelp is the help line: the pane's main keys first.
	ShortHelp() []key.Binding
	// HelpGroups is the pane's part of ?: its own keys first, then how to
	// move in it.
	HelpGroups() []KeyGroup
}

// KeyGroup is a titled column of the help (?).
type KeyGroup struct {
	Title string
	Keys  []key.Binding
}

// WorstSeverity is the highest severity among fs, and whether there is any.
func WorstSeverity(fs []model.Finding) (model.Severity, bool) {
	if len(fs) == 0 {
		return 0, false
	}
	worst := fs[0].Severity
	for _, f := range fs[1:] {
		worst = max(worst, f.Severity)
	}
	return worst, true
}
