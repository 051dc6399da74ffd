package model

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// An incident starts from "node X is compromised" or "secret Y leaked". An
// Exposure turns either into the logical secrets to rotate: those whose
// versions the node could read (its tasks' mounts now and in the task history
// the swarm keeps; on a manager, every secret, since managers hold the Raft
// store), or those whose newest version holds the leaked value under another
// name (their fingerprints tell, with the source's key). A rotation needs new
// values: where the source still holds an exposed value, a plan refuses
// unless the operator allows it (AllowSameValue), and then leaves those
// secrets as they are.

// Exposure is what one incident exposed, as a plan selects it.
type Exposure struct {
	// Node is the node whose secrets are exposed (its ID), or SameValueAs
	// the swarm secret whose value leaked (its name); one of the two.
	Node        string `json:"node,omitempty"`
	Hostname    string `json:"hostname,omitempty"`
	Manager     bool   `json:"manager,omitempty"` // the node holds every secret
	SameValueAs string `json:"sameValueAs,omitempty"`
	// Logicals are the exposed logical secrets the source declares: a
	// plan can rotate them.
	Logicals []ExposedLogical `json:"logicals"`
	// Undeclared are exposed swarm secrets no source entry declares: no
	// plan rotates them; they are named so that someone does.
	Undeclared []string `json:"undeclared"`
}

// ExposedLogical is one exposed logical secret.
type ExposedLogical struct {
	Logical  string   `json:"logical"`
	File     string   `json:"file"`     // the property file that declares it
	Versions []string `json:"versions"` // the exposed versions, by name
	// SameValue: the source still holds the value of an exposed version
	// (fingerprint match): rotating would mount the exposed value again.
	SameValue bool `json:"sameValue"`
	// Unverifiable: an exposed version has no fingerprint this source can
	// check (made outside secretdeck, or with another key): whether the
	// source holds a new value cannot be told.
	Unverifiable bool `json:"unverifiable,omitempty"`
}

// What says what the exposure is of ("exposed on node vm (tgq446rcg1f2)",
// "leaked with api_key_v2").
func (e *Exposure) What() string {
	if e.SameValueAs != "" {
		return "leaked with " + e.SameValueAs
	}
	what := fmt.Sprintf("exposed on node %s (%s)", cmpOr(e.Hostname, e.Node), shortID(e.Node))
	if e.Manager {
		what += ", a manager: it holds every secret"
	}
	return what
}

// Selects reports whether a finding is about an exposed logical secret.
func (e *Exposure) Selects(f Finding) bool {
	return slices.ContainsFunc(e.Logicals, func(x ExposedLogical) bool { return x.Logical == f.Logical && f.Logical != "" })
}

// SameValue lists the exposed logical secrets the source still holds the
// exposed value of.
func (e *Exposure) SameValue() []ExposedLogical {
	var out []ExposedLogical
	for _, x := range e.Logicals {
		if x.SameValue {
			out = append(out, x)
		}
	}
	return out
}

// refusal is the error of a plan that would rotate exposed secrets to the
// value that was exposed (nil when the source has new values for all).
func (e *Exposure) refusal() error {
	same := e.SameValue()
	if len(same) == 0 {
		return nil
	}
	var names, files []string
	for _, x := range same {
		names = append(names, x.Logical)
		if !slices.Contains(files, x.File) {
			files = append(files, x.File)
		}
	}
	err := fmt.Errorf("the source still holds the value %s for %s: a rotation would mount the exposed value again; put new values in %s first, or pass --allow-same-value to plan the others and leave these as they are",
		e.What(), firstNames(names, maxNamed), strings.Join(files, ", "))
	if e.SameValueAs != "" && len(e.Logicals) > 1 {
		// Once no entry holds the value, it cannot be found by value again.
		var sel []string
		for _, x := range e.Logicals {
			sel = append(sel, "--secret "+x.Logical)
		}
		err = fmt.Errorf("%w (once the source has new values, nothing holds this one to compare with: plan them by name, %s)", err, strings.Join(sel, " "))
	}
	return err
}

// exposureIndex maps swarm secrets to the logical secrets the source
// declares, under each one's naming rule.
type exposureIndex struct {
	ix      *versionIndex
	desired map[string]*DesiredSecret
}

func newExposureIndex(s *SwarmSnapshot, r *DriftReport) exposureIndex {
	x := exposureIndex{ix: newVersionIndex(s.Secrets), desired: map[string]*DesiredSecret{}}
	for i := range r.Desired {
		ds := &r.Desired[i]
		x.ix.adoptNamed(ds.Logical, ds.Naming)
		x.desired[ds.Logical] = ds
	}
	return x
}

// build groups exposed secrets by logical secret and checks each exposed
// version against the source's value.
func (x exposureIndex) build(e *Exposure, exposed []*Secret, key FingerprintKey) *Exposure {
	e.Logicals, e.Undeclared = []ExposedLogical{}, []string{}
	byLogical := map[string]*ExposedLogical{}
	for _, sec := range exposed {
		v, ok := x.ix.byID[sec.ID]
		ds := x.desired[v.Logical]
		if !ok || ds == nil {
			e.Undeclared = append(e.Undeclared, sec.Name)
			continue
		}
		el := byLogical[v.Logical]
		if el == nil {
			el = &ExposedLogical{Logical: v.Logical, File: ds.File}
			byLogical[v.Logical] = el
		}
		el.Versions = append(el.Versions, sec.Name)
		switch m, _ := key.Check(sec.Labels, v.Logical, ds.Value); m {
		case FingerprintMatches:
			el.SameValue = true
		case FingerprintDiffers:
		default:
			el.Unverifiable = true
		}
	}
	for _, el := range byLogical {
		slices.Sort(el.Versions)
		e.Logicals = append(e.Logicals, *el)
	}
	slices.SortFunc(e.Logicals, func(a, b ExposedLogical) int { return strings.Compare(a.Logical, b.Logical) })
	slices.Sort(e.Undeclared)
	return e
}

// ExposedOnNode is what node (an ID, a unique ID prefix, a hostname, or
// "self") could read: the secrets its tasks mount or mounted, or every
// secret for a manager. r is the drift of the source against s.
func ExposedOnNode(s *SwarmSnapshot, r *DriftReport, key FingerprintKey, node string) (*Exposure, error) {
	d, err := s.InspectNode(node)
	if err != nil {
		return nil, err
	}
	e := &Exposure{Node: d.Node.ID, Hostname: d.Node.Hostname, Manager: d.HoldsEverySecret}
	var exposed []*Secret
	if e.Manager {
		for i := range s.Secrets {
			exposed = append(exposed, &s.Secrets[i])
		}
	} else {
		byID := make(map[string]*Secret, len(s.Secrets))
		for i := range s.Secrets {
			byID[s.Secrets[i].ID] = &s.Secrets[i]
		}
		for _, ns := range d.Secrets {
			exposed = append(exposed, byID[ns.ID])
		}
	}
	return newExposureIndex(s, r).build(e, exposed, key), nil
}

// SameValueAs is where the value of the swarm secret name (a version's name
// or ID; a logical secret's name means its newest version) is mounted under
// other names: that secret, and every logical secret whose newest version's
// fingerprint is of the same value. Fingerprints are keyed and bound to
// their logical secret, so the value is needed in clear to compare: it is the
// source's value of whichever entry the leaked version's fingerprint matches
// (its own, or another's that holds it too).
func SameValueAs(s *SwarmSnapshot, r *DriftReport, key FingerprintKey, name string) (*Exposure, error) {
	if key.IsZero() {
		return nil, fmt.Errorf("--same-value-as compares fingerprints, and the source has no fingerprint key (%s) yet", FingerprintKeyPath)
	}
	x := newExposureIndex(s, r)
	leaked := s.secretByID(name)
	if i := slices.IndexFunc(s.Secrets, func(sec Secret) bool { return sec.Name == name }); i >= 0 {
		leaked = &s.Secrets[i]
	}
	if leaked == nil {
		last, ok := newest(x.ix.versions(name))
		if !ok {
			return nil, s.secretNotFound(name, r)
		}
		leaked = last.Secret
	}
	logical := versionOf(leaked).Logical
	if v, ok := x.ix.byID[leaked.ID]; ok {
		logical = v.Logical
	}
	if m, _ := key.Check(leaked.Labels, logical, Value{}); m == FingerprintUnknown {
		return nil, fmt.Errorf("%s has no fingerprint (it was made outside secretdeck): its value cannot be compared with other secrets'", leaked.Name)
	}
	var value Value
	found := false
	for _, ds := range r.Desired {
		if m, _ := key.Check(leaked.Labels, logical, ds.Value); m == FingerprintMatches {
			value, found = ds.Value, true
			break
		}
	}
	if !found {
		return nil, errors.New("no entry of the source holds the value of " + leaked.Name + " any more: its fingerprint is known, its value is not, so it cannot be compared with other secrets' (rotate " + logical + " and the secrets that held the same value by --secret)")
	}
	exposed := []*Secret{leaked}
	for _, l := range x.logicals() {
		if l == logical {
			continue
		}
		if last, ok := newest(x.ix.versions(l)); ok {
			if m, _ := key.Check(last.Secret.Labels, l, value); m == FingerprintMatches {
				exposed = append(exposed, last.Secret)
			}
		}
	}
	return x.build(&Exposure{SameValueAs: leaked.Name}, exposed, key), nil
}

// logicals are every logical secret the swarm has versions of by label, and
// every one the source declares.
func (x exposureIndex) logicals() []string {
	var out []string
	for l := range x.ix.managed {
		out = append(out, l)
	}
	for l := range x.desired {
		out = append(out, l)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// exposureOf makes the exposure a plan's origin names again.
func exposureOf(o PlanOrigin, s *SwarmSnapshot, r *DriftReport, key FingerprintKey) (*Exposure, error) {
	switch {
	case o.ExposedOnNode != "":
		return ExposedOnNode(s, r, key, o.ExposedOnNode)
	case o.SameValueAs != "":
		return SameValueAs(s, r, key, o.SameValueAs)
	}
	return nil, nil
}

// firstNames lists at most n names, ending "and K more".
func firstNames(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(" and %d more", len(names)-n)
}
