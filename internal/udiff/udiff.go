// Package udiff makes unified diffs (diff -u) of small text files: stack file
// edits and config contents.
package udiff

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// diffContext is the unchanged lines shown around a change, as diff -u.
const diffContext = 3

// maxDiffEdits bounds the search for the shortest edit (Myers' D): past it
// the rest is shown as removed then added, still a correct diff. An edit
// of a name changes one line.
const maxDiffEdits = 1000

// UnifiedDiff is the change from old to new as `diff -u --label a/path
// --label b/path` shows it: "--- a/path", "+++ b/path", then hunks of
// changed lines with 3 lines of context. It is "" when nothing changed.
func UnifiedDiff(path string, old, new []byte) string {
	a, b := Lines(old), Lines(new)
	ops := diffLines(a, b)
	var out strings.Builder
	for _, h := range hunks(ops) {
		if out.Len() == 0 {
			fmt.Fprintf(&out, "--- a/%s\n+++ b/%s\n", path, path)
		}
		h.write(&out, a, b)
	}
	return out.String()
}

// Lines cuts data into lines, each with its \n (the last may have none),
// so that a missing final newline is a difference, as for diff.
func Lines(data []byte) []string {
	var lines []string
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			lines = append(lines, string(data))
			break
		}
		lines = append(lines, string(data[:i+1]))
		data = data[i+1:]
	}
	return lines
}

// op is one step of an edit script: a line kept, removed from a or added
// from b.
type op struct {
	kind byte // ' ', '-', '+'
	a, b int  // the line in a (for ' ' and '-') and in b (for ' ' and '+')
}

// diffLines is a shortest edit script from a to b: the common head and tail
// are kept, and Myers' algorithm runs on what lies between.
func diffLines(a, b []string) []op {
	head := 0
	for head < len(a) && head < len(b) && a[head] == b[head] {
		head++
	}
	tail := 0
	for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	var ops []op
	for i := 0; i < head; i++ {
		ops = append(ops, op{' ', i, i})
	}
	ops = append(ops, myers(a[head:len(a)-tail], b[head:len(b)-tail], head, head)...)
	for i := tail; i > 0; i-- {
		ops = append(ops, op{' ', len(a) - i, len(b) - i})
	}
	return ops
}

// myers is the edit script of a to b (lines numbered from offA and offB)
// by Myers' O(ND) greedy algorithm, keeping the frontier before each step
// to walk the path back. Past maxDiffEdits it removes all of a and adds
// all of b.
func myers(a, b []string, offA, offB int) []op {
	n, m := len(a), len(b)
	maxD := min(n+m, maxDiffEdits)
	off := maxD + 1
	v := make([]int, 2*maxD+3) // v[off+k]: the furthest x reached on diagonal k = x-y
	var trace [][]int
	for d := 0; d <= maxD; d++ {
		// Step d reads diagonals -d-1..d+1.
		trace = append(trace, slices.Clone(v[off-d-1:off+d+2]))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1] // down from k+1: add a line of b
			} else {
				x = v[off+k-1] + 1 // right from k-1: remove a line of a
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(trace, a, b, offA, offB)
			}
		}
	}
	ops := make([]op, 0, n+m)
	for i := range a {
		ops = append(ops, op{'-', offA + i, 0})
	}
	for j := range b {
		ops = append(ops, op{'+', 0, offB + j})
	}
	return ops
}

// backtrack walks the path found back from its end, step by step.
func backtrack(trace [][]int, a, b []string, offA, offB int) []op {
	x, y := len(a), len(b)
	var rev []op
	for d := len(trace) - 1; d >= 0; d-- {
		at := func(k int) int { return trace[d][k+d+1] }
		k := x - y
		prev := k - 1
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			prev = k + 1
		}
		px := at(prev)
		py := px - prev
		for x > px && y > py {
			x, y = x-1, y-1
			rev = append(rev, op{' ', offA + x, offB + y})
		}
		switch {
		case d == 0:
		case x == px:
			rev = append(rev, op{'+', 0, offB + py})
		default:
			rev = append(rev, op{'-', offA + px, 0})
		}
		x, y = px, py
	}
	slices.Reverse(rev)
	return rev
}

// hunk is a run of ops: changes with their context.
type hunk struct{ ops []op }

// hunks groups the changes of ops with diffContext lines around each; two
// changes closer than twice that share a hunk, as in diff -u.
func hunks(ops []op) []hunk {
	var out []hunk
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-diffContext, 0)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			same := end
			for same < len(ops) && ops[same].kind == ' ' {
				same++
			}
			if same == len(ops) || same-end > 2*diffContext {
				end = min(end+diffContext, len(ops))
				break
			}
			end = same
		}
		out = append(out, hunk{ops[start:end]})
		i = end
	}
	return out
}

func (h hunk) write(w *strings.Builder, a, b []string) {
	startA, startB, countA, countB := -1, -1, 0, 0
	for _, o := range h.ops {
		if o.kind != '+' {
			if startA < 0 {
				startA = o.a
			}
			countA++
		}
		if o.kind != '-' {
			if startB < 0 {
				startB = o.b
			}
			countB++
		}
	}
	// A side with no line in the hunk is an empty file: diff numbers
	// it from line 0.
	startA, startB = max(startA, 0), max(startB, 0)
	fmt.Fprintf(w, "@@ -%s +%s @@\n", hunkRange(startA, countA), hunkRange(startB, countB))
	for _, o := range h.ops {
		var line string
		if o.kind == '+' {
			line = b[o.b]
		} else {
			line = a[o.a]
		}
		w.WriteByte(o.kind)
		w.WriteString(line)
		if !strings.HasSuffix(line, "\n") {
			w.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

// hunkRange writes a hunk's start (from 1) and length as diff does: the
// length is left out when it is 1, and an empty range starts at the line
// before it.
func hunkRange(start, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, count)
}
