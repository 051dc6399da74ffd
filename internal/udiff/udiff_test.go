package udiff

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// numbered is lines "1\n" … "n\n".
func numbered(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%d\n", i)
	}
	return b.String()
}

func replaceLine(s string, line int, with string) string {
	lines := strings.SplitAfter(s, "\n")
	lines[line-1] = with
	return strings.Join(lines, "")
}

var diffCases = []struct {
	name     string
	old, new string
}{
	{"identical", numbered(5), numbered(5)},
	{"one line in the middle", numbered(20), replaceLine(numbered(20), 10, "ten\n")},
	{"first line", numbered(20), replaceLine(numbered(20), 1, "one\n")},
	{"last line", numbered(20), replaceLine(numbered(20), 20, "twenty\n")},
	{"a line added", numbered(10), replaceLine(numbered(10), 5, "5\nfive and a half\n")},
	{"a line removed", numbered(10), replaceLine(numbered(10), 5, "")},
	{"changes 6 lines apart share a hunk", numbered(30), replaceLine(replaceLine(numbered(30), 10, "x\n"), 17, "y\n")},
	{"changes 7 lines apart make two hunks", numbered(30), replaceLine(replaceLine(numbered(30), 10, "x\n"), 18, "y\n")},
	{"no newline at the end of the old file", strings.TrimSuffix(numbered(4), "\n"), numbered(4)},
	{"no newline at the end of either", strings.TrimSuffix(numbered(4), "\n"), strings.TrimSuffix(replaceLine(numbered(4), 4, "four\n"), "\n")},
	{"a one-line file", "a\n", "b\n"},
	{"from an empty file", "", numbered(3)},
	{"to an empty file", numbered(3), ""},
	{"CRLF", "a: 1\r\nb: 2\r\nc: 3\r\n", "a: 1\r\nb: 22\r\nc: 3\r\n"},
	{"a stack file edit", "version: \"3.8\"\nsecrets:\n  payment_key:\n    external: true\n    name: payment_key_v2 # x\n",
		"version: \"3.8\"\nsecrets:\n  payment_key:\n    external: true\n    name: payment_key_v3 # x\n"},
}

// The hunks are those of diff -u (GNU diffutils), when it is installed.
func TestUnifiedDiffMatchesDiffU(t *testing.T) {
	if _, err := exec.LookPath("diff"); err != nil {
		t.Skip("no diff on this machine")
	}
	for _, c := range diffCases {
		t.Run(c.name, func(t *testing.T) {
			if got, want := UnifiedDiff("stacks/shop.yml", []byte(c.old), []byte(c.new)), diffU(t, c.old, c.new, false); got != want {
				t.Errorf("got:\n%s\ndiff -u:\n%s", got, want)
			}
		})
	}
}

func TestUnifiedDiff(t *testing.T) {
	got := UnifiedDiff("stacks/shop.yml", []byte(diffCases[len(diffCases)-1].old), []byte(diffCases[len(diffCases)-1].new))
	want := `--- a/stacks/shop.yml
+++ b/stacks/shop.yml
@@ -2,4 +2,4 @@
 secrets:
   payment_key:
     external: true
-    name: payment_key_v2 # x
+    name: payment_key_v3 # x
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if got := UnifiedDiff("x", []byte("a\n"), []byte("a\n")); got != "" {
		t.Errorf("no change: %q", got)
	}
}

// diffU runs diff -u (or diff -u --minimal) on old and new.
func diffU(t *testing.T, old, new string, minimal bool) string {
	t.Helper()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.WriteFile(a, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte(new), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-u", "--label", "a/stacks/shop.yml", "--label", "b/stacks/shop.yml", a, b}
	if minimal {
		args = append([]string{"--minimal"}, args...)
	}
	out, err := exec.Command("diff", args...).Output()
	if err != nil && len(out) == 0 && old != new {
		t.Fatalf("diff: %v", err)
	}
	return string(out)
}

// apply applies a unified diff made by UnifiedDiff to old.
func apply(t testing.TB, old, diff string) string {
	t.Helper()
	if diff == "" {
		return old
	}
	a := Lines([]byte(old))
	lines := strings.SplitAfter(diff, "\n")
	if !strings.HasPrefix(lines[0], "--- ") || !strings.HasPrefix(lines[1], "+++ ") {
		t.Fatalf("no header: %q", diff)
	}
	var out []string
	next := 0 // the next line of a not yet copied
	for i := 2; i < len(lines) && lines[i] != ""; {
		var sa, ca, sb, cb int
		h := strings.NewReplacer(",", " ", "@@", "", "-", "", "+", "").Replace(lines[i])
		f := strings.Fields(h)
		nums := make([]int, 0, 4)
		for _, x := range f {
			n, err := strconv.Atoi(x)
			if err != nil {
				t.Fatalf("bad hunk header %q", lines[i])
			}
			nums = append(nums, n)
		}
		switch len(nums) {
		case 4:
			sa, ca, sb, cb = nums[0], nums[1], nums[2], nums[3]
		case 3: // one of the counts left out
			if strings.Contains(strings.Fields(lines[i])[1], ",") {
				sa, ca, sb, cb = nums[0], nums[1], nums[2], 1
			} else {
				sa, ca, sb, cb = nums[0], 1, nums[1], nums[2]
			}
		case 2:
			sa, ca, sb, cb = nums[0], 1, nums[1], 1
		}
		_ = sb
		start := sa - 1
		if ca == 0 {
			start = sa
		}
		out = append(out, a[next:start]...)
		next = start
		i++
		var removed, added int
		for i < len(lines) && lines[i] != "" && !strings.HasPrefix(lines[i], "@@") {
			l := lines[i]
			i++
			text := l[1:]
			if i < len(lines) && strings.HasPrefix(lines[i], `\ No newline`) {
				text = strings.TrimSuffix(text, "\n")
				i++
			}
			switch l[0] {
			case ' ':
				if a[next] != text {
					t.Fatalf("context %q is not line %d %q", text, next+1, a[next])
				}
				out = append(out, text)
				next++
				removed++
				added++
			case '-':
				if a[next] != text {
					t.Fatalf("removed %q is not line %d %q", text, next+1, a[next])
				}
				next++
				removed++
			case '+':
				out = append(out, text)
				added++
			}
		}
		if removed != ca || added != cb {
			t.Fatalf("hunk counts %d,%d for %d,%d lines", ca, cb, removed, added)
		}
	}
	out = append(out, a[next:]...)
	return strings.Join(out, "")
}

// changed counts the lines a diff removes and adds.
func changed(diff string) int {
	n := 0
	for _, l := range strings.Split(diff, "\n") {
		if (strings.HasPrefix(l, "-") && !strings.HasPrefix(l, "--- ")) || (strings.HasPrefix(l, "+") && !strings.HasPrefix(l, "+++ ")) {
			n++
		}
	}
	return n
}

// On random files, the diff turns old into new and is as short as the
// minimal diff of diff --minimal.
func TestUnifiedDiffIsCorrectAndMinimal(t *testing.T) {
	_, err := exec.LookPath("diff")
	haveDiff := err == nil
	r := rand.New(rand.NewPCG(1, 2))
	random := func() string {
		var b strings.Builder
		for range r.IntN(40) {
			b.WriteString(string(rune('a'+r.IntN(4))) + "\n")
		}
		if r.IntN(4) == 0 {
			b.WriteString("z")
		}
		return b.String()
	}
	for i := range 200 {
		old, new := random(), random()
		d := UnifiedDiff("stacks/shop.yml", []byte(old), []byte(new))
		if got := apply(t, old, d); got != new {
			t.Fatalf("case %d: applied diff gives %q, want %q\n%s", i, got, new, d)
		}
		if haveDiff && i%4 == 0 {
			if want := changed(diffU(t, old, new, true)); changed(d) != want {
				t.Errorf("case %d: %d lines changed, diff --minimal changes %d\n%s", i, changed(d), want, d)
			}
		}
	}
}

// Past maxDiffEdits the diff stops searching for the shortest script and is
// still correct; two different 1 MiB files take well under a second.
func TestUnifiedDiffBounded(t *testing.T) {
	var a, b strings.Builder
	for i := 0; a.Len() < 1<<20; i++ {
		fmt.Fprintf(&a, "line %d of a\n", i)
		fmt.Fprintf(&b, "line %d of b\n", i)
	}
	start := time.Now()
	d := UnifiedDiff("x", []byte(a.String()), []byte(b.String()))
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v", took)
	}
	if got := apply(t, a.String(), d); got != b.String() {
		t.Error("the bounded diff does not turn a into b")
	}
}

func FuzzUnifiedDiff(f *testing.F) {
	for _, c := range diffCases {
		f.Add([]byte(c.old), []byte(c.new))
	}
	f.Fuzz(func(t *testing.T, old, new []byte) {
		d := UnifiedDiff("f", old, new)
		if got := apply(t, string(old), d); got != string(new) {
			t.Fatalf("applied diff gives %q, want %q\n%s", got, new, d)
		}
	})
}
