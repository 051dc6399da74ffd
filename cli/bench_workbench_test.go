package cli

import (
	"context"
	"os"
	"regexp"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui"
	"github.com/secretdeck/secretdeck/tui/common"
)

// BenchmarkWorkbenchAtScale runs the workbench in-process against what
// `bench/scale.sh --keep` left in the rig (bucket secretdeck-scale), as
// `secretdeck --source s3://secretdeck-scale --env prod` at 120×40 does:
// the app's commands run in goroutines and their messages go back to its
// Update, until the screen shows the swarm (swarm-ms) and then the drift
// (full-ms). For the profiles of where the time and the memory go:
//
//	bench/scale.sh --keep   # once
//	go test ./cli -run XXX -bench WorkbenchAtScale -benchtime 5x -benchmem \
//	  -cpuprofile /tmp/wb.cpu -memprofile /tmp/wb.mem
//
// SECRETDECK_BENCH_HEAP_JOIN=FILE writes it once the drift is made,
// before it is shown (the load's peak). SECRETDECK_BENCH_HEAP=FILE writes the heap's profile once the drift is
// on screen, the workbench alive: its inuse_space is what the workbench
// keeps.
func BenchmarkWorkbenchAtScale(b *testing.B) {
	bucket := scaleBucket(b)
	b.Setenv("XDG_STATE_HOME", b.TempDir())
	host := testrig.Docker(b)
	if os.Getenv("SECRETDECK_BENCH_HEAP") != "" || os.Getenv("SECRETDECK_BENCH_HEAP_JOIN") != "" {
		runtime.MemProfileRate = 4096 // a sample every 4 KiB: close to the byte, fast enough
	}
	var swarmTime, fullTime time.Duration
	for b.Loop() {
		s, f := runWorkbench(b, &globalOptions{host: host, source: "s3://" + bucket, env: "prod"})
		swarmTime += s
		fullTime += f
	}
	b.ReportMetric(float64(swarmTime.Milliseconds())/float64(b.N), "swarm-ms")
	b.ReportMetric(float64(fullTime.Milliseconds())/float64(b.N), "full-ms")
}

// writeHeap writes the heap's profile after a GC: inuse_space is what
// is kept.
func writeHeap(b *testing.B, path string) {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Fatal(err)
	}
}

// heapAtJoin writes the heap's profile once the drift is made, before
// the workbench shows it: what is kept at the load's peak.
type heapAtJoin struct {
	*worldLoader
	b    *testing.B
	path string
}

func (h *heapAtJoin) Join(swarm *common.Data, source *model.SourceSnapshot) *common.Data {
	d := h.worldLoader.Join(swarm, source)
	if source != nil {
		writeHeap(h.b, h.path)
	}
	return d
}

var driftShown = regexp.MustCompile(`Drift [0-9]+`)

// runWorkbench drives a workbench until it shows the drift: how long the
// swarm's rows and the drift took to be on screen.
func runWorkbench(b *testing.B, global *globalOptions) (swarm, full time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	audit, err := openAuditLog()
	if err != nil {
		b.Fatal(err)
	}
	loader := &worldLoader{global: global, audit: audit}
	defer loader.close()
	start := time.Now()
	var l tui.StreamLoader = loader
	if path := os.Getenv("SECRETDECK_BENCH_HEAP_JOIN"); path != "" {
		l = &heapAtJoin{worldLoader: loader, b: b, path: path}
	}
	app := tui.New(tui.Options{Loader: l, Env: global.env, Ctx: ctx})
	msgs := make(chan tea.Msg, 64)
	var run func(tea.Cmd)
	run = func(cmd tea.Cmd) {
		if cmd == nil {
			return
		}
		go func() {
			msg := cmd()
			if batch, ok := msg.(tea.BatchMsg); ok {
				for _, c := range batch {
					run(c)
				}
				return
			}
			if msg != nil {
				select {
				case msgs <- msg:
				case <-ctx.Done():
				}
			}
		}()
	}
	app.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	run(app.Init())
	timeout := time.After(time.Minute)
	for {
		select {
		case msg := <-msgs:
			_, cmd := app.Update(msg)
			run(cmd)
			view := app.View().Content
			if swarm == 0 && regexp.MustCompile("scale_secret_").MatchString(view) {
				swarm = time.Since(start)
			}
			if driftShown.MatchString(view) {
				full = time.Since(start)
				if path := os.Getenv("SECRETDECK_BENCH_HEAP"); path != "" {
					writeHeap(b, path) // what the workbench keeps, the app alive
				}
				runtime.KeepAlive(app)
				return swarm, full
			}
		case <-timeout:
			b.Fatal("the workbench did not show the drift within a minute")
		}
	}
}
