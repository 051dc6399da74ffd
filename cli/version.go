package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

func newVersionCommand(build BuildInfo) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print secretdeck's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "secretdeck %s (commit %s, built %s, %s %s/%s)\n",
				build.Version, build.Commit, build.Date, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}
