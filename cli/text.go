package cli

import (
	"fmt"
)

func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// plural is "1 node", "2 nodes".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
