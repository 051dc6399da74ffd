package s3

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"filippo.io/age"
	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/logging"
	sopsdotenv "github.com/getsops/sops/v3/stores/dotenv"
	sopsini "github.com/getsops/sops/v3/stores/ini"
	sopsjson "github.com/getsops/sops/v3/stores/json"
	sopsyaml "github.com/getsops/sops/v3/stores/yaml"
	"github.com/sirupsen/logrus"

	"github.com/secretdeck/secretdeck/model"
)

// How a property file's bytes were obtained (model.PropertyFile.Via).
const (
	// ViaPlain: the file is read as it is stored.
	ViaPlain = ""
	// viaSOPS prefixes the key types of a SOPS file: "sops+age".
	viaSOPS = "sops+"
)

// decode returns what property file key holds: data itself when it is
// plain, its content decrypted IN MEMORY when it carries SOPS metadata (the
// same syntax, ready for Parse). how says which (ViaPlain, "sops+age"…). A
// file that cannot be decrypted gets an error that names the file and why,
// in our words only: SOPS's own messages can quote a MAC computed over the
// values, or the file's text.
func decode(key string, format model.Format, data []byte) (plain []byte, how string, perr *model.ParseError) {
	store, ok := sopsStore(format, data)
	if !ok {
		return data, ViaPlain, nil
	}
	silenceSOPS()
	how = viaSOPS + "age"
	fail := func(msg string) ([]byte, string, *model.ParseError) {
		return nil, how, &model.ParseError{File: key, Msg: msg}
	}
	// Whoever writes the bucket writes this file: SOPS's parsers must not
	// be able to take the process down with it.
	defer func() {
		if recover() != nil {
			plain, how, perr = fail("carries SOPS metadata but is not a SOPS file this version reads (edited by hand?)")
		}
	}()
	tree, err := store.LoadEncryptedFile(data)
	if err != nil {
		return fail("carries SOPS metadata but is not a SOPS file this version reads (edited by hand?)")
	}
	kinds := keyKinds(tree.Metadata)
	// Only age keys: every other kind of master key is reached at an
	// address or through a program the FILE names (a Vault server, a KMS
	// key, gpg), and whoever can write the file must not be able to make
	// secretdeck send this machine's credentials there.
	if !onlyAge(&tree.Metadata) {
		return fail(fmt.Sprintf("SOPS: encrypted for %s: secretdeck decrypts with age keys only (add an age recipient with sops updatekeys)", strings.Join(kinds, ", ")))
	}
	// The age keys are given to SOPS, read here, so that SOPS never looks
	// for more: an SSH key or a passphrase-protected identity would make it
	// ask for a passphrase on the terminal — under the workbench's screen,
	// whenever a file's writer names such a key.
	ids, err := ageIdentities()
	if err != nil {
		return fail("SOPS: " + err.Error())
	}
	if len(ids) == 0 {
		return fail(fmt.Sprintf("SOPS: no age key to decrypt it (for %s): set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY", strings.Join(ageRecipients(tree.Metadata), ", ")))
	}
	for _, g := range tree.Metadata.KeyGroups {
		for _, k := range g {
			if mk, ok := k.(*sopsage.MasterKey); ok {
				ids.ApplyToMasterKey(mk)
			}
		}
	}
	dataKey, err := tree.Metadata.GetDataKey()
	if err != nil {
		return fail(dataKeyProblem(tree.Metadata, kinds, err))
	}
	cipher := aes.NewCipher()
	mac, err := tree.Decrypt(dataKey, cipher)
	if err != nil {
		return fail("SOPS: a value does not decrypt with the file's data key (edited by hand, or copied from another file)")
	}
	stored, err := cipher.Decrypt(tree.Metadata.MessageAuthenticationCode, dataKey, tree.Metadata.LastModified.Format(time.RFC3339))
	if err != nil || stored != mac {
		return fail("SOPS: MAC mismatch, the values are not those the file was encrypted with (changed without SOPS, or tampered with)")
	}
	if plain, err = store.EmitPlainFile(tree.Branches); err != nil {
		return fail("SOPS: the decrypted content cannot be written back in its format")
	}
	return plain, how, nil
}

// dataKeyProblem says why a SOPS file's data key could not be had: no key
// of the kind the file needs, or keys that are not the file's.
func dataKeyProblem(md sops.Metadata, kinds []string, err error) string {
	why := err.Error()
	if u, ok := err.(interface{ UserError() string }); ok {
		why = u.UserError()
	}
	why = strings.Join(strings.Fields(strings.ReplaceAll(why, "|", " ")), " ") // unwrapped
	recipients := ageRecipients(md)
	switch {
	case strings.Contains(why, "failed to load age identities"):
		return fmt.Sprintf("SOPS: no age key to decrypt it (for %s): set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY", strings.Join(recipients, ", "))
	case strings.Contains(why, "did not match any of the recipients") || strings.Contains(why, "no identity matched"):
		return fmt.Sprintf("SOPS: wrong key: none of the age keys given (SOPS_AGE_KEY_FILE, SOPS_AGE_KEY) is one it was encrypted for (%s)", strings.Join(recipients, ", "))
	}
	return fmt.Sprintf("SOPS: cannot get its data key with the age keys of this machine (it was encrypted for %s)", strings.Join(kinds, ", "))
}

// onlyAge keeps the age keys of each key group, and says whether any is left.
func onlyAge(md *sops.Metadata) bool {
	n := 0
	for i, g := range md.KeyGroups {
		var ages sops.KeyGroup
		for _, k := range g {
			if k.TypeToIdentifier() == "age" {
				ages = append(ages, k)
			}
		}
		md.KeyGroups[i] = ages
		n += len(ages)
	}
	return n > 0
}

// keyKinds lists the kinds of master key a SOPS file was encrypted for
// (age, pgp, kms…), sorted.
func keyKinds(md sops.Metadata) []string {
	var kinds []string
	for _, g := range md.KeyGroups {
		for _, k := range g {
			if id := k.TypeToIdentifier(); !slices.Contains(kinds, id) {
				kinds = append(kinds, id)
			}
		}
	}
	slices.Sort(kinds)
	if len(kinds) == 0 {
		kinds = []string{"no key"}
	}
	return kinds
}

// ageRecipients lists the age public keys a file was encrypted for: public,
// so they may be printed, and they say which key to look for.
func ageRecipients(md sops.Metadata) []string {
	var out []string
	for _, g := range md.KeyGroups {
		for _, k := range g {
			if k.TypeToIdentifier() == "age" {
				out = append(out, model.Printable(k.ToString()))
			}
		}
	}
	if len(out) == 0 {
		return []string{"no age recipient"}
	}
	return out
}

// maxAgeKeys bounds what is read of an age key file.
const maxAgeKeys = 1 << 20

// ageIdentities reads the age keys as SOPS finds them — SOPS_AGE_KEY,
// SOPS_AGE_KEY_FILE, else <config>/sops/age/keys.txt — as plain X25519
// identities only: no SSH key, no passphrase-protected identity, no plugin,
// no SOPS_AGE_KEY_CMD, so nothing ever prompts or runs.
func ageIdentities() (sopsage.ParsedIdentities, error) {
	var ids sopsage.ParsedIdentities
	if v, ok := os.LookupEnv("SOPS_AGE_KEY"); ok {
		parsed, err := age.ParseIdentities(strings.NewReader(v))
		if err != nil {
			return nil, errors.New("SOPS_AGE_KEY holds no age key secretdeck reads (AGE-SECRET-KEY-1… lines)")
		}
		ids = append(ids, parsed...)
	}
	file, named := os.LookupEnv("SOPS_AGE_KEY_FILE")
	if !named {
		if dir, err := os.UserConfigDir(); err == nil {
			file = filepath.Join(dir, "sops", "age", "keys.txt")
		}
	}
	if file == "" {
		return ids, nil
	}
	f, err := os.Open(file)
	if errors.Is(err, os.ErrNotExist) && !named {
		return ids, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the age keys in %s: %v", file, errors.Unwrap(err))
	}
	defer f.Close()
	parsed, err := age.ParseIdentities(io.LimitReader(f, maxAgeKeys))
	if err != nil {
		return nil, fmt.Errorf("%s holds no age key secretdeck reads (AGE-SECRET-KEY-1… lines; SSH keys and passphrase-protected files are not read)", file)
	}
	return append(ids, parsed...), nil
}

var silenceOnce sync.Once

// silenceSOPS mutes SOPS's loggers: they write to stderr, under the
// workbench's screen, and say which keys failed in their own words.
func silenceSOPS() {
	silenceOnce.Do(func() {
		for _, l := range logging.Loggers {
			l.SetOutput(io.Discard)
			l.SetLevel(logrus.PanicLevel)
		}
	})
}

// sopsFile is what decode needs of a SOPS store.
type sopsFile interface {
	LoadEncryptedFile(in []byte) (sops.Tree, error)
	EmitPlainFile(branches sops.TreeBranches) ([]byte, error)
}

// sopsStore returns the SOPS store that reads a file of format, when data
// carries SOPS metadata as SOPS writes it in that format: a top-level
// "sops" object with a MAC and a version (json), a top-level `sops:` map
// with a `mac:` (yaml), sops_mac= and sops_version= lines (env), a [sops]
// section with a mac (properties, which SOPS encrypts as ini). A plain file
// that merely mentions sops is not one.
func sopsStore(format model.Format, data []byte) (sopsFile, bool) {
	switch format {
	case model.FormatJSON:
		if isSOPSJSON(data) {
			return sopsjson.NewStore(&config.JSONStoreConfig{}), true
		}
	case model.FormatYAML:
		if isSOPSYAML(data) {
			return sopsyaml.NewStore(&config.YAMLStoreConfig{}), true
		}
	case model.FormatEnv:
		if isSOPSEnv(data) {
			return sopsdotenv.NewStore(&config.DotenvStoreConfig{}), true
		}
	case model.FormatProperties:
		if isSOPSINI(data) {
			return sopsini.NewStore(&config.INIStoreConfig{}), true
		}
	}
	return nil, false
}

// isSOPSJSON: a JSON object whose "sops" member is an object with a
// non-empty "mac" and "version".
func isSOPSJSON(data []byte) bool {
	if !bytes.Contains(data, []byte(`"sops"`)) {
		return false // most files: no full parse
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return false
	}
	var md struct {
		MAC     any `json:"mac"`
		Version any `json:"version"`
	}
	if raw, ok := top["sops"]; !ok || json.Unmarshal(raw, &md) != nil {
		return false
	}
	mac, _ := md.MAC.(string)
	version, _ := md.Version.(string)
	return mac != "" && version != ""
}

// isSOPSYAML: a top-level `sops:` key, and an indented `mac:` under it.
func isSOPSYAML(data []byte) bool {
	in := false
	for line := range lines(data) {
		switch {
		case trimComment(line) == "sops:":
			in = true
		case in && line != "" && line[0] != ' ' && line[0] != '\t' && line[0] != '#':
			in = false // the next top-level key
		case in && strings.HasPrefix(strings.TrimLeft(line, " \t"), "mac:") && len(strings.TrimSpace(strings.TrimLeft(line, " \t")[len("mac:"):])) > 0:
			return true
		}
	}
	return false
}

// isSOPSEnv: sops_mac= and sops_version= lines.
func isSOPSEnv(data []byte) bool {
	var mac, version bool
	for line := range lines(data) {
		mac = mac || (strings.HasPrefix(line, "sops_mac=") && len(line) > len("sops_mac="))
		version = version || (strings.HasPrefix(line, "sops_version=") && len(line) > len("sops_version="))
	}
	return mac && version
}

// isSOPSINI: a [sops] section with a mac.
func isSOPSINI(data []byte) bool {
	in := false
	for line := range lines(data) {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "["):
			in = t == "[sops]"
		case in:
			if k, v, ok := strings.Cut(t, "="); ok && strings.TrimSpace(k) == "mac" && strings.TrimSpace(v) != "" {
				return true
			}
		}
	}
	return false
}

// lines yields data's lines without their ends (\n or \r\n).
func lines(data []byte) func(func(string) bool) {
	return func(yield func(string) bool) {
		for len(data) > 0 {
			line, rest, _ := bytes.Cut(data, []byte("\n"))
			data = rest
			if !yield(strings.TrimSuffix(string(line), "\r")) {
				return
			}
		}
	}
}

// trimComment drops a YAML line's trailing comment and spaces.
func trimComment(line string) string {
	if i := strings.Index(line, " #"); i >= 0 {
		line = line[:i]
	}
	return strings.TrimRight(line, " \t")
}
