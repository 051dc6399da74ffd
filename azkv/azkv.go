// Package azkv reads secretdeck's desired values from an Azure Key Vault:
// `--source azkv://<vault>[/<prefix>]`. Each Key Vault secret is one entry
// of a service's property set in one environment, and shows as a property
// file of one key (its name in the vault) whose version is the secret's
// version ID and whose time is its `updated` time. Values stay in memory.
//
// A secret is secretdeck's when it is tagged secretdeck-service,
// secretdeck-key and secretdeck-env, or named <env>--<service>--<key>
// (Key Vault names hold only letters, digits and dashes). With a prefix,
// only secrets named <prefix>--… are read. The fingerprint key is the
// secret secretdeck-fingerprint-key (<prefix>--secretdeck-fingerprint-key).
package azkv

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"golang.org/x/sync/errgroup"

	"github.com/secretdeck/secretdeck/model"
)

// Scheme is the --source scheme of a Key Vault.
const Scheme = "azkv"

// Format is the format of a Key Vault secret's "file": one value, no syntax.
const Format model.Format = "azkv"

// Via says, on each of its files, that the value was fetched from Key Vault.
const Via = "azkv"

// Tags that map a Key Vault secret to an entry.
const (
	TagService = "secretdeck-service"
	TagKey     = "secretdeck-key"
	TagEnv     = "secretdeck-env"
)

// KeyName is the Key Vault secret that holds the fingerprint key (after
// the prefix and "--", when there is one).
const KeyName = "secretdeck-fingerprint-key"

// Errors a Key Vault source returns; returned errors wrap them.
var (
	ErrNoCredentials = errors.New("no Azure credentials")
	ErrAccessDenied  = errors.New("access to the vault refused")
	ErrThrottled     = errors.New("the vault is throttling requests")
	ErrNoAuditCopy   = errors.New("a vault keeps no audit copy")
)

// Options say which vault to open and how.
type Options struct {
	URI      string // azkv://<vault>[/<prefix>]; a vault name with a dot is a full host name (sovereign clouds)
	ReadOnly bool   // refuse every write (the fingerprint key)
	// ErrReadOnly is what a refused write wraps (the s3 package's, so that
	// every source refuses alike).
	ErrReadOnly error
	// Credential is the Azure credential; nil: the default chain
	// (environment, workload identity, managed identity, Azure CLI…).
	Credential azcore.TokenCredential
	// Client options: tests give the SDK's fake transport here.
	Client      *azsecrets.ClientOptions
	Concurrency int              // parallel reads; default 16
	Now         func() time.Time // default time.Now
}

// Source is a Key Vault as a property source.
type Source struct {
	opts    Options
	vault   string // the vault's host name
	prefix  string // "" or the name prefix, without the "--"
	client  *azsecrets.Client
	cred    azcore.TokenCredential
	checked sync.Once
	credErr error
}

// Open checks opts and returns the source; it does not touch the network.
func Open(opts Options) (*Source, error) {
	u, err := url.Parse(opts.URI)
	if err != nil || u.Scheme != Scheme || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("--source %q is not azkv://<vault>[/<prefix>]", opts.URI)
	}
	name, host := u.Host, u.Host
	if !strings.Contains(host, ".") {
		host += ".vault.azure.net"
	} else {
		name, _, _ = strings.Cut(host, ".")
	}
	if len(name) < 3 || len(name) > 24 || !validPart(name) || name[0] >= '0' && name[0] <= '9' {
		return nil, fmt.Errorf("--source %q: %q is not a Key Vault name (3-24 letters, digits and single dashes, starting with a letter)", opts.URI, name)
	}
	prefix := strings.Trim(u.Path, "/")
	if prefix != "" && !validPart(prefix) {
		return nil, fmt.Errorf("--source %q: the prefix %q must be letters, digits and single dashes (it starts Key Vault secret names)", opts.URI, prefix)
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 16
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Source{opts: opts, vault: host, prefix: prefix, cred: opts.Credential}
	if s.cred == nil {
		if s.cred, err = defaultCredential(); err != nil {
			return nil, err
		}
	}
	if s.client, err = azsecrets.NewClient("https://"+host, s.cred, opts.Client); err != nil {
		return nil, fmt.Errorf("--source %s: %w", s.URI(), err)
	}
	return s, nil
}

// validPart: letters, digits and single dashes, not at either end.
func validPart(s string) bool {
	if s == "" || strings.Contains(s, "--") || strings.HasPrefix(s, "-") || strings.HasSuffix(s, "-") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// URI is azkv://<vault>[/<prefix>], as given.
func (s *Source) URI() string {
	host := strings.TrimSuffix(s.vault, ".vault.azure.net")
	if s.prefix == "" {
		return Scheme + "://" + host
	}
	return Scheme + "://" + host + "/" + s.prefix
}

// Backend names the kind of source, for status.
func (s *Source) Backend() string { return "Azure Key Vault " + s.vault }

// keyName is the fingerprint key's secret name.
func (s *Source) keyName() string { return s.named(KeyName) }

func (s *Source) named(name string) string {
	if s.prefix == "" {
		return name
	}
	return s.prefix + "--" + name
}

// scope is the token scope of the vault's cloud: https://vault.azure.net/.default.
func (s *Source) scope() string {
	_, suffix, _ := strings.Cut(s.vault, ".")
	return "https://" + suffix + "/.default"
}

// checkCredential asks the credential for a token once, before any
// request: without credentials that is one clear line, and nothing is
// sent to the vault.
func (s *Source) checkCredential(ctx context.Context) error {
	s.checked.Do(func() {
		_, err := s.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{s.scope()}})
		if err != nil {
			s.credErr = s.credentialError(err)
		}
	})
	return s.credErr
}

// entry is a Key Vault secret mapped to an entry.
type entry struct {
	name               string // in the vault
	env, service, key  string
	updated            time.Time
	enabled            bool
	expires, notBefore *time.Time
}

// Load lists the vault, picks the environment and fetches its secrets'
// values (bounded concurrency). A disabled secret is skipped and listed; an
// expired one, or one not valid yet, is a file with an error and no value.
func (s *Source) Load(ctx context.Context, env string) (*model.SourceSnapshot, error) {
	if err := s.checkCredential(ctx); err != nil {
		return nil, err
	}
	snap := &model.SourceSnapshot{URI: s.URI(), LoadedAt: s.opts.Now()}
	var entries []entry
	keyFound := false
	pager := s.client.NewListSecretPropertiesPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, s.explain(err)
		}
		for _, p := range page.Value {
			if p == nil || p.ID == nil {
				continue
			}
			name := p.ID.Name()
			if name == s.keyName() {
				keyFound = enabled(p)
				continue
			}
			e, ok, why := s.mapSecret(name, p)
			switch {
			case why != "":
				snap.Ignored = append(snap.Ignored, model.Printable(name)+" ("+why+")")
			case ok:
				entries = append(entries, e)
			}
		}
	}
	envs := map[string]bool{}
	for _, e := range entries {
		envs[e.env] = true
	}
	for e := range envs {
		snap.Envs = append(snap.Envs, e)
	}
	slices.Sort(snap.Envs)
	var err error
	if snap.Env, err = pickEnv(snap, env); err != nil {
		return nil, err
	}
	if err := s.fetch(ctx, snap, entries); err != nil {
		return nil, err
	}
	if keyFound {
		if snap.Key, err = s.readKey(ctx); err != nil {
			return nil, err
		}
	}
	slices.Sort(snap.Ignored)
	return snap, nil
}

func enabled(p *azsecrets.SecretProperties) bool {
	return p.Attributes == nil || p.Attributes.Enabled == nil || *p.Attributes.Enabled
}

// mapSecret maps a Key Vault secret to an entry: by its tags, else by its
// name. ok is false for a secret that is not secretdeck's (silently
// skipped: a vault is shared); why says why one that is cannot be used.
func (s *Source) mapSecret(name string, p *azsecrets.SecretProperties) (e entry, ok bool, why string) {
	rest := name
	if s.prefix != "" {
		var found bool
		if rest, found = strings.CutPrefix(name, s.prefix+"--"); !found {
			return e, false, ""
		}
	}
	e.name = name
	tag := func(k string) string {
		if v := p.Tags[k]; v != nil {
			return *v
		}
		return ""
	}
	e.service, e.key, e.env = tag(TagService), tag(TagKey), tag(TagEnv)
	switch tagged := e.service != "" || e.key != "" || e.env != ""; {
	case tagged && (e.service == "" || e.key == "" || e.env == ""):
		return e, false, "tagged for secretdeck without all of " + TagService + ", " + TagKey + " and " + TagEnv
	case tagged && (!printable(e.service) || !printable(e.key) || !printable(e.env) || strings.Contains(e.env+e.service, "/")):
		return e, false, "a secretdeck tag holds a character that cannot be shown"
	case !tagged:
		parts := strings.Split(rest, "--")
		if len(parts) != 3 || slices.Contains(parts, "") || !printable(rest) {
			return e, false, "" // another application's secret (Key Vault allows no other name)
		}
		e.env, e.service, e.key = parts[0], parts[1], parts[2]
	}
	if a := p.Attributes; a != nil {
		if a.Updated != nil {
			e.updated = *a.Updated
		}
		e.expires, e.notBefore = a.Expires, a.NotBefore
	}
	e.enabled = enabled(p)
	if !e.enabled {
		return e, false, "disabled"
	}
	return e, true, ""
}

// fetch reads the values of env's entries, each a file of one key.
func (s *Source) fetch(ctx context.Context, snap *model.SourceSnapshot, entries []entry) error {
	now := s.opts.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.opts.Concurrency)
	var files []*model.PropertyFile
	for _, e := range entries {
		if e.env != snap.Env {
			continue
		}
		f := &model.PropertyFile{Key: e.name, Service: e.service, Format: Format, Env: e.env, LastModified: e.updated, Via: Via}
		files = append(files, f)
		switch {
		case e.expires != nil && now.After(*e.expires):
			f.Err = &model.ParseError{File: e.name, Msg: fmt.Sprintf("expired on %s in Key Vault: not used (set a new value or expiry)", e.expires.UTC().Format("2006-01-02 15:04Z"))}
			continue
		case e.notBefore != nil && now.Before(*e.notBefore):
			f.Err = &model.ParseError{File: e.name, Msg: fmt.Sprintf("not valid before %s in Key Vault: not used yet", e.notBefore.UTC().Format("2006-01-02 15:04Z"))}
			continue
		}
		g.Go(func() error {
			v, version, err := s.get(gctx, e.name)
			if err != nil {
				return err
			}
			f.VersionID, f.Size = version, int64(len(v))
			f.Raw = model.NewValue([]byte(v))
			f.Entries = []model.Entry{{Key: e.key, Value: f.Raw}}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	slices.SortFunc(files, func(a, b *model.PropertyFile) int {
		return cmpOr(strings.Compare(a.Service, b.Service), strings.Compare(a.Key, b.Key))
	})
	for _, f := range files {
		snap.Files = append(snap.Files, *f)
	}
	return nil
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// get fetches the newest version of a secret: its value and version ID.
func (s *Source) get(ctx context.Context, name string) (string, string, error) {
	res, err := s.client.GetSecret(ctx, name, "", nil)
	if err != nil {
		return "", "", fmt.Errorf("read %s: %w", name, s.explain(err))
	}
	if res.Value == nil {
		return "", "", fmt.Errorf("read %s: Key Vault returned no value", name)
	}
	version := ""
	if res.ID != nil {
		version = res.ID.Version()
	}
	return *res.Value, version, nil
}

// UnknownEnvError says that the vault holds no secret of an environment.
type UnknownEnvError struct {
	URI, Env string
	Found    []string
}

func (e *UnknownEnvError) Error() string {
	if len(e.Found) == 0 {
		return fmt.Sprintf("%s holds no secret for secretdeck (tagged %s, %s and %s, or named <env>--<service>--<key>)", e.URI, TagService, TagKey, TagEnv)
	}
	return fmt.Sprintf("environment %q not found in %s (found: %s); pick one with --env", e.Env, e.URI, strings.Join(e.Found, ", "))
}

func pickEnv(snap *model.SourceSnapshot, env string) (string, error) {
	switch {
	case env != "" && slices.Contains(snap.Envs, env):
		return env, nil
	case env == "" && len(snap.Envs) == 1:
		return snap.Envs[0], nil
	case env == "" && len(snap.Envs) > 1:
		return "", fmt.Errorf("%s holds several environments (%s): pick one with --env", snap.URI, strings.Join(snap.Envs, ", "))
	}
	return "", &UnknownEnvError{URI: snap.URI, Env: env, Found: snap.Envs}
}

// printable: a tag's value prints as it is (no control character, no
// bidi override): it becomes a name every face shows.
func printable(s string) bool { return model.Printable(s) == s }
