package cli

import (
	"runtime/debug"
	"testing"
)

// The workbench sets its soft memory limit, unless GOMEMLIMIT sets one.
func TestWorkbenchMemoryLimit(t *testing.T) {
	was := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(was) })
	debug.SetMemoryLimit(1 << 40)
	setWorkbenchMemoryLimit(func(string) string { return "100MiB" })
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("with GOMEMLIMIT set, the limit became %d", got)
	}
	setWorkbenchMemoryLimit(func(string) string { return "" })
	if got := debug.SetMemoryLimit(-1); got != workbenchMemoryLimit {
		t.Errorf("the limit is %d, want %d", got, workbenchMemoryLimit)
	}
}
