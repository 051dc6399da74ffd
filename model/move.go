package model

import (
	"fmt"
	"slices"
	"strings"
)

// Moving a credential out of a service's env into a secret (move-to-secret)
// is safe only where the application reads the secret file in place of the
// variable. secretdeck knows that from the manifest or from a named
// convention, never from a guess:
//
//   - keys.<key>.env: NAME — the operator says the entry replaces env var
//     NAME and the application reads /run/secrets/<target>;
//   - file-env: true — the image reads NAME_FILE=/run/secrets/<target> (the
//     official postgres, mysql, mariadb images): the move sets NAME_FILE;
//   - Docker Flow Proxy (its image, or convention: docker-flow-proxy) reads
//     secrets dfp_stats_user and dfp_stats_pass in place of STATS_USER and
//     STATS_PASS.
//
// An entry is linked to the variable by keys.<key>.env, else by its name
// (stats_pass, STATS_PASS and stats.pass all name STATS_PASS).

// ConventionDockerFlowProxy is Docker Flow Proxy's way to read its stats
// credentials: secrets dfp_stats_user and dfp_stats_pass.
const ConventionDockerFlowProxy = "docker-flow-proxy"

// dfpTargets are the secrets Docker Flow Proxy reads, by the variable they
// replace.
var dfpTargets = map[string]string{"STATS_USER": "dfp_stats_user", "STATS_PASS": "dfp_stats_pass"}

// Move is how a plan takes an env var out of a service: the update that
// mounts Logical at Target also removes Env (and sets SetEnv, when the image
// reads NAME_FILE). It holds names and paths, never a value.
type Move struct {
	Service string `json:"service"`
	Env     string `json:"env"`
	Logical string `json:"logical"`
	Target  string `json:"target"`
	SetEnv  string `json:"setEnv,omitempty"` // NAME_FILE=/run/secrets/<target>
	// Burned: the variable holds the value the source has now, which
	// everyone who could inspect the service has read. Moving it as it is
	// needs --accept-exposed-value; a new value in the source is the fix.
	Burned bool `json:"burned,omitempty"`
}

// envLink is the env var an entry replaces: the manifest's env, else the
// one its name spells.
func envLink(key string, kp KeyPolicy) string {
	if kp.Env != "" {
		return kp.Env
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(key) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// convention is the service's way to read secrets: the manifest's, else
// the one its image is known for.
func convention(svc *Service, p ServicePolicy) string {
	if p.Convention != "" {
		return p.Convention
	}
	if svc != nil && imageRepo(svc.Spec.Image) == "docker-flow-proxy" {
		return ConventionDockerFlowProxy
	}
	return ""
}

// imageRepo is an image reference's last path element, without tag or
// digest: "dockerflow/docker-flow-proxy:18.04@sha256:…" → "docker-flow-proxy".
func imageRepo(image string) string {
	image, _, _ = strings.Cut(image, "@")
	if i := strings.LastIndex(image, "/"); i >= 0 {
		image = image[i+1:]
	}
	image, _, _ = strings.Cut(image, ":")
	return image
}

// conventionTarget is where the service's convention wants the entry
// mounted ("" when it says nothing).
func (d *drifter) conventionTarget(service, key string, p ServicePolicy, kp KeyPolicy) string {
	if convention(d.services[service], p) == ConventionDockerFlowProxy {
		return dfpTargets[envLink(key, kp)]
	}
	return ""
}

// move is how env var ev of svc goes into a secret, if the source and the
// manifest say how; else the manifest line that would say so ("" if none
// would: no entry of the source holds a value for it).
func (d *drifter) move(svc *Service, ev EnvVar, exposed entryRef) (*Move, string) {
	policy := d.in.Manifest.service(svc.Name)
	for i := range d.report.Desired {
		ds := &d.report.Desired[i]
		if ds.Key == "" || !slices.Contains(ds.Consumers, svc.Name) {
			continue
		}
		owner := ds.file.Service
		kp := d.in.Manifest.service(owner).Keys[ds.Key]
		if envLink(ds.Key, kp) != ev.Name {
			continue
		}
		m := &Move{Service: svc.Name, Env: ev.Name, Logical: ds.Logical, Target: ds.Target, Burned: ev.Value.Equal(ds.Value)}
		switch {
		case policy.FileEnv:
			m.SetEnv = ev.Name + "_FILE=/run/secrets/" + ds.Target
		case kp.Env != "":
		case convention(svc, policy) == ConventionDockerFlowProxy && dfpTargets[ev.Name] == ds.Target:
		default:
			return nil, fmt.Sprintf("services.%s.keys.%s.env: %s in %s, once %s reads /run/secrets/%s (or file-env: true if its image reads %s_FILE)",
				owner, ds.Key, ev.Name, ManifestPath, svc.Name, ds.Target, ev.Name)
		}
		return m, ""
	}
	ds := d.desiredEntry(exposed)
	switch {
	case ds == nil:
		for _, f := range d.in.Source.Files {
			if f.Service == svc.Name && f.Err == nil {
				return nil, fmt.Sprintf("services.%s.keys.<key>.env: %s in %s, with <key> an entry of %s", svc.Name, ev.Name, ManifestPath, f.Key)
			}
		}
		return nil, ""
	case slices.Contains(ds.Consumers, svc.Name):
		return nil, fmt.Sprintf("services.%s.keys.%s.env: %s in %s", ds.file.Service, ds.Key, ev.Name, ManifestPath)
	}
	return nil, fmt.Sprintf("an entry of %s's own property file linked by services.%s.keys.<key>.env: %s in %s (the value is %s's, from %s, which %s is not granted)",
		svc.Name, svc.Name, ev.Name, ManifestPath, ds.Logical, ds.File, svc.Name)
}

// desiredEntry is the desired secret of a source entry, nil if none.
func (d *drifter) desiredEntry(e entryRef) *DesiredSecret {
	for i := range d.report.Desired {
		if ds := &d.report.Desired[i]; ds.File == e.file && ds.Key == e.key {
			return ds
		}
	}
	return nil
}

// validEnvName reports whether s can name an env var in a service spec.
func validEnvName(s string) bool {
	if s == "" || len(s) > 256 || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// Move returns the move that fixes env-exposure finding f, if any.
func (r *DriftReport) Move(f Finding) *Move {
	if f.Kind != KindEnvExposure {
		return nil
	}
	for i := range r.Moves {
		if m := &r.Moves[i]; m.Service == f.Service && m.Env == f.Key {
			return m
		}
	}
	return nil
}
