package model

import (
	"fmt"
	"time"
)

// MaxSecretSize is Docker's limit on a secret's data: 500 KiB.
const MaxSecretSize = 500 * 1024

// Format is the syntax of a property file.
type Format string

// The property file formats a source may hold.
const (
	FormatJSON       Format = "json"
	FormatProperties Format = "properties"
	FormatEnv        Format = "env"
	FormatYAML       Format = "yaml"
)

// Formats lists the supported formats, in a stable order.
var Formats = []Format{FormatJSON, FormatProperties, FormatEnv, FormatYAML}

// SharedService is the service name of files that hold entries shared by
// several services (shared.json.prod).
const SharedService = "shared"

// SourceSnapshot is the desired state read from a property source for one
// environment.
type SourceSnapshot struct {
	URI      string         `json:"uri"`               // s3://bucket/prefix or a folder
	Env      string         `json:"env"`               // the selected environment
	Envs     []string       `json:"environments"`      // every environment the source holds, sorted
	Files    []PropertyFile `json:"files"`             // files of Env, sorted by service then key
	Ignored  []string       `json:"ignored,omitempty"` // keys that are not property files
	LoadedAt time.Time      `json:"loadedAt"`
	// Key is the fingerprint key (.secretdeck/fingerprint-key); zero when the
	// source has none yet.
	Key FingerprintKey `json:"-"`
	// Manifest is secretdeck.yaml at the source root, nil when there is none.
	Manifest *Manifest `json:"-"`
	// Stacks are the stack files of Env (stacks/<stack>[.<env>].yml, or
	// --stack-file), one per stack.
	Stacks []StackFile `json:"stacks,omitempty"`
	// Configs are the config files of Env (configs/<env>/<service>/<file>).
	Configs []ConfigFile `json:"configs,omitempty"`
}

// PropertyFile is one property file of the source.
type PropertyFile struct {
	Key          string      `json:"key"` // path relative to the source root: my_service.json.prod or prod/my_service.json
	Service      string      `json:"service"`
	Format       Format      `json:"format"`
	Env          string      `json:"env"`
	ETag         string      `json:"etag,omitempty"`
	VersionID    string      `json:"versionId,omitempty"`
	LastModified time.Time   `json:"lastModified"`
	Size         int64       `json:"size"`
	Entries      []Entry     `json:"entries"` // sorted by key; empty when Err is set
	Raw          Value       `json:"-"`       // the file's bytes, for whole-file secrets
	Err          *ParseError `json:"error,omitempty"`
	Via          string      `json:"via,omitempty"` // how the values were obtained: "" as stored, "sops+age" decrypted in memory, "azkv" from Key Vault
}

// Shared reports whether the file holds entries shared by several services.
func (f *PropertyFile) Shared() bool { return f.Service == SharedService }

// Entry is one key of a property file with its value.
type Entry struct {
	Key   string `json:"key"`
	Value Value  `json:"-"`
	Line  int    `json:"line,omitempty"` // 1-based line in the file, when the format tells
}

// ParseError says why a property file cannot be used, and where.
type ParseError struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"` // 0 when unknown
	Msg  string `json:"message"`
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}
