package tlscheck

import (
	"crypto/x509"
	"fmt"
	"os"
)

// LoadRoots returns the system's trusted certificate authorities plus those
// in caFile, when caFile is not empty. caFile may hold PEM certificates
// ("-----BEGIN CERTIFICATE-----") or one or more DER certificates, as
// Konnektor vendors ship their CA in either form.
//
// Without a CA file it returns nil, which crypto/tls and crypto/x509 read as
// "the system's roots": a copy of the system pool costs about 24 kB per
// check, 24 MB for 1,000 checks (docs/benchmarks.md).
func LoadRoots(caFile string) (*x509.CertPool, error) {
	if caFile == "" {
		return nil, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	data, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read ca_file %q: %w; check the path and that lifeline may read the file", caFile, err)
	}
	if pool.AppendCertsFromPEM(data) {
		return pool, nil
	}
	certs, err := x509.ParseCertificates(data)
	if err != nil || len(certs) == 0 {
		return nil, fmt.Errorf("ca_file %q holds no certificate: export the CA certificate as PEM (-----BEGIN CERTIFICATE-----) or DER", caFile)
	}
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}
