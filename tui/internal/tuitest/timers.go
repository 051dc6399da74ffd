package tuitest

import (
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"
)

// TimerMsg is what the command of a fake timer returns at once instead of
// waiting: the harness hands it to Timers.Hold, and the timer fires when the
// test calls Timers.Fire.
type TimerMsg struct {
	D  time.Duration
	fn func(time.Time) tea.Msg
}

// Timers is the clock of a test: no timer fires by itself. It belongs to the
// test's goroutine (the harness holds timers there, not in commands).
type Timers struct {
	pending []TimerMsg
}

// Tick has the signature of tea.Tick and of common.Common.Tick.
func (ts *Timers) Tick(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
	return func() tea.Msg { return TimerMsg{D: d, fn: fn} }
}

// Hold keeps a started timer until Fire.
func (ts *Timers) Hold(m TimerMsg) { ts.pending = append(ts.pending, m) }

// Pending is how many timers are started and not fired yet.
func (ts *Timers) Pending() int { return len(ts.pending) }

// Fire fires every pending timer at Now plus its duration and returns the
// messages they send, for the test to deliver; timers that those messages
// start stay pending.
func (ts *Timers) Fire() []tea.Msg {
	due := ts.pending
	ts.pending = nil
	out := make([]tea.Msg, 0, len(due))
	for _, tm := range due {
		out = append(out, tm.fn(Now().Add(tm.D)))
	}
	return out
}

// blockedAfter is how long a command may run before the harness calls it
// stuck. Commands under test return at once (fake loader, fake engine, fake
// timers); one that blocks is a bug in the harness or the code, and must
// fail loudly rather than be taken for a timer.
const blockedAfter = 30 * time.Second

// Drain runs cmd as Bubble Tea would, but at once: a batch is run command by
// command, a timer is held in ts, and every other message goes to deliver
// (which may run the commands it gets back through Drain again).
func (ts *Timers) Drain(cmd tea.Cmd, deliver func(tea.Msg)) {
	if cmd == nil {
		return
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(blockedAfter):
		panic(fmt.Sprintf("a command did not return within %s: a real timer (use Common.Tick) or a blocked channel", blockedAfter))
	}
	switch msg := msg.(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			ts.Drain(c, deliver)
		}
	case TimerMsg:
		ts.Hold(msg)
	case nil, tea.QuitMsg:
	default:
		deliver(msg)
	}
}
