package model

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// maxNamed is how many names an error lists before "and N more".
const maxNamed = 10

// NotFoundError says that a named object does not exist, and names what does,
// so that a typo is one step from fixed.
type NotFoundError struct {
	What, Name string
	Have       []string // every name of that kind
	// Lister, when set, is the command that lists them all: the error then
	// names only the close names (a typo's), not the first of many.
	Lister string
	// Hint, when set, replaces the list (e.g. "the source declares it").
	Hint string
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("no %s named %q", e.What, e.Name)
	switch {
	case e.Hint != "":
		return msg + "; " + e.Hint
	case e.Lister != "":
		if close := closeNames(e.Name, e.Have); len(close) > 0 {
			msg += "; closest: " + ClosestNames(e.Name, close, maxNamed)
		}
		return msg + fmt.Sprintf(" (`%s` lists them all)", e.Lister)
	case len(e.Have) == 0:
		return msg + fmt.Sprintf("; there is no %s at all", e.What)
	}
	return msg + fmt.Sprintf("; %ss: %s", e.What, ClosestNames(e.Name, e.Have, maxNamed))
}

// ClosestNames lists at most n of names, the closest to name first (fewest
// edits, a name containing the other counting as its extra letters), ending
// "and K more".
func ClosestNames(name string, names []string, n int) string {
	names = slices.Clone(names)
	slices.Sort(names)
	names = slices.Compact(names)
	dist := make(map[string]int, len(names))
	for _, x := range names {
		dist[x] = distance(name, x)
	}
	slices.SortStableFunc(names, func(a, b string) int { return cmp.Compare(dist[a], dist[b]) })
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(" and %d more", len(names)-n)
}

// closeNames are the names a typo of name could have meant.
func closeNames(name string, names []string) []string {
	var out []string
	for _, x := range names {
		if distance(name, x) <= max(2, len(name)/4) {
			out = append(out, x)
		}
	}
	return out
}

func distance(a, b string) int {
	a, b = strings.ToLower(a), strings.ToLower(b)
	d := editDistance(a, b)
	if strings.Contains(a, b) || strings.Contains(b, a) {
		d = min(d, abs(len(a)-len(b)))
	}
	return d
}

func abs(x int) int { return max(x, -x) }

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// ServiceNames are the names of the swarm's services.
func (s *SwarmSnapshot) ServiceNames() []string {
	out := make([]string, 0, len(s.Services))
	for _, svc := range s.Services {
		out = append(out, svc.Name)
	}
	slices.Sort(out)
	return out
}

// ResolveService checks that a service selector names a service of the swarm.
func (s *SwarmSnapshot) ResolveService(name string) error {
	if slices.ContainsFunc(s.Services, func(x Service) bool { return x.Name == name }) {
		return nil
	}
	return &NotFoundError{What: "service", Name: name, Have: s.ServiceNames()}
}

// Logicals are the logical secrets drift knows: desired by the source, or
// named by a finding (an orphan's, an undeclared mount's).
func (r *DriftReport) Logicals() []string {
	var out []string
	for _, ds := range r.Desired {
		out = append(out, ds.Logical)
	}
	for _, f := range r.Findings {
		if f.Logical != "" {
			out = append(out, f.Logical)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ResolveSecret says which logical secret a secret selector (plan --secret)
// means: a logical name, or the name of a swarm secret, meaning the logical
// secret it is a version of (note says so). A name that is neither is a
// NotFoundError listing the closest logical names.
func (r *DriftReport) ResolveSecret(s *SwarmSnapshot, name string) (logical, note string, err error) {
	known := r.Logicals()
	if slices.Contains(known, name) {
		return name, "", nil
	}
	// A mounted secret is a version of the desired secret it is bound to.
	for _, ds := range r.Desired {
		for _, b := range ds.Bindings {
			if b.Ref != nil && b.Ref.Name == name {
				return ds.Logical, fmt.Sprintf("%s is a version of the logical secret %s: selecting %s", name, ds.Logical, ds.Logical), nil
			}
		}
	}
	nf := &NotFoundError{What: "logical secret", Name: name, Have: known}
	for i := range s.Secrets {
		if sec := &s.Secrets[i]; sec.Name == name {
			l := versionOf(sec).Logical
			if slices.Contains(known, l) && l != name {
				return l, fmt.Sprintf("%s is a version of the logical secret %s: selecting %s", name, l, l), nil
			}
			nf.Hint = fmt.Sprintf("the swarm secret %s is declared by no property file, so no plan rotates it (`secretdeck inspect secret %s` shows who uses it)", name, name)
		}
	}
	return "", "", nf
}
