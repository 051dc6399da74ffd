package model

import (
	"bytes"
	"cmp"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// File secrets: any file under secrets/<env>/<service>/ (or
// secrets/<env>/shared/) in the source is one secret, its bytes kept exactly
// — certificates, SSH keys, keystores, binary files. Its logical secret is
// <service>_<file name>, mounted at the file's name, unless secretdeck.yaml
// says otherwise under services.<service>.keys.<file name>.

// FormatFile is the format of a file secret: no syntax, the bytes are the
// value.
const FormatFile Format = "file"

// FileSecretDir is the folder of file secrets at the source root.
const FileSecretDir = "secrets"

// IsFileSecret reports whether f is a file secret, not a property file.
func (f *PropertyFile) IsFileSecret() bool { return f.Format == FormatFile }

// FileName is the name a file secret has in its folder ("" for a property
// file).
func (f *PropertyFile) FileName() string {
	if !f.IsFileSecret() {
		return ""
	}
	return path.Base(f.Key)
}

// certExpiryWarning is how long before a certificate's end it is a finding.
const certExpiryWarning = 30 * 24 * time.Hour

// maxPEMBlocks bounds the blocks read from one file: a certificate chain has
// a handful; whoever writes the file does not get to make us parse more.
const maxPEMBlocks = 64

// FileDescription says what a file secret holds without showing it.
type FileDescription struct {
	Type  string     `json:"type"` // PEM certificate, PEM private key, text, binary…
	Certs []CertInfo `json:"certificates,omitempty"`
}

// CertInfo is a certificate's public facts.
type CertInfo struct {
	Subject  string    `json:"subject"`
	NotAfter time.Time `json:"notAfter"`
}

// DescribeFile says what v holds: the PEM blocks' kinds and the
// certificates' subjects and expiry dates (public facts), never key
// material; else text or binary and its size.
func DescribeFile(v Value) FileDescription {
	data := v.bytes()
	var d FileDescription
	var kinds []string
	rest := data
	for i := 0; i < maxPEMBlocks; i++ {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		case b.Type == "CERTIFICATE":
			kinds = appendOnce(kinds, "certificate")
			if c, err := x509.ParseCertificate(b.Bytes); err == nil {
				d.Certs = append(d.Certs, CertInfo{Subject: Printable(c.Subject.String()), NotAfter: c.NotAfter.UTC()})
			}
		case strings.Contains(b.Type, "PRIVATE KEY"):
			kinds = appendOnce(kinds, "private key")
		default:
			kinds = appendOnce(kinds, strings.ToLower(Printable(b.Type)))
		}
	}
	switch {
	case len(kinds) > 0:
		d.Type = "PEM " + strings.Join(kinds, " + ")
	case utf8.Valid(data) && !bytes.ContainsRune(data, 0):
		d.Type = "text"
	default:
		d.Type = "binary"
	}
	return d
}

// Short is Type in a table cell's width: "PEM cert+key", "binary".
func (d FileDescription) Short() string {
	return strings.NewReplacer("certificate", "cert", "private key", "key", " + ", "+").Replace(d.Type)
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// desireFileSecret makes file secret f one desired secret.
func (d *drifter) desireFileSecret(f *PropertyFile, p ServicePolicy, names logicalNames) {
	kp := p.Keys[f.FileName()]
	ds := DesiredSecret{
		Logical: names.of(f.Key, "", cmp.Or(kp.Secret, LogicalName(f.Service, f.FileName()))),
		File:    f.Key, Value: f.Raw, Target: cmp.Or(kp.Target, f.FileName()), Mount: kp.MountPolicy, file: f,
		Naming: d.in.Manifest.NamingFor(f.Service, f.FileName()),
	}
	if f.Shared() {
		ds.Consumers = kp.Services
	} else {
		ds.Consumers = []string{f.Service}
	}
	d.addDesired(ds)
	d.certificates(f, ds.Logical)
}

// certificates reports a certificate of file f that has expired or expires
// within 30 days: its subject and date, never the key.
func (d *drifter) certificates(f *PropertyFile, logical string) {
	now := d.in.Now
	if now.IsZero() {
		now = time.Now()
	}
	for _, c := range DescribeFile(f.Raw).Certs {
		left := c.NotAfter.Sub(now)
		if left > certExpiryWarning {
			continue
		}
		why := fmt.Sprintf("the certificate %q in %s expired on %s", c.Subject, f.Key, c.NotAfter.Format("2006-01-02"))
		sev := SeverityHigh
		if left > 0 {
			why = fmt.Sprintf("the certificate %q in %s expires on %s, in %d days", c.Subject, f.Key, c.NotAfter.Format("2006-01-02"), int(left.Hours()/24))
			sev = SeverityMedium
		}
		x := newFinding(KindCertExpiry, why+": put a renewed one in the source, then rotate", ActionRotate)
		x.Severity = sev
		x.File, x.Service, x.Logical = f.Key, f.Service, logical
		d.add(x)
	}
}
