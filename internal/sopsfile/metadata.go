package sopsfile

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// metadata is what decryption needs of a file's `sops` entry.
type metadata struct {
	groups       [][]masterKey
	lastModified time.Time
	mac          string
	// At most one rule says which values are encrypted.
	unencryptedSuffix, encryptedSuffix             string
	unencryptedRegex, encryptedRegex               string
	unencryptedCommentRegex, encryptedCommentRegex string
	macOnlyEncrypted                               bool
}

// masterKey is one recipient of the data key: its kind (age, pgp, kms…)
// and, for age, its public key and the data key encrypted for it.
type masterKey struct {
	kind, recipient, enc string
}

// keyKinds are the master key kinds SOPS writes, by their metadata name,
// the same in a file's top level and in a key group.
var keyKinds = []string{"kms", "gcp_kms", "hckms", "azure_kv", "hc_vault", "pgp", "age"}

// maxMasterKeys bounds the keys of one group: each age entry is tried
// with every identity, and a file names a handful.
const maxMasterKeys = 100

var errMetadata = errors.New("metadata SOPS does not write")

// readMetadata reads the `sops` entry as a tree of maps, lists and
// scalars, loosely typed as SOPS reads it (a dotenv or ini file has only
// strings).
func readMetadata(md map[string]any) (metadata, error) {
	var m metadata
	var err error
	text := func(name string) string {
		s, ok := looseString(md[name])
		if !ok {
			err = errMetadata
		}
		return s
	}
	last := text("lastmodified")
	m.mac = text("mac")
	m.unencryptedSuffix = text("unencrypted_suffix")
	m.encryptedSuffix = text("encrypted_suffix")
	m.unencryptedRegex = text("unencrypted_regex")
	m.encryptedRegex = text("encrypted_regex")
	m.unencryptedCommentRegex = text("unencrypted_comment_regex")
	m.encryptedCommentRegex = text("encrypted_comment_regex")
	if err != nil {
		return m, err
	}
	if m.macOnlyEncrypted, err = looseBool(md["mac_only_encrypted"]); err != nil {
		return m, err
	}
	if m.lastModified, err = time.Parse(time.RFC3339, last); err != nil {
		return m, errMetadata
	}
	rules := 0
	for _, r := range []string{m.unencryptedSuffix, m.encryptedSuffix, m.unencryptedRegex, m.encryptedRegex, m.unencryptedCommentRegex, m.encryptedCommentRegex} {
		if r != "" {
			rules++
		}
	}
	switch rules {
	case 0:
		m.unencryptedSuffix = "_unencrypted"
	case 1:
	default:
		return m, errMetadata
	}
	// The keys are at the top level (one group) or in key_groups.
	top, err := readGroup(md)
	if err != nil {
		return m, err
	}
	if len(top) > 0 {
		m.groups = [][]masterKey{top}
		return m, nil
	}
	groups, ok := looseList(md["key_groups"])
	if !ok {
		return m, errMetadata
	}
	for _, g := range groups {
		gm, ok := g.(map[string]any)
		if !ok {
			return m, errMetadata
		}
		keys, err := readGroup(gm)
		if err != nil {
			return m, err
		}
		m.groups = append(m.groups, keys)
	}
	if len(m.groups) == 0 {
		return m, errMetadata // no key at all
	}
	return m, nil
}

// readGroup reads the master keys of one group, every kind.
func readGroup(g map[string]any) ([]masterKey, error) {
	var keys []masterKey
	for _, kind := range keyKinds {
		list, ok := looseList(g[kind])
		if !ok {
			return nil, errMetadata
		}
		for _, entry := range list {
			e, ok := entry.(map[string]any)
			if !ok {
				return nil, errMetadata
			}
			k := masterKey{kind: kind}
			var ok1, ok2 bool
			if kind == "age" {
				k.recipient, ok1 = looseString(e["recipient"])
				k.enc, ok2 = looseString(e["enc"])
			} else {
				// SOPS refuses a key whose creation date it cannot read.
				var created string
				created, ok1 = looseString(e["created_at"])
				_, err := time.Parse(time.RFC3339, created)
				ok2 = err == nil
			}
			if !ok1 || !ok2 {
				return nil, errMetadata
			}
			keys = append(keys, k)
		}
	}
	if len(keys) > maxMasterKeys {
		return nil, errMetadata
	}
	return keys, nil
}

// looseString reads a metadata scalar as text; absent is empty.
func looseString(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", true
	case string:
		return v, true
	case int:
		return strconv.Itoa(v), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		if v {
			return "1", true
		}
		return "0", true
	}
	return "", false
}

// looseBool reads a metadata flag: a bool, or text a flag is written as.
func looseBool(v any) (bool, error) {
	switch v := v.(type) {
	case nil:
		return false, nil
	case bool:
		return v, nil
	case int:
		return v != 0, nil
	case string:
		if v == "" {
			return false, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, errMetadata
		}
		return b, nil
	}
	return false, errMetadata
}

// looseList reads a metadata list; absent is empty.
func looseList(v any) ([]any, bool) {
	switch v := v.(type) {
	case nil:
		return nil, true
	case []any:
		return v, true
	}
	return nil, false
}

// plainTree turns the metadata branch of a json or yaml file into maps,
// lists and scalars (comments dropped).
func plainTree(v any) any {
	switch v := v.(type) {
	case branch:
		m := map[string]any{}
		for _, it := range v {
			if k, ok := it.key.(string); ok {
				m[k] = plainTree(it.value)
			}
		}
		return m
	case []any:
		out := make([]any, 0, len(v))
		for _, x := range v {
			if _, ok := x.(comment); !ok {
				out = append(out, plainTree(x))
			}
		}
		return out
	}
	return v
}

// flatNode is one key of flattened metadata, while it is rebuilt: a
// value, a map or a list, never two of these.
type flatNode struct {
	value *string
	keys  map[string]*flatNode
	items map[int]*flatNode
}

// unflatten rebuilds the metadata tree a dotenv or ini file writes as flat
// keys: age__list_0__map_recipient is md["age"][0]["recipient"].
func unflatten(flat []item) (map[string]any, error) {
	root := &flatNode{}
	for _, it := range flat {
		key, _ := it.key.(string)
		value, _ := it.value.(string)
		n := root
		for _, tok := range flatTokens(key) {
			if i, isItem := tok.(int); isItem {
				if n.items == nil {
					n.items = map[int]*flatNode{}
				}
				if n.items[i] == nil {
					n.items[i] = &flatNode{}
				}
				n = n.items[i]
				continue
			}
			if n.keys == nil {
				n.keys = map[string]*flatNode{}
			}
			name := tok.(string)
			if n.keys[name] == nil {
				n.keys[name] = &flatNode{}
			}
			n = n.keys[name]
		}
		if n.value != nil {
			return nil, errMetadata
		}
		n.value = &value
	}
	tree, err := root.tree()
	if err != nil {
		return nil, err
	}
	m, ok := tree.(map[string]any)
	if !ok {
		return nil, errMetadata
	}
	return m, nil
}

// flatTokens splits a flattened key at its separators: __map_NAME is a
// key, __list_N an index (a bad index is -1, refused later).
func flatTokens(key string) []any {
	var out []any
	var cur any = ""
	start := 0
	for i := 0; i <= len(key); {
		sepMap := strings.HasPrefix(key[i:], "__map_")
		sepList := strings.HasPrefix(key[i:], "__list_")
		if i < len(key) && !sepMap && !sepList {
			i++
			continue
		}
		if s, isName := cur.(string); isName {
			out = append(out, s+key[start:i])
		} else {
			n, err := strconv.Atoi(key[start:i])
			if err != nil {
				n = -1
			}
			out = append(out, n)
		}
		switch {
		case sepMap:
			i += len("__map_")
			cur = ""
		case sepList:
			i += len("__list_")
			cur = 0
		default:
			return out
		}
		start = i
	}
	return out
}

// maxListIndex bounds a flattened list: a file names a handful of keys.
const maxListIndex = 1000

func (n *flatNode) tree() (any, error) {
	switch {
	case n.value != nil && n.keys == nil && n.items == nil:
		return *n.value, nil
	case n.keys != nil && n.value == nil && n.items == nil:
		m := make(map[string]any, len(n.keys))
		for k, child := range n.keys {
			v, err := child.tree()
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
		return m, nil
	case n.items != nil && n.value == nil && n.keys == nil:
		if len(n.items) > maxListIndex {
			return nil, errMetadata
		}
		l := make([]any, len(n.items))
		for i, child := range n.items {
			if i < 0 || i >= len(l) {
				return nil, errMetadata // a list with a gap
			}
			v, err := child.tree()
			if err != nil {
				return nil, err
			}
			l[i] = v
		}
		return l, nil
	case n.value == nil && n.keys == nil && n.items == nil:
		return map[string]any{}, nil
	}
	return nil, errMetadata
}
