package s3

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// demoFiles hold every format in both naming layouts, for two environments,
// with one broken file.
var demoFiles = map[string]string{
	"api.json.prod":                 `{"db": {"password": "` + known + `", "user": "api"}}`,
	"proxy.properties.prod":         "stats.password = pw-prod\n",
	"redis.env.prod":                "my_secret_data=\"redis data\"\n",
	"shared.yaml.prod":              "payment_key: pk-prod\n",
	"billing.yaml.prod":             "a: [1\nb: 2\n",
	"dev/api.json":                  `{"db": {"password": "dev-pw"}}`,
	"dev/redis.env":                 "my_secret_data=dev\n",
	"README.md":                     "not a property file",
	".secretdeck/audit/x":           "{}",
	"prod/worker.yml":               "queue:\n  pass: q-prod\n",
	"secretdeck.yaml":               "environments:\n  prod: {protected: true}\n",
	"secrets/prod/api/keystore.p12": binarySecret,
	"secrets/dev/api/keystore.p12":  "dev",
	"secrets/prod/api/.hidden":      "an editor's leftover",
	"secrets/prod/api/deeper/x.pem": "not a file secret: too deep",
	model.FingerprintKeyPath:        strings.Repeat("k", model.FingerprintKeySize),
}

// binarySecret is a file secret's bytes: NUL, invalid UTF-8, no newline.
const binarySecret = "\x00\x01ks\xff\xfe\x00"

func checkDemoSnapshot(t *testing.T, snap *model.SourceSnapshot) {
	t.Helper()
	if strings.Join(snap.Envs, ",") != "dev,prod" || snap.Env != "prod" {
		t.Errorf("envs %v env %q", snap.Envs, snap.Env)
	}
	got := map[string]string{}
	for _, f := range snap.Files {
		var keys []string
		for _, e := range f.Entries {
			keys = append(keys, e.Key)
		}
		got[f.Key] = f.Service + ":" + string(f.Format) + ":" + strings.Join(keys, ",")
		if f.Err != nil {
			got[f.Key] += ":ERR@" + f.Err.Error()
		}
	}
	want := map[string]string{
		"api.json.prod":                 "api:json:db.password,db.user",
		"billing.yaml.prod":             "billing:yaml::ERR@billing.yaml.prod:1: invalid YAML syntax",
		"proxy.properties.prod":         "proxy:properties:stats.password",
		"redis.env.prod":                "redis:env:my_secret_data",
		"shared.yaml.prod":              "shared:yaml:payment_key",
		"prod/worker.yml":               "worker:yaml:queue.pass",
		"secrets/prod/api/keystore.p12": "api:file:",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %q, want %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("files: got %v", got)
	}
	for _, f := range snap.Files {
		if f.IsFileSecret() && f.Raw.Reveal() != binarySecret {
			t.Errorf("%s: the file secret's bytes changed", f.Key)
		}
	}
	if strings.Join(snap.Ignored, ",") != "README.md,secrets/prod/api/.hidden,secrets/prod/api/deeper/x.pem" {
		t.Errorf("ignored: %v", snap.Ignored)
	}
	if snap.Key.IsZero() || snap.Manifest == nil || !snap.Manifest.Protected("prod") {
		t.Errorf("fingerprint key or manifest not read")
	}
	if snap.Files[0].Entries[0].Value.Reveal() != known {
		t.Errorf("value of api db.password not read")
	}
}

func TestFolderSource(t *testing.T) {
	dir := t.TempDir()
	for k, v := range demoFiles {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src, err := Open(context.Background(), Options{URI: dir})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := src.Load(context.Background(), "prod")
	if err != nil {
		t.Fatal(err)
	}
	checkDemoSnapshot(t, snap)
	if snap.Files[0].ETag == "" {
		t.Error("a folder file needs a content version")
	}

	_, err = src.Load(context.Background(), "stage")
	var ue *UnknownEnvError
	if !errors.As(err, &ue) || err.Error() != `environment "stage" not found in `+dir+` (found: dev, prod); pick one with --env` {
		t.Errorf("unknown env: %v", err)
	}
	if _, err := src.Load(context.Background(), ""); err == nil || !strings.Contains(err.Error(), "several environments") {
		t.Errorf("no env with two in the source: %v", err)
	}
}

func TestOpenRefusesBadSources(t *testing.T) {
	for _, uri := range []string{"gs://bucket/x", "s3://", "s3:///prefix", "/no/such/folder"} {
		if _, err := Open(context.Background(), Options{URI: uri}); err == nil || !strings.Contains(err.Error(), uri) {
			t.Errorf("Open(%q): %v", uri, err)
		}
	}
}

// rigOptions points a source at the rig's versitygw with its credentials.
func rigOptions(t *testing.T, uri string) (Options, testrig.S3Server) {
	t.Helper()
	srv := testrig.S3(t)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	return Options{URI: uri, Endpoint: srv.Endpoint, Region: srv.Region, SecretsDir: t.TempDir()}, srv
}

func TestS3SourceAgainstVersitygw(t *testing.T) {
	opts, srv := rigOptions(t, "")
	files := map[string]string{}
	for k, v := range demoFiles {
		files["props/"+k] = v
	}
	files["elsewhere.json.prod"] = `{"x": "outside the prefix"}`
	bucket := srv.NewBucket(t, files)
	opts.URI = "s3://" + bucket + "/props"
	opts.pageSize = 3 // 13 objects: five pages
	src, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := src.Load(context.Background(), "prod")
	if err != nil {
		t.Fatal(err)
	}
	checkDemoSnapshot(t, snap)
	for _, f := range snap.Files {
		if f.VersionID == "" || f.ETag == "" || f.LastModified.IsZero() || f.Size == 0 {
			t.Errorf("%s: version %q etag %q modified %v size %d", f.Key, f.VersionID, f.ETag, f.LastModified, f.Size)
		}
	}
}

func TestS3Errors(t *testing.T) {
	opts, srv := rigOptions(t, "")
	bucket := srv.NewBucket(t, map[string]string{"api.env.prod": "A=1\n"})
	cases := []struct {
		name     string
		uri      string
		setup    func()
		sentinel error
		want     string
	}{
		{"missing bucket", "s3://sdtest-no-such-bucket/p", nil, ErrBucketNotFound,
			`bucket "sdtest-no-such-bucket" does not exist (s3://sdtest-no-such-bucket/p): check --source`},
		{"bad credentials", "s3://" + bucket, func() { t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong") }, ErrAccessDenied,
			"S3 refused the credentials for s3://" + bucket},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.setup != nil {
				c.setup()
			}
			o := opts
			o.URI = c.uri
			src, err := Open(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			_, err = src.Load(context.Background(), "prod")
			if !errors.Is(err, c.sentinel) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("got %v, want %v containing %q on one line", err, c.sentinel, c.want)
			}
		})
	}
	t.Run("unreachable endpoint", func(t *testing.T) {
		o := opts
		o.URI, o.Endpoint = "s3://"+bucket, "http://127.0.0.1:1"
		src, _ := Open(context.Background(), o)
		_, err := src.Load(context.Background(), "prod")
		if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "http://127.0.0.1:1") {
			t.Errorf("got %v", err)
		}
	})
}

// In a swarm service the credentials come from mounted secrets, with the
// trailing newline `docker secret create` files usually have.
func TestS3SecretsDirBootstrap(t *testing.T) {
	opts, srv := rigOptions(t, "")
	bucket := srv.NewBucket(t, map[string]string{"api.env.prod": "A=1\n"})
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	if err := os.WriteFile(filepath.Join(opts.SecretsDir, "aws_access_key_id"), []byte(srv.AccessKey+"\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(opts.SecretsDir, "aws_secret_access_key"), []byte(" "+srv.SecretKey+"\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	opts.URI = "s3://" + bucket
	src, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := src.Load(context.Background(), "")
	if err != nil || len(snap.Files) != 1 || snap.Env != "prod" {
		t.Fatalf("load with mounted credentials: %v %+v", err, snap)
	}
}
