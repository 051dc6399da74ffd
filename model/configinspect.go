package model

import (
	"bytes"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ConfigDetail is what `inspect config` shows: the config, the logical
// config it is a version of, who mounts it, its versions, and its content
// with every property file value and credential-like literal masked
// (Docker returns a config's data to anyone who can inspect).
type ConfigDetail struct {
	Config   Config          `json:"config"`
	Logical  string          `json:"logical,omitempty"`
	Version  int             `json:"version,omitempty"`
	Managed  bool            `json:"managed"` // made by secretdeck (labels)
	Users    []ConfigUser    `json:"users"`
	Versions []ConfigVersion `json:"versions,omitempty"`
	// Content is the data as text, masked; "" for binary data (Binary).
	Content string `json:"content"`
	Binary  bool   `json:"binary,omitempty"`
	// Masked says whether property file values could be looked for (a
	// source was given); credential-like literals are masked either way.
	SourceChecked bool      `json:"sourceChecked"`
	Findings      []Finding `json:"findings"`
}

// PrintableText is text safe to print line by line: tabs as spaces, a
// carriage return dropped, any other control character escaped, so that
// a config cannot move the cursor or retitle the terminal.
func PrintableText(data []byte) string {
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		lines[i] = Printable(strings.ReplaceAll(strings.TrimSuffix(l, "\r"), "\t", "    "))
	}
	return strings.Join(lines, "\n")
}

// ConfigVersion is one version of a logical config.
type ConfigVersion struct {
	Name      string    `json:"name"`
	N         int       `json:"n"`
	CreatedAt time.Time `json:"createdAt"`
	Users     int       `json:"users"` // services whose Spec or PreviousSpec names it
}

// InspectConfig describes the config called name (or with that ID, or the
// newest version of the logical config name). src may be nil.
func (s *SwarmSnapshot) InspectConfig(name string, drift *DriftReport, src *SourceSnapshot) (*ConfigDetail, error) {
	ix := newVersionIndex(configSecrets(s.Configs))
	i := slices.IndexFunc(s.Configs, func(c Config) bool { return c.Name == name || c.ID == name })
	if i < 0 {
		ix.adopt(name)
		if last, ok := newest(ix.versions(name)); ok {
			i = slices.IndexFunc(s.Configs, func(c Config) bool { return c.ID == last.Secret.ID })
		}
	}
	if i < 0 {
		var names []string
		for _, c := range s.Configs {
			names = append(names, c.Name)
		}
		return nil, &NotFoundError{What: "config", Name: name, Have: names, Lister: "docker config ls"}
	}
	c := s.Configs[i]
	d := &ConfigDetail{Config: c, Users: s.ConfigUsers(c.ID), Findings: []Finding{}, SourceChecked: src != nil}
	if d.Users == nil {
		d.Users = []ConfigUser{}
	}
	cs := configSecrets(s.Configs)
	if v := versionOf(&cs[i]); v.Logical != "" {
		d.Logical, d.Version, d.Managed = v.Logical, v.N, v.Managed
		ix.adopt(v.Logical)
		for _, o := range ix.versions(v.Logical) {
			d.Versions = append(d.Versions, ConfigVersion{Name: o.Secret.Name, N: o.N, CreatedAt: o.Secret.CreatedAt, Users: len(s.ConfigUsers(o.Secret.ID))})
		}
	}
	if utf8.Valid(c.Data) && !bytes.ContainsRune(c.Data, 0) {
		// The drift's index of the source's values when there is one: the
		// workbench draws this detail on every key press.
		var sc *ValueScanner
		if drift != nil {
			sc = drift.scanner
		}
		if sc == nil {
			sc = NewValueScanner(src)
		}
		d.Content = PrintableText(MaskConfig(c.Data, sc))
	} else {
		d.Binary = true
	}
	if drift != nil {
		for _, f := range drift.Findings {
			if f.Config == c.Name || (d.Logical != "" && f.Logical == d.Logical && strings.HasPrefix(string(f.Kind), "config-")) {
				d.Findings = append(d.Findings, f)
			}
		}
	}
	return d, nil
}
