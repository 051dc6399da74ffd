// Package lazyre holds regular expressions compiled when first used: a Go
// program runs every package's initialisation before main, so a pattern
// compiled at package level costs every command, `secretdeck version`
// included, whether it is used or not.
package lazyre

import (
	"regexp"
	"sync"
)

// New returns expr compiled on the first call (regexp.MustCompile: a bad
// expression is a bug, found by the tests of whoever uses it).
func New(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
