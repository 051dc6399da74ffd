// Package cli holds secretdeck's cobra commands: thin faces on the engine in
// model/, swarm/ and s3/.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/swarm"
)

// BuildInfo is injected by the release build.
type BuildInfo struct {
	Version, Commit, Date string
}

// globalOptions are the flags every command shares.
type globalOptions struct {
	host       string
	context    string
	source     string
	s3Endpoint string
	env        string
	debug      bool
	readOnly   bool
	// insecureTransport allows writes over tcp:// without TLS.
	insecureTransport bool
	// acceptExposed: the workbench's plans may move values that were
	// visible in a service's env as they are.
	acceptExposed bool
	// stackFiles are --stack-file STACK=PATH: local stack files (a git
	// checkout) in place of the source's stacks/.
	stackFiles []string
	noReveal   bool
	// apply are the workbench's rotation options (apply has its own flags).
	apply model.ApplyOptions

	log *slog.Logger // set before any command runs; never given a value
}

// Exit codes, like terraform's detailed exit code for drift.
const (
	exitOK    = 0
	exitError = 1
)

// exitCodeError lets a command choose its exit code without printing an error.
type exitCodeError struct{ code int }

func (e exitCodeError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// Main runs secretdeck with args and returns the process exit code. Errors are
// printed as ONE line on stderr: the first line is what an operator reads at
// 3 am, so it must say what to fix.
func Main(args []string, build BuildInfo) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, build, os.Stdout, os.Stderr)
}

func run(ctx context.Context, args []string, build BuildInfo, stdout, stderr io.Writer) int {
	cmd := newRootCommand(build, stdout, stderr)
	cmd.SetArgs(args)
	err := unknownCommand(cmd, args)
	if err == nil {
		err = cmd.ExecuteContext(ctx)
	}
	var code exitCodeError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &code):
		return code.code
	default:
		msg := "secretdeck: " + oneLine(err.Error())
		var usage usageError
		if errors.As(err, &usage) {
			if !strings.HasSuffix(msg, "?") {
				msg += "."
			}
			msg += fmt.Sprintf(" See '%s --help'.", usage.cmd.CommandPath())
		}
		fmt.Fprintln(stderr, msg)
		return exitError
	}
}

// usageError is a command line cobra or secretdeck refused (an unknown
// command or flag, a missing or extra argument): its line ends by pointing at
// the command's --help.
type usageError struct {
	cmd *cobra.Command
	err error
}

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// markUsageErrors makes every argument and flag error of c and its
// subcommands a usageError.
func markUsageErrors(c *cobra.Command) {
	c.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError{cmd, err} })
	if args := c.Args; args != nil {
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil {
				return usageError{cmd, err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markUsageErrors(sub)
	}
}

// noSubcommand is the Args of a command that only groups others (and of the
// root, which runs the workbench without arguments): a word that is not one
// of its commands is an error with cobra's suggestions, never help and exit 0.
func noSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return errors.New(msg)
}

// unknownCommand catches a mistyped command before cobra parses the root's
// flags: `secretdeck drfit --json` is an unknown command, not an unknown flag.
func unknownCommand(root *cobra.Command, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return nil
	}
	// The shell completion scripts ask `secretdeck __complete …`, a command
	// cobra adds only as it executes: never an unknown one.
	if args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd {
		return nil
	}
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	if c, _, err := root.Find(args); err != nil || c != root {
		return nil
	}
	if err := noSubcommand(root, args[:1]); err != nil {
		return usageError{root, err}
	}
	return nil
}

// oneLine keeps an error on one line, whatever a library put in it.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// NewCommand is secretdeck's command tree, for the tools that document it:
// internal/gendocs writes the man pages and shell completions from it.
func NewCommand(build BuildInfo, stdout, stderr io.Writer) *cobra.Command {
	return newRootCommand(build, stdout, stderr)
}

func newRootCommand(build BuildInfo, stdout, stderr io.Writer) *cobra.Command {
	opts := &globalOptions{apply: model.DefaultApplyOptions()}
	root := &cobra.Command{
		Use:   "secretdeck",
		Short: "A terminal workbench for Docker Swarm secrets",
		Long: `secretdeck shows the secrets of a Docker Swarm next to the property files that
hold their desired values (in an S3 bucket or a local folder), finds the drift
between the two without ever reading a secret back, and rotates secrets as one
reviewed change that completes verified or is rolled back (plan, apply).

It connects to Docker like the docker CLI: --host, --context, DOCKER_HOST,
DOCKER_CONTEXT, the current context of ~/.docker/config.json, then the default
socket. It must talk to a MANAGER node of an active swarm.

Property files are named <service>.<format>.<env> (my_service.json.prod) or
<env>/<service>.<format>, in json, properties, env or yaml.

Without a command, secretdeck opens its terminal UI (80×24 at least; NO_COLOR
is honoured): panes for Secrets, Services, Configs, Properties, Drift, Plan,
Audit and Nodes; space stages a fix (in Nodes: all a node exposed), p
previews the plan, a applies it, W (in Nodes) writes the incident report, ?
shows keys. The swarm shows as soon as it is read while the property files
stream in; a refresh (r) reads again only the files that changed.`,
		Example: `  # The workbench (a terminal UI) on the prod property files
  secretdeck --source s3://ops-config/services --env prod

  # What is in the swarm and in the prod property files
  secretdeck status --source s3://ops-config/services --env prod

  # The same, against a swarm reached over SSH
  secretdeck status -H ssh://ops@manager1 --source s3://ops-config/services --env prod

  # Machine-readable
  secretdeck status --json --source ./examples/props --env dev`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          noSubcommand,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTUI(cmd, opts)
		},
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			opts.log = newLogger(stderr, opts.debug)
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)

	f := root.PersistentFlags()
	f.StringVarP(&opts.host, "host", "H", "", "Docker daemon socket to connect to (unix://, tcp://, ssh://user@host)")
	f.StringVarP(&opts.context, "context", "c", "", "docker context to use (default: DOCKER_CONTEXT or the current context)")
	f.StringVar(&opts.source, "source", os.Getenv("SECRETDECK_SOURCE"), "property source: s3://bucket/prefix, a folder, or azkv://vault[/prefix] (Azure Key Vault); SOPS-encrypted files are decrypted in memory (env SECRETDECK_SOURCE)")
	f.StringVar(&opts.s3Endpoint, "s3-endpoint", "", "S3 endpoint URL for S3-compatible servers (default: AWS_ENDPOINT_URL_S3 or AWS)")
	f.StringVar(&opts.env, "env", os.Getenv("SECRETDECK_ENV"), "environment of the property files, e.g. prod (env SECRETDECK_ENV)")
	f.BoolVar(&opts.debug, "debug", false, "log what secretdeck does to stderr (never values)")
	f.BoolVar(&opts.readOnly, "read-only", false, "incident mode: change nothing (the header shows READ-ONLY)")
	f.BoolVar(&opts.insecureTransport, "insecure-transport", false, "allow changes over tcp:// without TLS (refused otherwise: values would cross the network in clear)")
	f.BoolVar(&opts.noReveal, "no-reveal", false, "never show a value on screen, even on request")
	f.StringArrayVar(&opts.stackFiles, "stack-file", nil, "STACK=PATH: the stack file `docker stack deploy` deploys STACK from (a git checkout), in place of the source's stacks/STACK.yml (repeatable)")
	// The workbench applies plans as `apply` does, with the same options.
	addApplyFlags(root.Flags(), &opts.apply)
	root.Flags().BoolVar(&opts.acceptExposed, "accept-exposed-value", false, "the workbench's plans may move a credential from a service's env into a secret with the value that was exposed (rotate it soon)")

	root.AddCommand(
		newStatusCommand(opts),
		newDriftCommand(opts),
		newInspectCommand(opts),
		newPlanCommand(opts),
		newApplyCommand(opts),
		newUnlockCommand(opts),
		newPruneCommand(opts),
		newReportCommand(opts),
		newAuditCommand(),
		newVersionCommand(build),
	)
	markUsageErrors(root)
	return root
}

func newLogger(w io.Writer, debug bool) *slog.Logger {
	level := slog.LevelWarn
	if debug {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// connect opens the engine with the global flags.
func (o *globalOptions) connect(ctx context.Context) (*swarm.Client, error) {
	return swarm.Connect(ctx, swarm.ConnectOptions{Host: o.host, Context: o.context, ReadOnly: o.readOnly, InsecureTransport: o.insecureTransport})
}
