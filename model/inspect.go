package model

import (
	"fmt"
	"slices"
	"time"
)

// SecretDetail is everything known about one swarm secret.
type SecretDetail struct {
	// Asked is the name asked for: a secret's name or ID, or a logical
	// secret's name (Secret is then its newest version).
	Asked       string           `json:"asked"`
	Secret      Secret           `json:"secret"`
	Logical     string           `json:"logical,omitempty"`
	Version     int              `json:"version"`
	Managed     bool             `json:"managed"` // created by secretdeck
	Fingerprint string           `json:"fingerprint"`
	Versions    []VersionSummary `json:"versions"`    // of the same logical secret, oldest first
	Blast       BlastRadius      `json:"blastRadius"` // of this version
	// LogicalBlast is the union over every version of the logical secret,
	// with the versions each service names.
	LogicalBlast LogicalBlastRadius `json:"logicalBlastRadius"`
	Findings     []Finding          `json:"findings"`
}

// VersionSummary is one version of a logical secret.
type VersionSummary struct {
	Name      string    `json:"name"`
	ID        string    `json:"id"`
	N         int       `json:"n"`
	CreatedAt time.Time `json:"createdAt"`
	Plan      string    `json:"plan,omitempty"`
	MountedBy []string  `json:"mountedBy"`  // services whose Spec mounts it
	Previous  []string  `json:"previousOf"` // services whose PreviousSpec does
	// AdoptedBy says why it is a version: secretdeck's labels, or its name
	// under a naming rule ({name}_v{n}, or secretdeck.yaml's).
	AdoptedBy string `json:"adoptedBy"`
}

// AdoptedByLabels is VersionSummary.AdoptedBy of a version secretdeck made.
const AdoptedByLabels = "secretdeck's labels"

// ServiceDetail is everything known about one service.
type ServiceDetail struct {
	Service  Service      `json:"service"`
	Running  int          `json:"running"`
	Desired  int          `json:"desired"`
	Env      []EnvSummary `json:"env"`
	Tasks    []Task       `json:"tasks"`
	Findings []Finding    `json:"findings"`
	// StackFile is the file of its stack ("" when unknown); StackSecrets,
	// what that file mounts: what the next `docker stack deploy` gives it.
	StackFile    string     `json:"stackFile,omitempty"`
	StackSecrets []StackRef `json:"stackSecrets,omitempty"`
}

// EnvSummary describes an env var without its value.
type EnvSummary struct {
	Name    string `json:"name"`
	Length  int    `json:"length"`
	Exposed bool   `json:"exposed"` // an env-exposure finding names it
}

// InspectSecret describes the secret called name (or with that ID), or the
// logical secret called name through its newest version; either way with the
// blast radius of the whole logical secret. drift may be nil (no source):
// the fingerprint is then not checked and no finding is listed.
func (s *SwarmSnapshot) InspectSecret(name string, drift *DriftReport, key FingerprintKey) (*SecretDetail, error) {
	sec, ok := s.SecretAsked(name)
	if !ok {
		return nil, s.secretNotFound(name, drift)
	}
	d := &SecretDetail{Asked: name, Secret: sec, Blast: s.Blast(sec.ID), Findings: []Finding{}, Versions: []VersionSummary{}}
	ix := newVersionIndex(s.Secrets)
	v := versionOf(&sec)
	naming := DefaultNaming
	if !v.Managed && drift != nil {
		// A name under the source's naming rules (api_key_2024_06_01) is a
		// version of the logical secret the rule names.
		for _, ds := range drift.Desired {
			if n, ok := ds.Naming.Parse(sec.Name, ds.Logical); ok && !ds.Naming.IsDefault() {
				v, naming = SecretVersion{Secret: &sec, Logical: ds.Logical, N: n}, ds.Naming
				break
			}
		}
	}
	if drift != nil {
		for _, ds := range drift.Desired {
			if ds.Logical == v.Logical {
				naming = ds.Naming
			}
		}
	}
	ix.adoptNamed(v.Logical, naming)
	d.Logical, d.Version, d.Managed = v.Logical, v.N, v.Managed
	for _, x := range ix.versions(v.Logical) {
		vs := s.versionSummary(x)
		vs.AdoptedBy = "its name (" + cmpOr(x.Rule, DefaultNaming.String()) + ")"
		if x.Managed {
			vs.AdoptedBy = AdoptedByLabels
		} else if ansibleMade(x.Secret) {
			vs.AdoptedBy += ", Ansible's labels"
		}
		d.Versions = append(d.Versions, vs)
	}
	d.LogicalBlast = s.LogicalBlast(v.Logical)
	d.Fingerprint = "not checked (no --source)"
	if drift != nil {
		d.Fingerprint = "no source entry declares it"
		if m, evidence, declared := drift.Fingerprints(key)(sec, d.Logical); declared {
			d.Fingerprint = m.String()
			if evidence == EvidenceAnsible {
				d.Fingerprint += " (by Ansible's ansible_key label)"
			}
		}
		for _, f := range drift.Findings {
			if f.Secret == sec.Name || (d.Logical != "" && f.Logical == d.Logical) {
				d.Findings = append(d.Findings, f)
			}
		}
	}
	return d, nil
}

// SecretAsked is the secret `inspect secret name` describes: the one called
// name (or with that ID), else the newest version of the logical secret
// called name.
func (s *SwarmSnapshot) SecretAsked(name string) (Secret, bool) {
	if i := slices.IndexFunc(s.Secrets, func(x Secret) bool { return x.Name == name || x.ID == name }); i >= 0 {
		return s.Secrets[i], true
	}
	last, ok := newest(s.Versions(name))
	if !ok {
		return Secret{}, false
	}
	return *last.Secret, true
}

// ServicesNaming are the IDs of the services whose Spec or PreviousSpec
// names any of the secrets with ids: the services whose tasks a blast
// radius of those secrets reads.
func (s *SwarmSnapshot) ServicesNaming(ids ...string) []string {
	var out []string
	for i := range s.Services {
		if slices.ContainsFunc(s.Services[i].ReferencedSecretIDs(), func(id string) bool { return slices.Contains(ids, id) }) {
			out = append(out, s.Services[i].ID)
		}
	}
	return out
}

// Fingerprints returns how a secret compares with the value the source
// declares for its logical secret (declared false when no entry does): the
// one answer every face shows for a secret. The index is built once, so a
// list of 10,000 secrets asks it 10,000 times at no more cost.
func (r *DriftReport) Fingerprints(key FingerprintKey) func(sec Secret, logical string) (m FingerprintMatch, evidence string, declared bool) {
	byLogical := make(map[string]Value, len(r.Desired))
	for _, ds := range r.Desired {
		if ds.Logical != "" {
			byLogical[ds.Logical] = ds.Value
		}
	}
	return func(sec Secret, logical string) (FingerprintMatch, string, bool) {
		v, ok := byLogical[logical]
		if !ok {
			return FingerprintUnknown, "", false
		}
		m, evidence := key.Check(sec.Labels, logical, v)
		return m, evidence, true
	}
}

func (s *SwarmSnapshot) versionSummary(v SecretVersion) VersionSummary {
	vs := VersionSummary{Name: v.Secret.Name, ID: v.Secret.ID, N: v.N, CreatedAt: v.Secret.CreatedAt, Plan: v.Plan(),
		MountedBy: []string{}, Previous: []string{}}
	for _, svc := range s.Services {
		if findID(svc.Spec.Secrets, v.Secret.ID) != nil {
			vs.MountedBy = append(vs.MountedBy, svc.Name)
		}
		if svc.Previous != nil && findID(svc.Previous.Secrets, v.Secret.ID) != nil {
			vs.Previous = append(vs.Previous, svc.Name)
		}
	}
	return vs
}

// InspectService describes the service called name (or with that ID).
func (s *SwarmSnapshot) InspectService(name string, drift *DriftReport) (*ServiceDetail, error) {
	svc, ok := s.ServiceAsked(name)
	if !ok {
		return nil, &NotFoundError{What: "service", Name: name, Have: s.ServiceNames(), Lister: "docker service ls"}
	}
	d := &ServiceDetail{Service: svc, Env: []EnvSummary{}, Tasks: []Task{}, Findings: []Finding{}}
	running, desired := s.TaskCounts()
	d.Running, d.Desired = running[svc.ID], desired[svc.ID]
	for _, t := range s.Tasks {
		if t.ServiceID == svc.ID {
			d.Tasks = append(d.Tasks, t)
		}
	}
	exposed := map[string]bool{}
	if drift != nil {
		for _, sf := range drift.Stacks {
			if ss := sf.service(svc.Name); ss != nil && sf.Stack == svc.Stack && sf.Err == nil {
				d.StackFile, d.StackSecrets = sf.Path, ss.Refs
			}
		}
		for _, f := range drift.Findings {
			if f.Service == svc.Name {
				d.Findings = append(d.Findings, f)
				if f.Kind == KindEnvExposure {
					exposed[f.Key] = true
				}
			}
		}
	}
	for _, ev := range svc.Spec.Env {
		d.Env = append(d.Env, EnvSummary{Name: ev.Name, Length: ev.Value.Len(), Exposed: exposed[ev.Name]})
	}
	return d, nil
}

// ServiceAsked is the service `inspect service name` describes: the one
// called name, or with that ID.
func (s *SwarmSnapshot) ServiceAsked(name string) (Service, bool) {
	i := slices.IndexFunc(s.Services, func(x Service) bool { return x.Name == name || x.ID == name })
	if i < 0 {
		return Service{}, false
	}
	return s.Services[i], true
}

// secretNames are the names of every swarm secret and of every logical secret
// they are versions of: what `inspect secret` accepts.
func (s *SwarmSnapshot) secretNames() []string {
	out := make([]string, 0, 2*len(s.Secrets))
	for i := range s.Secrets {
		out = append(out, s.Secrets[i].Name, versionOf(&s.Secrets[i]).Logical)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// secretNotFound names the closest secrets and logical secrets, or says that
// the source declares name but the swarm has no version of it yet.
func (s *SwarmSnapshot) secretNotFound(name string, drift *DriftReport) error {
	nf := &NotFoundError{What: "secret", Name: name, Have: s.secretNames(), Lister: "docker secret ls"}
	if drift != nil {
		for _, ds := range drift.Desired {
			if ds.Logical == name {
				nf.Hint = fmt.Sprintf("%s declares it but the swarm has no version yet: `secretdeck plan --secret %s` creates it", ds.File, name)
			}
		}
	}
	return nf
}
