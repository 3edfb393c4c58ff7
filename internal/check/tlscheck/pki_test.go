package tlscheck

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// authority is a certificate authority made for one test.
type authority struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// certOpts describes a certificate to issue.
type certOpts struct {
	cn        string
	dnsNames  []string
	ips       []net.IP
	notBefore time.Time
	notAfter  time.Time
	ca        bool
}

// newKey makes a P-256 key; ECDSA keeps key generation fast under -race.
func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func issue(t *testing.T, parent *authority, o certOpts) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	key := newKey(t)
	sn, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: o.cn, Organization: []string{"lifeline test"}},
		DNSNames:              o.dnsNames,
		IPAddresses:           o.ips,
		NotBefore:             o.notBefore,
		NotAfter:              o.notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	if o.ca {
		tmpl.IsCA = true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
		tmpl.ExtKeyUsage = nil
	}
	signerCert, signerKey := tmpl, crypto.Signer(key)
	if parent != nil {
		signerCert, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, key.Public(), signerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

// newCA makes a root CA valid for ten years.
func newCA(t *testing.T, cn string) *authority {
	t.Helper()
	now := time.Now()
	c, k := issue(t, nil, certOpts{cn: cn, notBefore: now.Add(-time.Hour), notAfter: now.AddDate(10, 0, 0), ca: true})
	return &authority{cert: c, key: k}
}

// writeCAFile writes the certificates as PEM into a temporary file.
func writeCAFile(t *testing.T, certs ...*x509.Certificate) string {
	t.Helper()
	var data []byte
	for _, c := range certs {
		data = append(data, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// serveTLS starts a TLS server on loopback that completes handshakes with
// the given chain (leaf first) and closes each connection.
func serveTLS(t *testing.T, key crypto.Signer, chain ...*x509.Certificate) string {
	t.Helper()
	tc := tls.Certificate{PrivateKey: key, Leaf: chain[0]}
	for _, c := range chain {
		tc.Certificate = append(tc.Certificate, c.Raw)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{tc}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = c.(*tls.Conn).HandshakeContext(ctx)
			}()
		}
	}()
	return ln.Addr().String()
}

func x509VerifyOpts(roots *x509.CertPool, name string) x509.VerifyOptions {
	return x509.VerifyOptions{Roots: roots, DNSName: name}
}
