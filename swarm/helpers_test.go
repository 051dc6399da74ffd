package swarm

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

func fmtCalls(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s:%d", k, m[k]))
	}
	return "map[" + strings.Join(parts, " ") + "]"
}
