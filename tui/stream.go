package tui

import (
	"context"
	"fmt"
	"sync"

	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
)

// StreamLoader is a Loader that reads the swarm and the source apart. The
// workbench then shows the swarm as soon as it is read while the source
// streams in (files read / total on the status line), and a swarm event
// reloads the swarm side only, joining it with the source already read.
type StreamLoader interface {
	Loader
	// LoadSwarm reads the swarm (and the audit log): Data without Source
	// and Drift.
	LoadSwarm(ctx context.Context) (*common.Data, error)
	// LoadSource reads environment env of the source ("": the default),
	// calling progress (from any goroutine) as files are read; nil and no
	// error when there is no source.
	LoadSource(ctx context.Context, env string, progress func(done, total int)) (*model.SourceSnapshot, error)
	// Join returns the swarm side with the source and their drift; it may
	// take a while (it runs in a command).
	Join(swarm *common.Data, source *model.SourceSnapshot) *common.Data
}

// stream is the state of a StreamLoader's loads.
type stream struct {
	swarmSeq, sourceSeq   int // of the latest loads asked for; older results are dropped
	swarmBusy, sourceBusy bool
	swarm                 *common.Data          // the newest swarm side read
	swarmAt               int                   // the load swarm came from
	sourceAfterSwarm      bool                  // the source starts when the swarm is in (the first load)
	sourceNeeds           int                   // the swarm load asked with the source's: the source waits for it
	source                *model.SourceSnapshot // the newest source read (of a.env)
	done, total           int                   // files of the source read so far, while it loads
	swarmErr, sourceErr   error
	joinSwarm             *common.Data          // with joinSource: what the running Join joins
	joinSource            *model.SourceSnapshot //
	shownSwarm            *common.Data          // with shownSource: what is on screen
	shownSource           *model.SourceSnapshot //
}

// Messages of a StreamLoader's loads.
type (
	swarmLoadedMsg struct {
		seq  int
		data *common.Data
		err  error
	}
	sourceLoadedMsg struct {
		seq    int
		source *model.SourceSnapshot
		err    error
	}
	sourceProgressMsg struct {
		seq         int
		done, total int
		next        tea.Cmd // waits for the next progress
	}
	joinedMsg struct {
		swarm  *common.Data
		source *model.SourceSnapshot
		data   *common.Data
	}
)

// loadStream asks the loader for the swarm and, with source, the source.
func (a *App) loadStream(l StreamLoader, source bool) tea.Cmd {
	st := &a.stream
	a.loading = true
	st.swarmSeq++
	st.swarmBusy = true
	seq, parent := st.swarmSeq, a.opts.Ctx
	cmds := []tea.Cmd{func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, loadTimeout)
		defer cancel()
		d, err := l.LoadSwarm(ctx)
		return swarmLoadedMsg{seq: seq, data: d, err: err}
	}}
	if source {
		st.sourceSeq++
		st.sourceBusy, st.done, st.total = true, 0, 0
		st.sourceNeeds = st.swarmSeq
		if st.swarm == nil {
			// Nothing on screen yet: the swarm is read first, alone (the
			// source's reads would slow it on a busy machine), and the
			// source starts when it is in.
			st.sourceAfterSwarm = true
		} else {
			cmds = append(cmds, a.loadSource(l, st.sourceSeq))
		}
	}
	return tea.Batch(cmds...)
}

// loadSource reads the source in a goroutine of its own: the command
// returns its progress as it comes, then the source.
func (a *App) loadSource(l StreamLoader, seq int) tea.Cmd {
	env, parent := a.env, a.opts.Ctx
	progress := make(chan [2]int, 1)
	result := make(chan sourceLoadedMsg, 1)
	go func() {
		ctx, cancel := context.WithTimeout(parent, loadTimeout)
		defer cancel()
		var mu sync.Mutex
		shown := -1 // the last percent sent
		src, err := l.LoadSource(ctx, env, func(done, total int) {
			// A frame is drawn after every message: one per percent, not
			// one per file (1,000 frames of 10,000 rows cost a second).
			mu.Lock()
			pct := done * 100 / max(total, 1)
			send := pct != shown
			shown = pct
			mu.Unlock()
			if !send {
				return
			}
			select { // the newest count wins; the screen needs no other
			case <-progress:
			default:
			}
			select {
			case progress <- [2]int{done, total}:
			default:
			}
		})
		result <- sourceLoadedMsg{seq: seq, source: src, err: err}
	}()
	var next tea.Cmd
	next = func() tea.Msg {
		select {
		case r := <-result:
			return r
		case p := <-progress:
			return sourceProgressMsg{seq: seq, done: p[0], total: p[1], next: next}
		}
	}
	return next
}

// updateStream handles the messages of a StreamLoader's loads; ok is false
// for any other message.
func (a *App) updateStream(msg tea.Msg) (cmd tea.Cmd, ok bool) {
	st := &a.stream
	switch msg := msg.(type) {
	case swarmLoadedMsg:
		if msg.seq != st.swarmSeq {
			return nil, true
		}
		st.swarmBusy, st.swarmErr = false, msg.err
		if msg.err == nil {
			st.swarm, st.swarmAt = msg.data, msg.seq
		}
		var next tea.Cmd
		if st.sourceAfterSwarm {
			st.sourceAfterSwarm = false
			next = a.loadSource(a.opts.Loader.(StreamLoader), st.sourceSeq)
		}
		return tea.Batch(a.settle(), next), true
	case sourceProgressMsg:
		if msg.seq != st.sourceSeq {
			return msg.next, true // the channel is drained to its end all the same
		}
		st.done, st.total = msg.done, msg.total
		return msg.next, true
	case sourceLoadedMsg:
		if msg.seq != st.sourceSeq {
			return nil, true
		}
		st.sourceBusy, st.sourceErr = false, msg.err
		if msg.err == nil {
			st.source = msg.source
			if msg.source != nil {
				a.env = msg.source.Env
			}
		}
		return a.settle(), true
	case joinedMsg:
		if msg.swarm != st.swarm || msg.source != st.source {
			return nil, true // joined what is no longer the newest
		}
		st.joinSwarm, st.joinSource = nil, nil
		st.shownSwarm, st.shownSource = msg.swarm, msg.source
		return a.showData(msg.data), true
	}
	return nil, false
}

// settle shows what is read: the swarm alone until a source is read, then
// the two joined (in a command: drift takes a while at 10,000 secrets). A
// failed load is said after, so that what is shown does not clear it.
func (a *App) settle() tea.Cmd {
	st := &a.stream
	a.loading = st.swarmBusy || st.sourceBusy
	cmd := a.join()
	switch {
	case st.swarmErr != nil:
		a.loadFailed(st.swarmErr)
	case st.sourceErr != nil:
		a.loadFailed(fmt.Errorf("the property source: %w", st.sourceErr))
	}
	return cmd
}

func (a *App) join() tea.Cmd {
	st := &a.stream
	switch {
	case st.swarm == nil:
		return nil
	case st.source != nil && st.swarmAt < st.sourceNeeds && st.swarmErr == nil:
		// A source read again (r, after an apply) is joined with a swarm
		// read after it was asked for, never shown with an older one: what
		// the swarm holds now may already answer what the source says.
		return nil
	case st.source == nil:
		if st.shownSwarm == st.swarm {
			return nil
		}
		st.shownSwarm, st.shownSource = st.swarm, nil
		return a.showData(st.swarm)
	case st.shownSwarm == st.swarm && st.shownSource == st.source:
		return nil // shown already
	case st.joinSwarm == st.swarm && st.joinSource == st.source:
		return nil // being joined
	}
	st.joinSwarm, st.joinSource = st.swarm, st.source
	l, swarm, source := a.opts.Loader.(StreamLoader), st.swarm, st.source
	return func() tea.Msg { return joinedMsg{swarm: swarm, source: source, data: l.Join(swarm, source)} }
}

// showData puts loaded data on screen, as the end of a Loader's Load does.
func (a *App) showData(d *common.Data) tea.Cmd {
	cmd := a.loaded(loadedMsg{seq: a.seq, data: d})
	a.loading = a.stream.swarmBusy || a.stream.sourceBusy
	return cmd
}

// loadFailed says a load's error, as the end of a Loader's Load does.
func (a *App) loadFailed(err error) {
	loading := a.loading
	a.loaded(loadedMsg{seq: a.seq, err: err})
	a.loading = loading
}

// sourceProgress is the status line's word on a source still loading.
func (a *App) sourceProgress() string {
	st := &a.stream
	if !st.sourceBusy {
		return ""
	}
	if st.total == 0 {
		return "reading the property source…"
	}
	return fmt.Sprintf("reading the property source: %d/%d files", st.done, st.total)
}
