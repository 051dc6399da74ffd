// Command secretdeck is a terminal workbench for the secrets of a Docker Swarm.
package main

import (
	"os"

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
