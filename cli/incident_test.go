package cli

import (
	"strings"
	"testing"
)

// TestAPlanFileCarriesItsOwnExposure: a plan file's selection is its
// origin's; an exposure flag next to it is refused before anything loads.
func TestAPlanFileCarriesItsOwnExposure(t *testing.T) {
	for _, flag := range [][]string{{"--exposed-on-node", "n1"}, {"--same-value-as", "api_tok_v1"}, {"--allow-same-value"}} {
		r := runCLI(t, append([]string{"apply", "no-such-plan.json", "--yes"}, flag...)...)
		if r.code != exitError || !strings.Contains(r.stderr, "a plan file carries its own selection") {
			t.Errorf("apply FILE %v: exit %d: %s", flag, r.code, r.stderr)
		}
	}
}
