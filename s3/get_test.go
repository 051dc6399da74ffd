package s3

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The source's own GET must read what GetObject reads, signed so that a
// real S3 server (versitygw checks SigV4) takes it, for keys that need
// escaping; and it must say the same version and ETag.
func TestOwnGetReadsWhatGetObjectReads(t *testing.T) {
	opts, srv := rigOptions(t, "")
	keys := map[string]string{
		"api.env.prod":                       "A=1\n",
		"dir/sub/db.json.prod":               `{"password": "p"}`,
		"with space+plus=eq&amp.env.prod":    "B=2\n",
		"ünïcödé/clé.properties.prod":        "c = 3\n",
		"percent%41 and ~tilde(1).yaml.prod": "d: 4\n",
		"semi;colon,comma'quote!.env.prod":   "E=5\n",
	}
	bucket := srv.NewBucket(t, keys)
	ctx := context.Background()
	b, err := newBucket(ctx, opts, bucket, "")
	if err != nil {
		t.Fatal(err)
	}
	if b.get == nil {
		t.Fatal("no own GET for a plain SigV4 endpoint: reads would all go through GetObject")
	}
	for key, want := range keys {
		own := object{key: key}
		data, err := b.read(ctx, &own)
		if err != nil {
			t.Errorf("%s: %v", key, err)
			continue
		}
		if string(data) != want {
			t.Errorf("%s: read %q, want %q", key, data, want)
		}
		res, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String(key)})
		if err != nil {
			t.Fatalf("%s: GetObject: %v", key, err)
		}
		res.Body.Close()
		if sdkETag := strings.Trim(aws.ToString(res.ETag), `"`); own.etag != sdkETag || own.versionID != aws.ToString(res.VersionId) || own.versionID == "" {
			t.Errorf("%s: own GET says etag %q version %q; GetObject %q %q", key, own.etag, own.versionID, sdkETag, aws.ToString(res.VersionId))
		}
	}
	// An object stored gzip-encoded (a certificate uploaded with
	// Content-Encoding: gzip) is read as stored.
	gz := string([]byte{0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x4b, 0x04, 0x00, 0x43, 0xbe, 0xb7, 0xe8, 0x01, 0x00, 0x00, 0x00})
	if _, err := srv.Client().PutObject(ctx, &s3.PutObjectInput{
		Bucket: &bucket, Key: aws.String("cert.der.prod"), Body: strings.NewReader(gz), ContentEncoding: aws.String("gzip"),
	}); err != nil {
		t.Fatal(err)
	}
	if data, err := b.read(ctx, &object{key: "cert.der.prod"}); err != nil || string(data) != gz {
		t.Errorf("a gzip-encoded object: read %q, %v; want the %d stored bytes", data, err, len(gz))
	}
	_, err = b.read(ctx, &object{key: "gone.env.prod"})
	if err == nil || !strings.Contains(err.Error(), "NoSuchKey") || !strings.Contains(err.Error(), "s3://"+bucket+"/gone.env.prod") {
		t.Errorf("a missing object: %v", err)
	}

	wrong := opts
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
	b, err = newBucket(ctx, wrong, bucket, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.read(ctx, &object{key: "api.env.prod"})
	if !errors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Errorf("a wrong secret key: %v", err)
	}
}

// fakeGetter is a getter in front of an httptest server that answers with
// handler, retrying at once.
func fakeGetter(t *testing.T, handler http.HandlerFunc) *getter {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "the-session-token")
	b, err := newBucket(context.Background(), Options{Endpoint: srv.URL, Region: "eu-west-3", SecretsDir: t.TempDir()}, "props", "")
	if err != nil {
		t.Fatal(err)
	}
	if b.get == nil {
		t.Fatal("no own GET")
	}
	b.get.backoff = func(int) time.Duration { return 0 }
	return b.get
}

func TestOwnGetSignsRetriesAndStopsLikeTheSDK(t *testing.T) {
	var calls atomic.Int32
	g := fakeGetter(t, func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		auth := r.Header.Get("Authorization")
		switch {
		case r.URL.EscapedPath() != "/props/a%20b/c.env.prod":
			http.Error(w, "path "+r.URL.EscapedPath(), http.StatusBadRequest)
		case !strings.Contains(auth, "Credential=AKIDEXAMPLE/") || !strings.Contains(auth, "/eu-west-3/s3/aws4_request"):
			http.Error(w, "authorization "+auth, http.StatusBadRequest)
		case r.Header.Get("X-Amz-Security-Token") != "the-session-token" || r.Header.Get("X-Amz-Content-Sha256") != emptySHA256:
			http.Error(w, "headers", http.StatusBadRequest)
		case n == 1:
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "<Error><Code>SlowDown</Code><Message>slow down</Message></Error>")
		case n == 2:
			w.WriteHeader(http.StatusInternalServerError)
		default:
			w.Header().Set("ETag", `"abc"`)
			w.Header().Set("X-Amz-Version-Id", "v7")
			io.WriteString(w, "A=1\n")
		}
	})
	res, err := g.get(context.Background(), "a b/c.env.prod", MaxFileSize)
	if err != nil || string(res.data) != "A=1\n" || res.etag != "abc" || res.versionID != "v7" {
		t.Fatalf("after a SlowDown and a 500: %q %q %q, %v", res.data, res.etag, res.versionID, err)
	}
	if calls.Load() != 3 {
		t.Errorf("%d requests, want 3 (two retried)", calls.Load())
	}

	for _, tc := range []struct {
		status   int
		body     string
		code     string
		requests int32
	}{
		{http.StatusForbidden, "<Error><Code>AccessDenied</Code><Message>denied</Message></Error>", "AccessDenied", 1},
		{http.StatusNotFound, "<Error><Code>NoSuchKey</Code></Error>", "NoSuchKey", 1},
		{http.StatusNotFound, "", "NotFound", 1},
		{http.StatusMovedPermanently, "<Error><Code>PermanentRedirect</Code></Error>", "PermanentRedirect", 1},
		{http.StatusServiceUnavailable, "", "Service Unavailable", 3}, // given up after the SDK's 3 attempts
	} {
		calls.Store(0)
		g := fakeGetter(t, func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.WriteHeader(tc.status)
			io.WriteString(w, tc.body)
		})
		_, err := g.get(context.Background(), "k", MaxFileSize)
		var api interface{ ErrorCode() string }
		if !errors.As(err, &api) || api.ErrorCode() != tc.code {
			t.Errorf("%d %q: %v, want code %q", tc.status, tc.body, err, tc.code)
		}
		if calls.Load() != tc.requests {
			t.Errorf("%d %q: %d requests, want %d", tc.status, tc.body, calls.Load(), tc.requests)
		}
	}
}

// An object's key is escaped in the URL as S3 signs it.
func TestObjectURLEscapesTheKey(t *testing.T) {
	base, _ := url.Parse("https://props.s3.eu-west-3.amazonaws.com")
	g := &getter{base: *base}
	for in, want := range map[string]string{
		"a/b.env.prod":   "a/b.env.prod",
		"a b+c=d&e":      "a%20b%2Bc%3Dd%26e",
		"é":              "%C3%A9",
		"100%~_-.":       "100%25~_-.",
		"q?x#y":          "q%3Fx%23y",
		"//double//":     "//double//",
		"tab\tnewline\n": "tab%09newline%0A",
	} {
		if got := g.objectURL(in).EscapedPath(); got != "/"+want {
			t.Errorf("the URL of %q has path %q, want %q", in, got, "/"+want)
		}
	}
}

// A clock too far from S3's: the SDK corrects for it, so the read goes
// through GetObject instead of failing.
func TestOwnGetLeavesASkewedClockToTheSDK(t *testing.T) {
	var own, sdk atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Amz-Sdk-Invocation-Id") == "" { // not the SDK's request
			own.Add(1)
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, "<Error><Code>RequestTimeTooSkewed</Code></Error>")
			return
		}
		sdk.Add(1)
		io.WriteString(w, "A=1\n")
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	b, err := newBucket(context.Background(), Options{Endpoint: srv.URL, Region: "us-east-1", SecretsDir: t.TempDir()}, "props", "")
	if err != nil || b.get == nil {
		t.Fatalf("bucket: %v, own GET %v", err, b.get != nil)
	}
	data, err := b.read(context.Background(), &object{key: "a.env.prod"})
	if err != nil || string(data) != "A=1\n" || own.Load() != 1 || sdk.Load() != 1 {
		t.Errorf("read %q, %v; own GETs %d, SDK GETs %d (want 1 and 1)", data, err, own.Load(), sdk.Load())
	}
}

// An object stored gzip-encoded is read as stored, as GetObject reads it:
// its bytes are the value, never undone by the transport.
func TestOwnGetReadsTheStoredBytes(t *testing.T) {
	stored := []byte{0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x4b, 0x04, 0x00, 0x43, 0xbe, 0xb7, 0xe8, 0x01, 0x00, 0x00, 0x00} // gzip of "a"
	g := fakeGetter(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(stored)
	})
	res, err := g.get(context.Background(), "cert.pem.prod", MaxFileSize)
	if err != nil || string(res.data) != string(stored) {
		t.Errorf("read %q, %v; want the %d stored bytes", res.data, err, len(stored))
	}
}
