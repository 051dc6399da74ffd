package lazyre

import "testing"

func TestNewCompilesOnceWhenFirstUsed(t *testing.T) {
	re := New(`^a+$`)
	if first, again := re(), re(); first != again || !first.MatchString("aaa") || first.MatchString("ab") {
		t.Fatalf("New: %v %v", first, again)
	}
	bad := New(`(`) // never called: never compiled, never panics
	_ = bad
}
