package swarm

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dcontext "github.com/docker/cli/cli/context"

	"github.com/secretdeck/secretdeck/internal/testrig"
)

// The rig's engine listens on a unix socket only. tlsFront puts a TLS
// listener that demands a client certificate in front of it, so that a
// context's TLS material and DOCKER_TLS_VERIFY/DOCKER_CERT_PATH are tested
// against the real engine.
type tlsFront struct {
	host       string            // tcp://127.0.0.1:port
	client     *dcontext.TLSData // CA, client cert and key the engine accepts
	strangerCA []byte            // a CA that did not sign the server
}

func newTLSFront(t *testing.T, upstream string) *tlsFront {
	t.Helper()
	caCert, caKey := newCert(t, nil, nil, "rig CA", true)
	serverCert, serverKey := newCert(t, caCert, caKey, "127.0.0.1", false)
	clientCert, clientKey := newCert(t, caCert, caKey, "secretdeck", false)
	stranger, _ := newCert(t, nil, nil, "stranger CA", true)

	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{serverCert.Raw}, PrivateKey: serverKey}},
		ClientAuth:   tls.RequireAndVerifyClientCert, ClientCAs: pool, MinVersion: tls.VersionTLS12,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	sock := strings.TrimPrefix(upstream, "unix://")
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go pipe(conn, sock)
		}
	}()
	return &tlsFront{
		host:       "tcp://" + l.Addr().String(),
		client:     &dcontext.TLSData{CA: pemCert(caCert), Cert: pemCert(clientCert), Key: pemKey(t, clientKey)},
		strangerCA: pemCert(stranger),
	}
}

// pipe relays one TLS connection to the engine's socket, byte for byte.
func pipe(conn net.Conn, sock string) {
	defer conn.Close()
	up, err := net.Dial("unix", sock)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, conn); done <- struct{}{} }()
	go func() { _, _ = io.Copy(conn, up); done <- struct{}{} }()
	<-done
}

func newCert(t *testing.T, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, cn string, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IsCA:        isCA, BasicConstraintsValid: true,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func pemKey(t *testing.T, k *ecdsa.PrivateKey) []byte {
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}

func writeCertDir(t *testing.T, d *dcontext.TLSData) string {
	dir := t.TempDir()
	for name, b := range map[string][]byte{"ca.pem": d.CA, "cert.pem": d.Cert, "key.pem": d.Key} {
		if b != nil {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// TestConnectWithTLS: the TLS material of a context (in the CLI's store) and
// of DOCKER_TLS_VERIFY/DOCKER_CERT_PATH reaches the real engine; wrong or
// missing material fails with a one-line error about TLS.
func TestConnectWithTLS(t *testing.T) {
	front := newTLSFront(t, testrig.Docker(t))
	dir := t.TempDir()
	writeContext(t, dir, "tls", front.host, front.client)
	writeContext(t, dir, "tls-no-cert", front.host, &dcontext.TLSData{CA: front.client.CA})
	writeContext(t, dir, "tls-stranger", front.host, &dcontext.TLSData{CA: front.strangerCA, Cert: front.client.Cert, Key: front.client.Key})
	certs := writeCertDir(t, front.client)

	for _, o := range []ConnectOptions{
		{Context: "tls", ConfigDir: dir},
		{Getenv: env("DOCKER_CONFIG", dir, "DOCKER_HOST", front.host, "DOCKER_TLS_VERIFY", "1", "DOCKER_CERT_PATH", certs)},
		{Host: front.host, Getenv: env("DOCKER_CONFIG", certs, "DOCKER_TLS_VERIFY", "1")}, // cert path defaults to the config dir
	} {
		c, err := Connect(context.Background(), o)
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		snap, err := c.Snapshot(context.Background())
		// The secrets are streamed over TLS too, not read again by moby's
		// client after the streamed read failed.
		_, serr := streamingAPI{Client: c.API(), raw: c.raw}.streamSecrets(context.Background())
		_ = c.Close()
		if err != nil || snap.ClusterID == "" || snap.Endpoint.Host != front.host {
			t.Errorf("snapshot over TLS: %v", err)
		}
		if serr != nil {
			t.Errorf("secrets streamed over TLS: %v", serr)
		}
	}

	for _, c := range []struct {
		name string
		opts ConnectOptions
		want string
	}{
		{"no client certificate", ConnectOptions{Context: "tls-no-cert", ConfigDir: dir}, "check the TLS material"},
		{"unknown server CA", ConnectOptions{Context: "tls-stranger", ConfigDir: dir}, "certificate"},
		{"no TLS at all", ConnectOptions{Host: front.host, Getenv: env()}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := Connect(ctx, c.opts)
			var ce *ConnectError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), front.host) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("got %v", err)
			}
			t.Log(err)
		})
	}
}
