package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/internal/testrig"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		_ = os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// result is what one run of secretdeck printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) all() string { return r.stdout + r.stderr }

// runCLI runs secretdeck in-process, as main would, with args.
func runCLI(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, BuildInfo{Version: "test"}, &out, &errOut)
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

// useRigS3 points the AWS SDK's default chain at the rig's S3 server.
func useRigS3(t *testing.T) testrig.S3Server {
	t.Helper()
	srv := testrig.S3(t)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	t.Setenv("AWS_REGION", srv.Region)
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.Endpoint)
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	return srv
}

// assertOneLineError checks the contract of every failing command: exit 1,
// nothing on stdout, and exactly one line on stderr that mentions each of want.
func assertOneLineError(t *testing.T, r result, want ...string) {
	t.Helper()
	if r.code != exitError {
		t.Fatalf("exit code %d, want %d; stderr: %s", r.code, exitError, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout should be empty on error, got %q", r.stdout)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if len(lines) != 1 {
		t.Errorf("want ONE line on stderr, got %d:\n%s", len(lines), r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr %q does not mention %q", r.stderr, w)
		}
	}
}

func TestVersion(t *testing.T) {
	r := runCLI(t, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "secretdeck test (") {
		t.Fatalf("version: code %d, out %q", r.code, r.stdout)
	}
}

// TestShellCompletionIsAnswered: what the completion scripts of `secretdeck
// completion bash|zsh|fish` run at each <TAB> (`secretdeck __complete sta`)
// gets the commands, not an "unknown command" error.
func TestShellCompletionIsAnswered(t *testing.T) {
	for _, req := range []string{"__complete", "__completeNoDesc"} {
		r := runCLI(t, req, "sta")
		if r.code != 0 || !strings.HasPrefix(r.stdout, "status") {
			t.Errorf("secretdeck %s sta: code %d, stdout %q, stderr %q", req, r.code, r.stdout, r.stderr)
		}
	}
	r := runCLI(t, "__complete", "status", "--so")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "--source") {
		t.Errorf("secretdeck __complete status --so: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestUnknownCommandIsOneLine(t *testing.T) {
	r := runCLI(t, "stauts")
	assertOneLineError(t, r, `unknown command "stauts"`)
}

// TestUsageErrorsPointAtHelp: a mistyped command gets cobra's suggestion, an
// incomplete one an error (never help and exit 0), and every usage error ends
// by pointing at the command's --help. All on one line, nothing on stdout.
func TestUsageErrorsPointAtHelp(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"stauts"}, []string{`unknown command "stauts"`, "did you mean status?", "See 'secretdeck --help'."}},
		{[]string{"drfit", "--json"}, []string{`unknown command "drfit"`, "did you mean drift?"}},
		{[]string{"inspect", "payment_key_v2"}, []string{"`secretdeck inspect secret payment_key_v2`", "See 'secretdeck inspect --help'."}},
		{[]string{"inspect", "secrets", "x"}, []string{"did you mean secret?", "See 'secretdeck inspect --help'."}},
		{[]string{"inspect"}, []string{"secretdeck inspect secret NAME", "See 'secretdeck inspect --help'."}},
		{[]string{"inspect", "secret"}, []string{"accepts 1 arg", "See 'secretdeck inspect secret --help'."}},
		{[]string{"plan", "--nope"}, []string{"unknown flag: --nope", "See 'secretdeck plan --help'."}},
		{[]string{"prune", "a", "b"}, []string{"See 'secretdeck prune --help'."}},
	} {
		assertOneLineError(t, runCLI(t, c.args...), c.want...)
	}
}
