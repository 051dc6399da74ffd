package table_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/secretdeck/secretdeck/tui/styles"
	"github.com/secretdeck/secretdeck/tui/table"
)

var cols = []table.Column{{Title: "NAME", Width: 12, Flex: 1, Middle: true}, {Title: "STATE", Width: 6}}

// secrets returns n rows keyed s0…s(n-1).
func secrets(n int) []table.Row {
	rows := make([]table.Row, n)
	for i := range rows {
		rows[i] = table.Row{Key: fmt.Sprint("s", i), Cells: []string{fmt.Sprintf("secret_%02d_v1", i), "ok"}}
	}
	return rows
}

// newTable returns a table of w×h (header included) holding rows.
func newTable(w, h int, rows []table.Row) *table.Model {
	m := table.New(cols, &styles.Default().Table)
	m.SetSize(w, h)
	m.SetRows(rows)
	return &m
}

// lines is the view without colour, one string per line, spaces collapsed.
func lines(m *table.Model) []string {
	var out []string
	for _, l := range strings.Split(ansi.Strip(m.View()), "\n") {
		out = append(out, strings.Join(strings.Fields(l), " "))
	}
	return out
}

func selected(m *table.Model) string {
	r, ok := m.Selected()
	if !ok {
		return ""
	}
	return r.Key
}

func TestViewShowsOnlyWhatFits(t *testing.T) {
	m := newTable(40, 4, secrets(100))
	want := []string{"NAME STATE", "› secret_00_v1 ok", "secret_01_v1 ok", "secret_02_v1 ok"}
	if got := lines(m); !slices.Equal(got, want) {
		t.Fatalf("view:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	m.Bottom()
	want = []string{"NAME STATE", "secret_97_v1 ok", "secret_98_v1 ok", "› secret_99_v1 ok"}
	if got := lines(m); !slices.Equal(got, want) {
		t.Fatalf("the selection stays in view:\n%s", strings.Join(got, "\n"))
	}
}

func TestViewPadsToItsHeight(t *testing.T) {
	m := newTable(40, 6, secrets(2))
	if n := strings.Count(m.View(), "\n") + 1; n != 6 {
		t.Fatalf("%d lines, want 6", n)
	}
}

func TestLinesFitTheWidth(t *testing.T) {
	for _, w := range []int{20, 40, 160} {
		m := newTable(w, 5, []table.Row{{Key: "a", Cells: []string{strings.Repeat("long_name_", 30) + "v12", "DIFFERS-LONG"}}})
		for _, l := range strings.Split(m.View(), "\n") {
			if got := ansi.StringWidth(l); got > w {
				t.Errorf("width %d: a line of %d cells: %q", w, got, ansi.Strip(l))
			}
		}
	}
}

func TestTruncation(t *testing.T) {
	cases := []struct {
		name  string
		cells []string
		want  string
	}{
		{"a name keeps its version suffix", []string{"payment_gateway_private_key_v12", "ok"}, "payme…ey_v12 ok"},
		{"a plain column keeps its start", []string{"x", "DIFFERS-LONG"}, "x DIFFE…"},
		{"short cells are whole", []string{"api_v1", "ok"}, "api_v1 ok"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newTable(2+12+1+6, 3, []table.Row{{Key: "k", Cells: tc.cells}}) // no room to flex
			if got := lines(m)[1]; got != "› "+tc.want {
				t.Fatalf("row %q, want %q", got, "› "+tc.want)
			}
		})
	}
}

func TestSetRowsKeepsTheSelection(t *testing.T) {
	m := newTable(40, 5, secrets(5))
	m.Move(3) // s3
	rows := secrets(5)
	slices.Reverse(rows)
	m.SetRows(rows)
	if got := selected(m); got != "s3" {
		t.Fatalf("after a reload in another order: %q selected, want s3", got)
	}
	m.SetRows(secrets(2)) // s3 is gone
	if got := selected(m); got != "s1" {
		t.Fatalf("the selection clamps to the last row: %q", got)
	}
	m.SetRows(nil)
	if _, ok := m.Selected(); ok || m.Len() != 0 {
		t.Fatal("no rows, no selection")
	}
}

func TestFilter(t *testing.T) {
	cases := []struct {
		filter string
		keys   []string
	}{
		{"SECRET_0", []string{"s0", "s1", "s2"}}, // case-insensitive, on cells
		{"s2", []string{"s2"}},                   // on the key too
		{"nope", nil},
		{"", []string{"s0", "s1", "s2"}},
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			m := newTable(40, 5, secrets(3))
			m.SetFilter(tc.filter)
			var got []string
			for i := range m.Len() {
				m.Top()
				m.Move(i)
				got = append(got, selected(m))
			}
			if !slices.Equal(got, tc.keys) || m.Total() != 3 {
				t.Fatalf("filter %q: %v of %d, want %v", tc.filter, got, m.Total(), tc.keys)
			}
		})
	}
}

func TestCursorClamps(t *testing.T) {
	m := newTable(40, 4, secrets(10))
	cases := []struct {
		move func()
		want int
	}{
		{func() { m.Move(-5) }, 0},
		{func() { m.Move(m.PageSize()) }, 3},
		{func() { m.Move(100) }, 9},
		{func() { m.Top() }, 0},
		{func() { m.SetFilter("secret_0"); m.Bottom() }, 9},
		{func() { m.SetFilter("secret_01") }, 0},
	}
	for i, tc := range cases {
		tc.move()
		if got := m.Cursor(); got != tc.want {
			t.Errorf("step %d: cursor %d, want %d", i, got, tc.want)
		}
	}
	if !m.Select("s1") || m.Select("s5") {
		t.Error("Select finds only rows that pass the filter")
	}
}

// Rows made on demand make their cells only when drawn (the rows on
// screen) or filtered, and the table keeps none of them.
func TestRowsMadeOnDemand(t *testing.T) {
	made := map[string]int{}
	rows := make([]table.Row, 10000)
	for i := range rows {
		key := fmt.Sprint("s", i)
		rows[i] = table.Row{Key: key, Make: func() ([]string, []*lipgloss.Style) {
			made[key]++
			return []string{fmt.Sprintf("secret_%05d_v1", i), "ok"}, nil
		}}
	}
	m := newTable(80, 11, rows) // 10 rows on screen
	if len(made) != 0 {
		t.Fatalf("rows made before anything is drawn: %d", len(made))
	}
	view := m.View()
	if len(made) != 10 || !strings.Contains(view, "secret_00009_v1") || strings.Contains(view, "secret_00010_v1") {
		t.Fatalf("drawing made %d rows:\n%s", len(made), view)
	}
	m.Move(5000)
	clear(made)
	if view := m.View(); len(made) != 10 || !strings.Contains(view, "secret_05000_v1") {
		t.Fatalf("after a move, drawing made %d rows:\n%s", len(made), view)
	}
	clear(made)
	m.SetFilter("secret_0999")
	if m.Len() != 10 || len(made) != 10000 {
		t.Fatalf("filter: %d rows pass, %d made", m.Len(), len(made))
	}
	if r, _ := m.Selected(); r.Cells != nil {
		t.Fatal("the table kept a row's cells")
	}
}
