package cli

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/secretdeck/secretdeck/internal/testrig"
)

func TestStatusErrorsAreOneActionableLine(t *testing.T) {
	srv := useRigS3(t)
	manager := testrig.Docker(t)
	bucket := srv.NewBucket(t, map[string]string{"api.env.prod": "A=1\n", "dev/api.env": "A=2\n"})
	source := "s3://" + bucket + "/"

	cases := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{name: "unreachable engine",
			args: []string{"status", "--host", "unix:///nonexistent/secretdeck.sock"},
			want: []string{"unix:///nonexistent/secretdeck.sock"}},
		{name: "not a manager",
			args: []string{"status", "--host", testrig.WorkerDocker(t)},
			want: []string{"manager"}},
		{name: "no swarm",
			args: []string{"status", "--host", testrig.NoSwarmDocker(t)},
			want: []string{"swarm init"}},
		{name: "missing bucket",
			args: []string{"status", "--host", manager, "--source", "s3://sdtest-no-such-bucket/props", "--env", "prod"},
			want: []string{"sdtest-no-such-bucket", "does not exist"}},
		{name: "bad credentials",
			env:  map[string]string{"AWS_SECRET_ACCESS_KEY": "not-the-secret"},
			args: []string{"status", "--host", manager, "--source", source, "--env", "prod"},
			want: []string{bucket, "credentials"}},
		{name: "unknown env",
			args: []string{"status", "--host", manager, "--source", source, "--env", "stage"},
			want: []string{`"stage"`, "dev, prod"}},
		{name: "bad source",
			args: []string{"status", "--host", manager, "--source", "gs://bucket/x"},
			want: []string{"gs://bucket/x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			assertOneLineError(t, runCLI(t, tc.args...), tc.want...)
		})
	}
}

// requestCounter is a Docker API proxy on a unix socket that counts the
// requests secretdeck makes, by path without the /v1.xx prefix.
type requestCounter struct {
	host string
	mu   sync.Mutex
	hits map[string]int
}

var apiVersionPrefix = regexp.MustCompile(`^/v[0-9.]+`)

func newRequestCounter(t *testing.T, upstream string) *requestCounter {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	upstreamPath := strings.TrimPrefix(upstream, "unix://")
	rc := &requestCounter{host: "unix://" + sock, hits: map[string]int{}}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(&url.URL{Scheme: "http", Host: "docker"})
			rc.mu.Lock()
			rc.hits[apiVersionPrefix.ReplaceAllString(r.In.URL.Path, "")]++
			rc.mu.Unlock()
		},
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", upstreamPath)
		}},
	}
	srv := &http.Server{Handler: proxy}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return rc
}

func (rc *requestCounter) snapshot() map[string]int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make(map[string]int, len(rc.hits))
	for k, v := range rc.hits {
		out[k] = v
	}
	return out
}

func (rc *requestCounter) reset() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.hits = map[string]int{}
}

func decodeStatus(t *testing.T, r result) statusReport {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("status failed (%d): %s", r.code, r.stderr)
	}
	var rep statusReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("status --json is not JSON: %v\n%s", err, r.stdout)
	}
	return rep
}
