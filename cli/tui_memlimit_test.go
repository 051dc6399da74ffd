package cli

import (
	"runtime/debug"
	"testing"
)

// The workbench sets its soft memory limit, unless GOMEMLIMIT sets one.
func TestWorkbenchMemoryLimit(t *testing.T) {
	was := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(was); ownMemoryLimit.Store(false) })
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

// The limit grows with what the heap keeps: a swarm larger than the one
// it was measured on is collected as often as the default would, not
// without end.
func TestWorkbenchMemoryLimitGrows(t *testing.T) {
	if got := memoryLimitFor(10 << 20); got != workbenchMemoryLimit {
		t.Errorf("10 MiB kept: limit %d, want the least, %d", got, workbenchMemoryLimit)
	}
	if got := memoryLimitFor(100 << 20); got != 158<<20 {
		t.Errorf("100 MiB kept: limit %d MiB, want 158", got>>20)
	}
	was := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(was); ownMemoryLimit.Store(false) })
	ownMemoryLimit.Store(false)
	debug.SetMemoryLimit(1 << 40)
	adjustMemoryLimit()
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("a GOMEMLIMIT of one's own was changed to %d", got)
	}
	ownMemoryLimit.Store(true)
	adjustMemoryLimit()
	if got := debug.SetMemoryLimit(-1); got < workbenchMemoryLimit || got == 1<<40 {
		t.Errorf("after a load the limit is %d", got)
	}
}
