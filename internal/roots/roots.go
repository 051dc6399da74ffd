// Package roots gives a host without a certificate store (the FROM scratch
// image) the root certificates of golang.org/x/crypto/x509roots, when the
// first TLS connection needs them rather than at start-up.
//
// Importing x509roots/fallback would parse its ~150 certificates in an init
// on every start (3-4 ms), `secretdeck version` included, although most
// hosts have a store of their own and most commands speak to a Unix socket.
package roots

import (
	"crypto/x509"
	"sync"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

var once sync.Once

// Ensure makes sure TLS verification has roots: the system's when it has
// any, else the bundled ones. Call it before making a TLS client; it is
// cheap after the first call.
func Ensure() {
	once.Do(func() {
		if sys, err := x509.SystemCertPool(); err == nil && !sys.Equal(x509.NewCertPool()) {
			return
		}
		x509.SetFallbackRoots(bundled())
	})
}

// bundled is x509roots/fallback's pool, built the same way.
func bundled() *x509.CertPool {
	p := x509.NewCertPool()
	for c := range bundle.Roots() {
		cert, err := x509.ParseCertificate(c.Certificate)
		if err != nil {
			panic(err) // the bundle is compiled in: a bad one is a broken build
		}
		if c.Constraint == nil {
			p.AddCert(cert)
		} else {
			p.AddCertWithConstraint(cert, c.Constraint)
		}
	}
	return p
}
