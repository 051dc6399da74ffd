package model

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/secretdeck/secretdeck/internal/lazyre"
)

// ManifestPath is the optional manifest at the root of a property source.
const ManifestPath = "secretdeck.yaml"

// Manifest overrides secretdeck's naming conventions (secretdeck.yaml).
//
//	environments:
//	  prod: {protected: true}        # apply asks for the name to be typed
//	services:
//	  my_service:
//	    exclude: [db.host, "feature.*"] # keys that are not secrets
//	    keys:
//	      db.password: {secret: my_service_db_password, target: db_password, uid: "1000", gid: "1000", mode: "0400"}
//	  proxy:
//	    convention: docker-flow-proxy # it reads /run/secrets/dfp_stats_pass (recognised by its image too)
//	    keys:
//	      stats.password: {env: STATS_PASS} # moves STATS_PASS out of the env into this secret
//	  db:
//	    file-env: true                # the image reads NAME_FILE=/run/secrets/… (postgres, mysql, …)
//	  legacy_app:
//	    whole-file: true              # the file itself becomes one secret
//	    secret: legacy_app_config
//	    target: app.json
//	  shared:
//	    keys:
//	      payment_key: {services: [billing, checkout]}
//	compat:
//	  ansible: false                  # no ansible_version/ansible_key on new versions
//	policy: {max-age: 90d}            # older mounted secrets are expired (also per environment, per service)
type Manifest struct {
	Environments map[string]EnvironmentPolicy `yaml:"environments"`
	Services     map[string]ServicePolicy     `yaml:"services"`
	Compat       CompatPolicy                 `yaml:"compat"`
	// Naming is how versions are named (see Naming); services and keys
	// may set their own.
	Naming string `yaml:"naming"`
	// Policy is the age policy; environments and services may set their own.
	Policy AgePolicy `yaml:"policy"`
}

// CompatPolicy says which other tools' bookkeeping secretdeck keeps true.
type CompatPolicy struct {
	// Ansible: a new version of a secret whose newest version Ansible made
	// gets Ansible's labels too (nil: yes).
	Ansible *bool `yaml:"ansible"`
}

// EnvironmentPolicy is how carefully an environment is changed.
type EnvironmentPolicy struct {
	Protected bool `yaml:"protected"`
	// Swarm binds the environment to one swarm (its cluster ID, as
	// `docker info` or secretdeck's header shows it): plans of the
	// environment are refused against any other.
	Swarm  string    `yaml:"swarm"`
	Policy AgePolicy `yaml:"policy"`
}

// MountPolicy is how a secret is named and mounted; empty fields keep the
// conventions.
type MountPolicy struct {
	Secret string    `yaml:"secret"` // logical secret name
	Target string    `yaml:"target"`
	UID    *string   `yaml:"uid"`
	GID    *string   `yaml:"gid"`
	Mode   *FileMode `yaml:"mode"`
}

// ServicePolicy overrides the conventions for one service's property file.
type ServicePolicy struct {
	MountPolicy `yaml:",inline"` // used in whole-file mode
	WholeFile   bool             `yaml:"whole-file"`
	// Delivery is how the service gets its file: secrets (each entry a
	// secret), whole-file, or runtime (it fetches the file itself); empty:
	// decided from the swarm (see Delivery).
	Delivery string               `yaml:"delivery"`
	Exclude  []string             `yaml:"exclude"` // path.Match patterns of keys that are not secrets
	Keys     map[string]KeyPolicy `yaml:"keys"`
	// FileEnv says the image reads NAME_FILE=/run/secrets/<target> in place
	// of an env var NAME (the convention of the official postgres, mysql,
	// mariadb images): moving NAME into a secret sets NAME_FILE.
	FileEnv bool `yaml:"file-env"`
	// Convention names the application's own way to read secrets
	// (ConventionDockerFlowProxy); empty: recognised by the image.
	Convention string    `yaml:"convention"`
	Naming     string    `yaml:"naming"` // how its secrets' versions are named
	Policy     AgePolicy `yaml:"policy"` // how old its secrets may be
	// Configs override the conventions for the service's config files
	// (configs/<env>/<service>/<file>), by file name.
	Configs map[string]ConfigPolicy `yaml:"configs"`
}

// KeyPolicy overrides the conventions for one entry.
type KeyPolicy struct {
	MountPolicy `yaml:",inline"`
	Services    []string `yaml:"services"` // for shared entries: who mounts it
	// Env links the entry to the env var it replaces: a plan moves the
	// variable out of the service's env into this secret (move-to-secret).
	Env    string `yaml:"env"`
	Naming string `yaml:"naming"` // how this secret's versions are named
}

// FileMode is a permission mode written in octal ("0400", 0400 or 400).
type FileMode uint32

// UnmarshalYAML reads the mode as octal whatever YAML thinks of leading zeros.
func (m *FileMode) UnmarshalYAML(n *yaml.Node) error {
	v, err := strconv.ParseUint(n.Value, 8, 32)
	if err != nil || v > 0o777 {
		return fmt.Errorf("line %d: mode %q is not an octal permission like 0400", n.Line, n.Value)
	}
	*m = FileMode(v)
	return nil
}

// CheckSwarm refuses a plan of env against swarm clusterID when the manifest
// binds env to another swarm (the wrong context, the wrong --host).
func (m *Manifest) CheckSwarm(env, clusterID string) error {
	if m == nil {
		return nil
	}
	if want := m.Environments[env].Swarm; want != "" && want != clusterID {
		return fmt.Errorf("environment %s is bound to swarm %s in %s, and this is swarm %s: connect to the right swarm (--context or --host)",
			env, want, ManifestPath, clusterID)
	}
	return nil
}

// Binding says in one line whether env is bound to a swarm and whether
// swarm clusterID is that one; for an unbound env, the line that binds it.
func (m *Manifest) Binding(env, clusterID string) (text string, holds bool) {
	want := ""
	if m != nil {
		want = m.Environments[env].Swarm
	}
	switch {
	case want == "":
		return fmt.Sprintf("env %s is bound to no swarm; to bind it to this one, add to %s: environments: {%s: {swarm: %s}}", env, ManifestPath, env, clusterID), true
	case want == clusterID:
		return fmt.Sprintf("env %s is bound to this swarm (%s)", env, clusterID), true
	}
	return fmt.Sprintf("env %s is bound to swarm %s, and this is swarm %s: plans are refused here", env, want, clusterID), false
}

// Protected reports whether env needs its name typed to confirm an apply.
func (m *Manifest) Protected(env string) bool {
	return m != nil && m.Environments[env].Protected
}

// Excluded reports whether key of service is not a secret.
func (m *Manifest) Excluded(service, key string) bool {
	if m == nil {
		return false
	}
	for _, p := range m.Services[service].Exclude {
		if ok, _ := path.Match(p, key); ok {
			return true
		}
	}
	return false
}

var yamlLine = lazyre.New(`line ([0-9]+)`)

// ParseManifest parses secretdeck.yaml. Errors are *ParseError with the line.
func ParseManifest(file string, data []byte) (*Manifest, error) {
	var m Manifest
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil && !errors.Is(err, io.EOF) {
		// Our words and a line, never the library's text: it quotes the file.
		pe := &ParseError{File: file, Msg: "not a valid manifest: invalid YAML"}
		switch msg := err.Error(); {
		case strings.Contains(msg, "not found in type"):
			pe.Msg = "not a valid manifest: a field secretdeck does not know (see the README's secretdeck.yaml)"
		case strings.Contains(msg, "cannot unmarshal"):
			pe.Msg = "not a valid manifest: a field holds the wrong kind of value"
		case strings.Contains(msg, "alias"):
			pe.Msg = "not a valid manifest: YAML aliases are not supported"
		case strings.Contains(msg, "max-age is not an age"):
			pe.Msg = "not a valid manifest: a max-age is not an age like 90d, 12w or 2160h (or off)"
		}
		if sm := yamlLine().FindStringSubmatch(err.Error()); sm != nil {
			pe.Line, _ = strconv.Atoi(sm[1])
		}
		return nil, pe
	}
	if err := m.validate(file); err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *Manifest) validate(file string) error {
	bad := func(format string, args ...any) error {
		return &ParseError{File: file, Msg: Printable(fmt.Sprintf(format, args...))}
	}
	if _, err := ParseNaming(m.Naming); err != nil {
		return bad("naming: %v", err)
	}
	for svc, sp := range m.Services {
		switch sp.Delivery {
		case "", DeliverySecrets, DeliveryWholeFile, DeliveryRuntime:
		default:
			return bad("services.%s.delivery: %q is not secrets, whole-file or runtime", svc, sp.Delivery)
		}
		if sp.Secret != "" && !ValidSecretName(sp.Secret) {
			return bad("services.%s.secret: %q is not a valid secret name", svc, sp.Secret)
		}
		if _, err := ParseNaming(sp.Naming); err != nil {
			return bad("services.%s.naming: %v", svc, err)
		}
		switch sp.Convention {
		case "", ConventionDockerFlowProxy:
		default:
			return bad("services.%s.convention: %q is not a convention secretdeck knows (%s)", svc, sp.Convention, ConventionDockerFlowProxy)
		}
		for _, p := range sp.Exclude {
			if _, err := path.Match(p, ""); err != nil {
				return bad("services.%s.exclude: bad pattern %q", svc, p)
			}
		}
		for file, cp := range sp.Configs {
			if cp.Config != "" && !ValidSecretName(cp.Config) {
				return bad("services.%s.configs.%s.config: %q is not a valid config name", svc, file, cp.Config)
			}
			if cp.Target != "" && !path.IsAbs(cp.Target) {
				return bad("services.%s.configs.%s.target: %q is not an absolute path", svc, file, cp.Target)
			}
			if cp.TemplateDriver != "" && cp.TemplateDriver != TemplateDriverGolang {
				return bad("services.%s.configs.%s.template-driver: %q is not %s, the one driver Docker has", svc, file, cp.TemplateDriver, TemplateDriverGolang)
			}
		}
		for key, kp := range sp.Keys {
			if kp.Secret != "" && !ValidSecretName(kp.Secret) {
				return bad("services.%s.keys.%s.secret: %q is not a valid secret name", svc, key, kp.Secret)
			}
			if _, err := ParseNaming(kp.Naming); err != nil {
				return bad("services.%s.keys.%s.naming: %v", svc, key, err)
			}
			if kp.Env != "" && !validEnvName(kp.Env) {
				return bad("services.%s.keys.%s.env: %q is not an env var name (letters, digits, _; not starting with a digit)", svc, key, kp.Env)
			}
			if len(kp.Services) > 0 && svc != SharedService {
				return bad("services.%s.keys.%s.services: only entries of %q name their services", svc, key, SharedService)
			}
		}
	}
	return nil
}
