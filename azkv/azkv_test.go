package azkv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets/fake"

	"github.com/secretdeck/secretdeck/model"
)

var errReadOnly = errors.New("read-only")

// version is one version of a secret in the fake vault.
type version struct {
	id, value          string
	created, updated   time.Time
	enabled            bool
	expires, notBefore *time.Time
	tags               map[string]*string
}

// vault is an in-memory Key Vault behind the SDK's own fake server
// (azsecrets/fake): list (paged), get, versions, set.
type vault struct {
	mu       sync.Mutex
	secrets  map[string][]version // oldest first
	pageSize int
	gets     atomic.Int32
	clock    time.Time
}

func newVault() *vault {
	return &vault{secrets: map[string][]version{}, pageSize: 2, clock: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
}

func (v *vault) put(name, value string, tags map[string]string, edit ...func(*version)) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clock = v.clock.Add(time.Minute)
	ver := version{id: fmt.Sprintf("v%03d", len(v.secrets[name])+1) + strings.Repeat("0", 28), value: value, created: v.clock, updated: v.clock, enabled: true, tags: map[string]*string{}}
	for k, t := range tags {
		ver.tags[k] = to.Ptr(t)
	}
	for _, e := range edit {
		e(&ver)
	}
	v.secrets[name] = append(v.secrets[name], ver)
}

func secretID(name, ver string) *azsecrets.ID {
	id := azsecrets.ID("https://myvault.vault.azure.net/secrets/" + name)
	if ver != "" {
		id += azsecrets.ID("/" + ver)
	}
	return &id
}

func props(name string, ver version, withVersion bool) *azsecrets.SecretProperties {
	vid := ""
	if withVersion {
		vid = ver.id
	}
	return &azsecrets.SecretProperties{
		ID: secretID(name, vid), Tags: ver.tags,
		Attributes: &azsecrets.SecretAttributes{Enabled: to.Ptr(ver.enabled), Created: to.Ptr(ver.created), Updated: to.Ptr(ver.updated), Expires: ver.expires, NotBefore: ver.notBefore},
	}
}

func (v *vault) server() *fake.Server {
	return &fake.Server{
		NewListSecretPropertiesPager: func(*azsecrets.ListSecretPropertiesOptions) (resp azfake.PagerResponder[azsecrets.ListSecretPropertiesResponse]) {
			v.mu.Lock()
			defer v.mu.Unlock()
			var all []*azsecrets.SecretProperties
			for _, name := range slices.Sorted(mapsKeys(v.secrets)) {
				vs := v.secrets[name]
				all = append(all, props(name, vs[len(vs)-1], false))
			}
			for len(all) > 0 {
				n := min(v.pageSize, len(all))
				resp.AddPage(http.StatusOK, azsecrets.ListSecretPropertiesResponse{SecretPropertiesListResult: azsecrets.SecretPropertiesListResult{Value: all[:n]}}, nil)
				all = all[n:]
			}
			return resp
		},
		NewListSecretPropertiesVersionsPager: func(name string, _ *azsecrets.ListSecretPropertiesVersionsOptions) (resp azfake.PagerResponder[azsecrets.ListSecretPropertiesVersionsResponse]) {
			v.mu.Lock()
			defer v.mu.Unlock()
			vs := v.secrets[name]
			if len(vs) == 0 { // an empty page: the fake's tracker keeps a pager that ended on an error
				resp.AddPage(http.StatusOK, azsecrets.ListSecretPropertiesVersionsResponse{}, nil)
				return resp
			}
			// newest first, one per page: the oldest is on the last page
			for i := len(vs) - 1; i >= 0; i-- {
				resp.AddPage(http.StatusOK, azsecrets.ListSecretPropertiesVersionsResponse{SecretPropertiesListResult: azsecrets.SecretPropertiesListResult{Value: []*azsecrets.SecretProperties{props(name, vs[i], true)}}}, nil)
			}
			return resp
		},
		GetSecret: func(_ context.Context, name, ver string, _ *azsecrets.GetSecretOptions) (resp azfake.Responder[azsecrets.GetSecretResponse], errResp azfake.ErrorResponder) {
			v.mu.Lock()
			defer v.mu.Unlock()
			v.gets.Add(1)
			vs := v.secrets[name]
			i := len(vs) - 1
			if ver != "" {
				i = slices.IndexFunc(vs, func(x version) bool { return x.id == ver })
			}
			if i < 0 {
				errResp.SetResponseError(http.StatusNotFound, "SecretNotFound")
				return
			}
			if !vs[i].enabled {
				errResp.SetResponseError(http.StatusForbidden, "Forbidden")
				return
			}
			p := props(name, vs[i], true)
			resp.SetResponse(http.StatusOK, azsecrets.GetSecretResponse{Secret: azsecrets.Secret{ID: p.ID, Value: to.Ptr(vs[i].value), Attributes: p.Attributes, Tags: p.Tags}}, nil)
			return
		},
		UpdateSecretProperties: func(_ context.Context, name, ver string, params azsecrets.UpdateSecretPropertiesParameters, _ *azsecrets.UpdateSecretPropertiesOptions) (resp azfake.Responder[azsecrets.UpdateSecretPropertiesResponse], errResp azfake.ErrorResponder) {
			v.mu.Lock()
			defer v.mu.Unlock()
			vs := v.secrets[name]
			i := slices.IndexFunc(vs, func(x version) bool { return x.id == ver })
			if i < 0 {
				errResp.SetResponseError(http.StatusNotFound, "SecretNotFound")
				return
			}
			if a := params.SecretAttributes; a != nil && a.Enabled != nil {
				vs[i].enabled = *a.Enabled
			}
			p := props(name, vs[i], true)
			resp.SetResponse(http.StatusOK, azsecrets.UpdateSecretPropertiesResponse{Secret: azsecrets.Secret{ID: p.ID, Attributes: p.Attributes}}, nil)
			return
		},
		SetSecret: func(_ context.Context, name string, params azsecrets.SetSecretParameters, _ *azsecrets.SetSecretOptions) (resp azfake.Responder[azsecrets.SetSecretResponse], errResp azfake.ErrorResponder) {
			tags := map[string]string{}
			for k, t := range params.Tags {
				tags[k] = *t
			}
			v.put(name, *params.Value, tags)
			v.mu.Lock()
			defer v.mu.Unlock()
			vs := v.secrets[name]
			p := props(name, vs[len(vs)-1], true)
			resp.SetResponse(http.StatusOK, azsecrets.SetSecretResponse{Secret: azsecrets.Secret{ID: p.ID, Attributes: p.Attributes}}, nil)
			return
		},
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// transport is the fake server's transport, optionally behind a few
// throttled answers.
type throttled struct {
	next       policy.Transporter
	left       atomic.Int32
	retryAfter string
	requests   atomic.Int32
}

func (t *throttled) Do(req *http.Request) (*http.Response, error) {
	t.requests.Add(1)
	if t.left.Add(-1) >= 0 {
		return &http.Response{StatusCode: http.StatusTooManyRequests, Request: req,
			Header: http.Header{"Retry-After": {t.retryAfter}, "Content-Type": {"application/json"}},
			Body:   io.NopCloser(strings.NewReader(`{"error": {"code": "Throttled", "message": "Too many requests"}}`))}, nil
	}
	return t.next.Do(req)
}

func open(t *testing.T, v *vault, uri string, edit ...func(*Options)) (*Source, *throttled) {
	t.Helper()
	tr := &throttled{next: fake.NewServerTransport(v.server())}
	opts := Options{
		URI: uri, ErrReadOnly: errReadOnly, Credential: &azfake.TokenCredential{},
		Client: &azsecrets.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: tr,
			Retry: policy.RetryOptions{RetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Second}}},
		Now: func() time.Time { return time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC) },
	}
	for _, e := range edit {
		e(&opts)
	}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, tr
}

func describe(snap *model.SourceSnapshot) []string {
	var out []string
	for _, f := range snap.Files {
		line := fmt.Sprintf("%s %s/%s", f.Key, f.Service, f.Format)
		for _, e := range f.Entries {
			line += " " + e.Key + "=" + e.Value.Reveal()
		}
		if f.Err != nil {
			line += " ERR " + f.Err.Msg
		}
		if f.VersionID != "" {
			line += " @" + f.VersionID[:4]
		}
		out = append(out, line)
	}
	return out
}

// TestLoadMapsSecretsToEntries: tags or names make entries, over several
// pages; the version ID and updated time are the source version; disabled
// secrets are skipped and listed, expired ones (and those not valid yet)
// reported without fetching their value; other applications' secrets are
// left alone.
func TestLoadMapsSecretsToEntries(t *testing.T) {
	v := newVault()
	past, future := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	v.put("prod--api--dbpass", "old", nil)
	v.put("prod--api--dbpass", "api-pw", nil)
	v.put("kv-name-free", "pay-pw", map[string]string{TagService: "my_service", TagKey: "db.password", TagEnv: "prod"})
	v.put("dev--api--dbpass", "dev-pw", nil)
	v.put("prod--shared--payment-key", "pk", nil)
	v.put("prod--api--off", "off-pw", nil, func(x *version) { x.enabled = false })
	v.put("prod--api--old", "expired-pw", nil, func(x *version) { x.expires = &past })
	v.put("prod--api--later", "later-pw", nil, func(x *version) { x.notBefore = &future })
	v.put("half-tagged", "h", map[string]string{TagService: "api"})
	v.put("another-apps-secret", "zzz", nil)
	v.put(KeyName, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", nil)

	s, _ := open(t, v, "azkv://myvault")
	snap, err := s.Load(context.Background(), "prod")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"prod--api--dbpass api/azkv dbpass=api-pw @v002",
		"prod--api--later api/azkv ERR not valid before 2027-01-01 00:00Z in Key Vault: not used yet",
		"prod--api--old api/azkv ERR expired on 2026-01-01 00:00Z in Key Vault: not used (set a new value or expiry)",
		"kv-name-free my_service/azkv db.password=pay-pw @v001",
		"prod--shared--payment-key shared/azkv payment-key=pk @v001",
	}
	if got := describe(snap); !slices.Equal(got, want) {
		t.Errorf("files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Equal(snap.Envs, []string{"dev", "prod"}) || snap.Env != "prod" || snap.URI != "azkv://myvault" {
		t.Errorf("envs %v env %q uri %q", snap.Envs, snap.Env, snap.URI)
	}
	if w := []string{"half-tagged (tagged for secretdeck without all of secretdeck-service, secretdeck-key and secretdeck-env)", "prod--api--off (disabled)"}; !slices.Equal(snap.Ignored, w) {
		t.Errorf("ignored %q", snap.Ignored)
	}
	if snap.Key.IsZero() {
		t.Error("the fingerprint key was not read")
	}
	for _, f := range snap.Files {
		if f.Via != Via || (f.Err == nil && f.LastModified.IsZero()) {
			t.Errorf("%s: via %q, updated %v", f.Key, f.Via, f.LastModified)
		}
	}
	// dbpass, kv-name-free, payment-key and the key: nothing disabled,
	// expired or of another environment is fetched.
	if g := v.gets.Load(); g != 4 {
		t.Errorf("%d values fetched, want 4", g)
	}

	if _, err := s.Load(context.Background(), "stage"); err == nil || err.Error() != `environment "stage" not found in azkv://myvault (found: dev, prod); pick one with --env` {
		t.Errorf("unknown env: %v", err)
	}
}

// TestPrefixReadsOnlyItsSecrets: azkv://vault/team-a reads team-a--… only,
// and its own fingerprint key.
func TestPrefixReadsOnlyItsSecrets(t *testing.T) {
	v := newVault()
	v.put("team-a--prod--api--pass", "a", nil)
	v.put("team-b--prod--api--pass", "b", nil)
	v.put("prod--api--pass", "c", nil)
	s, _ := open(t, v, "azkv://myvault/team-a")
	snap, err := s.Load(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := describe(snap); !slices.Equal(got, []string{"team-a--prod--api--pass api/azkv pass=a @v001"}) {
		t.Errorf("files %q", got)
	}
	k, err := s.EnsureKey(context.Background())
	if err != nil || k.IsZero() || len(v.secrets["team-a--"+KeyName]) != 1 {
		t.Errorf("the prefixed key was not made: %v %v", err, slices.Collect(mapsKeys(v.secrets)))
	}
}

// TestEnsureKeyRaceYieldsOneKey: Key Vault has no create-only write, so
// the key is the oldest version: racing operators each add a version and
// all use the first; a later Load reads that one too.
func TestEnsureKeyRaceYieldsOneKey(t *testing.T) {
	v := newVault()
	v.put("prod--api--pass", "a", nil)
	const racers = 6
	ids := make([]string, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, _ := open(t, v, "azkv://myvault")
			k, err := s.EnsureKey(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = k.ID()
		}()
	}
	wg.Wait()
	if len(slices.Compact(slices.Clone(ids))) != 1 {
		t.Errorf("racers got different keys: %v (versions made: %d)", ids, len(v.secrets[KeyName]))
	}
	s, _ := open(t, v, "azkv://myvault")
	snap, err := s.Load(context.Background(), "prod")
	if err != nil || snap.Key.ID() != ids[0] {
		t.Errorf("Load reads another key than the racers use: %v", err)
	}
	again, err := s.EnsureKey(context.Background())
	if err != nil || again.ID() != ids[0] {
		t.Errorf("an existing key is replaced: %v", err)
	}

	// The race's outcome made plain: two versions, the first one wins
	// wherever it is listed (here on the last page), for Load and EnsureKey.
	v = newVault()
	v.put("prod--api--pass", "a", nil)
	first := strings.Repeat("A", 43) + "="
	v.put(KeyName, first, nil)
	v.put(KeyName, strings.Repeat("B", 43)+"=", nil)
	want, _ := decodeKey(first)
	s, _ = open(t, v, "azkv://myvault")
	snap, err = s.Load(context.Background(), "prod")
	if err != nil || snap.Key.ID() != want.ID() {
		t.Errorf("Load: not the oldest version: %v", err)
	}
	if k, err := s.EnsureKey(context.Background()); err != nil || k.ID() != want.ID() || len(v.secrets[KeyName]) != 2 {
		t.Errorf("EnsureKey: not the oldest version, or a version added: %v", err)
	}
}

// TestReadOnlyRefusesWrites: no write reaches the vault in read-only mode.
func TestReadOnlyRefusesWrites(t *testing.T) {
	v := newVault()
	s, _ := open(t, v, "azkv://myvault", func(o *Options) { o.ReadOnly = true })
	if _, err := s.EnsureKey(context.Background()); !errors.Is(err, errReadOnly) {
		t.Errorf("EnsureKey: %v", err)
	}
	if err := s.WriteAudit(context.Background(), "p-20261130-120000-abcd", []byte("{}")); !errors.Is(err, errReadOnly) {
		t.Errorf("WriteAudit: %v", err)
	}
	if len(v.secrets) != 0 {
		t.Errorf("a write reached the vault: %v", slices.Collect(mapsKeys(v.secrets)))
	}
	s, _ = open(t, v, "azkv://myvault")
	if err := s.WriteAudit(context.Background(), "p-20261130-120000-abcd", []byte("{}")); !errors.Is(err, ErrNoAuditCopy) {
		t.Errorf("WriteAudit: %v", err)
	}
}

// TestThrottlingIsRetriedAfterRetryAfter: a 429 with Retry-After is waited
// out and retried; one that asks to wait too long is one clear line.
func TestThrottlingIsRetriedAfterRetryAfter(t *testing.T) {
	v := newVault()
	v.put("prod--api--pass", "a", nil)
	s, tr := open(t, v, "azkv://myvault")
	tr.retryAfter = "1"
	tr.left.Store(2)
	start := time.Now()
	if _, err := s.Load(context.Background(), "prod"); err != nil {
		t.Fatalf("throttled twice, then served: %v", err)
	}
	if took := time.Since(start); took < 2*time.Second {
		t.Errorf("Retry-After: 1 twice, yet loaded in %v", took)
	}

	s, tr = open(t, v, "azkv://myvault")
	tr.retryAfter = "3600"
	tr.left.Store(100)
	_, err := s.Load(context.Background(), "prod")
	if !errors.Is(err, ErrThrottled) || strings.Contains(err.Error(), "\n") {
		t.Errorf("throttled for an hour: %v", err)
	}
}

// failingCredential fails every token request like the default chain does
// when nothing is configured.
type failingCredential struct{ err error }

func (c failingCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{}, c.err
}

// TestAuthFailuresAreOneLine: no credentials, refused credentials and a
// denied identity each give one line that says what to do; nothing is
// sent to the vault without a token.
func TestAuthFailuresAreOneLine(t *testing.T) {
	v := newVault()
	v.put("prod--api--pass", "a", nil)

	s, tr := open(t, v, "azkv://myvault", func(o *Options) {
		o.Credential = failingCredential{errors.New("DefaultAzureCredential: failed to acquire a token.\nAttempted credentials:\n\tEnvironmentCredential: missing environment variable AZURE_TENANT_ID")}
	})
	_, err := s.Load(context.Background(), "prod")
	if !errors.Is(err, ErrNoCredentials) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "az login") {
		t.Errorf("no credentials: %v", err)
	}
	if n := tr.requests.Load(); n != 0 {
		t.Errorf("%d requests went to the vault without credentials", n)
	}

	srv := v.server()
	srv.NewListSecretPropertiesPager = func(*azsecrets.ListSecretPropertiesOptions) (resp azfake.PagerResponder[azsecrets.ListSecretPropertiesResponse]) {
		resp.AddResponseError(http.StatusForbidden, "Forbidden")
		return resp
	}
	s, _ = open(t, v, "azkv://myvault", func(o *Options) {
		o.Client.Transport = fake.NewServerTransport(srv)
	})
	_, err = s.Load(context.Background(), "prod")
	if !errors.Is(err, ErrAccessDenied) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "Key Vault Secrets User") {
		t.Errorf("denied: %v", err)
	}
}

// TestNoCredentialsWithTheDefaultChain: the real default chain, limited to
// the environment credential (no program run, nothing sent anywhere),
// gives one line.
func TestNoCredentialsWithTheDefaultChain(t *testing.T) {
	for _, k := range []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_USERNAME", "AZURE_FEDERATED_TOKEN_FILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("AZURE_TOKEN_CREDENTIALS", "EnvironmentCredential")
	s, err := Open(Options{URI: "azkv://myvault", ErrReadOnly: errReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Load(context.Background(), "prod")
	if w := "no Azure credentials for azkv://myvault: run `az login`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or use a managed identity"; err == nil || err.Error() != w {
		t.Errorf("got %v\nwant %s", err, w)
	}
}

func TestOpenRefusesBadURIs(t *testing.T) {
	for _, uri := range []string{"azkv://", "azkv://a", "azkv://1vault", "azkv://my_vault", "azkv://my--vault", "azkv://myvault/team_a", "azkv://myvault/a--b", "azkv://u@myvault", "azkv://myvault?x=1"} {
		if _, err := Open(Options{URI: uri, Credential: &azfake.TokenCredential{}}); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("Open(%q): %v", uri, err)
		}
	}
	s, err := Open(Options{URI: "azkv://myvault.vault.azure.cn/team", Credential: &azfake.TokenCredential{}})
	if err != nil || s.vault != "myvault.vault.azure.cn" || s.scope() != "https://vault.azure.cn/.default" || s.URI() != "azkv://myvault.vault.azure.cn/team" {
		t.Errorf("sovereign cloud: %v", err)
	}
}
