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

	"github.com/secretdeck/secretdeck/internal/lazyre"
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

// maxAAD bounds a value's path of keys (its additional data): each value
// authenticates its whole path, so a long key above many values would cost
// their product. A property file's flattened key is at most 1 KiB anyway.
const maxAAD = 4 << 10

// scope is where a value is: the keys down to it (list items add nothing),
// whether any of them matches the file's key rule, and, per level of
// nesting, the comments seen since that level's last value — counted as
// they are seen, so that a run of comments costs once each, not once per
// comment after it.
type scope struct {
	path   []string
	aadLen int
	keys   struct{ unencSuffix, encSuffix, unencRe, encRe bool }
	levels []commentLevel
}

// commentLevel counts the comments of one level that match the comment
// rules, and whether its last one matches the encrypting one.
type commentLevel struct {
	unenc, enc int
	lastEnc    bool
}

func (w *walker) enterKey(s scope, key string) (scope, error) {
	s.path = append(s.path[:len(s.path):len(s.path)], key)
	if s.aadLen += len(key) + 1; s.aadLen > maxAAD {
		return s, errors.New("a path of keys too long")
	}
	m := w.meta
	s.keys.unencSuffix = s.keys.unencSuffix || m.unencryptedSuffix != "" && strings.HasSuffix(key, m.unencryptedSuffix)
	s.keys.encSuffix = s.keys.encSuffix || m.encryptedSuffix != "" && strings.HasSuffix(key, m.encryptedSuffix)
	s.keys.unencRe = s.keys.unencRe || w.unencryptedRe != nil && m.unencryptedRegex != "" && w.unencryptedRe.MatchString(key)
	s.keys.encRe = s.keys.encRe || w.encryptedRe != nil && m.encryptedRegex != "" && w.encryptedRe.MatchString(key)
	return s, nil
}

// enterLevel opens a level of comments for a mapping or a list.
func enterLevel(s scope) scope {
	s.levels = append(s.levels[:len(s.levels):len(s.levels)], commentLevel{})
	return s
}

// see counts a comment in the current level.
func (w *walker) see(s scope, text string) {
	top := &s.levels[len(s.levels)-1]
	if w.unencryptedCommentRe != nil && w.meta.unencryptedCommentRegex != "" && w.unencryptedCommentRe.MatchString(text) {
		top.unenc++
	}
	top.lastEnc = w.encryptedCommentRe != nil && w.meta.encryptedCommentRegex != "" && w.encryptedCommentRe.MatchString(text)
	if top.lastEnc {
		top.enc++
	}
}

// valueSeen empties the current level: comments count until the next value.
func valueSeen(s scope) { s.levels[len(s.levels)-1] = commentLevel{} }

func (w *walker) branch(b branch, s scope) error {
	s = enterLevel(s)
	for i, it := range b {
		if c, ok := it.key.(comment); ok {
			w.see(s, c.text)
			v, err := w.leaf(c, s)
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
			w.see(s, c.text)
		}
		key, ok := it.key.(string)
		if !ok {
			return errors.New("a key that is not a string")
		}
		inner, err := w.enterKey(s, key)
		if err != nil {
			return err
		}
		v, err := w.value(it.value, inner)
		if err != nil {
			return err
		}
		b[i].value = v
		if !valueIsComment {
			valueSeen(s)
		}
	}
	return nil
}

func (w *walker) list(l []any, s scope) error {
	s = enterLevel(s)
	for i, v := range l {
		c, isComment := v.(comment)
		if isComment {
			w.see(s, c.text)
		}
		out, err := w.value(v, s)
		if err != nil {
			return err
		}
		l[i] = out
		if !isComment {
			valueSeen(s)
		}
	}
	return nil
}

func (w *walker) value(v any, s scope) (any, error) {
	switch v := v.(type) {
	case branch:
		return v, w.branch(v, s)
	case []any:
		return v, w.list(v, s)
	case nil:
		return nil, nil
	case string, int, float64, bool, time.Time, []byte, comment:
		return w.leaf(v, s)
	}
	return nil, errors.New("a value of a type SOPS does not walk")
}

// leaf decrypts one scalar or comment when the file's rule says it is
// encrypted, and hashes the result for the MAC unless it is a comment (or
// the MAC covers only encrypted values and it is not one).
func (w *walker) leaf(in any, s scope) (any, error) {
	c, isComment := in.(comment)
	encrypted := w.encrypted(s, isComment)
	v := in
	if encrypted {
		aad := strings.Join(s.path, ":") + ":"
		var err error
		switch {
		case isComment:
			// A comment that does not decrypt is kept as it is: older
			// SOPS versions left comments in clear.
			if v, err = w.decrypt(c.text, aad); err != nil {
				v = c
			}
		default:
			str, ok := in.(string)
			if !ok {
				return nil, errors.New("an encrypted value that is not text")
			}
			if v, err = w.decrypt(str, aad); err != nil {
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

// encrypted says whether the value at s is encrypted under the file's rule
// (at most one is set; unencrypted_suffix _unencrypted by default). A
// comment does not count for itself under encrypted_comment_regex.
func (w *walker) encrypted(s scope, isComment bool) bool {
	m := w.meta
	encrypted := true
	if m.unencryptedSuffix != "" && s.keys.unencSuffix {
		encrypted = false
	}
	if m.encryptedSuffix != "" {
		encrypted = s.keys.encSuffix
	}
	if m.unencryptedRegex != "" && s.keys.unencRe {
		encrypted = false
	}
	if m.encryptedRegex != "" {
		encrypted = s.keys.encRe
	}
	if m.unencryptedCommentRegex != "" {
		for _, l := range s.levels {
			if l.unenc > 0 {
				encrypted = false
			}
		}
	}
	if m.encryptedCommentRegex != "" {
		n := 0
		for _, l := range s.levels {
			n += l.enc
		}
		if isComment && s.levels[len(s.levels)-1].lastEnc {
			n-- // the comment itself
		}
		encrypted = n > 0
	}
	return encrypted
}

// encValue is SOPS's encrypted value: data, IV and tag in base64, and the
// type the plain text is read as.
var encValue = lazyre.New(`^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]`)

// decrypt reads one encrypted value (empty stays empty: SOPS does not
// encrypt it) as its type says. aad is the path of keys to it.
func (w *walker) decrypt(s, aad string) (any, error) {
	if s == "" {
		return "", nil
	}
	m := encValue().FindStringSubmatch(s)
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
