package tuitest

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/keys"
	"github.com/secretdeck/secretdeck/tui/styles"
)

// RevealFor is how long NewCommon's reveals last.
const RevealFor = 10 * time.Second

// AuditCall is one action recorded in the audit log.
type AuditCall struct{ Action, Subject string }

// AuditLog records audited actions; with Err set, it refuses them as a log
// that cannot be written would.
type AuditLog struct {
	Calls []AuditCall
	Err   error
}

// Record has the signature of common.Common.Audit.
func (l *AuditLog) Record(action, subject string) error {
	if l.Err != nil {
		return l.Err
	}
	l.Calls = append(l.Calls, AuditCall{action, subject})
	return nil
}

// NewCommon returns what a pane of w×h gets from the app, with the fixed
// clock, timers that fire only through the returned Timers, and an audit
// log that records.
func NewCommon(w, h int) (*common.Common, *Timers, *AuditLog) {
	ts, log := &Timers{}, &AuditLog{}
	c := &common.Common{
		Width: w, Height: h,
		Styles: styles.Default(), Keys: keys.Default(),
		Now: Now, Tick: ts.Tick, Audit: log.Record,
		RevealFor: RevealFor, Staging: common.NewStaging(),
		ApplyOptions: model.DefaultApplyOptions(), Ctx: context.Background(),
	}
	return c, ts, log
}

// Send gives p each message, runs the commands p returns (timers are held
// in ts) and returns the messages those commands send: what p asks of the
// app (status, staging, jumps).
func Send(p common.Pane, ts *Timers, msgs ...tea.Msg) []tea.Msg {
	var out []tea.Msg
	for _, m := range msgs {
		_, cmd := p.Update(m)
		ts.Drain(cmd, func(m tea.Msg) { out = append(out, m) })
	}
	return out
}

// Press sends Keys(names...) to p, as Send does.
func Press(p common.Pane, ts *Timers, names ...string) []tea.Msg {
	var out []tea.Msg
	for _, k := range Keys(names...) {
		out = append(out, Send(p, ts, k)...)
	}
	return out
}

// FireTimers fires every pending timer of ts into p and returns how many
// fired.
func FireTimers(p common.Pane, ts *Timers) int {
	due := ts.Fire()
	for _, m := range due {
		Send(p, ts, m)
	}
	return len(due)
}

// Loop runs cmd and gives p every message it sends, then the messages of
// the commands p returns, until none is left: what the app does for a pane
// that streams to itself (the Plan pane's apply, whatever pane is focused).
// It returns every message, in order; timers are held in ts.
func Loop(p common.Pane, ts *Timers, cmd tea.Cmd) []tea.Msg {
	var out []tea.Msg
	var deliver func(tea.Msg)
	deliver = func(m tea.Msg) {
		out = append(out, m)
		_, next := p.Update(m)
		ts.Drain(next, deliver)
	}
	ts.Drain(cmd, deliver)
	return out
}

// PressLoop presses Keys(names...) in p, each followed by Loop.
func PressLoop(p common.Pane, ts *Timers, names ...string) []tea.Msg {
	var out []tea.Msg
	for _, k := range Keys(names...) {
		_, cmd := p.Update(k)
		out = append(out, Loop(p, ts, cmd)...)
	}
	return out
}
