package tui

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/internal/tuitest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestNavigation(t *testing.T) {
	a, _ := newTestApp(t, 80, 24)
	if s := screen(a); !strings.Contains(s, "[Secrets 4]") || !strings.Contains(s, "› api_db_pass_v1") {
		t.Fatalf("start: the Secrets pane with the first row selected:\n%s", s)
	}
	press(a, "tab")
	if s := screen(a); !strings.Contains(s, "[Services 4]") || !strings.Contains(s, "checkout") {
		t.Fatalf("tab: Services:\n%s", s)
	}
	press(a, "down", "enter")
	if s := screen(a); !strings.Contains(s, "Service   billing") || !strings.Contains(s, "payment_key_v1") {
		t.Fatalf("enter: billing's detail:\n%s", s)
	}
	press(a, "esc")
	if !strings.Contains(screen(a), "› billing") {
		t.Fatalf("esc: back on the list, billing still selected:\n%s", screen(a))
	}
	press(a, "shift+tab")
	if !strings.Contains(screen(a), "[Secrets 4]") {
		t.Fatal("shift+tab: back to Secrets")
	}
	press(a, ":", "dr", "enter")
	if !strings.Contains(screen(a), "[Drift") {
		t.Fatalf(":dr jumps to Drift:\n%s", screen(a))
	}
	press(a, ":", "nope", "enter")
	if !strings.Contains(screen(a), `no pane "nope"`) {
		t.Fatalf("an unknown pane is explained:\n%s", screen(a))
	}
}

func TestFilter(t *testing.T) {
	a, _ := newTestApp(t, 80, 24)
	press(a, "/", "pay")
	s := screen(a)
	if !strings.Contains(s, "payment_key_v1") || strings.Contains(s, "legacy_token") || !strings.Contains(s, "(filtered from 4)") {
		t.Fatalf("filter pay:\n%s", s)
	}
	press(a, "enter", "tab", "shift+tab")
	if !strings.Contains(screen(a), "Secrets 4 /pay") {
		t.Fatalf("the filter stays on its pane:\n%s", screen(a))
	}
	press(a, "esc")
	if s := screen(a); !strings.Contains(s, "legacy_token") || strings.Contains(s, "/pay") {
		t.Fatalf("esc clears the filter:\n%s", s)
	}
	press(a, "q") // typed into the filter, does not quit
	press(a, "/", "q")
	if !strings.Contains(screen(a), "/q") {
		t.Fatal("q in the filter is text")
	}
}

func TestJumpFromFindingToItsSecret(t *testing.T) {
	a, _ := newTestApp(t, 80, 24)
	press(a, ":", "drift", "enter", "/", "stale", "enter", "enter")
	if s := screen(a); !strings.Contains(s, "HIGH  stale") || !strings.Contains(s, "Press o to open the secret api_db_pass_v1") {
		t.Fatalf("the stale finding's detail:\n%s", s)
	}
	press(a, "o")
	s := screen(a)
	if !strings.Contains(s, "[Secrets 4]") || !strings.Contains(s, "Secret       api_db_pass_v1") || !strings.Contains(s, "Fingerprint  differs") {
		t.Fatalf("o opens the secret's detail:\n%s", s)
	}
	tuitest.AssertNoValues(t, s)
	press(a, "esc")
	if s := screen(a); !strings.Contains(s, "[Drift 10 /stale]") || !strings.Contains(s, "HIGH  stale") {
		t.Fatalf("esc returns to where o came from, the finding's detail:\n%s", s)
	}
	press(a, "esc", "esc", "tab", "shift+tab", "down", "enter", "o")
	press(a, "esc")
	if s := screen(a); !strings.Contains(s, "[Drift 10]") {
		t.Fatalf("esc after o returns to the pane o was pressed in:\n%s", s)
	}
	press(a, "esc", ":", "secrets", "enter", "enter", "esc")
	if s := screen(a); !strings.Contains(s, "[Secrets 4]") {
		t.Fatalf("a detail opened by hand: esc stays in its pane:\n%s", s)
	}
}

// A status message belongs to the pane it was said in: it goes when
// another pane is shown, unless it is held (an apply's verdict).
func TestStatusBelongsToItsPane(t *testing.T) {
	a, _ := newTestApp(t, 80, 24)
	press(a, ":", "drift", "enter", "down", "space")
	if s := screen(a); !strings.Contains(s, "1 staged · p previews the plan") {
		t.Fatalf("staged:\n%s", s)
	}
	press(a, "tab")
	if s := screen(a); strings.Contains(s, "1 staged") || !strings.Contains(s, "loaded at 15:00:00") {
		t.Fatalf("the message went with its pane:\n%s", s)
	}
	a.Update(common.StatusMsg{Text: "plan p-1 applied: verified", Hold: time.Minute})
	press(a, "tab")
	if s := screen(a); !strings.Contains(s, "plan p-1 applied: verified") {
		t.Fatalf("a held verdict stays:\n%s", s)
	}
}

func TestStaleResultsAreDropped(t *testing.T) {
	a, _ := newTestApp(t, 80, 24)
	old := a.load()   // asked first
	fresh := a.load() // asked second
	newer := tuitest.Data()
	newer.Swarm.Secrets = newer.Swarm.Secrets[:1]
	a.Update(loadedMsg{seq: a.seq, data: newer})
	_ = fresh
	a.Update(loadedMsg{seq: a.seq - 1, data: tuitest.Data()}) // the first load finishes last
	_ = old
	if s := screen(a); !strings.Contains(s, "Secrets 1") {
		t.Fatalf("an older load must not overwrite a newer one:\n%s", s)
	}
}

func TestLoadErrorKeepsTheLastGoodData(t *testing.T) {
	a, _ := newTestApp(t, 80, 24)
	a.Update(loadedMsg{seq: a.seq + 1}) // not the latest: ignored
	a.load()
	a.Update(loadedMsg{seq: a.seq, err: errors.New("cannot connect to the Docker engine at unix:///var/run/docker.sock")})
	s := screen(a)
	if !strings.Contains(s, "refresh failed, showing the last good data") || !strings.Contains(s, "api_db_pass_v1") {
		t.Fatalf("error in the status line, data still there:\n%s", s)
	}
	a.Update(a.load()())
	if strings.Contains(screen(a), "refresh failed") {
		t.Fatal("a good refresh clears the error")
	}
}

func TestFirstLoadFailureIsNeverABlankScreen(t *testing.T) {
	a := New(Options{Loader: &fakeLoader{err: errors.New("the Docker engine at unix:///x.sock is a swarm worker, not a manager")}})
	a.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if !strings.Contains(screen(a), "Loading") {
		t.Fatalf("before the first result: a loading screen:\n%s", screen(a))
	}
	a.Update(a.load()())
	if s := screen(a); !strings.Contains(s, "not a manager") || !strings.Contains(s, "r to retry") {
		t.Fatalf("the error and what to do:\n%s", s)
	}
}

func TestRevealShowsAValueForAWhileAndAudits(t *testing.T) {
	a, audit := newTestApp(t, 80, 24)
	press(a, ":", "prop", "enter", "down")
	tuitest.AssertNoValues(t, screen(a))
	_, cmd := a.Update(tea.KeyPressMsg{Code: 'x', Text: "x"})
	if s := screen(a); !strings.Contains(s, "hunter2-db-pass") {
		t.Fatalf("x reveals the selected value:\n%s", s)
	}
	if len(audit.Calls) != 1 || audit.Calls[0] != (tuitest.AuditCall{Action: "reveal", Subject: "api.json.prod#db_pass"}) {
		t.Fatalf("audit: %v", audit.Calls)
	}
	a.drain(cmd) // the status message; the timer that masks it again waits
	if s := screen(a); !strings.Contains(s, "hunter2-db-pass") {
		t.Fatalf("the value stays until its timer fires:\n%s", s)
	}
	if !strings.Contains(screen(a), "masked again in 10s") {
		t.Fatalf("a countdown:\n%s", screen(a))
	}
	press(a, "tab", ":")
	if s := screen(a); !strings.Contains(s, "[Properties") || !strings.Contains(s, "hunter2-db-pass") {
		t.Fatalf("the reveal takes the keys:\n%s", s)
	}
	for range 10 {
		fireTimers(a)
	}
	tuitest.AssertNoValues(t, screen(a))
	press(a, "x", "q")
	if s := screen(a); !strings.Contains(s, "[Properties") || strings.Contains(s, "REVEALED") {
		t.Fatalf("q masks the value, and quits nothing:\n%s", s)
	}
	tuitest.AssertNoValues(t, screen(a))
}

func TestNoRevealRefuses(t *testing.T) {
	a, audit := newTestApp(t, 80, 24, func(o *Options) { o.NoReveal = true })
	press(a, ":", "prop", "enter", "down", "x")
	s := screen(a)
	tuitest.AssertNoValues(t, s)
	if !strings.Contains(s, "--no-reveal") || len(audit.Calls) != 0 {
		t.Fatalf("refused, nothing audited:\n%s", s)
	}
}

func TestReadOnlyBadge(t *testing.T) {
	a, _ := newTestApp(t, 80, 24, func(o *Options) { o.ReadOnly = true })
	if line := strings.Split(screen(a), "\n")[0]; !strings.Contains(line, "READ-ONLY") {
		t.Fatalf("header: %q", line)
	}
}

// The environment is a deliberate choice: e opens a picker, enter picks,
// and only y switches; anything else leaves the environment as it was.
func TestSwitchEnvironmentTakesAPickAndAConfirmation(t *testing.T) {
	protect := func(o *Options) {
		d := tuitest.Data()
		d.Source.Manifest = &model.Manifest{Environments: map[string]model.EnvironmentPolicy{"prod": {Protected: true}}}
		o.Loader = &fakeLoader{data: d}
	}
	loads := func(a *App) []string { return a.opts.Loader.(*fakeLoader).envs }
	cases := []struct {
		name string
		keys []string
		want string // the environment loaded last
	}{
		{"e alone", []string{"e"}, "prod"},
		{"esc closes the picker", []string{"e", "up", "esc"}, "prod"},
		{"enter on the current one", []string{"e", "enter"}, "prod"},
		{"n at the confirmation", []string{"e", "up", "enter", "n"}, "prod"},
		{"esc at the confirmation", []string{"e", "up", "enter", "esc", "esc"}, "prod"},
		{"q and tab do nothing in the picker", []string{"e", "up", "q", "tab", "enter"}, "prod"},
		{"pick and confirm", []string{"e", "up", "enter", "y"}, "dev"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := newTestApp(t, 80, 24, protect)
			press(a, ":", "drift", "enter", "down", "space")
			press(a, tc.keys...)
			if got := loads(a)[len(loads(a))-1]; got != tc.want {
				t.Fatalf("after %v the last load is of %q, want %q (%v)", tc.keys, got, tc.want, loads(a))
			}
			if staged := a.c.Staging.Count(); (tc.want == "dev") != (staged == 0) {
				t.Fatalf("after %v: %d staged; switching (only) unstages", tc.keys, staged)
			}
		})
	}

	a, _ := newTestApp(t, 80, 24, protect)
	press(a, ":", "drift", "enter", "down", "space", "e", "up", "enter")
	s := screen(a)
	for _, want := range []string{"Switch from prod (PROTECTED) to dev?", "The 1 item staged now is unstaged.", "y switch"} {
		if !strings.Contains(s, want) {
			t.Errorf("the confirmation says %q:\n%s", want, s)
		}
	}
	if !strings.HasPrefix(strings.Split(s, "\n")[0], "secretdeck  env prod · PROTECTED  s3://") {
		t.Errorf("the header shows a protected environment in words:\n%s", s)
	}
}

func TestHeaderBadgesAndForbiddenKeys(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opt    func(*Options)
		badge  string
		hidden []string // not offered in the footer nor in ?
	}{
		{"read-only", func(o *Options) { o.ReadOnly = true }, "READ-ONLY", []string{"a apply", "R resume", "V revert"}},
		{"no-reveal", func(o *Options) { o.NoReveal = true }, "NO-REVEAL", []string{"x reveal"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := newTestApp(t, 80, 24, tc.opt)
			if line := strings.Split(screen(a), "\n")[0]; !strings.HasSuffix(line, " "+tc.badge+" ") {
				t.Errorf("header: %q", line)
			}
			for _, keys := range [][]string{{":", "plan", "enter"}, {":", "prop", "enter"}, {":", "drift", "enter", "down", "space", "p"}} {
				press(a, keys...)
				footer := screen(a)
				press(a, "?")
				help := screen(a)
				press(a, "esc")
				for _, h := range tc.hidden {
					if strings.Contains(footer, h) || strings.Contains(help, h) {
						t.Errorf("%v offers %q:\n%s\n%s", keys, h, footer, help)
					}
				}
			}
		})
	}
	// Without the flags, the same screens offer them: the test can fail.
	a, _ := newTestApp(t, 80, 24)
	press(a, ":", "prop", "enter", "?")
	if s := squash(screen(a)); !strings.Contains(s, "x reveal") {
		t.Errorf("? offers x reveal:\n%s", s)
	}
}

// squash folds runs of spaces into one: columns aligned, text compared.
func squash(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' }), " ")
}

// At 80×24, the smallest terminal supported, ? shows every key of the pane
// with its meaning, the pane's own first.
func TestHelpFitsAndListsThePaneKeysFirst(t *testing.T) {
	a, _ := newTestApp(t, 80, 24)
	for _, tc := range []struct {
		keys []string
		want []string
	}{
		{nil, []string{"space stage", "u unstage", "p preview plan", "enter details", "e switch env", "q quit"}},
		{[]string{":", "drift", "enter"}, []string{"space stage", "o open subject", "p preview plan"}},
		{[]string{":", "plan", "enter"}, []string{"a apply", "u unstage", "R resume half-done plan", "V revert half-done plan"}},
	} {
		press(a, tc.keys...)
		press(a, "?")
		s := screen(a)
		press(a, "esc")
		for _, w := range tc.want {
			if !strings.Contains(squash(s), w) {
				t.Errorf("%v ?: no %q:\n%s", tc.keys, w, s)
			}
		}
		lines := strings.Split(s, "\n")
		if body := strings.Join(lines[2:], "\n"); strings.Contains(body, "…\n") {
			t.Errorf("%v ?: something is cut:\n%s", tc.keys, s)
		}
		if !strings.Contains(lines[4], "pane") {
			t.Errorf("%v ?: the pane's keys come first: %q", tc.keys, lines[4])
		}
	}
}

func TestTooSmall(t *testing.T) {
	a, _ := newTestApp(t, 79, 24)
	if s := screen(a); strings.Count(s, "\n") != 0 || !strings.Contains(s, "at least 80×24") {
		t.Fatalf("one line below 80×24: %q", s)
	}
}

func TestLayoutAddsUp(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}, {120, 40}} {
		a, _ := newTestApp(t, size[0], size[1])
		for _, keys := range [][]string{nil, {"enter"}, {"tab"}, {"tab", "tab"}, {"tab", "tab", "tab"}, {"?"}} {
			press(a, keys...)
			lines := strings.Split(screen(a), "\n")
			if len(lines) != size[1] {
				t.Errorf("%v after %v: %d lines", size, keys, len(lines))
			}
			for _, l := range lines {
				if w := ansi.StringWidth(l); w > size[0] {
					t.Errorf("%v after %v: a line of %d cells: %q", size, keys, w, l)
				}
			}
			press(a, "esc")
		}
	}
}

// Golden screens, colour stripped (as with NO_COLOR), fixed clock.
func TestGoldenScreens(t *testing.T) {
	cases := []struct {
		name string
		keys []string
	}{
		{"secrets", nil},
		{"secret-detail", []string{"enter"}},
		{"services", []string{"tab"}},
		{"properties", []string{":", "prop", "enter"}},
		{"drift", []string{":", "drift", "enter"}},
		{"drift-detail", []string{":", "drift", "enter", "enter"}},
		{"help", []string{"?"}},
		{"services-detail", []string{"tab", "enter"}},
		{"properties-detail", []string{":", "prop", "enter", "enter"}},
		{"audit", []string{":", "audit", "enter"}},
		{"help-drift", []string{":", "drift", "enter", "?"}},
		{"help-plan", []string{":", "plan", "enter", "?"}},
		{"env-picker", []string{"e", "up"}},
		{"env-confirm", []string{"e", "up", "enter"}},
		{"plan", []string{":", "drift", "enter", "down", "space", "p"}},
		{"confirm", []string{":", "drift", "enter", "down", "space", "p", "a"}},
		{"plan-empty", []string{":", "plan", "enter"}},
		{"nodes", []string{":", "nodes", "enter"}},
		{"nodes-detail", []string{":", "nodes", "enter", "enter"}},
		{"help-nodes", []string{":", "nodes", "enter", "?"}},
		{"nodes-report", []string{":", "nodes", "enter", "W"}},
	}
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, c := range cases {
			a, _ := newTestApp(t, size[0], size[1])
			press(a, c.keys...)
			got := screen(a)
			tuitest.AssertNoValues(t, got)
			path := filepath.Join("testdata", c.name+"-"+strconv.Itoa(size[0])+"x"+strconv.Itoa(size[1])+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./tui -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the golden file:\n%s", path, got)
			}
		}
	}
}

// watchLoader's event stream is a channel the test controls.
type watchLoader struct {
	fakeLoader
	streams []chan error
}

func (w *watchLoader) Watch(context.Context) <-chan error {
	ch := make(chan error, 1)
	w.streams = append(w.streams, ch)
	return ch
}

func TestLiveUpdatesReloadAndSurviveABrokenStream(t *testing.T) {
	l := &watchLoader{fakeLoader: fakeLoader{data: tuitest.Data()}}
	ts := &tuitest.Timers{}
	a := New(Options{Loader: l, Now: tuitest.Now, Tick: ts.Tick})
	register(t, a, ts)
	a.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	a.Init()
	a.Update(a.load()())
	loads := len(l.envs)
	a.Update(changeMsg{})                 // an event: a reload after the debounce
	a.Update(changeMsg{})                 // a second one in the burst
	a.Update(debounceMsg{gen: a.gen - 1}) // the first timer: superseded
	if len(l.envs) != loads {
		t.Fatal("a superseded debounce timer must not reload")
	}
	_, cmd := a.Update(debounceMsg{gen: a.gen})
	a.drain(cmd)
	if len(l.envs) != loads+1 {
		t.Fatalf("one reload per burst of events, got %d", len(l.envs)-loads)
	}
	a.Update(changeMsg{err: errors.New("EOF")})
	if !strings.Contains(screen(a), "live updates stopped") {
		t.Fatalf("a broken stream is said:\n%s", screen(a))
	}
	a.Update(a.load()())
	if len(l.streams) != 2 {
		t.Fatalf("the next good load re-opens the stream: %d streams", len(l.streams))
	}
}

// An environment bound to another swarm says so in the header, before any
// plan is refused for it.
func TestHeaderSaysWrongSwarm(t *testing.T) {
	bind := func(swarm string) func(*Options) {
		return func(o *Options) {
			d := tuitest.Data()
			d.Source.Manifest = &model.Manifest{Environments: map[string]model.EnvironmentPolicy{"prod": {Swarm: swarm}}}
			o.Loader = &fakeLoader{data: d}
		}
	}
	a, _ := newTestApp(t, 80, 24, bind("another-swarm"))
	if line := strings.Split(screen(a), "\n")[0]; !strings.HasSuffix(line, " WRONG SWARM ") {
		t.Fatalf("header: %q", line)
	}
	a, _ = newTestApp(t, 80, 24, bind(tuitest.Data().Swarm.ClusterID))
	if line := strings.Split(screen(a), "\n")[0]; strings.Contains(line, "WRONG SWARM") {
		t.Fatalf("the bound swarm: %q", line)
	}
}
