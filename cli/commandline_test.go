package cli

import (
	"io"
	"strings"
	"testing"
)

// splitShell splits a command line as a POSIX shell would for the quoting
// secretdeck prints (single quotes, '\” inside them); anything fancier
// (pipes, $, ||) is reported, not guessed at.
func splitShell(t *testing.T, line string) []string {
	t.Helper()
	var args []string
	var cur strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '\'':
			quoted = false
		case quoted:
			cur.WriteByte(c)
		case c == '\'':
			quoted, inWord = true, true
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		case strings.IndexByte("|&;<>$`\"()#", c) >= 0:
			t.Fatalf("%q: shell syntax %q is not a plain command", line, c)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("%q: unterminated quote", line)
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args
}

// parseSecretdeck parses args (without "secretdeck") through the real
// command tree, flags and argument rules included, without running anything.
func parseSecretdeck(args []string) error {
	root := newRootCommand(BuildInfo{Version: "test"}, io.Discard, io.Discard)
	c, rest, err := root.Find(args)
	if err != nil {
		return err
	}
	if err := c.ParseFlags(rest); err != nil {
		return err
	}
	return c.ValidateArgs(c.Flags().Args())
}

func TestParseSecretdeckRefusesWhatCobraRefuses(t *testing.T) {
	for _, line := range []string{"stauts", "plan --nope", "inspect secret", "plan extra"} {
		if err := parseSecretdeck(splitShell(t, line)); err == nil {
			t.Errorf("%q parsed", line)
		}
	}
	for _, line := range []string{"plan --secret 'a b' --env prod", "inspect secret x --json", "drift"} {
		if err := parseSecretdeck(splitShell(t, line)); err != nil {
			t.Errorf("%q: %v", line, err)
		}
	}
}
