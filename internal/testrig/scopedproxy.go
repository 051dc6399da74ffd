package testrig

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Scope is a Docker API proxy on a unix socket in front of the rig's engine
// that shows a command only the secrets whose names start with one test's
// prefix, and refuses to remove any other: a command that acts on the whole
// swarm (prune) can then run against the shared rig without touching another
// test's objects, even if it has a bug.
type Scope struct {
	Host string // unix:// address to give secretdeck

	prefix  string
	mu      sync.Mutex
	visible map[string]bool // IDs of secrets the proxy has shown
	refused []string
}

var (
	secretListPath   = regexp.MustCompile(`^(/v[0-9.]+)?/secrets$`)
	secretRemovePath = regexp.MustCompile(`^(/v[0-9.]+)?/secrets/([^/]+)$`)
)

// ScopedProxy starts a Scope for prefix in front of upstream (unix://…).
func ScopedProxy(t testing.TB, upstream, prefix string) *Scope {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	s := &Scope{Host: "unix://" + sock, prefix: prefix, visible: map[string]bool{}}
	path := strings.TrimPrefix(upstream, "unix://")
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(&url.URL{Scheme: "http", Host: "docker"})
			r.Out.Header.Del("Accept-Encoding") // bodies this proxy rewrites come uncompressed
		},
		ModifyResponse: s.filterSecretList,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		}},
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := secretRemovePath.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodDelete && !s.mayRemove(m[2]) {
			http.Error(w, `{"message":"testrig: secret `+m[2]+` is outside this test's scope"}`, http.StatusForbidden)
			return
		}
		proxy.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// Refused lists the removals the proxy refused (secrets of other tests).
func (s *Scope) Refused() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.refused)
}

func (s *Scope) mayRemove(idOrName string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.visible[idOrName] || strings.HasPrefix(idOrName, s.prefix) {
		return true
	}
	s.refused = append(s.refused, "DELETE /secrets/"+idOrName)
	return false
}

// filterSecretList drops, from a secret list, every secret outside the scope.
func (s *Scope) filterSecretList(res *http.Response) error {
	if res.Request.Method != http.MethodGet || !secretListPath.MatchString(res.Request.URL.Path) || res.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return err
	}
	var all []json.RawMessage
	if err := json.Unmarshal(body, &all); err != nil {
		return fmt.Errorf("testrig: secret list: %w", err)
	}
	kept := []json.RawMessage{}
	s.mu.Lock()
	for _, raw := range all {
		var sec struct {
			ID   string
			Spec struct{ Name string }
		}
		if err := json.Unmarshal(raw, &sec); err != nil {
			s.mu.Unlock()
			return fmt.Errorf("testrig: secret list: %w", err)
		}
		if strings.HasPrefix(sec.Spec.Name, s.prefix) {
			s.visible[sec.ID] = true
			kept = append(kept, raw)
		}
	}
	s.mu.Unlock()
	out, err := json.Marshal(kept)
	if err != nil {
		return err
	}
	res.Body = io.NopCloser(bytes.NewReader(out))
	res.ContentLength = int64(len(out))
	res.Header.Set("Content-Length", strconv.Itoa(len(out)))
	res.Header.Del("Content-Encoding")
	res.TransferEncoding = nil
	return nil
}
