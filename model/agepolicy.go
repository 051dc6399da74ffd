package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// AgePolicy is how old a mounted secret may be (secretdeck.yaml policy:, at
// the top, per environment, per service; the nearest wins). An older one is
// an expired finding, which a rotation fixes with a new version.
type AgePolicy struct {
	MaxAge MaxAge `yaml:"max-age"`
}

// MaxAge is a duration written 90d, 12w or 2160h (Go's units up to h, then
// d and w), or off: no limit here, whatever a farther level says. Zero: not
// set at this level.
type MaxAge struct {
	d   time.Duration
	off bool
	set string // as written, for explanations
}

// ParseMaxAge reads a max-age.
func ParseMaxAge(s string) (MaxAge, error) {
	s = strings.TrimSpace(s)
	if s == "off" {
		return MaxAge{off: true, set: s}, nil
	}
	d, err := ParseAge(s)
	if err != nil {
		return MaxAge{}, fmt.Errorf("%w (or off)", err)
	}
	return MaxAge{d: d, set: s}, nil
}

// ParseAge reads a positive duration written 90d, 12w or 2160h: d days, w
// weeks, or Go's units (h, m, s…).
func ParseAge(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	switch unit := s[max(0, len(s)-1):]; unit {
	case "d", "w":
		n, perr := strconv.Atoi(s[:len(s)-1])
		err = perr
		d = time.Duration(n) * 24 * time.Hour
		if unit == "w" {
			d *= 7
		}
		if n > 100*365 {
			err = fmt.Errorf("too long")
		}
	default:
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a duration like 90d, 12w or 2160h", s)
	}
	return d, nil
}

// UnmarshalYAML reads a max-age from a YAML scalar. Its error is in our
// words with the line, as ParseManifest reports it.
func (m *MaxAge) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseMaxAge(n.Value)
	if err != nil || n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: max-age is not an age like 90d, 12w or 2160h (or off)", n.Line)
	}
	*m = v
	return nil
}

// IsZero reports whether no max-age is set at this level.
func (m MaxAge) IsZero() bool { return m.set == "" }

// Limit is the age allowed, and false when there is none (off).
func (m MaxAge) Limit() (time.Duration, bool) { return m.d, !m.off && m.d > 0 }

// String is the max-age as written.
func (m MaxAge) String() string { return m.set }

// MaxAgeFor is the max-age of the secrets service mounts in env, and where
// secretdeck.yaml sets it: services.<svc>.policy, then
// environments.<env>.policy, then policy at the top. ok is false when none
// applies (none set, or the nearest says off).
func (m *Manifest) MaxAgeFor(env, service string) (age time.Duration, where string, ok bool) {
	if m == nil {
		return 0, "", false
	}
	for _, level := range []struct {
		p     AgePolicy
		where string
	}{
		{m.Services[service].Policy, "services." + service + ".policy"},
		{m.Environments[env].Policy, "environments." + env + ".policy"},
		{m.Policy, "policy"},
	} {
		if !level.p.MaxAge.IsZero() {
			d, on := level.p.MaxAge.Limit()
			return d, level.where + ".max-age: " + level.p.MaxAge.String(), on
		}
	}
	return 0, "", false
}

// expired reports a mounted secret older than the max-age that applies to
// the service that mounts it, with the date it was made.
func (d *drifter) expired(ds *DesiredSecret, svc *Service, sec *Secret) {
	limit, where, on := d.in.Manifest.MaxAgeFor(d.in.Source.Env, svc.Name)
	now := d.in.Now
	if now.IsZero() {
		now = time.Now()
	}
	if !on || sec.CreatedAt.IsZero() || !sec.CreatedAt.Add(limit).Before(now) {
		return
	}
	days := int(now.Sub(sec.CreatedAt).Hours() / 24)
	f := d.finding(KindExpired, ds, svc.Name, fmt.Sprintf("service %s mounts %s, made %s (%d days ago), older than %s allows (%s): rotate it, with a new value in %s",
		svc.Name, sec.Name, sec.CreatedAt.UTC().Format("2006-01-02"), days, ManifestPath, where, ds.File), ActionRotate)
	f.Secret = sec.Name
	d.add(f)
}
