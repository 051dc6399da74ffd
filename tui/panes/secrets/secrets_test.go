package secrets_test

import (
	"bytes"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/internal/tuitest"
	"github.com/secretdeck/secretdeck/tui/list"
	"github.com/secretdeck/secretdeck/tui/panes/secrets"
)

// newPane returns the Secrets pane of 120×20 showing d.
func newPane(d *common.Data) (*list.Pane, *common.Common, *tuitest.Timers) {
	c, ts, _ := tuitest.NewCommon(120, 20)
	p := secrets.New(c)
	p.SetSize(c.Width, c.Height)
	p.SetData(d)
	return p, c, ts
}

// relabel gives secret i of d the fingerprint of value under key.
func relabel(d *common.Data, i int, key model.FingerprintKey, value string) {
	d.Swarm.Secrets[i].Labels[model.LabelFingerprint] = string(key.Fingerprint(d.Swarm.Secrets[i].Labels[model.LabelLogical], model.NewValueString(value)))
}

func TestRows(t *testing.T) {
	cases := []struct {
		name   string
		change func(d *common.Data)
		want   []string // rows: NAME LOGICAL VER FPRINT USED AGE DRIFT
	}{
		{
			name: "fixture",
			want: []string{
				"api_db_pass_v1 api_db_pass 1 DIFFERS 1 3d high",
				"payment_key_v1 payment_key 1 none 1 3d high",
				"payment_key_v2 payment_key 2 none 1 3d medium", // unlabelled: logical and version from the name
				"legacy_token legacy_token 0 undeclared 0 3d low",
			},
		},
		{
			name:   "fingerprint of the source's value",
			change: func(d *common.Data) { relabel(d, 0, d.Source.Key, "hunter2-db-pass") },
			want:   []string{"api_db_pass_v1 api_db_pass 1 ok 1 3d -"},
		},
		{
			name: "fingerprint made with another key",
			change: func(d *common.Data) {
				other, _ := model.NewFingerprintKey(bytes.Repeat([]byte{7}, model.FingerprintKeySize))
				relabel(d, 0, other, "hunter2-db-pass")
			},
			want: []string{"api_db_pass_v1 api_db_pass 1 other key 1 3d medium"},
		},
		{
			// Made by Ansible's docker_secret: its ansible_key proves the value.
			name: "checked by Ansible's label",
			change: func(d *common.Data) {
				d.Swarm.Secrets[2].Labels = map[string]string{model.LabelAnsibleVersion: "2", model.LabelAnsibleKey: model.AnsibleKey(model.NewValueString("payment-key-new"))}
			},
			want: []string{"payment_key_v2 payment_key 2 ok (ansible) 1 3d -"},
		},
		{
			name:   "source without a fingerprint key",
			change: func(d *common.Data) { d.Source.Key = model.FingerprintKey{} },
			want:   []string{"api_db_pass_v1 api_db_pass 1 no key 1 3d medium"},
		},
		{
			name:   "no source",
			change: func(d *common.Data) { d.Source, d.Drift = nil, nil },
			want:   []string{"api_db_pass_v1 api_db_pass 1 labelled 1 3d -", "legacy_token legacy_token 0 none 0 3d -"},
		},
		{
			// A rollback would mount what the previous spec names: it
			// counts as a use, once per service.
			name: "previous specs count",
			change: func(d *common.Data) {
				svcs := d.Swarm.Services
				svcs[0].Previous = &model.ServiceSpec{Secrets: svcs[0].Spec.Secrets}        // api: s1 in both specs
				svcs[2].Previous = &model.ServiceSpec{Secrets: svcs[1].Spec.Secrets}        // checkout rolled from payment_key_v1
				svcs[3].Previous = &model.ServiceSpec{Secrets: []model.FileRef{{ID: "s4"}}} // proxy once had legacy_token
			},
			want: []string{
				"api_db_pass_v1 api_db_pass 1 DIFFERS 1 3d high",
				"payment_key_v1 payment_key 1 none 2 3d high",
				"legacy_token legacy_token 0 undeclared 1 3d -",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := tuitest.Data()
			if tc.change != nil {
				tc.change(d)
				if d.Source != nil {
					tuitest.Redrift(d)
				}
			}
			p, _, _ := newPane(d)
			s := tuitest.Screen(p)
			tuitest.AssertRows(t, s, tc.want...)
			tuitest.AssertNoValues(t, s)
		})
	}
}

func TestEmpty(t *testing.T) {
	d := tuitest.Data()
	d.Swarm.Secrets = nil
	p, _, _ := newPane(d)
	if s := tuitest.Screen(p); !strings.Contains(s, "no secrets in this swarm") {
		t.Fatalf("an empty swarm says so:\n%s", s)
	}
}

func TestDetail(t *testing.T) {
	cases := []struct {
		keys []string
		want []string
	}{
		{[]string{"enter"}, []string{
			"Secret       api_db_pass_v1 (s1)", "Logical      api_db_pass, version 1, made by secretdeck", "Fingerprint  differs",
			"api      -      spec  db_pass  0:0      0400", "high   stale",
		}},
		{[]string{"down", "down", "enter"}, []string{
			"Secret       payment_key_v2 (s3)", "Logical      payment_key, version 2, made outside secretdeck (adopted by its name)",
			"VERSIONS OF payment_key", "payment_key_v1  1", "payment_key_v2  2", "checkout  shop   spec",
		}},
		{[]string{"end", "enter"}, []string{"Secret       legacy_token (s4)", "No service mounts it, nor would a rollback.", "low    orphan"}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.keys, ","), func(t *testing.T) {
			p, _, ts := newPane(tuitest.Data())
			tuitest.Press(p, ts, tc.keys...)
			s := tuitest.Screen(p)
			if !p.InDetail() {
				t.Fatalf("%v opens the detail:\n%s", tc.keys, s)
			}
			for _, w := range tc.want {
				if !strings.Contains(s, w) {
					t.Errorf("detail lacks %q:\n%s", w, s)
				}
			}
			tuitest.AssertNoValues(t, s)
			tuitest.Press(p, ts, "esc")
			if p.InDetail() || !strings.Contains(tuitest.Screen(p), "NAME") {
				t.Fatalf("esc goes back to the list:\n%s", tuitest.Screen(p))
			}
		})
	}
}

func TestDetailOfARemovedSecret(t *testing.T) {
	p, _, ts := newPane(tuitest.Data())
	tuitest.Press(p, ts, "end", "enter")
	d := tuitest.Data()
	d.Swarm.Secrets = d.Swarm.Secrets[:3] // legacy_token was removed meanwhile
	p.SetData(tuitest.Redrift(d))
	if s := tuitest.Screen(p); !strings.Contains(s, `no secret named "legacy_token"`) || !strings.Contains(s, "(it was removed: press esc)") {
		t.Fatalf("the detail says the secret is gone:\n%s", s)
	}
}

func TestFilter(t *testing.T) {
	cases := []struct {
		filter string
		shown  []string
		hidden []string
		pos    string
	}{
		{"pay", []string{"payment_key_v1", "payment_key_v2"}, []string{"api_db_pass_v1", "legacy_token"}, "1/2 (filtered from 4)"},
		{"DIFFERS", []string{"api_db_pass_v1"}, []string{"payment_key_v1", "legacy_token"}, "1/1 (filtered from 4)"},
		{"zzz", nil, []string{"api_db_pass_v1", "payment_key_v1"}, "0/0 (filtered from 4)"},
		{"", []string{"api_db_pass_v1", "legacy_token"}, nil, "1/4"},
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			p, _, _ := newPane(tuitest.Data())
			p.SetFilter(tc.filter)
			s := tuitest.Screen(p)
			for _, n := range tc.shown {
				if tuitest.Row(s, n) == "" {
					t.Errorf("filter %q hides %s:\n%s", tc.filter, n, s)
				}
			}
			for _, n := range tc.hidden {
				if tuitest.Row(s, n) != "" {
					t.Errorf("filter %q shows %s:\n%s", tc.filter, n, s)
				}
			}
			if !strings.Contains(s, tc.pos) {
				t.Errorf("position line: want %q:\n%s", tc.pos, s)
			}
		})
	}
}

func TestStageKeys(t *testing.T) {
	cases := []struct {
		keys []string
		want tea.Msg
	}{
		{[]string{"space"}, common.StageMsg{Kind: common.StageLogical, Key: "api_db_pass", On: true}},
		{[]string{"u"}, common.StageMsg{Kind: common.StageLogical, Key: "api_db_pass", On: false}},
		{[]string{"down", "down", "space"}, common.StageMsg{Kind: common.StageLogical, Key: "payment_key", On: true}}, // unlabelled: by its name
		{[]string{"end", "space"}, common.StageMsg{Kind: common.StageLogical, Key: "legacy_token", On: true}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.keys, ","), func(t *testing.T) {
			p, _, ts := newPane(tuitest.Data())
			got := tuitest.Press(p, ts, tc.keys...)
			if len(got) != 1 || got[0] != tc.want {
				t.Fatalf("%v sends %v, want %v", tc.keys, got, tc.want)
			}
		})
	}
}

func TestStageKeysInDetailDoNothing(t *testing.T) {
	p, _, ts := newPane(tuitest.Data())
	if got := tuitest.Press(p, ts, "enter", "space", "u"); len(got) != 0 {
		t.Fatalf("space and u in a detail view stage nothing: %v", got)
	}
}

func TestStagedRowsAreMarked(t *testing.T) {
	cases := []struct {
		name   string
		stage  func(c *common.Common, d *common.Data)
		marked []string
	}{
		{"logical staged", func(c *common.Common, _ *common.Data) {
			c.Staging.Apply(common.StageMsg{Kind: common.StageLogical, Key: "payment_key", On: true})
		}, []string{"payment_key_v1", "payment_key_v2"}},
		{"finding staged", func(c *common.Common, d *common.Data) {
			c.Staging.Apply(common.StageMsg{Kind: common.StageFinding, Key: tuitest.Stale(d).ID(), On: true}) // stale api_db_pass_v1
		}, []string{"api_db_pass_v1"}},
		{"service staged", func(c *common.Common, _ *common.Data) {
			c.Staging.Apply(common.StageMsg{Kind: common.StageService, Key: "checkout", On: true}) // fixes payment_key_v2's finding
		}, []string{"payment_key_v2"}},
	}
	all := []string{"api_db_pass_v1", "payment_key_v1", "payment_key_v2", "legacy_token"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := tuitest.Data()
			p, c, _ := newPane(d)
			tc.stage(c, d)
			p.SetData(d) // the app re-marks rows after staging
			s := tuitest.Screen(p)
			for _, n := range all {
				want := strings.Contains(strings.Join(tc.marked, " "), n)
				if got := strings.HasPrefix(tuitest.Row(s, n), "+ "); got != want {
					t.Errorf("%s marked %v, want %v:\n%s", n, got, want, s)
				}
			}
		})
	}
}

// The list and the detail give a secret one fingerprint state, the
// engine's: after a rotation the old version kept for a rollback DIFFERS in
// both, the new one is ok in both.
func TestListAndDetailAgreeOnTheFingerprint(t *testing.T) {
	d := tuitest.Data()
	v2 := d.Swarm.Secrets[0]
	v2.ID, v2.Name = "s9", "api_db_pass_v2"
	v2.Labels = map[string]string{model.LabelLogical: "api_db_pass", model.LabelVersion: "2",
		model.LabelFingerprint: string(d.Source.Key.Fingerprint("api_db_pass", model.NewValueString("hunter2-db-pass")))}
	d.Swarm.Secrets = append(d.Swarm.Secrets, v2)
	d.Swarm.Services[0].Spec.Secrets[0].ID, d.Swarm.Services[0].Spec.Secrets[0].Name = "s9", "api_db_pass_v2"
	tuitest.Redrift(d)
	long := map[string]string{"match": "ok", "differs": "DIFFERS", "unknown": "none", "no-key": "no key", "other-key": "other key",
		"no source entry declares it": "undeclared"}
	want := map[string]string{"api_db_pass_v1": "DIFFERS", "api_db_pass_v2": "ok", "legacy_token": "undeclared"}
	for _, sec := range d.Swarm.Secrets {
		p, _, ts := newPane(d)
		for p.Selected() != sec.Name {
			tuitest.Press(p, ts, "down")
		}
		row := strings.Fields(tuitest.Selected(tuitest.Screen(p)))
		tuitest.Press(p, ts, "enter")
		var inDetail string
		for _, l := range strings.Split(tuitest.Screen(p), "\n") {
			if after, ok := strings.CutPrefix(l, "Fingerprint  "); ok {
				inDetail = long[strings.TrimSpace(after)]
			}
		}
		if len(row) < 4 || !strings.Contains(strings.Join(row[3:], " "), inDetail) || inDetail == "" {
			t.Errorf("%s: the list says %v, the detail %q", sec.Name, row, inDetail)
		}
		if w, ok := want[sec.Name]; ok && inDetail != w {
			t.Errorf("%s: %q, want %q", sec.Name, inDetail, w)
		}
	}
}
