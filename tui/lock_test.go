package tui

import (
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/tui/internal/tuitest"
)

// A held operator lock shows in the header (LOCKED) and, with its holder,
// in the status line; none shows nothing.
func TestHeldLockShowsInHeaderAndStatus(t *testing.T) {
	const holder = "plan p-20261130-101500-aaaa (ops@bastion, pid 4242) since 2026-11-30 10:15:00 UTC (3m0s ago)"
	for _, held := range []bool{true, false} {
		a, _ := newTestApp(t, 200, 24, func(o *Options) {
			d := tuitest.Data()
			if held {
				d.Lock = holder
			}
			o.Loader = &fakeLoader{data: d}
		})
		lines := strings.Split(screen(a), "\n")
		header, status := lines[0], lines[len(lines)-2]
		if got := strings.Contains(header, "LOCKED"); got != held {
			t.Errorf("held=%v: header %q", held, header)
		}
		if got := strings.Contains(status, "ops@bastion") && strings.Contains(status, "p-20261130-101500-aaaa"); got != held {
			t.Errorf("held=%v: status line %q", held, status)
		}
	}
}
