package common_test

import (
	"testing"

	"github.com/secretdeck/secretdeck/tui/common"
)

// Every kind of StageMsg lands in its set, or clears them all; none is
// dropped without a word.
func TestStagingEveryKind(t *testing.T) {
	s := common.NewStaging()
	for _, m := range []common.StageMsg{
		{Kind: common.StageFinding, Key: "stale:api_db_pass", On: true},
		{Kind: common.StageLogical, Key: "payment_key", On: true},
		{Kind: common.StageService, Key: "api", On: true},
		{Kind: common.StageService, Key: "", On: true}, // a row that names nothing
	} {
		s.Apply(m)
	}
	if !s.Findings["stale:api_db_pass"] || !s.Logicals["payment_key"] || !s.Services["api"] || s.Count() != 3 {
		t.Fatalf("staged: %+v", s)
	}
	s.Apply(common.StageMsg{Kind: common.StageLogical, Key: "payment_key"})
	if s.Logicals["payment_key"] || s.Count() != 2 {
		t.Fatalf("unstaged one: %+v", s)
	}
	s.Apply(common.StageMsg{Kind: common.StageClear})
	if !s.Empty() {
		t.Fatalf("cleared: %+v", s)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a kind Apply does not know must not be dropped silently")
		}
	}()
	s.Apply(common.StageMsg{Kind: common.StageKind(99), Key: "x", On: true})
}
