package testrig

import (
	"context"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Counter is a Docker API proxy on a unix socket in front of the rig's
// engine that counts requests by "METHOD /path" (without the /v1.xx prefix):
// tests prove how many calls a command makes, or that it makes no write.
type Counter struct {
	Host string // unix:// address to give secretdeck
	mu   sync.Mutex
	hits map[string]int
}

var apiVersionPrefix = regexp.MustCompile(`^/v[0-9.]+`)

// CountingProxy starts a Counter in front of upstream (unix://…).
func CountingProxy(t testing.TB, upstream string) *Counter {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	c := &Counter{Host: "unix://" + sock, hits: map[string]int{}}
	path := strings.TrimPrefix(upstream, "unix://")
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(&url.URL{Scheme: "http", Host: "docker"})
			c.mu.Lock()
			c.hits[r.In.Method+" "+apiVersionPrefix.ReplaceAllString(r.In.URL.Path, "")]++
			c.mu.Unlock()
		},
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		}},
	}
	srv := &http.Server{Handler: proxy}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return c
}

// Hits returns a copy of the counts.
func (c *Counter) Hits() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.hits)
}

// Reset forgets the counts.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hits = map[string]int{}
}

// Writes returns the requests that were not GET or HEAD.
func (c *Counter) Writes() map[string]int {
	out := map[string]int{}
	for k, v := range c.Hits() {
		if !strings.HasPrefix(k, "GET ") && !strings.HasPrefix(k, "HEAD ") {
			out[k] = v
		}
	}
	return out
}
