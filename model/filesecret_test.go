package model

import (
	"strings"
	"testing"
	"time"

	"github.com/secretdeck/secretdeck/internal/testcert"
)

// testCert returns a PEM certificate for cn ending at notAfter, and its
// PEM private key.
func testCert(t testing.TB, cn string, notAfter time.Time) (cert, key []byte) {
	t.Helper()
	return testcert.PEM(t, cn, notAfter)
}

// fileSecret adds secrets/prod/<service>/<name> holding data.
func (w *world) fileSecret(service, name string, data []byte) *world {
	w.source.Files = append(w.source.Files, PropertyFile{Key: "secrets/prod/" + service + "/" + name, Service: service, Format: FormatFile,
		Env: "prod", LastModified: t0, Raw: NewValue(data), Size: int64(len(data))})
	return w
}

// TestFileSecretsAreWholeSecretsKeptExactly: a file under secrets/<env>/
// <service>/ is one secret, its bytes as they are (binary too), at the
// file's name; the manifest's keys.<file> policy applies.
func TestFileSecretsAreWholeSecretsKeptExactly(t *testing.T) {
	bin := []byte{0, 1, 2, 0xff, 0xfe, '\n', 0}
	w := newWorld().service("api").fileSecret("api", "keystore.p12", bin).fileSecret("api", "tls.key", []byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"))
	w.man, _ = ParseManifest(ManifestPath, []byte(`services: {api: {keys: {tls.key: {target: server.key, mode: "0400"}}}}`))
	r := w.drift()
	assertFindings(t, r, "missing api/api_keystore.p12/", "missing api/api_tls.key/")
	for _, ds := range r.Desired {
		switch ds.Logical {
		case "api_keystore.p12":
			if ds.Target != "keystore.p12" || !ds.Value.Equal(NewValue(bin)) || ds.Key != "" {
				t.Errorf("binary file secret %+v", ds)
			}
		case "api_tls.key":
			if ds.Target != "server.key" || ds.Mount.Mode == nil || *ds.Mount.Mode != 0o400 {
				t.Errorf("the manifest's keys.tls.key applies: %+v", ds)
			}
		}
	}
	w.swarm.ClusterID, w.source.URI = "c1", "s3://b/p"
	p := planFor(t, w)
	if len(p.Creates) != 2 || p.Creates[0].File != "secrets/prod/api/keystore.p12" || p.Creates[0].Key != "" {
		t.Fatalf("creates %+v", p.Creates)
	}
	if v, _ := entryValue(findFile(&w.source, p.Creates[0].File), ""); !v.Equal(NewValue(bin)) {
		t.Error("apply reads the file's exact bytes")
	}
	w = newWorld().service("api").fileSecret("api", "empty", nil)
	if r := w.drift(); len(r.Desired) != 0 || !strings.Contains(kinds(r)[0], "unparsable") {
		t.Errorf("an empty file is refused: %q", kinds(r))
	}
}

// TestCertificateExpiry: a certificate that expired is high, one that
// expires within 30 days medium, with subject and date and never the key;
// a later one is no finding.
func TestCertificateExpiry(t *testing.T) {
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	expired, key := testCert(t, "old.example", now.Add(-24*time.Hour))
	soon, _ := testCert(t, "soon.example", now.Add(10*24*time.Hour))
	later, _ := testCert(t, "later.example", now.Add(90*24*time.Hour))
	w := newWorld().service("api").
		fileSecret("api", "old.pem", append(expired, key...)).fileSecret("api", "soon.pem", soon).fileSecret("api", "later.pem", later)
	r := Drift(DriftInput{Swarm: &w.swarm, Source: &w.source, Key: w.key, Now: now})
	var got []string
	for _, f := range r.Findings {
		if f.Kind == KindCertExpiry {
			got = append(got, f.Severity.String()+": "+f.Explanation)
			if strings.Contains(f.Explanation, "PRIVATE") || strings.Contains(f.Explanation, string(key[40:60])) {
				t.Errorf("key material in %q", f.Explanation)
			}
		}
	}
	want := []string{
		`high: the certificate "CN=old.example" in secrets/prod/api/old.pem expired on 2026-11-29: put a renewed one in the source, then rotate`,
		`medium: the certificate "CN=soon.example" in secrets/prod/api/soon.pem expires on 2026-12-10, in 10 days: put a renewed one in the source, then rotate`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("cert findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDescribeFile(t *testing.T) {
	cert, key := testCert(t, "api.example", time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC))
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"certificate", cert, "PEM certificate"},
		{"chain and key", append(append(cert, cert...), key...), "PEM certificate + private key"},
		{"text", []byte("user=admin\n"), "text"},
		{"binary", []byte{0, 0xff, 1}, "binary"},
	} {
		d := DescribeFile(NewValue(c.data))
		if d.Type != c.want {
			t.Errorf("%s: %q, want %q", c.name, d.Type, c.want)
		}
	}
	if d := DescribeFile(NewValue(cert)); len(d.Certs) != 1 || d.Certs[0].Subject != "CN=api.example" || d.Certs[0].NotAfter.Format("2006-01-02") != "2027-01-02" {
		t.Errorf("certs %+v", d.Certs)
	}
}

// FuzzDescribeFile: whoever writes a file secret cannot crash the describer
// or make it read more than maxPEMBlocks blocks.
func FuzzDescribeFile(f *testing.F) {
	cert, key := testCert(f, "fuzz.example", time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC))
	f.Add(cert)
	f.Add(append(cert, key...))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"))
	f.Add([]byte{0, 1, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := DescribeFile(NewValue(data))
		if d.Type == "" || len(d.Certs) > maxPEMBlocks {
			t.Fatalf("%+v", d)
		}
	})
}
