package cli

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/secretdeck/secretdeck/model"
)

// drift --json streams its findings; what it prints is byte for byte what
// json.Encoder with a two-space indent printed of the whole report, the
// shape scripts parse: with no findings, one, and several, HTML-like and
// non-ASCII text included.
func TestDriftJSONIsWhatTheEncoderPrinted(t *testing.T) {
	f := func(kind model.Kind, service, explanation string) model.Finding {
		return model.Finding{Kind: kind, Severity: model.SeverityHigh, Service: service, Explanation: explanation,
			Actions: []model.Action{model.ActionReport}, Command: "secretdeck plan --service " + service}
	}
	for _, findings := range [][]model.Finding{
		nil,
		{},
		{f(model.KindStale, "api", "a <b> & \"c\" — é")},
		{f(model.KindStale, "api", "one"), f(model.KindOrphan, "", "two\nlines"), f(model.KindEnvExposure, "proxy", "\u2028 three")},
	} {
		out := driftOutput{Source: "s3://b/p", Env: "prod", FingerprintKey: true, Findings: findings,
			Summary: driftSummary{Total: len(findings), BySeverity: map[string]int{"high": len(findings)}, ByKind: map[string]int{"stale": 1, "orphan": 1}}}
		var want, got bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			t.Fatal(err)
		}
		if err := out.writeJSON(&got); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%d findings: streamed\n%s\nencoder\n%s", len(findings), got.String(), want.String())
		}
	}
}
