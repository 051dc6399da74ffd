package model

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzReadPlan: whatever a plan file holds, ReadPlan does not panic, and its
// error never repeats the file's text (a marker placed anywhere in it).
func FuzzReadPlan(f *testing.F) {
	const marker = "SECRET-MARKER-7f3a"
	good := &RotationPlan{ID: "p-20261122-150000-0a1f", Env: "prod", Creates: []SecretCreate{{Name: "a_v2", Logical: "a", Version: 2}},
		Services: []ServiceChange{{Service: "api", ServiceID: "x", After: []FileRef{{Name: "a_v2", Target: "a"}}}}, Made: PlanOrigin{Kind: PlanRotate}}
	good.Seal()
	b, _ := json.Marshal(good)
	for _, seed := range []string{
		string(b), "", "{", "[]", "null", `{"id": 1}`, `{"` + marker + `": 1}`, `{"id": "` + marker + `"}`,
		`{"id":"p-20261122-150000-0a1f"} {"id": "x"}`, strings.Repeat("[", 10000), `{"services": [{"after": "` + marker + `"}]}`,
		`{"id": "p-20261122-150000-0a1f", "digest": "` + marker + `"}`, "\xff\xfe" + marker,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadPlan(data)
		if err != nil {
			if strings.Contains(err.Error(), marker) || strings.Contains(err.Error(), "MARKER") {
				t.Fatalf("the error repeats the file: %v", err)
			}
			return
		}
		if !ValidPlanID(p.ID) || p.Digest != p.digest() {
			t.Fatalf("a plan read with an invalid ID or digest: %q", p.ID)
		}
	})
}
