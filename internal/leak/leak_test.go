package leak

import (
	"fmt"
	"strings"
	"testing"
)

func TestFindSaysWhereNeverWhat(t *testing.T) {
	text := "first line\nthe token is hunter2-Value ok\n"
	got := Find(text, "absent", "", "hunter2-Value")
	if len(got) != 1 || got[0] != "value #3 (13 bytes) at line 2, column 14" {
		t.Fatalf("Find = %q", got)
	}
	if strings.Contains(got[0], "hunter2") {
		t.Fatal("the report shows the value")
	}
	if Find("clean", "hunter2-Value") != nil {
		t.Fatal("nothing to find")
	}
}

// recorder is a testing.TB that keeps what Check reports.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestCheckFailsWithoutPrintingTheValue(t *testing.T) {
	r := &recorder{TB: t}
	Check(r, "stdout of drift", "a hunter2-Value here", "hunter2-Value")
	if len(r.errs) != 1 || !strings.Contains(r.errs[0], "stdout of drift") || strings.Contains(r.errs[0], "hunter2") {
		t.Fatalf("one leak, named by where it is and never by its value: %q", r.errs)
	}
	Check(r, "stdout of drift", "clean", "hunter2-Value")
	if len(r.errs) != 1 {
		t.Fatal("no leak, no report")
	}
}
