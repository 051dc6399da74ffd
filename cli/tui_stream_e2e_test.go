package cli

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/secretdeck/secretdeck/internal/leak"
	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// gatedS3 is a proxy in front of the rig's S3 server that answers listings
// at once and holds every object read until the test opens the gate: the
// slowest S3 there is, for as long as the test needs.
type gatedS3 struct {
	endpoint string
	held     atomic.Int64 // object reads waiting at the gate
	open     func()
}

func newGatedS3(t *testing.T, upstream, bucket string) *gatedS3 {
	t.Helper()
	target, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	g := &gatedS3{}
	gate := make(chan struct{})
	var once sync.Once
	g.open = func() { once.Do(func() { close(gate) }) }
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host // the signature was made over the proxy's address
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/"+bucket+"/") && len(r.URL.Path) > len(bucket)+2 {
			g.held.Add(1)
			select {
			case <-gate:
			case <-r.Context().Done():
			}
			g.held.Add(-1)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(g.open) // first: the server waits for the requests it holds
	g.endpoint = srv.URL
	return g
}

// The workbench shows the swarm, usable, while the source has not answered
// one read, with the count of files read; the drift comes once it answers.
func TestTUIShowsTheSwarmWhileTheSourceLoads(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	keyBytes := bytes.Repeat([]byte{3}, model.FingerprintKeySize)
	key, _ := model.NewFingerprintKey(keyBytes)
	const current, old = "st-Current-Value-1123", "st-Old-Value-5813"
	p := sw.prefix
	sw.secret("api_token_v1", old, managedLabels(key, p+"api_token", 1, old))
	sw.service("api", nil, nil, "api_token_v1:token")
	files := map[string]string{model.FingerprintKeyPath: string(keyBytes), p + "api.properties.prod": "token = " + current + "\n"}
	for i := range 3 {
		files[fmt.Sprintf("%sother%d.env.prod", p, i)] = "A=st-Other-Value\n"
	}
	bucket := srv.NewBucket(t, files)
	gate := newGatedS3(t, srv.Endpoint, bucket)

	term, _ := startTUI(t, "st-"+strings.TrimSuffix(p, "_"), 120, 30,
		"--host", testrig.Docker(t), "--source", "s3://"+bucket, "--env", "prod", "--s3-endpoint", gate.endpoint)
	var screens []string
	term.keys("/", p+"api", "Enter")
	s := term.waitFor("› "+p+"api_token_v1", "reading the property source: 0/4 files", "source loading…")
	screens = append(screens, s)
	driftCount := regexp.MustCompile(`Drift \d+`)
	if gate.held.Load() == 0 || driftCount.MatchString(s) {
		t.Fatalf("the swarm must show while the source's reads are held (%d held):\n%s", gate.held.Load(), s)
	}
	term.keys("Escape", "tab", "/", p+"api", "Enter") // the Services pane, meanwhile
	screens = append(screens, term.waitFor("› "+p+"api", "reading the property source: 0/4 files"))

	gate.open()
	s = term.waitFor("Properties 4", "env prod")
	screens = append(screens, s)
	if !driftCount.MatchString(s) || strings.Contains(s, "reading the property source") {
		t.Fatalf("after the source answered:\n%s", s)
	}
	term.keys("Escape", "q")
	for i, s := range screens {
		leak.Check(t, fmt.Sprintf("screen %d", i), s, current, old, "st-Other-Value")
	}
}

// The workbench's refresh reads the source through the source it opened
// first, which keeps what it read: an idle refresh is a listing, no read.
func TestWorkbenchRefreshReadsOnlyWhatChanged(t *testing.T) {
	srv := useRigS3(t)
	p := testrig.UniqueName("wr") + "_"
	files := map[string]string{model.FingerprintKeyPath: string(bytes.Repeat([]byte{4}, model.FingerprintKeySize))}
	for i := range 3 {
		files[fmt.Sprintf("%ssvc%d.env.prod", p, i)] = "A=wr-Value\n"
	}
	bucket := srv.NewBucket(t, files)
	counter := testrig.CountingS3Proxy(t, srv.Endpoint)
	l := &worldLoader{global: &globalOptions{source: "s3://" + bucket, s3Endpoint: counter.Endpoint, env: "prod"}}
	reads := func() (lists, gets int) {
		for k, n := range counter.Hits() {
			switch {
			case k == "GET /"+bucket || k == "GET /"+bucket+"/":
				lists += n
			case strings.HasPrefix(k, "GET /"+bucket+"/"):
				gets += n
			}
		}
		counter.Reset()
		return lists, gets
	}
	var mu sync.Mutex
	var progress []int // done*10+total, called from the reading goroutines
	first, err := l.LoadSource(t.Context(), "prod", func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		progress = append(progress, done*10+total)
	})
	if err != nil {
		t.Fatal(err)
	}
	if lists, gets := reads(); lists != 1 || gets != 4 || len(first.Files) != 3 {
		t.Fatalf("first load: %d listings, %d reads, %d files", lists, gets, len(first.Files))
	}
	if len(progress) == 0 || progress[0] != 3 || !slices.Contains(progress, 33) {
		t.Errorf("progress (done*10+total): %v", progress)
	}
	srv.Put(t, bucket, p+"svc1.env.prod", "A=wr-Value-2\n")
	second, err := l.LoadSource(t.Context(), "prod", nil)
	if err != nil {
		t.Fatal(err)
	}
	if lists, gets := reads(); lists != 1 || gets != 1 || len(second.Files) != 3 {
		t.Errorf("refresh after one change: %d listings, %d reads (want 1 and 1)", lists, gets)
	}
}
