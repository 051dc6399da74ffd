// Package styles holds the TUI's styles, built once from a theme. Colour is
// decided by the terminal's profile: Bubble Tea downsamples to what the
// terminal supports and honours NO_COLOR, so styles here never check it.
package styles

import (
	"charm.land/lipgloss/v2"

	"github.com/secretdeck/secretdeck/model"
)

// Styles is every style the TUI uses, grouped by where.
type Styles struct {
	App       lipgloss.Style
	Header    lipgloss.Style
	Badge     lipgloss.Style // READ-ONLY, NO-REVEAL
	Env       lipgloss.Style // the environment
	Protected lipgloss.Style // a protected environment: the warning colour
	Tab       lipgloss.Style
	ActiveTab lipgloss.Style
	Status    lipgloss.Style
	Error     lipgloss.Style
	Help      lipgloss.Style
	Table     TableStyles
	Detail    DetailStyles
	Severity  map[model.Severity]lipgloss.Style
	Masked    lipgloss.Style
	Revealed  lipgloss.Style
}

// TableStyles style the list panes.
type TableStyles struct {
	Header   lipgloss.Style
	Cell     lipgloss.Style
	Selected lipgloss.Style
}

// DetailStyles style detail views.
type DetailStyles struct {
	Title   lipgloss.Style
	Section lipgloss.Style
	Label   lipgloss.Style
}

// Default is secretdeck's theme.
func Default() *Styles {
	accent := lipgloss.Color("#7D56F4")
	dim := lipgloss.Color("#8A8A8A")
	return &Styles{
		App:       lipgloss.NewStyle(),
		Header:    lipgloss.NewStyle().Bold(true),
		Badge:     lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#FFFFFF")).Background(lipgloss.Color("#C0392B")),
		Env:       lipgloss.NewStyle().Bold(true).Reverse(true),
		Protected: lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#000000")).Background(lipgloss.Color("#F39C12")),
		Tab:       lipgloss.NewStyle().Foreground(dim),
		ActiveTab: lipgloss.NewStyle().Bold(true).Underline(true).Foreground(accent),
		Status:    lipgloss.NewStyle().Foreground(dim),
		Error:     lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#E74C3C")),
		Help:      lipgloss.NewStyle().Foreground(dim),
		Table: TableStyles{
			Header:   lipgloss.NewStyle().Bold(true).Foreground(dim),
			Cell:     lipgloss.NewStyle(),
			Selected: lipgloss.NewStyle().Bold(true).Reverse(true),
		},
		Detail: DetailStyles{
			Title:   lipgloss.NewStyle().Bold(true).Foreground(accent),
			Section: lipgloss.NewStyle().Bold(true),
			Label:   lipgloss.NewStyle().Foreground(dim),
		},
		Severity: map[model.Severity]lipgloss.Style{
			model.SeverityHigh:   lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#E74C3C")),
			model.SeverityMedium: lipgloss.NewStyle().Foreground(lipgloss.Color("#F39C12")),
			model.SeverityLow:    lipgloss.NewStyle().Foreground(lipgloss.Color("#3498DB")),
			model.SeverityInfo:   lipgloss.NewStyle().Foreground(dim),
		},
		Masked:   lipgloss.NewStyle().Foreground(dim),
		Revealed: lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#F1C40F")),
	}
}
