package plan_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/internal/tuitest"
	"github.com/secretdeck/secretdeck/tui/panes/plan"
)

// withEngine is the pane of the app, with f as its engine, showing d.
func withEngine(t *testing.T, f *fakeEngine, d *common.Data) (*plan.Pane, *common.Common, *tuitest.Timers) {
	t.Helper()
	c, ts, _ := tuitest.NewCommon(120, 30)
	c.Engine = f
	p := plan.New(c)
	p.SetSize(c.Width, c.Height)
	p.SetData(d)
	return p, c, ts
}

// stageStale stages the fixture's stale api_db_pass finding, as the Drift
// pane does, and returns what the pane sends back.
func stageStale(p *plan.Pane, ts *tuitest.Timers) []tea.Msg {
	return tuitest.Send(p, ts, common.StageMsg{Kind: common.StageFinding, Key: tuitest.Stale(tuitest.Data()).ID(), On: true})
}

// statuses are the status-line messages among msgs.
func statuses(msgs []tea.Msg) []common.StatusMsg {
	var out []common.StatusMsg
	for _, m := range msgs {
		if s, ok := m.(common.StatusMsg); ok {
			out = append(out, s)
		}
	}
	return out
}

func says(msgs []tea.Msg, text string, isErr bool) bool {
	return slices.ContainsFunc(statuses(msgs), func(s common.StatusMsg) bool {
		return strings.Contains(s.Text, text) && s.Error == isErr
	})
}

func TestStagingCompilesThePlan(t *testing.T) {
	f := &fakeEngine{plan: rotation(t)}
	p, c, ts := withEngine(t, f, tuitest.Data())
	msgs := stageStale(p, ts)
	if !slices.Equal(f.Calls(), []string{"plan"}) || !slices.Equal(f.selected, []string{tuitest.Stale(tuitest.Data()).ID()}) {
		t.Fatalf("a stage compiles what is staged: calls %v, selected %v", f.Calls(), f.selected)
	}
	if s := tuitest.Screen(p); !strings.Contains(s, "PLAN p-test") || p.Plan() == nil {
		t.Fatalf("the plan is shown:\n%s", s)
	}
	if !says(msgs, "1 staged · p previews the plan · u unstages", false) {
		t.Errorf("the count is said: %v", msgs)
	}

	// The engine refuses: the pane says why, and offers nothing to apply.
	f.plan, f.planErr = nil, errors.New("nothing to do: no selected finding can be fixed by a rotation")
	tuitest.Send(p, ts, common.StageMsg{Kind: common.StageLogical, Key: "payment_key", On: true})
	if s := tuitest.Screen(p); !strings.Contains(s, "2 items staged, but no plan: nothing to do: no selected finding") ||
		strings.Contains(s, "Nothing staged") || p.Plan() != nil {
		t.Fatalf("the engine's refusal is shown:\n%s", s)
	}

	// u unstages everything through the app (a StageMsg), then nothing is
	// compiled: there is nothing to ask the engine.
	out := tuitest.Press(p, ts, "u")
	if !slices.Equal(out, []tea.Msg{common.StageMsg{Kind: common.StageClear}}) {
		t.Fatalf("u asks the app to unstage everything: %v", out)
	}
	calls := len(f.Calls())
	tuitest.Send(p, ts, out...)
	if s := tuitest.Screen(p); !c.Staging.Empty() || !strings.Contains(s, "Nothing staged") || strings.Contains(s, "No plan") || len(f.Calls()) != calls {
		t.Fatalf("empty staging, no plan, no engine call (%v):\n%s", f.Calls(), s)
	}
}

func TestPlanNeedsASource(t *testing.T) {
	f := &fakeEngine{plan: rotation(t)}
	d := tuitest.Data()
	d.Source, d.Drift = nil, nil
	p, _, ts := withEngine(t, f, d)
	stageStale(p, ts)
	if s := tuitest.Screen(p); !strings.Contains(s, "1 item staged, but no plan: start secretdeck with --source") || len(f.Calls()) != 0 {
		t.Fatalf("no source, no engine call (%v):\n%s", f.Calls(), s)
	}
}

// p compiles again against the data of now: a reload since the stage
// changed what the plan must do.
func TestPreviewCompilesAgainstTheLatestData(t *testing.T) {
	f := &fakeEngine{plan: rotation(t)}
	p, _, ts := withEngine(t, f, tuitest.Data())
	stageStale(p, ts)
	fresh := tuitest.Data()
	p.SetData(fresh)
	if len(f.Calls()) != 1 {
		t.Fatalf("a reload does not replace the plan on screen: %v", f.Calls())
	}
	tuitest.Send(p, ts, plan.PreviewMsg{})
	if len(f.Calls()) != 2 || f.data != fresh {
		t.Fatalf("a preview compiles against the new data: %v", f.Calls())
	}
}

func TestConfirmation(t *testing.T) {
	cases := []struct {
		name    string
		keys    []string
		applied bool
		open    bool // the dialog is still open
		status  string
	}{
		{"y applies", []string{"a", "y"}, true, false, "applying plan p-test…"},
		{"n cancels", []string{"a", "n"}, false, false, "not applied"},
		{"esc cancels", []string{"a", "esc"}, false, false, "not applied"},
		// The app's keys and the pane's own do nothing under the dialog.
		{"other keys wait", []string{"a", "tab", "u", "q", "R", "enter"}, false, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeEngine{plan: rotation(t), result: &model.ApplyResult{Summary: "plan p-test applied"}}
			p, _, ts := withEngine(t, f, tuitest.Data())
			stageStale(p, ts)
			msgs := tuitest.PressLoop(p, ts, tc.keys...)
			if got := slices.Contains(f.Calls(), "apply p-test"); got != tc.applied {
				t.Errorf("applied: %v, want %v (%v)", got, tc.applied, f.Calls())
			}
			if p.Capturing() != tc.open || strings.Contains(tuitest.Screen(p), "Apply plan p-test?") != tc.open {
				t.Errorf("dialog open: %v, want %v:\n%s", p.Capturing(), tc.open, tuitest.Screen(p))
			}
			if tc.status != "" && !says(msgs, tc.status, false) {
				t.Errorf("status %q not said: %v", tc.status, msgs)
			}
			if tc.open && slices.ContainsFunc(msgs, func(m tea.Msg) bool { _, ok := m.(common.StageMsg); return ok }) {
				t.Errorf("u under the dialog unstaged: %v", msgs)
			}
		})
	}
}

func TestDialogHelp(t *testing.T) {
	f := &fakeEngine{plan: rotation(t)}
	p, _, ts := withEngine(t, f, tuitest.Data())
	stageStale(p, ts)
	tuitest.Press(p, ts, "a")
	if got := helpKeys(p.ShortHelp()); !slices.Equal(got, []string{"y", "n/esc"}) {
		t.Errorf("the dialog's help: %v", got)
	}
}

func TestProtectedEnvironmentNeedsItsName(t *testing.T) {
	pl := rotation(t)
	pl.Protected = true
	f := &fakeEngine{plan: pl, result: &model.ApplyResult{Summary: "plan p-test applied"}}
	p, _, ts := withEngine(t, f, tuitest.Data())
	stageStale(p, ts)
	tuitest.Press(p, ts, "a")
	s := tuitest.Screen(p)
	if !strings.Contains(s, "prod is PROTECTED: type its name below and press enter.") || !strings.Contains(s, "type prod to apply:") {
		t.Fatalf("the dialog asks for the name:\n%s", s)
	}
	if got := helpKeys(p.ShortHelp()); !slices.Equal(got, []string{"enter", "esc"}) {
		t.Errorf("help: %v", got)
	}
	// y and n are text here: typed, not answers.
	msgs := tuitest.PressLoop(p, ts, "y", "n")
	if !p.Capturing() || !strings.Contains(tuitest.Screen(p), "type prod to apply: yn") {
		t.Fatalf("y and n are typed:\n%s", tuitest.Screen(p))
	}
	msgs = append(msgs, tuitest.PressLoop(p, ts, "enter")...)
	if slices.Contains(f.Calls(), "apply p-test") || !says(msgs, `not applied: "yn" is not "prod"`, true) || p.Capturing() {
		t.Fatalf("a wrong name refuses: %v %v", f.Calls(), msgs)
	}
	tuitest.PressLoop(p, ts, "a", "pro", "esc")
	if slices.Contains(f.Calls(), "apply p-test") || p.Capturing() {
		t.Fatalf("esc cancels: %v", f.Calls())
	}
	tuitest.PressLoop(p, ts, "a", "prod", "enter")
	if !slices.Contains(f.Calls(), "apply p-test") {
		t.Fatalf("the name typed applies: %v", f.Calls())
	}
}

// A plan whose values come from prod but that replaces a secret labelled
// staging is a wrong environment or a wrong swarm, until someone types so.
func TestForeignEnvironmentNeedsItsName(t *testing.T) {
	d := tuitest.Data()
	d.Swarm.Secrets[0].Labels[model.LabelEnv] = "staging" // api_db_pass_v1, which the rotation replaces
	f := &fakeEngine{plan: rotation(t), result: &model.ApplyResult{Summary: "plan p-test applied"}}
	p, _, ts := withEngine(t, f, d)
	stageStale(p, ts)
	tuitest.Press(p, ts, "a")
	s := tuitest.Screen(p)
	if !strings.Contains(s, "WARNING: the new values come from environment prod, but the secrets") ||
		!strings.Contains(s, "this replaces are labelled for staging.") || !strings.Contains(s, "type staging to apply:") {
		t.Fatalf("the dialog warns and asks for the other environment's name:\n%s", s)
	}
	tuitest.PressLoop(p, ts, "y")
	if slices.Contains(f.Calls(), "apply p-test") || !p.Capturing() {
		t.Fatalf("y is not enough: %v", f.Calls())
	}
	tuitest.PressLoop(p, ts, "esc", "a", "prod", "enter")
	if slices.Contains(f.Calls(), "apply p-test") {
		t.Fatalf("the plan's own environment is not the word: %v", f.Calls())
	}
	tuitest.PressLoop(p, ts, "a", "staging", "enter")
	if !slices.Contains(f.Calls(), "apply p-test") {
		t.Fatalf("the other environment's name applies: %v", f.Calls())
	}
}

func TestReadOnlyRefusesBeforeTheDialog(t *testing.T) {
	f := &fakeEngine{plan: rotation(t)}
	p, c, ts := withEngine(t, f, tuitest.Data())
	c.ReadOnly = true
	stageStale(p, ts)
	msgs := tuitest.PressLoop(p, ts, "a", "y")
	if p.Capturing() || slices.Contains(f.Calls(), "apply p-test") || !says(msgs, "read-only: nothing is applied", true) {
		t.Fatalf("refused, no dialog: %v %v", f.Calls(), msgs)
	}
}

func TestNothingToApply(t *testing.T) {
	p, _, ts := withEngine(t, &fakeEngine{}, tuitest.Data())
	msgs := tuitest.PressLoop(p, ts, "a")
	if p.Capturing() || !says(msgs, "no plan to apply: stage something first", true) {
		t.Fatalf("refused: %v", msgs)
	}
}

func TestApplyStreamsStepsThenTheVerdict(t *testing.T) {
	f := &fakeEngine{plan: rotation(t), gate: make(chan struct{}),
		steps: []model.Step{
			{Plan: "p-test", Secret: "api_db_pass_v2", Action: "create", Result: "ok"},
			{Plan: "p-test", Service: "api", Action: "watch", Result: "updating", Running: 0, Desired: 1},
			{Plan: "p-test", Service: "api", Action: "verified", Result: "ok", Running: 1, Desired: 1},
		},
		result: &model.ApplyResult{Summary: "plan p-test applied: 1 secrets created, 1 services updated and verified"}}
	p, c, ts := withEngine(t, f, tuitest.Data())
	stageStale(p, ts)
	tuitest.Press(p, ts, "a")
	_, cmd := p.Update(tuitest.Keys("y")[0]) // the apply waits at the gate
	if !p.Applying() || !strings.Contains(tuitest.Screen(p), "APPLYING plan p-test") {
		t.Fatalf("applying:\n%s", tuitest.Screen(p))
	}
	if msgs := tuitest.PressLoop(p, ts, "a"); !says(msgs, "an apply is running", true) || p.Capturing() {
		t.Fatalf("one apply at a time: %v", msgs)
	}
	close(f.gate)
	msgs := tuitest.Loop(p, ts, cmd)
	s := tuitest.Screen(p)
	for _, w := range []string{"APPLIED plan p-test", "verified ok", "[##########] 1/1", "create   api_db_pass_v2 ok", "(1/1 running)", "1 services updated and verified"} {
		if !strings.Contains(s, w) {
			t.Errorf("lacks %q:\n%s", w, s)
		}
	}
	verdict := common.StatusMsg{Text: f.result.Summary, Hold: 30 * time.Second}
	if !slices.Contains(msgs, tea.Msg(verdict)) || !slices.Contains(msgs, tea.Msg(common.ReloadMsg{})) {
		t.Errorf("the verdict held on the status line, then a reload: %v", msgs)
	}
	if p.Applying() || !c.Staging.Empty() || p.Plan() != nil {
		t.Errorf("after: applying %v, staging empty %v, plan %v", p.Applying(), c.Staging.Empty(), p.Plan())
	}
	p.SetData(tuitest.Data()) // the reload
	if !strings.Contains(tuitest.Screen(p), "APPLIED plan p-test") {
		t.Errorf("the reload keeps the verdict on screen:\n%s", tuitest.Screen(p))
	}
}

func TestFailedApplyVerdict(t *testing.T) {
	f := &fakeEngine{plan: rotation(t),
		steps: []model.Step{{Plan: "p-test", Service: "api", Action: "rollback", Result: "ok"}},
		err: &model.ApplyError{Err: errors.New("service api: rollout rollback_completed: task failed"),
			Result: &model.ApplyResult{Summary: "plan p-test failed and was undone: services: api rolled-back"}}}
	p, _, ts := withEngine(t, f, tuitest.Data())
	stageStale(p, ts)
	msgs := tuitest.PressLoop(p, ts, "a", "y")
	s := tuitest.Screen(p)
	for _, w := range []string{"FAILED plan p-test", "rollback ok", "Now: plan p-test failed and was undone"} {
		if !strings.Contains(s, w) {
			t.Errorf("lacks %q:\n%s", w, s)
		}
	}
	if !says(msgs, "apply failed: service api: rollout rollback_completed: task failed", true) || !slices.Contains(msgs, tea.Msg(common.ReloadMsg{})) {
		t.Errorf("the failure on the status line, then a reload: %v", msgs)
	}
}

func TestResumeAndRevert(t *testing.T) {
	for _, tc := range []struct{ key, call, status string }{
		{"R", "resume p-old", "resume of p-old planned: a to apply"},
		{"V", "revert p-old", "revert of p-old planned: a to apply"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			f := &fakeEngine{plan: rotation(t), result: &model.ApplyResult{Summary: "done"}}
			p, _, ts := withEngine(t, f, halfDone())
			msgs := tuitest.PressLoop(p, ts, tc.key)
			if !slices.Equal(f.Calls(), []string{tc.call}) || !says(msgs, tc.status, false) || f.data == nil || !strings.Contains(tuitest.Screen(p), "PLAN p-test") {
				t.Fatalf("%s plans through the engine: %v %v\n%s", tc.key, f.Calls(), msgs, tuitest.Screen(p))
			}
			tuitest.PressLoop(p, ts, "a", "y")
			if !slices.Contains(f.Calls(), "apply p-test") {
				t.Fatalf("the plan applies: %v", f.Calls())
			}

			// The engine refuses: said in the pane and on the status line.
			f.plan, f.planErr = nil, errors.New("no secret in this swarm carries plan id p-old: nothing to resume")
			p.SetData(halfDone())
			msgs = tuitest.PressLoop(p, ts, tc.key)
			if !says(msgs, "cannot "+strings.Fields(tc.call)[0]+" p-old: no secret in this swarm", true) || !strings.Contains(tuitest.Screen(p), "No plan: no secret") {
				t.Fatalf("the refusal is said: %v\n%s", msgs, tuitest.Screen(p))
			}
		})
	}
	// Without a half-done plan, R and V ask nothing.
	f := &fakeEngine{plan: rotation(t)}
	p, _, ts := withEngine(t, f, tuitest.Data())
	tuitest.PressLoop(p, ts, "R", "V")
	if len(f.Calls()) != 0 {
		t.Fatalf("nothing to resume: %v", f.Calls())
	}
}
