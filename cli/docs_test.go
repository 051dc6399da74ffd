package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/model"
)

// TestEveryKindIsInTheReadme: each kind of finding has its row in the
// README's drift tables, where an operator looks up what it means.
func TestEveryKindIsInTheReadme(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range model.Kinds {
		if !strings.Contains(string(b), "| `"+string(k)+"` |") {
			t.Errorf("the README's drift table has no row for %s", k)
		}
	}
}
