package cli

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/secretdeck/secretdeck/model"
)

func checkSameAsMarshalIndent(t *testing.T, f *model.Finding) {
	t.Helper()
	want, err := json.MarshalIndent(f, "    ", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if got := appendFinding(nil, f, "    "); !bytes.Equal(got, want) {
		t.Errorf("appendFinding differs from json.MarshalIndent:\n got %s\nwant %s", got, want)
	}
}

// Every field of a Finding is written, and written as encoding/json would:
// a field added to Finding and not to appendFinding fails here.
func TestAppendFindingIsMarshalIndent(t *testing.T) {
	var all model.Finding
	v := reflect.ValueOf(&all).Elem()
	for i := range v.NumField() {
		switch fv := v.Field(i); fv.Kind() {
		case reflect.String:
			fv.SetString(v.Type().Field(i).Name + ` <a & "b"> \ é ` + "\t\n\u2028\x01\xff")
		case reflect.Int:
			fv.SetInt(int64(i % 3))
		case reflect.Slice:
			fv.Set(reflect.ValueOf([]model.Action{"rotate", "<&>"}))
		default:
			t.Fatalf("field %s is a %s: teach appendFinding (cli/findingjson.go) and this test", v.Type().Field(i).Name, fv.Kind())
		}
	}
	all.Layer = 7
	checkSameAsMarshalIndent(t, &all)
	checkSameAsMarshalIndent(t, &model.Finding{})
	checkSameAsMarshalIndent(t, &model.Finding{Kind: model.KindOrphan, Severity: model.SeverityHigh, Actions: []model.Action{}})
	checkSameAsMarshalIndent(t, &model.Finding{Kind: model.KindOrphan, Layer: -3, Actions: []model.Action{"prune"}})
}

func FuzzAppendFinding(f *testing.F) {
	f.Add("orphan", "svc", "expl <&>", "diff\n-a\n+b", 0, "rotate")
	f.Add("", "\xff\xfe", "\u2028\u2029", "\x00\x1f\"\\", -1, "")
	f.Fuzz(func(t *testing.T, kind, service, explanation, diff string, layer int, action string) {
		fd := model.Finding{
			Kind: model.Kind(kind), Severity: model.Severity(layer & 3), Service: service, Secret: service + kind,
			Explanation: explanation, Diff: diff, Layer: layer, Hint: action, Command: explanation,
		}
		if action != "" {
			fd.Actions = []model.Action{model.Action(action), model.Action(kind)}
		}
		checkSameAsMarshalIndent(t, &fd)
	})
}
