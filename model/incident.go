package model

import (
	"slices"
	"strings"
	"time"
)

// IncidentReportVersion is the version of the report's JSON shape: fields
// are only ever added under one version.
const IncidentReportVersion = 1

// IncidentReport is the record of a swarm's state for an incident ticket:
// who made it where and when, the nodes and what each could read, every
// finding, how old each secret is, and the audit timeline of the window
// asked for. It holds names, dates, counts and keyed fingerprints' verdicts
// — never a value.
type IncidentReport struct {
	Version     int       `json:"version"`
	GeneratedAt time.Time `json:"generatedAt"`
	Operator    string    `json:"operator"` // user@host
	Endpoint    Endpoint  `json:"endpoint"`
	Swarm       string    `json:"swarm"` // cluster ID
	Source      string    `json:"source,omitempty"`
	Env         string    `json:"env,omitempty"`
	// FindingsChecked is false without a source: there was nothing to
	// compare the swarm with, and Findings is empty for that reason.
	FindingsChecked bool         `json:"findingsChecked"`
	Findings        []Finding    `json:"findings"`
	Nodes           []NodeReport `json:"nodes"`
	Secrets         []SecretAge  `json:"secrets"`
	// Since starts the window of the timeline: audit events at or after it.
	Since    time.Time    `json:"since"`
	Timeline []AuditEvent `json:"timeline"`
}

// NodeReport is one node and what an attacker on it could read.
type NodeReport struct {
	Node             Node `json:"node"`
	HoldsEverySecret bool `json:"holdsEverySecret"`
	// Exposed counts the secrets it could read: every secret for a
	// manager; else those its tasks mount or mounted (Secrets, by name).
	Exposed int      `json:"exposed"`
	Secrets []string `json:"secrets"`
}

// SecretAge is how old one swarm secret is, and who mounts it.
type SecretAge struct {
	Name      string    `json:"name"`
	Logical   string    `json:"logical"`
	CreatedAt time.Time `json:"createdAt"`
	AgeDays   int       `json:"ageDays"`
	MountedBy []string  `json:"mountedBy"` // services whose Spec mounts it
	// Expired: an expired finding names it (the age policy of
	// secretdeck.yaml; needs a source).
	Expired bool `json:"expired,omitempty"`
}

// AuditEvent is one line of an audit log, as a report shows it.
type AuditEvent struct {
	Time    time.Time `json:"time"`
	User    string    `json:"user"`
	Swarm   string    `json:"swarm,omitempty"`
	Plan    string    `json:"plan,omitempty"`
	Action  string    `json:"action"`
	Subject string    `json:"subject"`
	Result  string    `json:"result"`
}

// IncidentInput is what a report is made of.
type IncidentInput struct {
	Swarm    *SwarmSnapshot
	Drift    *DriftReport    // nil without a source
	Source   *SourceSnapshot // nil without a source
	Operator string
	Now      time.Time
	Since    time.Time
	// Audit is the local audit log, oldest first; the report keeps the
	// events of this swarm (or of none) from Since on.
	Audit []AuditEvent
}

// NewIncidentReport makes the report. It does no I/O.
func NewIncidentReport(in IncidentInput) *IncidentReport {
	s := in.Swarm
	r := &IncidentReport{Version: IncidentReportVersion, GeneratedAt: in.Now.UTC(), Operator: in.Operator, Endpoint: s.Endpoint,
		Swarm: s.ClusterID, Since: in.Since.UTC(), Findings: []Finding{}, Nodes: []NodeReport{}, Secrets: []SecretAge{}, Timeline: []AuditEvent{}}
	if in.Source != nil {
		r.Source, r.Env = in.Source.URI, in.Source.Env
	}
	expired := map[string]bool{}
	if in.Drift != nil {
		r.FindingsChecked = true
		r.Findings = append(r.Findings, in.Drift.Findings...)
		SortByUrgency(r.Findings)
		for _, f := range r.Findings {
			if f.Kind == KindExpired {
				expired[f.Secret] = true
			}
		}
	}
	for _, n := range s.Nodes {
		d, err := s.InspectNode(n.ID)
		if err != nil {
			continue // IDs are unique: cannot happen
		}
		nr := NodeReport{Node: n, HoldsEverySecret: d.HoldsEverySecret, Secrets: []string{}}
		for _, ns := range d.Secrets {
			nr.Secrets = append(nr.Secrets, ns.Name)
		}
		nr.Exposed = len(nr.Secrets)
		if nr.HoldsEverySecret {
			nr.Exposed = len(s.Secrets)
		}
		r.Nodes = append(r.Nodes, nr)
	}
	for _, sec := range s.Secrets {
		a := SecretAge{Name: sec.Name, Logical: versionOf(&sec).Logical, CreatedAt: sec.CreatedAt.UTC(), MountedBy: []string{}, Expired: expired[sec.Name]}
		if !sec.CreatedAt.IsZero() {
			a.AgeDays = int(in.Now.Sub(sec.CreatedAt).Hours() / 24)
		}
		for _, svc := range s.Services {
			if findID(svc.Spec.Secrets, sec.ID) != nil {
				a.MountedBy = append(a.MountedBy, svc.Name)
			}
		}
		r.Secrets = append(r.Secrets, a)
	}
	// Oldest first: what has gone longest without a rotation.
	slices.SortStableFunc(r.Secrets, func(a, b SecretAge) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	for _, e := range in.Audit {
		if (e.Swarm == "" || e.Swarm == s.ClusterID) && !e.Time.Before(in.Since) {
			e.Time = e.Time.UTC()
			r.Timeline = append(r.Timeline, e)
		}
	}
	slices.SortStableFunc(r.Timeline, func(a, b AuditEvent) int { return a.Time.Compare(b.Time) })
	return r
}
