package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Naming is how the versions of a logical secret are named, from a template
// in secretdeck.yaml's naming: (at the top, on a service, or on a key; the
// nearest wins): {name} is the logical secret, then either {n}, the version
// number (the default, {name}_v{n}), or {date:LAYOUT}, the day the version
// was made in Go's layout ({name}_{date:2006_01_02} reads and makes
// api_key_2024_06_01). It decides which unlabelled secrets are versions of
// a logical secret and what a new version is called. Versions secretdeck
// made are known by their labels whatever their names.
type Naming struct {
	template      string
	before, infix string // around {name}: before it, between it and the version
	after         string // after the version
	layout        string // for {date:…}; "" for {n}
}

// DefaultNaming is {name}_v{n}, as Docker's own rotation example names
// versions.
var DefaultNaming = Naming{template: "{name}_v{n}", infix: "_v"}

// ParseNaming reads a naming template.
func ParseNaming(t string) (Naming, error) {
	if t == "" {
		return DefaultNaming, nil
	}
	before, rest, ok := strings.Cut(t, "{name}")
	if !ok {
		return Naming{}, fmt.Errorf("naming %q has no {name}", t)
	}
	n := Naming{template: t, before: before}
	switch i := strings.Index(rest, "{"); {
	case i < 0:
		return Naming{}, fmt.Errorf("naming %q has no {n} nor {date:LAYOUT} after {name}", t)
	case strings.HasPrefix(rest[i:], "{n}"):
		n.infix, n.after = rest[:i], rest[i+len("{n}"):]
	case strings.HasPrefix(rest[i:], "{date:"):
		end := strings.Index(rest[i:], "}")
		if end < 0 {
			return Naming{}, fmt.Errorf("naming %q: {date: is not closed", t)
		}
		n.infix, n.layout, n.after = rest[:i], rest[i+len("{date:"):i+end], rest[i+end+1:]
		if n.layout == "" || time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC).Format(n.layout) == n.layout {
			return Naming{}, fmt.Errorf("naming %q: %q is not a Go date layout (such as 2006_01_02)", t, n.layout)
		}
	default:
		return Naming{}, fmt.Errorf("naming %q: only {name}, {n} and {date:LAYOUT} are known", t)
	}
	if strings.ContainsAny(n.before+n.infix+n.after, "{}") || n.infix == "" {
		return Naming{}, fmt.Errorf("naming %q: {name} and the version need text between them, and only one of each", t)
	}
	return n, nil
}

// String is the template.
func (n Naming) String() string { return n.template }

// IsDefault reports whether n is {name}_v{n}.
func (n Naming) IsDefault() bool { return n.template == "" || n == DefaultNaming }

// Dated reports whether versions are named by their date.
func (n Naming) Dated() bool { return n.layout != "" }

// Parse reports whether name is a version of logical under n, and its
// number (for a date, its digits: 2024-06-01 is 20240601000000).
func (n Naming) Parse(name, logical string) (int, bool) {
	if n.IsDefault() {
		l, v, ok := ParseVersionName(name)
		return v, ok && l == logical
	}
	head := n.before + logical + n.infix
	if !strings.HasPrefix(name, head) || !strings.HasSuffix(name, n.after) || len(name) < len(head)+len(n.after) {
		return 0, false
	}
	mid := name[len(head) : len(name)-len(n.after)]
	if n.layout == "" {
		v, err := strconv.Atoi(mid)
		if err != nil || v < 0 || mid == "" || mid[0] == '+' || mid[0] == '-' {
			return 0, false
		}
		return v, true
	}
	t, err := time.Parse(n.layout, mid)
	if err != nil || t.Format(n.layout) != mid {
		return 0, false
	}
	return dateNumber(t), true
}

// next is the name and number of a new version of logical after the
// newest, number last: {n} counts on, a date is today's (now).
func (n Naming) next(logical string, last int, now time.Time) (string, int) {
	if n.layout == "" {
		return n.before + logical + n.infix + strconv.Itoa(last+1) + n.after, last + 1
	}
	mid := now.UTC().Format(n.layout)
	t, _ := time.Parse(n.layout, mid)
	return n.before + logical + n.infix + mid + n.after, dateNumber(t)
}

// dateNumber is t's digits, YYYYMMDDhhmmss, as an orderable number.
func dateNumber(t time.Time) int {
	v, _ := strconv.Atoi(t.UTC().Format("20060102150405"))
	return v
}

// NamingFor is the naming of an entry: its key policy's, its service's, the
// manifest's, else the default. An invalid template never gets here
// (ParseManifest checks them).
func (m *Manifest) NamingFor(service, key string) Naming {
	if m == nil {
		return DefaultNaming
	}
	t := m.Naming
	if sp, ok := m.Services[service]; ok {
		t = cmpOr(sp.Keys[key].Naming, cmpOr(sp.Naming, t))
	}
	n, err := ParseNaming(t)
	if err != nil {
		return DefaultNaming
	}
	return n
}
