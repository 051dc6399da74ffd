package stack

import (
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/docker/cli/cli/compose/loader"
	"github.com/docker/cli/cli/compose/schema"
	"github.com/docker/cli/cli/compose/template"
	composetypes "github.com/docker/cli/cli/compose/types"
	"github.com/moby/moby/client/pkg/versions"
	"go.yaml.in/yaml/v3"

	"github.com/secretdeck/secretdeck/internal/lazyre"
	"github.com/secretdeck/secretdeck/internal/yamlpos"
	"github.com/secretdeck/secretdeck/model"
)

// stackNameRE is what a stack name must be for its services to be valid:
// swarm wants a service name (<stack>_<service>) to be a DNS label.
var stackNameRE = lazyre.New(`^[a-zA-Z0-9](?:[-_]*[a-zA-Z0-9]+)*$`)

// ValidStackName reports whether name can be a stack's name.
func ValidStackName(name string) bool { return len(name) <= 63 && stackNameRE().MatchString(name) }

// Parse reads stack file data, deployed as stack, the way `docker stack
// deploy -c <path> <stack>` would with the variables env: docker's compose
// loader interpolates ${VAR} from env, checks the compose schema, and names
// what the stack creates <stack>_<key>. path says where the file was read
// (for errors, and as the folder file: paths are relative to); no file is
// read. A failure is a *model.ParseError with the line when known; its
// message never quotes a value of the file or of env.
func Parse(stack, path string, data []byte, env map[string]string) (*File, error) {
	f, err := parse(stack, path, data, env)
	if err != nil {
		var fl *fail
		if errors.As(err, &fl) {
			return nil, &model.ParseError{File: path, Line: min(fl.line, yamlpos.LineAt(data, len(data))), Msg: fl.msg}
		}
		return nil, &model.ParseError{File: path, Msg: "docker stack deploy would refuse this file"}
	}
	return f, nil
}

func parse(stack, path string, data []byte, env map[string]string) (*File, error) {
	if !ValidStackName(stack) {
		return nil, failf(0, "%s is not a stack name docker can deploy (letters, digits, - and _)", quoteKey(stack))
	}
	root, err := decode(data)
	if err != nil {
		return nil, err
	}
	lookup := func(name string) (string, bool) { v, ok := env[name]; return v, ok }
	if err := checkInterpolation(root, lookup, map[*yaml.Node]bool{}); err != nil {
		return nil, err
	}
	dict, err := loader.ParseYAML(data)
	if err != nil {
		if strings.Contains(err.Error(), "excessive aliasing") {
			return nil, failf(0, "too many YAML aliases")
		}
		return nil, failf(0, "invalid YAML syntax")
	}
	if err := prepare(root, dict); err != nil {
		return nil, err
	}
	cfg, err := loader.Load(composetypes.ConfigDetails{
		WorkingDir:  filepath.Dir(path),
		ConfigFiles: []composetypes.ConfigFile{{Filename: path, Config: dict}},
		// The loader reads HOME to expand ~ in bind mounts, and warns on
		// stderr when it is missing; bind mounts mean nothing here.
		Environment: map[string]string{"HOME": "~"},
	}, func(o *loader.Options) { o.Interpolate.LookupValue = lookup })
	if err != nil {
		return nil, loaderError(root, err)
	}
	return build(stack, path, root, cfg)
}

// checkInterpolation substitutes every string value as the loader will, to
// place a bad ${…} at its line: the loader's own error quotes the value.
// Keys are not interpolated, by docker either.
func checkInterpolation(n *yaml.Node, lookup template.Mapping, seen map[*yaml.Node]bool) error {
	if seen[n] {
		return nil
	}
	seen[n] = true
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() != "!!str" || !strings.Contains(n.Value, "$") {
			return nil
		}
		if _, err := template.Substitute(n.Value, lookup); err != nil {
			return interpolationError(n.Line, err)
		}
	case yaml.AliasNode:
		if n.Alias != nil {
			return checkInterpolation(n.Alias, lookup, seen)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := checkInterpolation(n.Content[i+1], lookup, seen); err != nil {
				return err
			}
		}
	default:
		for _, c := range n.Content {
			if err := checkInterpolation(c, lookup, seen); err != nil {
				return err
			}
		}
	}
	return nil
}

var requiredVar = lazyre.New(`^required variable ([_a-zA-Z][_a-zA-Z0-9]*) is missing a value`)

func interpolationError(line int, err error) error {
	var te *template.InvalidTemplateError
	if errors.As(err, &te) {
		if m := requiredVar().FindStringSubmatch(te.Template); m != nil {
			return failf(line, "the required variable %s is not set (or empty)", m[1])
		}
	}
	return failf(line, "an invalid ${…} reference (write $$ for a literal $)")
}

// prepare changes the loaded document where the loader would do what
// secretdeck must not, keeping what it means to docker stack deploy for
// secrets and configs.
func prepare(root *yaml.Node, dict map[string]any) error {
	services, _ := dict["services"].(map[string]any)
	for key, v := range services {
		svc, ok := v.(map[string]any)
		if !ok {
			continue
		}
		// The loader reads env_file files (from this machine's disk, and a
		// FIFO or /dev/zero would never end), and expands each ports:
		// range in time that grows with its square (1-8000 took 6 s).
		// Neither is secretdeck's business.
		svc = maps.Clone(svc)
		delete(svc, "env_file")
		delete(svc, "ports")
		services[key] = svc
	}
	// external: {name: x} is the deprecated spelling of name: x; the
	// loader accepts it but prints a warning on stderr, which would tear
	// a terminal UI.
	version := schema.Version(dict)
	for section, since := range map[string]string{"secrets": "3.5", "configs": "3.5", "networks": "3.5", "volumes": "3.4"} {
		if !versions.GreaterThanOrEqualTo(version, since) {
			continue
		}
		entries, _ := dict[section].(map[string]any)
		for key, v := range entries {
			def, ok := v.(map[string]any)
			if !ok {
				continue
			}
			ext, _ := def["external"].(map[string]any)
			name, ok := ext["name"].(string)
			if !ok || name == "" {
				continue
			}
			if _, both := def["name"]; both {
				return failf(nodeLine(root, section, key), "%s %s has both name: and external.name: (keep name:)", strings.TrimSuffix(section, "s"), quoteKey(key))
			}
			def = maps.Clone(def)
			def["name"], def["external"] = name, true
			entries[key] = def
		}
	}
	return nil
}

var (
	schemaPath   = lazyre.New(`^([^\s:'"]+): `)
	decodePath   = lazyre.New(`(?s)^decoding failed due to the following error\(s\):\s*'([A-Za-z0-9_.\[\]-]+)' `)
	interpolPath = lazyre.New(`^error while interpolating ([^:]+): `)
	mustBe       = lazyre.New(`^must be [a-z, ]+$`)
	notAllowed   = lazyre.New(`^additional property '([a-zA-Z0-9._-]+)' is not allowed$`)
)

// loaderError turns an error of the compose loader into one written here:
// the loader's messages quote values. The place comes from the path the
// message starts with, found again in the YAML tree.
func loaderError(root *yaml.Node, err error) error {
	var fe *loader.ForbiddenPropertiesError
	if errors.As(err, &fe) {
		props := slices.Sorted(maps.Keys(fe.Properties))
		return failf(0, "docker stack deploy does not support %s", strings.Join(props, ", "))
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "unsupported Compose file version") {
		return failf(nodeLine(root, "version"), "docker stack deploy does not support this compose file version (3.0 to 3.13)")
	}
	if m := interpolPath().FindStringSubmatch(msg); m != nil {
		path := strings.Split(m[1], ".")
		return failf(pathLine(root, path), "%s: a variable gives a value of the wrong type", printablePath(path))
	}
	if m := decodePath().FindStringSubmatch(msg); m != nil {
		// A service's field, named as in docker's Go types; which service
		// the message does not say.
		return failf(0, "a service's %s: a value docker stack deploy cannot read", m[1])
	}
	if m := schemaPath().FindStringSubmatch(msg); m != nil {
		desc := msg[len(m[0]):]
		path := strings.Split(m[1], ".")
		if m[1] == "(root)" {
			path = nil
		}
		line := pathLine(root, path)
		switch {
		case mustBe().MatchString(desc):
		case notAllowed().MatchString(desc):
			// The line of the property itself, not of its mapping.
			line = max(line, pathLine(root, append(path, notAllowed().FindStringSubmatch(desc)[1])))
		default:
			desc = "not what the compose file schema allows"
		}
		return failf(line, "%s: %s", printablePath(path), desc)
	}
	return err
}

func printablePath(path []string) string {
	if len(path) == 0 {
		return "the file"
	}
	return model.Printable(strings.Join(path, "."))
}

// build turns the loaded configuration into a File: names resolved the way
// docker's convert package resolves them (convert.Namespace.Scope and
// convertFileObject), lines from the YAML tree.
func build(stack, path string, root *yaml.Node, cfg *composetypes.Config) (*File, error) {
	f := &File{Stack: stack, Path: path}
	secrets := map[string]composetypes.FileObjectConfig{}
	for key, d := range cfg.Secrets {
		secrets[key] = composetypes.FileObjectConfig(d)
	}
	configs := map[string]composetypes.FileObjectConfig{}
	for key, d := range cfg.Configs {
		configs[key] = composetypes.FileObjectConfig(d)
	}
	f.Secrets = definitions(stack, root, "secrets", secrets)
	f.Configs = definitions(stack, root, "configs", configs)
	for _, sc := range cfg.Services {
		svc := Service{Key: sc.Name, Name: stack + "_" + sc.Name, Line: nodeLine(root, "services", sc.Name)}
		var err error
		secretRefs := make([]composetypes.FileReferenceConfig, len(sc.Secrets))
		for i, r := range sc.Secrets {
			secretRefs[i] = composetypes.FileReferenceConfig(r)
		}
		if svc.Secrets, err = refs(root, f, svc.Key, "secret", secretRefs); err != nil {
			return nil, err
		}
		configRefs := make([]composetypes.FileReferenceConfig, len(sc.Configs))
		for i, r := range sc.Configs {
			configRefs[i] = composetypes.FileReferenceConfig(r)
		}
		if svc.Configs, err = refs(root, f, svc.Key, "config", configRefs); err != nil {
			return nil, err
		}
		if c := sc.CredentialSpec.Config; c != "" {
			line := nodeLine(root, "services", sc.Name, "credential_spec")
			d := f.Config(c)
			if d == nil {
				return nil, failf(line, "service %s uses config %s, which the file does not define under configs:", quoteKey(sc.Name), quoteKey(c))
			}
			svc.Configs = append(svc.Configs, Ref{Key: c, Name: d.Name, Runtime: true, Line: line})
		}
		f.Services = append(f.Services, svc)
	}
	slices.SortFunc(f.Services, func(a, b Service) int { return strings.Compare(a.Key, b.Key) })
	return f, nil
}

func definitions(stack string, root *yaml.Node, section string, loaded map[string]composetypes.FileObjectConfig) []Definition {
	var out []Definition
	for key, obj := range loaded {
		d := Definition{
			Key: key, Name: obj.Name, External: obj.External.External,
			Driver: obj.Driver, TemplateDriver: obj.TemplateDriver,
			Labels: obj.Labels, Line: nodeLine(root, section, key),
		}
		name := nodeValue(root, section, key, "name")
		extName := nodeValue(root, section, key, "external", "name")
		switch {
		case d.External && name != "", !d.External && d.Name != "":
			d.Naming = NamedByName
			d.NameVariable = strings.Contains(name, "$")
		case d.External && extName != "":
			d.Naming = NamedByExternalName
			d.NameVariable = strings.Contains(extName, "$")
		case d.External:
			d.Naming = NamedByKey
		default:
			d.Naming, d.Name = NamedByStack, stack+"_"+key
		}
		if !d.External && d.Driver == "" {
			d.File = nodeValue(root, section, key, "file")
			if d.File != "" {
				d.FilePath = obj.File
			}
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b Definition) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// refs resolves a service's references to secrets or configs (kind), as
// docker's convertFileObject does, and refuses what docker stack deploy
// refuses: an undefined key, and two files at one target.
func refs(root *yaml.Node, f *File, service, kind string, in []composetypes.FileReferenceConfig) ([]Ref, error) {
	seq := nodeAt(root, "services", service, kind+"s")
	targets := map[string]int{}
	var out []Ref
	for i, r := range in {
		line := 0
		if seq != nil && seq.Kind == yaml.SequenceNode && i < len(seq.Content) {
			line = seq.Content[i].Line
		}
		d := f.Secret(r.Source)
		if kind == "config" {
			d = f.Config(r.Source)
		}
		if d == nil {
			return nil, failf(line, "service %s uses %s %s, which the file does not define under %ss:", quoteKey(service), kind, quoteKey(r.Source), kind)
		}
		ref := Ref{Key: r.Source, Name: d.Name, Target: r.Target, UID: r.UID, GID: r.GID, Mode: 0o444, Line: line}
		if ref.Target == "" {
			ref.Target = r.Source
		}
		if ref.UID == "" {
			ref.UID = "0"
		}
		if ref.GID == "" {
			ref.GID = "0"
		}
		if r.Mode != nil {
			ref.Mode = *r.Mode
		}
		if first, ok := targets[ref.Target]; ok {
			return nil, failf(line, "service %s mounts two %ss at one target (first on line %d)", quoteKey(service), kind, first)
		}
		targets[ref.Target] = line
		out = append(out, ref)
	}
	return out, nil
}
