package model

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/secretdeck/secretdeck/internal/udiff"
)

// Docker configs are the other half of swarm's mounted files. Like a secret,
// a config cannot be updated: a change is a new version, swapped in the same
// service update as the secrets. Unlike a secret, Docker returns a config's
// data, so drift is exact (a diff, not a fingerprint) — and a config is not
// encrypted: a property file's value in one is an exposure.
//
// The source holds the desired configs as files under
// configs/<env>/<service>/<file>; the logical config is <service>_<file>,
// mounted at /<file>, unless secretdeck.yaml says otherwise under
// services.<service>.configs.<file>.

// ConfigDir is the folder of configs at the source root.
const ConfigDir = "configs"

// MaxConfigSize is Docker's limit on a config's data: 1000 KiB.
const MaxConfigSize = 1000 * 1024

// LabelSHA256 is the SHA-256 of a config's data, set on the versions
// secretdeck makes (a config is not secret: a plain hash is fine).
const LabelSHA256 = "secretdeck.sha256"

// TemplateDriverGolang is the one templating driver Docker has.
const TemplateDriverGolang = "golang"

// ConfigFile is one config file of the source.
type ConfigFile struct {
	Key          string      `json:"key"` // configs/<env>/<service>/<file>
	Service      string      `json:"service"`
	Env          string      `json:"env"`
	ETag         string      `json:"etag,omitempty"`
	VersionID    string      `json:"versionId,omitempty"`
	LastModified time.Time   `json:"lastModified"`
	Size         int64       `json:"size"`
	Data         []byte      `json:"-"`
	Err          *ParseError `json:"error,omitempty"`
}

// Name is the file's name in its folder.
func (f *ConfigFile) Name() string { return path.Base(f.Key) }

// Version is the file's version in the source: S3 VersionId, else ETag.
func (f *ConfigFile) Version() string { return cmp.Or(f.VersionID, f.ETag) }

// ParseConfigName splits a config file's key: configs/<env>/<service>/<file>
// (the file any name but a hidden one).
func ParseConfigName(key string) (service, env string, ok bool) {
	parts := strings.Split(key, "/")
	if len(parts) != 4 || parts[0] != ConfigDir {
		return "", "", false
	}
	for _, p := range parts[1:] {
		if p == "" || strings.HasPrefix(p, ".") {
			return "", "", false
		}
	}
	return parts[2], parts[1], true
}

// ConfigPolicy overrides the conventions for one config file
// (services.<service>.configs.<file>).
type ConfigPolicy struct {
	Config string    `yaml:"config"` // logical config name
	Target string    `yaml:"target"` // absolute path in the container
	UID    *string   `yaml:"uid"`
	GID    *string   `yaml:"gid"`
	Mode   *FileMode `yaml:"mode"`
	// TemplateDriver is "golang" for a templated config (Docker renders it
	// in each task).
	TemplateDriver string `yaml:"template-driver"`
}

// DesiredConfig is one logical config the source asks for.
type DesiredConfig struct {
	Logical        string `json:"logical"`
	File           string `json:"file"`
	Service        string `json:"service"`
	Target         string `json:"target"`
	SHA256         string `json:"sha256"`
	Size           int    `json:"size"`
	TemplateDriver string `json:"templateDriver,omitempty"`
	// Ref is what the service mounts at Target (nil: nothing, or no such
	// service).
	Ref    *FileRef     `json:"ref,omitempty"`
	policy ConfigPolicy // uid/gid/mode the manifest asks for
	data   []byte
}

// ConfigCreate is a new version of a logical config.
type ConfigCreate struct {
	Name           string `json:"name"`
	Logical        string `json:"logical"`
	Version        int    `json:"version"`
	File           string `json:"file"`
	SourceVersion  string `json:"sourceVersion"`
	SHA256         string `json:"sha256"`
	TemplateDriver string `json:"templateDriver,omitempty"`
}

// ConfigSHA256 is the hex SHA-256 of a config's data.
func ConfigSHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// configSecrets sees configs as secrets: their versions are found and
// numbered by the same rules (labels, else names L_v<N>).
func configSecrets(cs []Config) []Secret {
	out := make([]Secret, len(cs))
	for i, c := range cs {
		out[i] = Secret{ID: c.ID, Name: c.Name, Labels: c.Labels, Version: c.Version, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	}
	return out
}

// LogicalVersion says what c is a version of, by the rules of secrets.
func (c *Config) LogicalVersion() SecretVersion {
	s := Secret{ID: c.ID, Name: c.Name, Labels: c.Labels}
	v := versionOf(&s)
	v.Secret = nil // a copy: only Logical, N and Managed mean anything
	return v
}

// ConfigByID returns the config with id, or nil.
func (s *SwarmSnapshot) ConfigByID(id string) *Config {
	for i := range s.Configs {
		if s.Configs[i].ID == id {
			return &s.Configs[i]
		}
	}
	return nil
}

// ReferencedConfigIDs are the configs some service names in its Spec or its
// PreviousSpec.
func (s *SwarmSnapshot) ReferencedConfigIDs() map[string]bool {
	out := map[string]bool{}
	for _, svc := range s.Services {
		for _, r := range svc.Spec.Configs {
			out[r.ID] = true
		}
		if svc.Previous != nil {
			for _, r := range svc.Previous.Configs {
				out[r.ID] = true
			}
		}
	}
	return out
}

// ConfigUser is a service that mounts a config, in its Spec or only in its
// PreviousSpec.
type ConfigUser struct {
	Service  string  `json:"service"`
	Ref      FileRef `json:"ref"`
	Previous bool    `json:"previousOnly,omitempty"`
}

// ConfigUsers are the services that mount config id.
func (s *SwarmSnapshot) ConfigUsers(id string) []ConfigUser {
	var out []ConfigUser
	for _, svc := range s.Services {
		if i := slices.IndexFunc(svc.Spec.Configs, func(r FileRef) bool { return r.ID == id }); i >= 0 {
			out = append(out, ConfigUser{Service: svc.Name, Ref: svc.Spec.Configs[i]})
			continue
		}
		if svc.Previous != nil {
			if i := slices.IndexFunc(svc.Previous.Configs, func(r FileRef) bool { return r.ID == id }); i >= 0 {
				out = append(out, ConfigUser{Service: svc.Name, Ref: svc.Previous.Configs[i], Previous: true})
			}
		}
	}
	return out
}

// desireConfigs turns the source's config files into desired configs.
func (d *drifter) desireConfigs() {
	for i := range d.in.Source.Configs {
		f := &d.in.Source.Configs[i]
		if f.Err != nil {
			x := newFinding(KindUnparsable, f.Err.Error()+": fix or remove the file", ActionFixSourceFile)
			x.File, x.Service = f.Key, f.Service
			d.add(x)
			continue
		}
		if len(f.Data) > MaxConfigSize {
			x := newFinding(KindOversize, fmt.Sprintf("%s is %d bytes: a swarm config must be at most 1000 KiB (%d bytes)", f.Key, len(f.Data), MaxConfigSize), ActionFixSourceFile)
			x.File, x.Service = f.Key, f.Service
			d.add(x)
			continue
		}
		if len(f.Data) == 0 {
			x := newFinding(KindUnparsable, f.Key+" is empty: a swarm config cannot be empty", ActionFixSourceFile)
			x.File, x.Service = f.Key, f.Service
			d.add(x)
			continue
		}
		var cp ConfigPolicy
		if m := d.in.Manifest; m != nil {
			cp = m.Services[f.Service].Configs[f.Name()]
		}
		logical := cmp.Or(cp.Config, LogicalName(f.Service, f.Name()))
		if logical == "" {
			x := newFinding(KindUnparsable, f.Key+": its name makes no config name (letters, digits, . _ -): rename it, or name its config in "+ManifestPath, ActionFixSourceFile)
			x.File, x.Service = f.Key, f.Service
			d.add(x)
			continue
		}
		d.report.Configs = append(d.report.Configs, DesiredConfig{
			Logical: logical, File: f.Key, Service: f.Service,
			Target: cmp.Or(cp.Target, "/"+f.Name()), SHA256: ConfigSHA256(f.Data), Size: len(f.Data),
			TemplateDriver: cp.TemplateDriver, policy: cp, data: f.Data,
		})
	}
}

// configs compares the desired configs with what the services mount, byte
// for byte, and reports the configs secretdeck made that nothing uses.
func (d *drifter) configs() {
	d.desireConfigs()
	if len(d.in.Swarm.Configs) == 0 && len(d.report.Configs) == 0 {
		return
	}
	ix := newVersionIndex(configSecrets(d.in.Swarm.Configs))
	byID := make(map[string]*Config, len(d.in.Swarm.Configs))
	for i := range d.in.Swarm.Configs {
		byID[d.in.Swarm.Configs[i].ID] = &d.in.Swarm.Configs[i]
	}
	mask := d.configMasker()
	newestOf := map[string]string{} // logical → ID of its newest version
	for i := range d.report.Configs {
		dc := &d.report.Configs[i]
		ix.adopt(dc.Logical)
		vs := ix.versions(dc.Logical)
		if last, ok := newest(vs); ok {
			newestOf[dc.Logical] = last.Secret.ID
		}
		svc := d.services[dc.Service]
		if svc == nil {
			continue // a file for a service that does not run here
		}
		if j := slices.IndexFunc(svc.Spec.Configs, func(r FileRef) bool { return r.Target == dc.Target }); j >= 0 {
			ref := svc.Spec.Configs[j]
			dc.Ref = &ref
		}
		holding := configHolding(byID, vs, dc.data)
		switch {
		case dc.Ref == nil && holding == nil:
			x := newFinding(KindConfigMissing, fmt.Sprintf("service %s mounts no config at %s, and no version of %s holds %s: a plan creates one and mounts it", dc.Service, dc.Target, dc.Logical, dc.File), ActionCreateMount)
			x.Service, x.Logical, x.File = dc.Service, dc.Logical, dc.File
			d.add(x)
		case dc.Ref == nil:
			x := newFinding(KindConfigNotMounted, fmt.Sprintf("config %s holds %s, but service %s mounts nothing at %s", holding.Name, dc.File, dc.Service, dc.Target), ActionMount)
			x.Service, x.Logical, x.File, x.Config = dc.Service, dc.Logical, dc.File, holding.Name
			d.add(x)
		default:
			mounted := byID[dc.Ref.ID]
			if mounted != nil && dc.TemplateDriver == "" {
				dc.TemplateDriver = mounted.Templating // a new version is templated alike
			}
			if mounted != nil && bytes.Equal(mounted.Data, dc.data) {
				continue
			}
			var old []byte
			why := fmt.Sprintf("service %s mounts config %s at %s, which differs from %s", dc.Service, dc.Ref.Name, dc.Target, dc.File)
			if mounted != nil {
				old = mounted.Data
				if mounted.Templating == TemplateDriverGolang || dc.TemplateDriver == TemplateDriverGolang {
					why += " (compared as templates: the API never returns what a task rendered)"
				}
			}
			x := newFinding(KindConfigStale, why, ActionRotate)
			x.Service, x.Logical, x.File, x.Config = dc.Service, dc.Logical, dc.File, dc.Ref.Name
			x.Diff = udiff.UnifiedDiff(strings.TrimPrefix(dc.Target, "/"), mask(old), mask(dc.data))
			d.add(x)
		}
	}
	d.configOrphans(ix, newestOf)
	d.configExposures()
}

// configHolding is the newest version in vs whose data is want, or nil.
func configHolding(byID map[string]*Config, vs []SecretVersion, want []byte) *Config {
	for i := len(vs) - 1; i >= 0; i-- {
		if c := byID[vs[i].Secret.ID]; c != nil && bytes.Equal(c.Data, want) {
			return c
		}
	}
	return nil
}

// configOrphans reports the configs secretdeck made that no Spec nor
// PreviousSpec names and that are not the newest version of their logical
// config: `docker config rm` can take them.
func (d *drifter) configOrphans(ix *versionIndex, newestOf map[string]string) {
	used := d.in.Swarm.ReferencedConfigIDs()
	for _, c := range d.in.Swarm.Configs {
		v, ok := ix.byID[c.ID]
		if !ok || !v.Managed || used[c.ID] || newestOf[v.Logical] == c.ID {
			continue
		}
		x := newFinding(KindConfigOrphan, fmt.Sprintf("config %s (version %d of %s) is mounted by no service, nor kept for a rollback", c.Name, v.N, v.Logical), ActionPrune)
		x.Logical, x.Config = v.Logical, c.Name
		d.add(x)
	}
}

// configExposures reports configs that hold a property file's value, or set
// a credential-like name to a literal: configs are not encrypted, and the
// API returns them to anyone who can inspect.
func (d *drifter) configExposures() {
	sc := d.valueScanner()
	for _, c := range d.in.Swarm.Configs {
		if hits := sc.find(c.Data, 1); len(hits) > 0 {
			sv := hits[0].sv
			x := newFinding(KindConfigExposure, fmt.Sprintf("config %s holds, in clear, the value of %q in %s: configs are not encrypted, and anyone who can inspect reads them", c.Name, sv.key, sv.file), ActionReport)
			x.Config, x.File, x.Key = c.Name, sv.file, sv.key
			d.add(x)
			continue
		}
		if line, name := credentialLiteral(c.Data); line > 0 {
			x := newFinding(KindConfigExposure, fmt.Sprintf("config %s sets %s on line %d to a literal that looks like a credential: configs are not encrypted, and anyone who can inspect reads them", c.Name, name, line), ActionReport)
			x.Severity = SeverityMedium
			x.Config, x.Key = c.Name, name
			d.add(x)
		}
	}
}

// configMasker masks, in config data shown to the operator, every value of
// a property file and every literal set to a credential-like name.
func (d *drifter) configMasker() func([]byte) []byte {
	sc := d.valueScanner()
	return func(data []byte) []byte { return MaskConfig(data, sc) }
}

func (d *drifter) valueScanner() *ValueScanner {
	if d.scanner == nil {
		d.scanner = NewValueScanner(d.in.Source)
		d.report.scanner = d.scanner
	}
	return d.scanner
}
