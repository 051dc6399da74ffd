package stack

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// deref follows an alias to its anchor.
func deref(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// get finds key in mapping m as YAML reads it: a key written in m wins
// over a merged one (<<: *anchor), and an earlier merged mapping over a
// later one. It returns the key's node and its value, or nils.
func get(m *yaml.Node, key string) (k, v *yaml.Node) {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		kn := deref(m.Content[i])
		switch {
		case kn.Kind == yaml.ScalarNode && kn.ShortTag() == "!!merge":
			merges = append(merges, m.Content[i+1])
		case kn.Kind == yaml.ScalarNode && kn.Value == key:
			return m.Content[i], m.Content[i+1]
		}
	}
	for _, merge := range merges {
		merge = deref(merge)
		sources := []*yaml.Node{merge}
		if merge.Kind == yaml.SequenceNode {
			sources = merge.Content
		}
		for _, s := range sources {
			if k, v := get(s, key); k != nil {
				return k, v
			}
		}
	}
	return nil, nil
}

// nodeAt is the value at a path of keys, or nil.
func nodeAt(root *yaml.Node, path ...string) *yaml.Node {
	n := root
	for _, p := range path {
		if _, n = get(n, p); n == nil {
			return nil
		}
	}
	return deref(n)
}

// nodeLine is the line of the last key of a path, or 0.
func nodeLine(root *yaml.Node, path ...string) int {
	if len(path) == 0 {
		return 0
	}
	k, _ := get(nodeAt(root, path[:len(path)-1]...), path[len(path)-1])
	if k == nil {
		return 0
	}
	return k.Line
}

// nodeValue is the text of the scalar at a path, as written, or "".
func nodeValue(root *yaml.Node, path ...string) string {
	n := nodeAt(root, path...)
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// pathLine places a path from a loader message (keys and list indices
// joined by dots, where a key may hold dots itself): the line of the
// deepest part found, or 0.
func pathLine(root *yaml.Node, parts []string) int {
	return locate(root, parts, 0)
}

func locate(n *yaml.Node, parts []string, line int) int {
	n = deref(n)
	if len(parts) == 0 || n == nil {
		return line
	}
	switch n.Kind {
	case yaml.SequenceNode:
		i, err := strconv.Atoi(parts[0])
		if err != nil || i < 0 || i >= len(n.Content) {
			return max(line, n.Line)
		}
		return locate(n.Content[i], parts[1:], n.Content[i].Line)
	case yaml.MappingNode:
		for j := 1; j <= len(parts); j++ {
			if k, v := get(n, strings.Join(parts[:j], ".")); k != nil {
				return locate(v, parts[j:], k.Line)
			}
		}
	}
	return line
}
