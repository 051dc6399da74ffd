package s3

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/secretdeck/secretdeck/internal/sopsfile"
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
// in our words only: never a value, a MAC or the file's text.
func decode(key string, format model.Format, data []byte) (plain []byte, how string, perr *model.ParseError) {
	sf, ok := sopsStore(format, data)
	if !ok {
		return data, ViaPlain, nil
	}
	how = viaSOPS + "age"
	fail := func(msg string) ([]byte, string, *model.ParseError) {
		return nil, how, &model.ParseError{File: key, Msg: msg}
	}
	const unreadable = "carries SOPS metadata but is not a SOPS file this version reads (edited by hand?)"
	// Whoever writes the bucket writes this file: the parsers are bounded
	// and return errors, and a slip must still not take the process down.
	defer func() {
		if recover() != nil {
			plain, how, perr = fail(unreadable)
		}
	}()
	file, err := sopsfile.Load(sf, data)
	if err != nil {
		return fail(unreadable)
	}
	// Only age keys: every other kind of master key is reached at an
	// address or through a program the FILE names (a Vault server, a KMS
	// key, gpg), and whoever can write the file must not be able to make
	// secretdeck send this machine's credentials there.
	recipients := ageRecipients(file)
	if len(file.AgeRecipients()) == 0 {
		return fail(fmt.Sprintf("SOPS: encrypted for %s: secretdeck decrypts with age keys only (add an age recipient with sops updatekeys)", strings.Join(file.KeyKinds(), ", ")))
	}
	// The age keys are read here, as plain X25519 identities: an SSH key
	// or a passphrase-protected identity would need a passphrase asked on
	// the terminal — under the workbench's screen, whenever a file's
	// writer names such a key.
	ids, err := ageIdentities()
	if err != nil {
		return fail("SOPS: " + err.Error())
	}
	noKey := fmt.Sprintf("SOPS: no age key to decrypt it (for %s): set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY", strings.Join(recipients, ", "))
	if len(ids) == 0 {
		return fail(noKey)
	}
	dataKey, err := file.DataKey(ids)
	switch reason(err) {
	case 0:
	case sopsfile.KeyGroups:
		return fail("SOPS: encrypted with several key groups (Shamir secret sharing): secretdeck decrypts files with one key group only")
	case sopsfile.NoKey:
		return fail(noKey)
	case sopsfile.WrongKey:
		return fail(fmt.Sprintf("SOPS: wrong key: none of the age keys given (SOPS_AGE_KEY_FILE, SOPS_AGE_KEY) is one it was encrypted for (%s)", strings.Join(recipients, ", ")))
	default:
		return fail(fmt.Sprintf("SOPS: cannot get its data key with the age keys of this machine (it was encrypted for %s)", strings.Join(file.KeyKinds(), ", ")))
	}
	plain, err = file.Decrypt(dataKey)
	switch reason(err) {
	case 0:
		return plain, how, nil
	case sopsfile.BadMAC:
		return fail("SOPS: MAC mismatch, the values are not those the file was encrypted with (changed without SOPS, or tampered with)")
	case sopsfile.NotEmitted:
		return fail("SOPS: the decrypted content cannot be written back in its format")
	default:
		return fail("SOPS: a value does not decrypt with the file's data key (edited by hand, or copied from another file)")
	}
}

// reason is why sopsfile failed, 0 for no error.
func reason(err error) sopsfile.Reason {
	if err == nil {
		return 0
	}
	var e *sopsfile.Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return sopsfile.Unreadable
}

// ageRecipients lists the age public keys a file was encrypted for: public,
// so they may be printed, and they say which key to look for.
func ageRecipients(f *sopsfile.File) []string {
	var out []string
	for _, r := range f.AgeRecipients() {
		out = append(out, model.Printable(r))
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
func ageIdentities() ([]age.Identity, error) {
	var ids []age.Identity
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

// sopsStore returns the SOPS store that reads a file of format, when data
// carries SOPS metadata as SOPS writes it in that format: a top-level
// "sops" object with a MAC and a version (json), a top-level `sops:` map
// with a `mac:` (yaml), sops_mac= and sops_version= lines (env), a [sops]
// section with a mac (properties, which SOPS encrypts as ini). A plain file
// that merely mentions sops is not one.
func sopsStore(format model.Format, data []byte) (sopsfile.Format, bool) {
	switch format {
	case model.FormatJSON:
		if isSOPSJSON(data) {
			return sopsfile.JSON, true
		}
	case model.FormatYAML:
		if isSOPSYAML(data) {
			return sopsfile.YAML, true
		}
	case model.FormatEnv:
		if isSOPSEnv(data) {
			return sopsfile.Dotenv, true
		}
	case model.FormatProperties:
		if isSOPSINI(data) {
			return sopsfile.INI, true
		}
	}
	return "", false
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
