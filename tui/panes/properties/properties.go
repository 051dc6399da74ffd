// Package properties is the Properties pane: the property files of the
// environment, grouped by service, each entry with its value MASKED (length
// and drift state shown). `x` reveals one value for ten seconds, recorded in
// the audit log by key name.
package properties

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/list"
	"github.com/secretdeck/secretdeck/tui/table"
)

// Name is the pane's name in tabs and in `:` jumps.
const Name = "properties"

// revealTickMsg counts a revealed value down, a second at a time; token
// drops the timers of an earlier reveal.
type revealTickMsg struct{ token int }

// shown is the value revealed now: its row key and how long it has left.
type shown struct {
	key   string
	left  time.Duration
	token int
}

type pane struct {
	c      *common.Common
	shown  *shown // nil: every value masked
	tokens int
}

// New returns the Properties pane.
func New(c *common.Common) *list.Pane {
	p := &pane{c: c}
	var lp *list.Pane
	lp = list.New(c, list.Spec{
		Name: Name,
		Columns: []table.Column{
			{Title: "FILE / KEY", Width: 20, Flex: 3, Middle: true}, {Title: "VALUE", Width: 16, Flex: 2},
			{Title: "BYTES", Width: 6}, {Title: "STATE", Width: 14},
		},
		Rows:   p.rows,
		Detail: p.detail,
		Handle: p.handle,
		Help:   []key.Binding{c.Keys.Reveal},
		Empty:  "no property files (start secretdeck with --source and --env)",
		Overlay: func(w, h int) string {
			return p.revealView(lp.Data(), w, h)
		},
	})
	return lp
}

func entryKey(file, k string) string { return file + "#" + k }

func (p *pane) rows(d *common.Data) []table.Row {
	if d == nil || d.Source == nil {
		return nil
	}
	states := map[string][]string{}
	for _, f := range d.Findings() {
		if f.File != "" && f.Key != "" {
			k := entryKey(f.File, f.Key)
			states[k] = append(states[k], string(f.Kind))
		}
	}
	unrun := map[string]bool{} // files of services the swarm does not run
	for _, f := range d.Findings() {
		if f.Kind == model.KindUnknownService {
			unrun[f.File] = true
		}
	}
	declared := map[string]bool{}
	runtime := map[string]string{} // file → the service that reads it itself
	if d.Drift != nil {
		for _, ds := range d.Drift.Desired {
			declared[entryKey(ds.File, ds.Key)] = true
		}
		for _, dl := range d.Drift.Deliveries {
			if dl.Mode == model.DeliveryRuntime {
				runtime[dl.File] = dl.Service
			}
		}
	}
	var out []table.Row
	for _, f := range d.Source.Files {
		head := table.Row{Key: f.Key, Cells: []string{f.Key, f.Service + " · " + string(f.Format), strconv.FormatInt(f.Size, 10), common.Plural(len(f.Entries), "key")}}
		if f.IsFileSecret() {
			head.Cells[3] = model.DescribeFile(f.Raw).Short()
		}
		if f.Err != nil {
			head.Cells[3] = "UNPARSABLE"
			head.Cells[1] = f.Err.Error()
			st := p.c.Styles.Error
			head.Styles = []*lipgloss.Style{nil, &st, nil, &st}
		}
		out = append(out, head)
		for _, e := range f.Entries {
			k := entryKey(f.Key, e.Key)
			state := strings.Join(states[k], ",")
			switch {
			case state != "":
			case declared[k]:
				state = "in sync"
			case unrun[f.Key]:
				state = "no such service"
			case runtime[f.Key] != "":
				state = "read at runtime"
			default:
				state = "not a secret"
			}
			out = append(out, table.Row{Key: k, Cells: []string{"  " + e.Key, "••••••••", strconv.Itoa(e.Value.Len()), state}})
		}
	}
	return out
}

func (p *pane) detail(d *common.Data, k string, _ int) string {
	if d == nil || d.Source == nil {
		return ""
	}
	var b strings.Builder
	for _, f := range d.Source.Files {
		if f.Key != k && !strings.HasPrefix(k, f.Key+"#") {
			continue
		}
		fmt.Fprintf(&b, "File      %s\nService   %s\nFormat    %s\nEnv       %s\nVersion   %s\nETag      %s\nModified  %s\nSize      %d bytes\n",
			f.Key, f.Service, f.Format, f.Env, dash(f.VersionID), dash(f.ETag), f.LastModified.UTC().Format("2006-01-02 15:04:05Z"), f.Size)
		if d.Drift != nil {
			for _, dl := range d.Drift.Deliveries {
				if dl.File == f.Key {
					fmt.Fprintf(&b, "Delivery  %s: %s\n", dl.Mode, dl.Why)
				}
			}
		}
		if f.Err != nil {
			fmt.Fprintf(&b, "\nUNPARSABLE  %s\n", f.Err.Error())
		}
		if f.IsFileSecret() {
			desc := model.DescribeFile(f.Raw)
			fmt.Fprintf(&b, "Type      %s (a file secret: the whole file is one secret, never shown)\n", desc.Type)
			for _, c := range desc.Certs {
				fmt.Fprintf(&b, "Cert      %s · expires %s\n", c.Subject, c.NotAfter.Format("2006-01-02"))
			}
		} else {
			fmt.Fprintf(&b, "\nKEYS (values masked; select one in the list and press x to reveal it for %s)\n", p.c.RevealFor)
		}
		for _, e := range f.Entries {
			line := ""
			if e.Line > 0 {
				line = fmt.Sprintf("line %d", e.Line)
			}
			fmt.Fprintf(&b, "  %-40s %6d bytes  %s\n", e.Key, e.Value.Len(), line)
		}
		for _, fd := range d.Findings() {
			if fd.File == f.Key {
				fmt.Fprintf(&b, "\n%s %s: %s\n", fd.Severity, fd.Kind, fd.Explanation)
			}
		}
	}
	return b.String()
}

func (p *pane) handle(lp *list.Pane, msg tea.Msg) (bool, tea.Cmd) {
	k := p.c.Keys
	switch msg := msg.(type) {
	case common.EnvSwitchMsg:
		// Values of the old environment must not stay on screen, not even
		// while the new one loads (or if it fails to load).
		p.shown = nil
		return true, nil
	case revealTickMsg:
		if p.shown == nil || p.shown.token != msg.token {
			return true, nil
		}
		p.shown.left -= time.Second
		if p.shown.left <= 0 {
			p.shown = nil
			return true, status("value masked again", false)
		}
		return true, p.tick()
	case tea.KeyPressMsg:
		if p.shown != nil {
			// The reveal takes every key; these mask the value at once.
			if key.Matches(msg, k.Back, k.Reveal, k.Quit, k.Submit, k.ForceQuit) {
				p.shown = nil
				return true, status("value masked again", false)
			}
			return true, nil
		}
		if key.Matches(msg, k.Reveal) && !lp.InDetail() {
			return true, p.reveal(lp)
		}
	}
	return false, nil
}

func (p *pane) reveal(lp *list.Pane) tea.Cmd {
	k := lp.Selected()
	if !strings.Contains(k, "#") {
		return status("select a key (not a file) to reveal its value", true)
	}
	if p.c.NoReveal {
		return status("revealing values is disabled (--no-reveal)", true)
	}
	if err := p.c.Audit("reveal", k); err != nil {
		return status("not revealed: the audit log cannot be written: "+err.Error(), true)
	}
	p.tokens++
	p.shown = &shown{key: k, left: p.c.RevealFor, token: p.tokens}
	return tea.Batch(status(k+" revealed (recorded in the audit log)", false), p.tick())
}

// tick arms the next second of the countdown (or what is left of it).
func (p *pane) tick() tea.Cmd {
	token := p.shown.token
	return p.c.Tick(min(time.Second, p.shown.left), func(time.Time) tea.Msg { return revealTickMsg{token: token} })
}

// revealView is the revealed value, whole, in a view of its own with its
// countdown; "" when nothing is revealed.
func (p *pane) revealView(d *common.Data, w, h int) string {
	if p.shown == nil || d == nil || d.Source == nil {
		return ""
	}
	file, name, _ := strings.Cut(p.shown.key, "#")
	var value model.Value
	found := false
	for _, f := range d.Source.Files {
		for _, e := range f.Entries {
			if f.Key == file && e.Key == name {
				value, found = e.Value, true
			}
		}
	}
	st := p.c.Styles
	var b strings.Builder
	b.WriteString(st.Detail.Title.Render("REVEALED "+name) + st.Help.Render("  "+file+" · recorded in the audit log") + "\n")
	secs := int((p.shown.left + time.Second - 1) / time.Second)
	b.WriteString(st.Error.Render(fmt.Sprintf("masked again in %ds", secs)) + st.Help.Render(" · esc masks it now") + "\n\n")
	if !found {
		b.WriteString("(this key is gone from the file since the reveal)\n")
		return b.String()
	}
	fmt.Fprintf(&b, "%d bytes:\n", value.Len())
	lines := strings.Split(printable(value.Reveal()), "\n")
	for i, l := range lines {
		if i >= h-5 {
			b.WriteString(st.Help.Render(fmt.Sprintf("… %d more lines (see the file)", len(lines)-i)))
			break
		}
		b.WriteString(st.Revealed.Render(ansi.Hardwrap(l, w, false)) + "\n")
	}
	return b.String()
}

// printable shows a value's control characters as escapes (\x1b, \r, \t):
// a value must not move the cursor or retitle the terminal, and what is
// shown must be what is stored, byte for byte.
func printable(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteRune(r)
		case unicode.IsControl(r) || r == utf8.RuneError:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func status(text string, isErr bool) tea.Cmd {
	return func() tea.Msg { return common.StatusMsg{Text: text, Error: isErr} }
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
