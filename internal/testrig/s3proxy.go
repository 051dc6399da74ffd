package testrig

import (
	"maps"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// S3Counter is an HTTP proxy in front of the rig's S3 server that forwards
// every request unchanged and counts it by "METHOD /bucket/key": tests prove
// that a command made S3 requests, and that none of them was a write.
type S3Counter struct {
	Endpoint string // http://127.0.0.1:port to give secretdeck (--s3-endpoint)
	mu       sync.Mutex
	hits     map[string]int
}

// CountingS3Proxy starts an S3Counter in front of upstream (http://host:port).
// The Host header is passed through as the client sent it, so the SigV4
// signature, computed over the proxy's address, still verifies upstream.
func CountingS3Proxy(t testing.TB, upstream string) *S3Counter {
	t.Helper()
	target, err := url.Parse(upstream)
	if err != nil {
		t.Fatalf("S3 endpoint %q: %v", upstream, err)
	}
	c := &S3Counter{hits: map[string]int{}}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host
			c.mu.Lock()
			c.hits[r.In.Method+" "+r.In.URL.Path]++
			c.mu.Unlock()
		},
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	c.Endpoint = srv.URL
	return c
}

// Hits returns a copy of the counts.
func (c *S3Counter) Hits() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.hits)
}

// Reset forgets the counts.
func (c *S3Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hits = map[string]int{}
}

// Reads returns the GET and HEAD requests.
func (c *S3Counter) Reads() map[string]int { return c.filter(true) }

// Writes returns every other request (PUT, POST, DELETE…).
func (c *S3Counter) Writes() map[string]int { return c.filter(false) }

func (c *S3Counter) filter(reads bool) map[string]int {
	out := map[string]int{}
	for k, v := range c.Hits() {
		if (strings.HasPrefix(k, "GET ") || strings.HasPrefix(k, "HEAD ")) == reads {
			out[k] = v
		}
	}
	return out
}
