// Package stack reads Docker stack files (the compose files given to
// `docker stack deploy`) as secretdeck's desired state: which swarm secrets
// and configs each stack service mounts, under the names docker resolves.
// It also makes the smallest edit of a stack file that points a secret at a
// new version, and shows such an edit as a unified diff.
//
// Files are read with docker's own compose loader, after checks that bound
// what a hostile file can cost; nothing here reads a file that a stack file
// names, and no error quotes a value of the file.
package stack

// File is a parsed stack file.
type File struct {
	Stack    string       `json:"stack"`    // the stack (namespace) name: docker stack deploy … <stack>
	Path     string       `json:"path"`     // where the file was read: a source key (stacks/shop.yml) or a local path
	Services []Service    `json:"services"` // sorted by Key
	Secrets  []Definition `json:"secrets"`  // top-level secrets:, sorted by Key
	Configs  []Definition `json:"configs"`  // top-level configs:, sorted by Key
}

// Service is one service of a stack file.
type Service struct {
	Key     string `json:"key"`  // the key under services: (web)
	Name    string `json:"name"` // the swarm service name, <stack>_<key> (shop_web)
	Line    int    `json:"line"`
	Secrets []Ref  `json:"secrets"`           // in file order
	Configs []Ref  `json:"configs,omitempty"` // in file order
}

// Ref is how a service refers to a secret or a config, resolved the way
// docker stack deploy resolves it.
type Ref struct {
	Key    string `json:"key"`    // the top-level definition it names (source:)
	Name   string `json:"name"`   // the swarm object docker looks up: the definition's Name
	Target string `json:"target"` // default: Key (a file under /run/secrets/, or / for configs)
	UID    string `json:"uid"`    // default "0"
	GID    string `json:"gid"`    // default "0"
	Mode   uint32 `json:"mode"`   // default 0o444
	// Runtime marks a config the service uses as its credential spec: not
	// a file in the container, and without target, uid, gid or mode.
	Runtime bool `json:"runtime,omitempty"`
	Line    int  `json:"line"`
}

// Naming says where a definition's swarm name comes from.
type Naming string

// How a definition is named.
const (
	// NamedByName: name: is written.
	NamedByName Naming = "name"
	// NamedByExternalName: external: {name: …}, the form docker deprecated.
	NamedByExternalName Naming = "external.name"
	// NamedByKey: external: true without a name: the key is the name.
	NamedByKey Naming = "key"
	// NamedByStack: created by the stack, named <stack>_<key>.
	NamedByStack Naming = "stack"
)

// Definition is a top-level secret or config of a stack file.
type Definition struct {
	Key    string `json:"key"`
	Name   string `json:"name"` // the swarm name docker creates or looks up
	Naming Naming `json:"naming"`
	// NameVariable is set when the name is written with a variable
	// (name: ${DB_SECRET}): it is the variable to change, not the file.
	NameVariable bool `json:"nameVariable,omitempty"`
	External     bool `json:"external,omitempty"` // docker only looks it up; the stack never creates it
	// File is file: as written; FilePath is where docker reads it: joined
	// to the stack file's folder (for a source key, a key of the same
	// source). Neither is read here.
	File           string            `json:"file,omitempty"`
	FilePath       string            `json:"filePath,omitempty"`
	Driver         string            `json:"driver,omitempty"`
	TemplateDriver string            `json:"templateDriver,omitempty"`
	Labels         map[string]string `json:"labels,omitempty"`
	Line           int               `json:"line"`
}

// Secret is the top-level secret key, or nil.
func (f *File) Secret(key string) *Definition { return find(f.Secrets, key) }

// Config is the top-level config key, or nil.
func (f *File) Config(key string) *Definition { return find(f.Configs, key) }

// Service is the service whose swarm name is name, or nil.
func (f *File) Service(name string) *Service {
	for i := range f.Services {
		if f.Services[i].Name == name {
			return &f.Services[i]
		}
	}
	return nil
}

func find(defs []Definition, key string) *Definition {
	for i := range defs {
		if defs[i].Key == key {
			return &defs[i]
		}
	}
	return nil
}
