package model

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/secretdeck/secretdeck/internal/lazyre"
)

// MaxSecretNameLen is Docker's limit on a secret's name.
const MaxSecretNameLen = 64

// secretNameRE is Docker's rule for secret names.
var secretNameRE = lazyre.New(`^[a-zA-Z0-9]+([a-zA-Z0-9-_.]*[a-zA-Z0-9])?$`)

// ValidSecretName reports whether Docker accepts name for a secret.
func ValidSecretName(name string) bool {
	return len(name) <= MaxSecretNameLen && secretNameRE().MatchString(name)
}

// Normalize turns a service name or a property key into the form secretdeck
// uses in secret names and targets: lower case, every character other than
// [a-z0-9_.-] replaced by '_', and no separator at either end (Docker wants
// names to start and end with a letter or digit). It may return "".
func Normalize(s string) string {
	if isNormal(s) {
		return s // most keys and service names already are: no copy
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return strings.Trim(b.String(), "_.-")
}

// isNormal reports whether Normalize(s) is s.
func isNormal(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '_' || c == '.' || c == '-':
			if i == 0 || i == len(s)-1 {
				return false // trimmed
			}
		default:
			return false
		}
	}
	return true
}

// LogicalName is the logical secret of entry key of service, or of a shared
// entry when service is SharedService. It returns "" when the key normalizes
// to nothing.
func LogicalName(service, key string) string {
	k := Normalize(key)
	if k == "" {
		return ""
	}
	if service == SharedService {
		return k
	}
	return Normalize(service) + "_" + k
}

// VersionName is the swarm secret name of version n of logical secret l:
// l_v<n>. A name longer than Docker allows is shortened, keeping a hash of the
// full name so that two long names never collide; shortened reports it.
func VersionName(l string, n int) (name string, shortened bool) {
	suffix := "_v" + strconv.Itoa(n)
	if len(l)+len(suffix) <= MaxSecretNameLen {
		return l + suffix, false
	}
	sum := sha256.Sum256([]byte(l))
	h := "-" + hex.EncodeToString(sum[:4])
	keep := strings.TrimRight(l[:MaxSecretNameLen-len(suffix)-len(h)], "_.-")
	return keep + h + suffix, true
}

// ParseVersionName splits name into logical name and version: "db_v3" →
// ("db", 3, true). A name without a version suffix is (name, 0, false).
//
// The suffix is "_v" and 1 to 9 ASCII digits, read by hand: drift parses
// every secret's name, and a regexp was a tenth of its time at 10,000.
func ParseVersionName(name string) (logical string, version int, ok bool) {
	digits := len(name)
	for digits > 0 && '0' <= name[digits-1] && name[digits-1] <= '9' {
		digits--
	}
	n := len(name) - digits
	if n < 1 || n > 9 || digits < 2 || name[digits-2:digits] != "_v" {
		return name, 0, false
	}
	v, err := strconv.Atoi(name[digits:])
	if err != nil {
		return name, 0, false
	}
	return name[:digits-2], v, true
}

// Printable returns s with its non-printable characters (controls, format
// characters such as a right-to-left override, invalid UTF-8) as Go escapes
// (\x1b, \n, \u202e): text from the swarm or the source that every face
// prints, so none of it can move the cursor, clear the screen, retitle the
// terminal or reorder what is shown. Printable text is returned as it is.
func Printable(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return s
	}
	q := strconv.Quote(s)
	return strings.ReplaceAll(q[1:len(q)-1], `\"`, `"`)
}
