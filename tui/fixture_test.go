package tui

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
)

// Known values of the fixture: no screen may show them unless revealed.
var knownValues = []string{"hunter2-db-pass", "old-db-pass-zz", "payment-key-new", "stats-pw-in-env", "redis-data-xyz"}

var clock = time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)

// fixture is a small swarm and source that drift in several ways.
func fixture() *common.Data {
	key, _ := model.NewFingerprintKey(bytes.Repeat([]byte{9}, model.FingerprintKeySize))
	created := clock.Add(-72 * time.Hour)
	managed := func(id, name, logical string, n int, value string) model.Secret {
		return model.Secret{ID: id, Name: name, CreatedAt: created, Labels: map[string]string{
			model.LabelLogical: logical, model.LabelVersion: fmt.Sprint(n),
			model.LabelFingerprint: string(key.Fingerprint(model.NewValueString(value))),
		}}
	}
	sw := &model.SwarmSnapshot{
		Endpoint:  model.Endpoint{Host: "unix:///var/run/docker.sock", Context: "default", Source: "default", APIVersion: "1.41"},
		ClusterID: "6x4ge8l9tfoj30nql22qhl3b1", NodeID: "n1", NodeRole: "manager",
		Nodes: []model.Node{{ID: "n1", Hostname: "manager1", Role: "manager", Leader: true}},
		Secrets: []model.Secret{
			managed("s1", "api_db_pass_v1", "api_db_pass", 1, "old-db-pass-zz"),
			{ID: "s2", Name: "payment_key_v1", CreatedAt: created},
			{ID: "s3", Name: "payment_key_v2", CreatedAt: created},
			{ID: "s4", Name: "legacy_token", CreatedAt: created},
		},
		Services: []model.Service{
			{ID: "a", Name: "api", Mode: "replicated", UpdatedAt: created, Spec: model.ServiceSpec{
				Secrets: []model.FileRef{{ID: "s1", Name: "api_db_pass_v1", Target: "db_pass", UID: "0", GID: "0", Mode: 0o400}}}},
			{ID: "b", Name: "billing", Mode: "replicated", UpdatedAt: created, Spec: model.ServiceSpec{
				Secrets: []model.FileRef{{ID: "s2", Name: "payment_key_v1", Target: "payment_key", UID: "0", GID: "0", Mode: 0o440}}}},
			{ID: "c", Name: "checkout", Stack: "shop", Mode: "replicated", UpdatedAt: created, Spec: model.ServiceSpec{
				Secrets: []model.FileRef{{ID: "s3", Name: "payment_key_v2", Target: "payment_key", UID: "0", GID: "0", Mode: 0o440}}}},
			{ID: "d", Name: "proxy", Mode: "replicated", UpdatedAt: created, Spec: model.ServiceSpec{
				Env: []model.EnvVar{{Name: "STATS_PASS", Value: model.NewValueString("stats-pw-in-env")}}}},
		},
		Tasks: []model.Task{{ID: "t1", ServiceID: "a", NodeID: "n1", DesiredState: "running", State: "running", SecretIDs: []string{"s1"}, CreatedAt: created}},
	}
	entry := func(k, v string) model.Entry { return model.Entry{Key: k, Value: model.NewValueString(v)} }
	src := &model.SourceSnapshot{
		URI: "s3://ops-config/services", Env: "prod", Envs: []string{"dev", "prod"}, Key: key,
		Files: []model.PropertyFile{
			{Key: "api.json.prod", Service: "api", Format: model.FormatJSON, Env: "prod", LastModified: created, Size: 30,
				Entries: []model.Entry{entry("db_pass", "hunter2-db-pass")}},
			{Key: "redis.env.prod", Service: "redis", Format: model.FormatEnv, Env: "prod", LastModified: created, Size: 20,
				Entries: []model.Entry{entry("my_secret_data", "redis-data-xyz")}},
			{Key: "shared.yaml.prod", Service: "shared", Format: model.FormatYAML, Env: "prod", LastModified: created, Size: 20,
				Entries: []model.Entry{entry("payment_key", "payment-key-new")}},
			{Key: "billing.yaml.prod", Service: "billing", Format: model.FormatYAML, Env: "prod", LastModified: created, Size: 9,
				Err: &model.ParseError{File: "billing.yaml.prod", Line: 2, Msg: "syntax error"}},
		},
	}
	return &common.Data{Swarm: sw, Source: src, Drift: model.Drift(model.DriftInput{Swarm: sw, Source: src, Key: key})}
}

// fakeLoader serves fixed data, or an error, and records the envs asked for.
type fakeLoader struct {
	data *common.Data
	err  error
	envs []string
}

func (f *fakeLoader) Load(_ context.Context, env string) (*common.Data, error) {
	f.envs = append(f.envs, env)
	return f.data, f.err
}

func (f *fakeLoader) Watch(context.Context) <-chan error { return nil }

type auditCall struct{ action, subject string }

// timerMsg is what a test app's timers send at once instead of waiting:
// the harness keeps it until the test fires it.
type timerMsg struct {
	d  time.Duration
	fn func(time.Time) tea.Msg
}

// fakeTick is the clock of test apps: no timer fires by itself.
func fakeTick(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
	return func() tea.Msg { return timerMsg{d: d, fn: fn} }
}

// pending holds, per app, the timers started and not fired yet.
var pending sync.Map // *App → *[]timerMsg

func timers(a *App) *[]timerMsg {
	v, _ := pending.LoadOrStore(a, &[]timerMsg{})
	return v.(*[]timerMsg)
}

// fireTimers fires every pending timer at the clock's time plus its duration,
// and returns how many fired; timers they start stay pending.
func fireTimers(a *App) int {
	ts := timers(a)
	due := *ts
	*ts = nil
	for _, tm := range due {
		a.run(tm.fn(clock.Add(tm.d)))
	}
	return len(due)
}

// newTestApp returns an app of size w×h with the fixture loaded.
func newTestApp(t testing.TB, w, h int, opts ...func(*Options)) (*App, *[]auditCall) {
	t.Helper()
	var calls []auditCall
	o := Options{
		Loader: &fakeLoader{data: fixture()}, Env: "prod", Now: func() time.Time { return clock }, Tick: fakeTick,
		Audit:     func(a, s string) error { calls = append(calls, auditCall{a, s}); return nil },
		NewPlanID: func() string { return "p-golden" },
	}
	for _, f := range opts {
		f(&o)
	}
	a := New(o)
	t.Cleanup(func() { pending.Delete(a) })
	a.Update(tea.WindowSizeMsg{Width: w, Height: h})
	a.Update(a.load()())
	return a, &calls
}

// press sends keys: single characters, or names like "tab", "enter", "esc".
func press(a *App, keys ...string) {
	for _, k := range keys {
		var msg tea.KeyPressMsg
		switch k {
		case "tab":
			msg = tea.KeyPressMsg{Code: tea.KeyTab}
		case "shift+tab":
			msg = tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
		case "enter":
			msg = tea.KeyPressMsg{Code: tea.KeyEnter}
		case "esc":
			msg = tea.KeyPressMsg{Code: tea.KeyEscape}
		case "down":
			msg = tea.KeyPressMsg{Code: tea.KeyDown}
		case "up":
			msg = tea.KeyPressMsg{Code: tea.KeyUp}
		case "space":
			msg = tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
		default:
			for _, r := range k {
				a.run(tea.KeyPressMsg{Code: r, Text: string(r)})
			}
			continue
		}
		a.run(msg)
	}
}

// run updates with msg and runs the commands it returns; timers wait for
// fireTimers.
func (a *App) run(msg tea.Msg) {
	_, cmd := a.Update(msg)
	a.drain(cmd)
}

// blockedAfter is how long a command may run before the harness calls it
// stuck. Commands of test apps return at once (fake loader, fake engine,
// fake timers); one that blocks is a bug in the harness or the app, and must
// fail loudly rather than be taken for a timer.
const blockedAfter = 30 * time.Second

func (a *App) drain(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(blockedAfter):
		panic(fmt.Sprintf("a command of the app did not return within %s: a real timer (use Common.Tick) or a blocked channel", blockedAfter))
	}
	switch msg := msg.(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			a.drain(c)
		}
	case timerMsg:
		ts := timers(a)
		*ts = append(*ts, msg)
	case nil, tea.QuitMsg:
	default:
		a.run(msg)
	}
}

func screen(a *App) string { return ansi.Strip(a.render()) }

func assertNoValues(t *testing.T, s string) {
	t.Helper()
	for _, v := range knownValues {
		if strings.Contains(s, v) {
			t.Errorf("screen shows the value %q:\n%s", v, s)
		}
	}
}
