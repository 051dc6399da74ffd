package tui

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/internal/tuitest"
)

// streamLoader serves the fixture's swarm at once and its source when the
// test releases it, after saying 3 of its files are read.
type streamLoader struct {
	fakeLoader
	release chan struct{}
	swarmAt chan struct{} // when set, LoadSwarm waits for it to close

	mu                  sync.Mutex
	swarmLoads, sources int
}

func (l *streamLoader) LoadSwarm(context.Context) (*common.Data, error) {
	l.mu.Lock()
	l.swarmLoads++
	gate := l.swarmAt
	l.mu.Unlock()
	if gate != nil {
		<-gate
	}
	d := tuitest.Data()
	return &common.Data{Swarm: d.Swarm, Audit: d.Audit}, nil
}

func (l *streamLoader) LoadSource(ctx context.Context, env string, progress func(done, total int)) (*model.SourceSnapshot, error) {
	l.mu.Lock()
	l.sources++
	l.mu.Unlock()
	src := tuitest.Data().Source
	progress(0, len(src.Files))
	progress(3, len(src.Files))
	select {
	case <-l.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return src, nil
}

func (l *streamLoader) Join(swarm *common.Data, source *model.SourceSnapshot) *common.Data {
	d := tuitest.Data()
	d.Swarm, d.Audit, d.Source = swarm.Swarm, swarm.Audit, source
	return d
}

func (l *streamLoader) counts() (int, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.swarmLoads, l.sources
}

// runner runs an app's commands as Bubble Tea does, each in a goroutine of
// its own, and hands their messages to the test one at a time; timers are
// dropped (nothing here waits for one).
type runner struct {
	a    *App
	msgs chan tea.Msg
}

func (r *runner) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		switch msg := cmd().(type) {
		case tea.BatchMsg:
			for _, c := range msg {
				r.exec(c)
			}
		case nil, tuitest.TimerMsg:
		default:
			r.msgs <- msg
		}
	}()
}

// until delivers messages until the screen satisfies ok; it fails the test
// when no message comes for a long while (a stuck load, not a slow one).
func (r *runner) until(t *testing.T, what string, ok func(screen string) bool) string {
	t.Helper()
	for {
		if s := screen(r.a); ok(s) {
			return s
		}
		select {
		case msg := <-r.msgs:
			_, cmd := r.a.Update(msg)
			r.exec(cmd)
		case <-time.After(20 * time.Second):
			t.Fatalf("never %s:\n%s", what, screen(r.a))
		}
	}
}

// The workbench shows the swarm while the source is read, with a count of
// the files read, then the source and the drift; a swarm event reloads the
// swarm side only.
func TestSwarmFirstSourceStreamsIn(t *testing.T) {
	l := &streamLoader{release: make(chan struct{})}
	ts := &tuitest.Timers{}
	a := New(Options{Loader: l, Env: "prod", Now: tuitest.Now, Tick: ts.Tick})
	register(t, a, ts)
	a.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	r := &runner{a: a, msgs: make(chan tea.Msg, 16)}
	r.exec(a.load())

	driftCount := regexp.MustCompile(`Drift \d+`)
	s := r.until(t, "showed the swarm with the count of files read", func(s string) bool {
		return strings.Contains(s, "payment_key_v2") && strings.Contains(s, "reading the property source: 3/")
	})
	if driftCount.MatchString(s) {
		t.Fatalf("drift before the source is read:\n%s", s)
	}
	press(a, "tab") // the panes are usable meanwhile
	if !strings.Contains(screen(a), "checkout") {
		t.Fatalf("the Services pane while the source loads:\n%s", screen(a))
	}

	close(l.release)
	s = r.until(t, "showed the drift once the source was read", func(s string) bool {
		return driftCount.MatchString(s) && !strings.Contains(s, "reading the property source")
	})
	if !strings.Contains(s, "Properties ") {
		t.Fatalf("screen:\n%s", s)
	}
	swarms, sources := l.counts()
	if swarms != 1 || sources != 1 {
		t.Fatalf("first load: %d swarm loads, %d source loads", swarms, sources)
	}

	// A swarm event: after the debounce, the swarm again, not the source.
	a.Update(changeMsg{})
	_, cmd := a.Update(debounceMsg{gen: a.gen})
	r.exec(cmd)
	r.until(t, "reloaded the swarm", func(string) bool {
		swarms, _ := l.counts()
		return swarms == 2 && !a.loading && a.stream.shownSwarm == a.stream.swarm
	})
	if _, sources := l.counts(); sources != 1 {
		t.Errorf("a swarm event read the source again (%d loads)", sources)
	}
	if !driftCount.MatchString(screen(a)) || a.data.Source == nil || a.data.Drift == nil {
		t.Errorf("after a swarm event, the drift is gone:\n%s", screen(a))
	}

	// r: both sides (the source keeps what it read: s3/cache.go).
	l.release = make(chan struct{})
	close(l.release)
	press(a, "r")
	if a.loading {
		t.Fatalf("r did not finish:\n%s", screen(a))
	}
	if swarms, sources := l.counts(); swarms != 3 || sources != 2 {
		t.Errorf("r: %d swarm loads, %d source loads", swarms, sources)
	}
}

// A source read again (r, or after an apply) is shown only with a swarm read
// after it was asked for: joined with the swarm from before, it would show
// as drift what an apply just fixed (and a plan made there would be refused).
func TestASourceReadAgainWaitsForItsSwarm(t *testing.T) {
	l := &streamLoader{release: make(chan struct{})}
	close(l.release)
	ts := &tuitest.Timers{}
	a := New(Options{Loader: l, Env: "prod", Now: tuitest.Now, Tick: ts.Tick})
	register(t, a, ts)
	a.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	r := &runner{a: a, msgs: make(chan tea.Msg, 16)}
	r.exec(a.load())
	r.until(t, "loaded", func(string) bool { return a.data != nil && a.data.Drift != nil && !a.loading })
	first := a.data

	gate := make(chan struct{})
	l.mu.Lock()
	l.swarmAt = gate
	l.mu.Unlock()
	_, cmd := a.Update(tea.KeyPressMsg{Code: 'r', Text: "r"})
	r.exec(cmd)
	r.until(t, "read the source again", func(string) bool { return a.stream.source != first.Source })
	if a.data != first || a.stream.joinSource == a.stream.source {
		t.Fatal("the new source was joined with the swarm read before it was asked for")
	}
	close(gate)
	r.until(t, "joined the new source with the new swarm", func(string) bool {
		return a.data.Source == a.stream.source && a.data.Swarm != first.Swarm && !a.loading
	})
}
