package cli

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/s3"
	"github.com/secretdeck/secretdeck/swarm"
	"github.com/secretdeck/secretdeck/tui"
	"github.com/secretdeck/secretdeck/tui/common"
)

// runTUI opens the workbench on the terminal.
func runTUI(cmd *cobra.Command, global *globalOptions) error {
	if !term.IsTerminal(os.Stdin.Fd()) || !term.IsTerminal(os.Stdout.Fd()) {
		return errors.New("secretdeck without a command opens the terminal UI, which needs a terminal: use `secretdeck status` or `secretdeck drift` in scripts")
	}
	if err := global.apply.Validate(); err != nil {
		return err
	}
	audit, err := openAuditLog()
	if err != nil {
		return err
	}
	setWorkbenchMemoryLimit(os.Getenv)
	// The workbench's lifetime is its own: a signal must not cut an apply
	// short (it is handled below, like ctrl+c).
	ctx, cancel := context.WithCancel(context.WithoutCancel(cmd.Context()))
	defer cancel()
	loader := &worldLoader{global: global, audit: audit}
	defer loader.close()
	loader.prefetch(ctx)
	app := tui.New(tui.Options{
		Loader: loader, Env: global.env, ReadOnly: global.readOnly, NoReveal: global.noReveal, Ctx: ctx,
		NewPlanID: newPlanID, ApplyOptions: global.apply, AcceptExposedValue: global.acceptExposed,
		WriteReport: writeWorkbenchReport,
		// The plan's environment is the one the workbench shows (e may have
		// switched it), so the check compares the plan with itself there.
		Apply: func(ctx context.Context, p *model.RotationPlan, o model.ApplyOptions, progress func(model.Step)) (*model.ApplyResult, error) {
			return executePlan(ctx, global, p, o, p.Env, progress, func(w string) {
				progress(model.Step{Plan: p.ID, Action: "warning", Result: w})
			})
		},
		Audit: func(action, subject string) error {
			_, err := audit.append(auditRecord{Action: action, Subject: subject, Result: "ok", Context: loader.contextName(), Swarm: loader.clusterID()})
			return err
		},
	})
	// SIGINT and SIGTERM act as ctrl+c does: never quit in the middle of an
	// apply (the first waits for its verdict, the second rolls it back).
	program := tea.NewProgram(app, tea.WithContext(ctx), tea.WithoutSignalHandler())
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	go func() {
		for range signals {
			program.Send(tui.InterruptMsg{})
		}
	}()
	_, err = program.Run()
	app.Wait() // a program that ended anyway still lets a running apply finish
	if err != nil && !(errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil) {
		return err
	}
	if app.Failed() {
		return errors.New("an apply of this session failed (its verdict was on screen): `secretdeck audit` lists its steps")
	}
	return nil
}

// worldLoader loads for the TUI, keeping one engine connection (an ssh://
// connection is costly) and reconnecting after a failure.
type worldLoader struct {
	global *globalOptions
	audit  *auditLog

	mu     sync.Mutex
	client *swarm.Client
	source s3.Source
	last   *model.SwarmSnapshot
	lock   string         // who holds the operator lock, as the last source load saw
	early  chan swarmRead // the swarm side read at start (prefetch), for the first LoadSwarm
}

type swarmRead struct {
	data *common.Data
	err  error
}

// prefetchTimeout bounds the read prefetch starts, as the workbench bounds
// its own loads.
const prefetchTimeout = 30 * time.Second

// prefetch starts reading the swarm side at once, before the terminal is
// set up: under tmux, setting it up runs `tmux info` to learn its colours
// (about 60 ms on the first screen), and the engine's lists can be on their
// way meanwhile. The workbench's first LoadSwarm takes what it read.
func (l *worldLoader) prefetch(ctx context.Context) {
	early := make(chan swarmRead, 1)
	l.mu.Lock()
	l.early = early
	l.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(ctx, prefetchTimeout)
		defer cancel()
		d, err := l.loadSwarm(ctx)
		early <- swarmRead{d, err}
	}()
}

func (l *worldLoader) connect(ctx context.Context) (*swarm.Client, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.client != nil {
		return l.client, nil
	}
	c, err := l.global.connect(ctx)
	if err != nil {
		return nil, err
	}
	l.client = c
	return c, nil
}

func (l *worldLoader) dropClient() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.client != nil {
		_ = l.client.Close()
		l.client = nil
	}
}

// Load implements tui.Loader.
func (l *worldLoader) Load(ctx context.Context, env string) (*common.Data, error) {
	d, err := l.LoadSwarm(ctx)
	if err != nil {
		return nil, err
	}
	src, err := l.LoadSource(ctx, env, nil)
	if err != nil {
		return nil, err
	}
	return l.Join(d, src), nil
}

// LoadSwarm implements tui.StreamLoader: the swarm and the audit log.
func (l *worldLoader) LoadSwarm(ctx context.Context) (*common.Data, error) {
	l.mu.Lock()
	early := l.early
	l.early = nil
	l.mu.Unlock()
	if early != nil {
		select {
		case r := <-early:
			return r.data, r.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return l.loadSwarm(ctx)
}

func (l *worldLoader) loadSwarm(ctx context.Context) (*common.Data, error) {
	c, err := l.connect(ctx)
	if err != nil {
		return nil, err
	}
	snap, err := c.Snapshot(ctx)
	if err != nil {
		l.dropClient()
		return nil, err
	}
	d := &common.Data{Swarm: snap}
	if l.global.source != "" {
		// The images' histories are the swarm side's: drift compares them
		// with the source once it is read (Join).
		if d.Images, err = c.ImageHistories(ctx, snap.ServiceImages()); err != nil {
			l.dropClient()
			return nil, err
		}
	}
	if recs, err := l.audit.read(); err == nil {
		for _, r := range recs {
			d.Audit = append(d.Audit, common.AuditEntry{Time: r.Time, User: r.User, Plan: r.Plan, Action: r.Action,
				Subject: r.Subject, Result: r.Result, Swarm: r.Swarm, Context: r.Context})
		}
	}
	l.mu.Lock()
	l.last = snap
	l.mu.Unlock()
	adjustMemoryLimit()
	return d, nil
}

// LoadSource implements tui.StreamLoader. The source is opened once and
// kept: it keeps what it read in memory, so a reload reads only what
// changed (s3/cache.go).
func (l *worldLoader) LoadSource(ctx context.Context, env string, progress func(done, total int)) (*model.SourceSnapshot, error) {
	if l.global.source == "" {
		return nil, nil
	}
	l.mu.Lock()
	src := l.source
	l.mu.Unlock()
	if src == nil {
		var err error
		if src, err = l.global.openSource(ctx); err != nil {
			return nil, err
		}
		l.mu.Lock()
		if l.source == nil {
			l.source = src
		}
		src = l.source
		l.mu.Unlock()
	}
	if progress != nil {
		ctx = s3.WithProgress(ctx, progress)
	}
	snap, err := l.global.loadSource(ctx, src, env)
	if err != nil {
		return nil, err
	}
	lock := ""
	if s3.LockListed(src) {
		lock = lockLine(ctx, src) // the operator lock (cli/lock.go)
	}
	l.mu.Lock()
	l.lock = lock
	l.mu.Unlock()
	return snap, nil
}

// Join implements tui.StreamLoader: the swarm side with the source and
// their drift.
func (l *worldLoader) Join(swarm *common.Data, source *model.SourceSnapshot) *common.Data {
	d := *swarm
	if source != nil {
		d.Source = source
		d.Drift = model.Drift(model.DriftInput{Swarm: d.Swarm, Source: source, Manifest: source.Manifest, Key: source.Key, Images: d.Images})
		adjustMemoryLimit()
		l.mu.Lock()
		d.Lock = l.lock
		l.mu.Unlock()
	}
	return &d
}

// Watch implements tui.Loader.
func (l *worldLoader) Watch(ctx context.Context) <-chan error {
	c, err := l.connect(ctx)
	if err != nil {
		ch := make(chan error, 1)
		ch <- err
		close(ch)
		return ch
	}
	return c.Watch(ctx)
}

func (l *worldLoader) close() { l.dropClient() }

func (l *worldLoader) contextName() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		return ""
	}
	return l.last.Endpoint.Context
}

func (l *worldLoader) clusterID() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		return ""
	}
	return l.last.ClusterID
}

// workbenchMemoryLimit is the least soft limit of the workbench's memory
// (Go's GOMEMLIMIT), unless GOMEMLIMIT sets one: at 10,000 secrets the heap
// keeps about 16 MB and peaked at 37 MB with the default GOGC alone (a
// collection when the heap doubles); under the limit the collector runs
// sooner near it instead. The limit grows with what the heap keeps after
// each load (memoryLimitFor), so a larger swarm never makes it collect
// without end; the runtime never gives it more than half the CPU either.
const workbenchMemoryLimit = 40 << 20

// ownMemoryLimit: the workbench sets the limit (GOMEMLIMIT is not set).
var ownMemoryLimit atomic.Bool

func setWorkbenchMemoryLimit(getenv func(string) string) {
	if getenv("GOMEMLIMIT") == "" {
		ownMemoryLimit.Store(true)
		debug.SetMemoryLimit(workbenchMemoryLimit)
	}
}

// memoryLimitFor is the limit for a heap that keeps live bytes: half as
// much again, and 8 MiB for the runtime's own, at least the least.
func memoryLimitFor(live uint64) int64 {
	return max(workbenchMemoryLimit, int64(live+live/2)+8<<20)
}

// adjustMemoryLimit follows what the heap keeps, after a load.
func adjustMemoryLimit() {
	if !ownMemoryLimit.Load() {
		return
	}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() == metrics.KindUint64 {
		debug.SetMemoryLimit(memoryLimitFor(sample[0].Value.Uint64()))
	}
}
