// Command secretdeck is a terminal workbench for the secrets of a Docker Swarm.
package main

import (
	"os"

	// Root certificates for a host that has none, such as the FROM scratch
	// image: without them no HTTPS call to S3 could be verified. Used only
	// where the system has no certificate store of its own.
	_ "golang.org/x/crypto/x509roots/fallback"

	"github.com/secretdeck/secretdeck/cli"
)

// Set by the release build (-ldflags "-X main.version=…").
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.BuildInfo{Version: version, Commit: commit, Date: date}))
}
