package cli

import (
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/secretdeck/secretdeck/internal/testrig"
)

// example is one line of a command's Example, without its comment.
type example struct {
	cmd  string // the command whose help shows it
	line string
}

func examples(t *testing.T) []example {
	t.Helper()
	var out []example
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, l := range strings.Split(c.Example, "\n") {
			l = strings.TrimSpace(l)
			if i := strings.Index(l, "  #"); i >= 0 {
				l = strings.TrimSpace(l[:i])
			}
			if l != "" && !strings.HasPrefix(l, "#") {
				out = append(out, example{c.CommandPath(), l})
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCommand(BuildInfo{Version: "test"}, io.Discard, io.Discard))
	if len(out) < 10 {
		t.Fatalf("only %d examples found", len(out))
	}
	return out
}

// shellOperator splits a line into the commands of a pipeline or list.
var shellOperator = regexp.MustCompile(`\s*(\|\||&&|\||;)\s*`)

// TestEveryExampleParses: every line of every command's Example is valid
// shell, and each secretdeck command in it parses through the real command
// tree (flags, arguments) as written.
func TestEveryExampleParses(t *testing.T) {
	for _, ex := range examples(t) {
		if out, err := exec.Command("bash", "-n", "-c", ex.line).CombinedOutput(); err != nil {
			t.Errorf("%s: %q is not valid shell: %s", ex.cmd, ex.line, out)
		}
		for _, part := range shellOperator.Split(ex.line, -1) {
			if !strings.HasPrefix(part, "secretdeck") {
				continue
			}
			args := splitShell(t, part)
			if err := parseSecretdeck(args[1:]); err != nil {
				t.Errorf("%s: example %q: %v", ex.cmd, ex.line, err)
			}
		}
	}
}

// TestExamplesMeanWhatTheySay runs the examples whose meaning is shell logic
// with a stand-in secretdeck that exits 0 (no drift), 1 (error) or 2 (drift).
func TestExamplesMeanWhatTheySay(t *testing.T) {
	var line string
	for _, ex := range examples(t) {
		if strings.Contains(ex.line, `echo "drift found"`) {
			line = ex.line
		}
	}
	if line == "" {
		t.Fatal("drift --help has no exit-code example")
	}
	for code, want := range map[string]string{"0": "", "1": "", "2": "drift found\n"} {
		out, _ := exec.Command("bash", "-c", "secretdeck() { return "+code+"; }; "+line).Output()
		if string(out) != want {
			t.Errorf("%q when drift exits %s prints %q, want %q", line, code, out, want)
		}
	}
}

// TestExamplesRunOnTheRig runs the examples that name no object, host or file
// of their own against the rig, the source swapped for a test bucket.
func TestExamplesRunOnTheRig(t *testing.T) {
	srv := useRigS3(t)
	bucket := srv.NewBucket(t, map[string]string{testrig.UniqueName("ex") + ".properties.prod": "k=v\n",
		"dev/" + testrig.UniqueName("ex") + ".properties": "k=v\n"})
	t.Setenv("DOCKER_HOST", testrig.Docker(t))
	t.Setenv("SECRETDECK_SOURCE", "s3://"+bucket)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	ran := 0
	for _, ex := range examples(t) {
		if strings.ContainsAny(ex.line, "|;&") || strings.Contains(ex.line, "ssh://") || strings.Contains(ex.line, ".json") ||
			!regexp.MustCompile(`^secretdeck (status|drift|audit)\b`).MatchString(ex.line) {
			continue
		}
		line := strings.ReplaceAll(ex.line, "s3://ops-config/services", "s3://"+bucket)
		line = strings.ReplaceAll(line, "./examples/props", filepath.Join("..", "examples", "props"))
		args := splitShell(t, line)
		r := runCLI(t, args[1:]...)
		if r.code != 0 && !(strings.HasPrefix(line, "secretdeck drift") && r.code == exitDrift) {
			t.Errorf("%q: exit %d: %s", line, r.code, r.stderr)
		}
		ran++
	}
	if ran < 3 {
		t.Errorf("only %d examples ran", ran)
	}
}
