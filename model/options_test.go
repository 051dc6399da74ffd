package model

import (
	"fmt"
	"testing"
	"time"
)

// TestApplyOptions: the defaults both faces start from, how they are shown,
// and the one-line refusal of each option an operator can get wrong.
func TestApplyOptions(t *testing.T) {
	d := DefaultApplyOptions()
	if d != (ApplyOptions{Parallel: 4, Timeout: 5 * time.Minute, Poll: 500 * time.Millisecond, Keep: 1}) || d.Validate() != nil {
		t.Errorf("defaults %+v (%v)", d, d.Validate())
	}
	cases := []struct {
		o     ApplyOptions
		shown string
		err   string // "" when valid
	}{
		{d, "parallel 4 · timeout 5m0s · keep 1 previous", ""},
		{ApplyOptions{Parallel: 1, Timeout: time.Second, Keep: 0}, "parallel 1 · timeout 1s · keep 0 previous", ""},
		{ApplyOptions{Parallel: 1, Timeout: time.Second, Keep: -1}, "parallel 1 · timeout 1s · remove nothing", ""},
		{ApplyOptions{Parallel: 0, Timeout: time.Second}, "", "--parallel 0: at least 1 service at a time"},
		{ApplyOptions{Parallel: 1, Timeout: 0}, "", "--timeout 0s: a rollout needs some time"},
		{ApplyOptions{Parallel: 1, Timeout: time.Second, Keep: -2}, "", "--keep -2: 0 or more previous versions, or -1 to remove none"},
	}
	for _, c := range cases {
		if err := c.o.Validate(); fmt.Sprint(err) != cmpOr(c.err, "<nil>") {
			t.Errorf("%+v: Validate() = %v, want %s", c.o, err, cmpOr(c.err, "<nil>"))
		}
		if c.shown != "" && c.o.String() != c.shown {
			t.Errorf("%+v shown as %q, want %q", c.o, c.o.String(), c.shown)
		}
	}
}
