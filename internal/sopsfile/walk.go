package sopsfile

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// macOnlyEncryptedStart is what SOPS hashes first when the MAC covers only
// the encrypted values (mac_only_encrypted), so that such a MAC never
// equals one over all the values.
var macOnlyEncryptedStart = []byte{0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b, 0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69}

// walker decrypts a tree in place, in the order SOPS walks it, and hashes
// the values for the MAC as it goes.
type walker struct {
	meta metadata
	gcm  func(nonceSize int) (cipher.AEAD, error)
	key  []byte
	sum  hash.Hash
	// The regular expressions of the file's rule, compiled once.
	unencryptedRe, encryptedRe, unencryptedCommentRe, encryptedCommentRe *regexp.Regexp
}

func newWalker(meta metadata, key []byte) (*walker, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	w := &walker{meta: meta, key: key, sum: sha512.New()}
	w.gcm = func(n int) (cipher.AEAD, error) { return cipher.NewGCMWithNonceSize(block, n) }
	// A rule that does not compile never matches, as in SOPS.
	compile := func(s string) *regexp.Regexp {
		re, _ := regexp.Compile(s)
		return re
	}
	w.unencryptedRe = compile(meta.unencryptedRegex)
	w.encryptedRe = compile(meta.encryptedRegex)
	w.unencryptedCommentRe = compile(meta.unencryptedCommentRegex)
	w.encryptedCommentRe = compile(meta.encryptedCommentRegex)
	if meta.macOnlyEncrypted {
		w.sum.Write(macOnlyEncryptedStart)
	}
	return w, nil
}

// mac is the MAC of the values walked, as SOPS writes it (upper-case hex).
func (w *walker) mac() string { return fmt.Sprintf("%X", w.sum.Sum(nil)) }

// The path of a value is the keys of the mappings down to it (list items
// add nothing); the comments stack holds, per level, the comments seen
// since that level's last value.

func (w *walker) branch(b branch, path []string, stack [][]string) error {
	stack = append(stack, nil)
	top := len(stack) - 1
	for i, it := range b {
		if c, ok := it.key.(comment); ok {
			stack[top] = append(stack[top], c.text)
			v, err := w.leaf(c, path, stack)
			if err != nil {
				return err
			}
			switch v := v.(type) {
			case comment:
				b[i].key = v
			case string:
				b[i].key = comment{text: v, inline: c.inline}
			default:
				return errors.New("a comment that is not text")
			}
			continue
		}
		c, valueIsComment := it.value.(comment)
		if valueIsComment {
			stack[top] = append(stack[top], c.text)
		}
		key, ok := it.key.(string)
		if !ok {
			return errors.New("a key that is not a string")
		}
		v, err := w.value(it.value, append(path[:len(path):len(path)], key), stack)
		if err != nil {
			return err
		}
		b[i].value = v
		if !valueIsComment {
			stack[top] = nil
		}
	}
	return nil
}

func (w *walker) list(l []any, path []string, stack [][]string) error {
	stack = append(stack, nil)
	top := len(stack) - 1
	for i, v := range l {
		c, isComment := v.(comment)
		if isComment {
			stack[top] = append(stack[top], c.text)
		}
		out, err := w.value(v, path, stack)
		if err != nil {
			return err
		}
		l[i] = out
		if !isComment {
			stack[top] = nil
		}
	}
	return nil
}

func (w *walker) value(v any, path []string, stack [][]string) (any, error) {
	switch v := v.(type) {
	case branch:
		return v, w.branch(v, path, stack)
	case []any:
		return v, w.list(v, path, stack)
	case nil:
		return nil, nil
	case string, int, float64, bool, time.Time, []byte, comment:
		return w.leaf(v, path, stack)
	}
	return nil, errors.New("a value of a type SOPS does not walk")
}

// leaf decrypts one scalar or comment when the file's rule says it is
// encrypted, and hashes the result for the MAC unless it is a comment (or
// the MAC covers only encrypted values and it is not one).
func (w *walker) leaf(in any, path []string, stack [][]string) (any, error) {
	c, isComment := in.(comment)
	encrypted := w.encrypted(path, stack, isComment)
	v := in
	if encrypted {
		aad := strings.Join(path, ":") + ":"
		var err error
		switch {
		case isComment:
			// A comment that does not decrypt is kept as it is: older
			// SOPS versions left comments in clear.
			if v, err = w.decrypt(c.text, aad); err != nil {
				v = c
			}
		default:
			s, ok := in.(string)
			if !ok {
				return nil, errors.New("an encrypted value that is not text")
			}
			if v, err = w.decrypt(s, aad); err != nil {
				return nil, err
			}
		}
	}
	if !w.meta.macOnlyEncrypted || encrypted {
		if _, isComment := v.(comment); !isComment {
			b, err := bytesOf(v)
			if err != nil {
				return nil, err
			}
			w.sum.Write(b)
		}
	}
	return v, nil
}

// encrypted says whether the value at path is encrypted under the file's
// rule (at most one is set; unencrypted_suffix _unencrypted by default).
func (w *walker) encrypted(path []string, stack [][]string, isComment bool) bool {
	m := w.meta
	anyKey := func(match func(string) bool) bool {
		for _, k := range path {
			if match(k) {
				return true
			}
		}
		return false
	}
	encrypted := true
	if m.unencryptedSuffix != "" && anyKey(func(k string) bool { return strings.HasSuffix(k, m.unencryptedSuffix) }) {
		encrypted = false
	}
	if m.encryptedSuffix != "" {
		encrypted = anyKey(func(k string) bool { return strings.HasSuffix(k, m.encryptedSuffix) })
	}
	if m.unencryptedRegex != "" && w.unencryptedRe != nil && anyKey(w.unencryptedRe.MatchString) {
		encrypted = false
	}
	if m.encryptedRegex != "" {
		encrypted = w.encryptedRe != nil && anyKey(w.encryptedRe.MatchString)
	}
	if m.unencryptedCommentRegex != "" && w.unencryptedCommentRe != nil {
		for _, level := range stack {
			for _, c := range level {
				if w.unencryptedCommentRe.MatchString(c) {
					encrypted = false
				}
			}
		}
	}
	if m.encryptedCommentRegex != "" {
		encrypted = false
		last := len(stack) - 1
		for i, level := range stack {
			for j, c := range level {
				if isComment && i == last && j == len(level)-1 {
					continue // the comment itself does not count
				}
				if w.encryptedCommentRe != nil && w.encryptedCommentRe.MatchString(c) {
					encrypted = true
				}
			}
		}
	}
	return encrypted
}

// encValue is SOPS's encrypted value: data, IV and tag in base64, and the
// type the plain text is read as.
var encValue = regexp.MustCompile(`^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]`)

// decrypt reads one encrypted value (empty stays empty: SOPS does not
// encrypt it) as its type says. aad is the path of keys to it.
func (w *walker) decrypt(s, aad string) (any, error) {
	if s == "" {
		return "", nil
	}
	m := encValue.FindStringSubmatch(s)
	if m == nil {
		return nil, errors.New("not an encrypted value")
	}
	data, err1 := base64.StdEncoding.DecodeString(m[1])
	iv, err2 := base64.StdEncoding.DecodeString(m[2])
	tag, err3 := base64.StdEncoding.DecodeString(m[3])
	if err := errors.Join(err1, err2, err3); err != nil || len(iv) == 0 {
		return nil, errors.New("not an encrypted value")
	}
	gcm, err := w.gcm(len(iv))
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, iv, append(data, tag...), []byte(aad))
	if err != nil {
		return nil, errors.New("does not decrypt")
	}
	return typed(m[4], plain)
}

// decryptValue decrypts one value with key, outside a walk (the MAC).
func decryptValue(s string, key []byte, aad string) (any, error) {
	w, err := newWalker(metadata{}, key)
	if err != nil {
		return nil, err
	}
	return w.decrypt(s, aad)
}

// typed reads decrypted bytes as the type SOPS recorded.
func typed(kind string, plain []byte) (any, error) {
	s := string(plain)
	switch kind {
	case "str":
		return s, nil
	case "int":
		return strconv.Atoi(s)
	case "float":
		return strconv.ParseFloat(s, 64)
	case "bytes":
		return plain, nil
	case "bool":
		return strconv.ParseBool(s)
	case "time":
		var t time.Time
		err := t.UnmarshalText(plain)
		return t, err
	case "comment":
		return comment{text: s}, nil
	}
	return nil, errors.New("an unknown type")
}

// formatFloat is a float as SOPS encrypts and hashes it.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
