// Command gendocs writes what the release packages install besides the
// binary: secretdeck's man pages and its shell completions.
//
//	go run ./internal/gendocs [-version V] DIR
//
// It writes DIR/man/secretdeck.1.gz and a page per command
// (secretdeck-status.1.gz, …), and DIR/completions/secretdeck.bash,
// _secretdeck (zsh) and secretdeck.fish. The pages' date is
// SOURCE_DATE_EPOCH when set, so a release rebuilds them byte for byte.
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"github.com/spf13/pflag"

	"github.com/secretdeck/secretdeck/cli"
)

func main() {
	version := flag.String("version", "", "version named at the foot of every man page")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: go run ./internal/gendocs [-version V] DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := generate(flag.Arg(0), *version); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

// completionFiles are the names the shells look for, per shell.
var completionFiles = map[string]string{
	"bash": "secretdeck.bash",
	"zsh":  "_secretdeck",
	"fish": "secretdeck.fish",
}

func generate(dir, version string) error {
	// Flag defaults come from the environment: pages built on a machine
	// with SECRETDECK_SOURCE set must not ship its bucket's name.
	for _, v := range []string{"SECRETDECK_SOURCE", "SECRETDECK_ENV"} {
		if err := os.Unsetenv(v); err != nil {
			return err
		}
	}
	build := cli.BuildInfo{Version: version}

	manDir, complDir := filepath.Join(dir, "man"), filepath.Join(dir, "completions")
	// A page of a command that no longer exists must not be packaged.
	for _, d := range []string{manDir, complDir} {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}

	root := cli.NewCommand(build, io.Discard, io.Discard)
	// cobra adds the completion command when it runs: it has pages too.
	root.InitDefaultCompletionCmd()
	source := "secretdeck"
	if version != "" {
		source += " " + version
	}
	escapeHelp(root)
	if err := writeManPages(root, &doc.GenManHeader{Section: "1", Source: source, Manual: "secretdeck manual"}, manDir); err != nil {
		return err
	}

	for shell, name := range completionFiles {
		// What `secretdeck completion SHELL` prints, run as a user would.
		var out bytes.Buffer
		cmd := cli.NewCommand(build, &out, io.Discard)
		cmd.SetArgs([]string{"completion", shell})
		if err := cmd.Execute(); err != nil {
			return fmt.Errorf("secretdeck completion %s: %w", shell, err)
		}
		if err := os.WriteFile(filepath.Join(complDir, name), out.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeManPages writes the gzipped page of cmd and of each command under it,
// named like cobra's GenManTree names them (secretdeck-inspect-secret.1.gz).
func writeManPages(cmd *cobra.Command, header *doc.GenManHeader, dir string) error {
	for _, c := range cmd.Commands() {
		if !c.IsAvailableCommand() || c.IsAdditionalHelpTopicCommand() {
			continue
		}
		if err := writeManPages(c, header, dir); err != nil {
			return err
		}
	}
	// The footer names the version; cobra's "Auto generated" history is noise.
	cmd.DisableAutoGenTag = true
	h := *header // GenMan fills the title in: one copy per page
	var page bytes.Buffer
	if err := doc.GenMan(cmd, &h, &page); err != nil {
		return fmt.Errorf("man page of %s: %w", cmd.CommandPath(), err)
	}
	name := strings.ReplaceAll(cmd.CommandPath(), " ", "-") + "." + h.Section + ".gz"
	return writeGzip(filepath.Join(dir, name), page.Bytes())
}

// escapeHelp makes the help text of cmd and the commands under it Markdown
// that reads as it does in a terminal: cobra renders pages from Markdown,
// which would eat the <service>.<format>.<env> of a file name as an HTML tag.
// Examples go in a code block and stay as they are. Each flag belongs to one
// command's flag set, so each is escaped once.
func escapeHelp(cmd *cobra.Command) {
	cmd.Short, cmd.Long = escapeMarkdown(cmd.Short), escapeMarkdown(cmd.Long)
	escapeUsage := func(f *pflag.Flag) { f.Usage = escapeMarkdown(f.Usage) }
	cmd.LocalNonPersistentFlags().VisitAll(escapeUsage)
	cmd.PersistentFlags().VisitAll(escapeUsage)
	for _, c := range cmd.Commands() {
		escapeHelp(c)
	}
}

// markdownEscaper keeps help text (written for a terminal) verbatim in a page.
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "<", `\<`, ">", `\>`, "[", `\[`, "]", `\]`)

func escapeMarkdown(s string) string { return markdownEscaper.Replace(s) }

// writeGzip compresses with no file name nor time in the header, so the
// same page gives the same bytes (and checksum) on every build.
func writeGzip(path string, data []byte) error {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(data); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
