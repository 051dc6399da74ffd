package model

import (
	"cmp"
	"slices"
	"strings"
)

// Kind names a kind of drift finding, spelled as in the README's drift table.
type Kind string

// Every kind of finding.
const (
	KindMissing        Kind = "missing"
	KindNotMounted     Kind = "not-mounted"
	KindStale          Kind = "stale"
	KindUnverifiable   Kind = "unverifiable"
	KindLagging        Kind = "lagging"
	KindTargetMismatch Kind = "target-mismatch"
	KindOrphan         Kind = "orphan"
	KindUndeclared     Kind = "undeclared"
	KindUnknownService Kind = "unknown-service"
	KindRuntimeStale   Kind = "runtime-stale"
	KindEnvExposure    Kind = "env-exposure"
	KindStackOwned     Kind = "stack-owned"
	KindUnparsable     Kind = "unparsable"
	KindOversize       Kind = "oversize"
	// KindUnauthorizedMount: a service mounts a version of a logical secret
	// the source does not grant it (not the file's own service, not in a
	// shared key's services: list). It is never part of a rotation.
	KindUnauthorizedMount Kind = "unauthorized-mount"
	// KindWiring: an env var points a service at the wrong thing (a
	// NAME_FILE with nothing mounted there, another environment's file).
	KindWiring Kind = "wiring"
	// KindPreviousSpecExposure: a credential removed from a service's env
	// still sits in its PreviousSpec, which `docker service inspect` shows.
	KindPreviousSpecExposure Kind = "previous-spec-exposure"
	// KindOpenGrant: a shared key has no services: list, so whoever mounts
	// it gets each new value; the finding proposes the list.
	KindOpenGrant Kind = "open-grant"
	// KindCertExpiry: a certificate in a file secret has expired (high) or
	// expires within 30 days (medium).
	KindCertExpiry Kind = "cert-expiry"
	// KindStackPinned: a stack file names an older version than the newest
	// one, which holds the source's value: the next deploy reverts.
	KindStackPinned Kind = "stack-pinned"
	// KindStackReverted: a stack service mounts an older version again
	// after a plan moved it on: a deploy of the old stack file undid it.
	KindStackReverted Kind = "stack-reverted"
	// KindStackFileSecret: the file behind a file: secret of a stack file
	// changed after Docker made the secret: the next deploy fails.
	KindStackFileSecret Kind = "stack-file-secret"
	// KindExpired: a mounted secret is older than the max-age of
	// secretdeck.yaml's age policy; a rotation makes a new version.
	KindExpired Kind = "expired"
	// Configs (configs.go): compared byte for byte, since Docker returns a
	// config's data.
	KindConfigStale      Kind = "config-stale"
	KindConfigMissing    Kind = "config-missing"
	KindConfigNotMounted Kind = "config-not-mounted"
	KindConfigOrphan     Kind = "config-orphan"
	KindConfigExposure   Kind = "config-exposure"
	// KindImageHistoryExposure: the history of an image a service runs
	// (`docker history`) holds a source value in clear (high), or a
	// credential-like build arg or ENV with a literal (medium).
	KindImageHistoryExposure Kind = "image-history-exposure"
	// KindImageUnchecked: the engine secretdeck is connected to does not
	// hold an image a service runs, so its history could not be checked.
	KindImageUnchecked Kind = "image-unchecked"
)

// Kinds lists every kind, in the order of the README's drift table.
var Kinds = []Kind{
	KindMissing, KindNotMounted, KindStale, KindUnverifiable, KindLagging, KindTargetMismatch,
	KindOrphan, KindUndeclared, KindUnknownService, KindRuntimeStale, KindEnvExposure,
	KindStackOwned, KindUnparsable, KindOversize, KindUnauthorizedMount, KindWiring, KindPreviousSpecExposure, KindOpenGrant, KindCertExpiry, KindStackPinned, KindStackReverted, KindStackFileSecret,
	KindExpired, KindConfigStale, KindConfigMissing, KindConfigNotMounted, KindConfigOrphan, KindConfigExposure,
	KindImageHistoryExposure, KindImageUnchecked,
}

// Severity orders findings: what to look at first.
type Severity int

// Severities, most urgent last so that comparisons read naturally.
const (
	SeverityInfo Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
)

var severityNames = [...]string{"info", "low", "medium", "high"}

func (s Severity) String() string { return severityNames[s] }

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	*s = Severity(max(0, slices.Index(severityNames[:], string(b))))
	return nil
}

// severityOf is each kind's severity: a credential in clear or a swarm that
// runs another value than the source's comes first; bookkeeping comes last.
var severityOf = map[Kind]Severity{
	KindStackPinned: SeverityHigh, KindStackReverted: SeverityHigh, KindStackFileSecret: SeverityMedium,
	KindEnvExposure: SeverityHigh, KindPreviousSpecExposure: SeverityHigh, KindUnauthorizedMount: SeverityHigh, KindStale: SeverityHigh, KindMissing: SeverityHigh, KindLagging: SeverityHigh,
	KindNotMounted: SeverityMedium, KindUnverifiable: SeverityMedium, KindTargetMismatch: SeverityMedium,
	KindRuntimeStale: SeverityMedium, KindWiring: SeverityMedium, KindCertExpiry: SeverityMedium, KindExpired: SeverityMedium, KindUnparsable: SeverityMedium, KindOversize: SeverityMedium,
	KindOrphan: SeverityLow, KindUndeclared: SeverityLow, KindUnknownService: SeverityLow,
	KindStackOwned: SeverityInfo, KindOpenGrant: SeverityInfo,
	KindConfigExposure: SeverityHigh, KindConfigStale: SeverityHigh, KindConfigMissing: SeverityMedium,
	KindConfigNotMounted: SeverityMedium, KindConfigOrphan: SeverityLow,
	KindImageHistoryExposure: SeverityHigh, KindImageUnchecked: SeverityInfo,
}

// Action is what would fix a finding.
type Action string

// Actions a finding may suggest.
const (
	ActionCreateMount   Action = "create+mount"
	ActionCreate        Action = "create"
	ActionMount         Action = "mount"
	ActionRotate        Action = "rotate"
	ActionFinish        Action = "finish"
	ActionRevert        Action = "revert"
	ActionRemount       Action = "remount"
	ActionPrune         Action = "prune"
	ActionReport        Action = "report"
	ActionRestart       Action = "restart"
	ActionRevoke        Action = "revoke"
	ActionPurgePrevious Action = "purge-previous-spec"
	ActionMoveToSecret  Action = "move-to-secret"
	ActionUpdateStack   Action = "update-stack-file"
	ActionFixSourceFile Action = "fix-source-file"
	ActionDeclare       Action = "declare-services"
	ActionRebuildImage  Action = "rebuild-image"
)

// Finding is one thing out of line between the source and the swarm.
type Finding struct {
	Kind     Kind     `json:"kind"`
	Severity Severity `json:"severity"`
	Service  string   `json:"service,omitempty"`
	Logical  string   `json:"logical,omitempty"` // logical secret
	Secret   string   `json:"secret,omitempty"`  // swarm secret name
	File     string   `json:"file,omitempty"`    // property file key
	Key      string   `json:"key,omitempty"`     // entry key, or env var name
	Plan     string   `json:"plan,omitempty"`    // plan id, for lagging
	Config   string   `json:"config,omitempty"`  // swarm config name
	// Image and Layer: an image a service runs, and the entry of its
	// history (1 = the newest, as `docker history` lists them).
	Image       string   `json:"image,omitempty"`
	Layer       int      `json:"layer,omitempty"`
	Explanation string   `json:"explanation"`
	Actions     []Action `json:"actions"`
	// Command fixes the finding, ready to paste: secretdeck's own where it
	// can act, else the docker command that would; Hint adds what the
	// command alone does not say.
	Command string `json:"command,omitempty"`
	Hint    string `json:"hint,omitempty"`
	// Diff is how a mounted config differs from the source's (diff -u),
	// with every property file value and credential-like literal masked.
	Diff string `json:"diff,omitempty"`
}

// ID identifies a finding across runs, for selecting it in a plan.
func (f *Finding) ID() string {
	id := strings.Join([]string{string(f.Kind), f.Service, f.Logical, f.Secret, f.File, f.Key}, "/")
	if f.Config != "" { // only config findings name one: other IDs stay as plan files hold them
		id += "/config:" + f.Config
	}
	if f.Image != "" { // only image findings name one
		id += "/" + f.Image
	}
	return id
}

func newFinding(k Kind, explanation string, actions ...Action) Finding {
	return Finding{Kind: k, Severity: severityOf[k], Explanation: explanation, Actions: actions}
}

// Urgency is the order findings are listed in, most urgent first: a
// credential readable by anyone who can inspect a service, then a swarm that
// runs another value than the source's, …, bookkeeping last. Severity follows
// the same order. `drift` sorts by it (SortByUrgency) and its help is
// written from it (UrgencyText).
var Urgency = []Kind{
	KindEnvExposure, KindPreviousSpecExposure, KindImageHistoryExposure, KindUnauthorizedMount, KindStale, KindMissing, KindLagging, KindStackReverted, KindStackPinned,
	KindConfigExposure, KindConfigStale,
	KindCertExpiry, KindStackFileSecret, KindExpired, KindConfigMissing, KindNotMounted, KindConfigNotMounted, KindUnverifiable, KindTargetMismatch, KindRuntimeStale, KindWiring, KindUnparsable, KindOversize,
	KindOrphan, KindConfigOrphan, KindUndeclared, KindUnknownService,
	KindStackOwned, KindOpenGrant, KindImageUnchecked,
}

// UrgencyText is Urgency in words: "env-exposure, previous-spec-exposure, …
// (high); not-mounted, … (medium); …".
func UrgencyText() string {
	var groups []string
	var kinds []string
	for i, k := range Urgency {
		kinds = append(kinds, string(k))
		if i == len(Urgency)-1 || severityOf[Urgency[i+1]] != severityOf[k] {
			groups = append(groups, strings.Join(kinds, ", ")+" ("+severityOf[k].String()+")")
			kinds = nil
		}
	}
	return strings.Join(groups, "; ")
}

// sortFindings orders findings by severity (highest first), then by kind in
// the table's order, then by subject, so that output is deterministic.
func sortFindings(fs []Finding) { sortBy(fs, Urgency) }

// SortByUrgency orders findings as `drift` lists them and as its help says
// (UrgencyText): by severity, then by kind in the order of Urgency (an
// exposed credential first), then by subject.
func SortByUrgency(fs []Finding) { sortBy(fs, Urgency) }

func sortBy(fs []Finding, kinds []Kind) {
	order := make(map[Kind]int, len(kinds))
	for i, k := range kinds {
		order[k] = i
	}
	// Sorted by index, then each moved once: a Finding is a few hundred
	// bytes, and a drift at scale has ten thousand of them.
	rank := make([]int, len(fs))
	ix := make([]int, len(fs))
	for i := range fs {
		rank[i], ix[i] = order[fs[i].Kind], i
	}
	slices.SortFunc(ix, func(i, j int) int {
		a, b := &fs[i], &fs[j]
		switch {
		case a.Severity != b.Severity:
			return cmp.Compare(b.Severity, a.Severity)
		case rank[i] != rank[j]:
			return cmp.Compare(rank[i], rank[j])
		}
		for _, f := range [...]func(*Finding) string{
			func(f *Finding) string { return f.Service },
			func(f *Finding) string { return f.Logical },
			func(f *Finding) string { return f.Secret },
			func(f *Finding) string { return f.File },
			func(f *Finding) string { return f.Key },
			func(f *Finding) string { return f.Config },
			func(f *Finding) string { return f.Image },
		} {
			if c := strings.Compare(f(a), f(b)); c != 0 {
				return c
			}
		}
		return cmp.Compare(i, j) // as found: the order never depends on the sort's
	})
	// fs[to] becomes the finding at ix[to], cycle by cycle, in place.
	for start := range ix {
		if ix[start] == start {
			continue // in place already, or moved
		}
		held, to := fs[start], start
		for {
			from := ix[to]
			ix[to] = to
			if from == start {
				fs[to] = held
				break
			}
			fs[to], to = fs[from], from
		}
	}
}
