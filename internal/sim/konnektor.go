package sim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/lifeline-project/lifeline/internal/check/konnektor"
)

// TI names a Konnektor resolves for the pharmacy, and the addresses the
// simulation gives them (addresses from the TI's 100.102.0.0/16 range, as a
// Konnektor answers them).
const (
	ERezeptHost = "erp.zentral.erp.splitdns.ti-dienste.de"
	IDPHost     = "idp.zentral.idp.splitdns.ti-dienste.de"
	ERezeptIP   = "100.102.0.10"
	IDPIP       = "100.102.0.20"
)

// Product data the simulated Konnektor reports in its service directory
// (connector.sds), which konnektor.SDSDocument renders, so that the prober
// and the simulation share one document.
const (
	sdsVendor  = "lifeline"
	sdsProduct = "Simulierter Konnektor"
	sdsFW      = "5.50.2"
)

// tiAddress returns the address the Konnektor's DNS gives a TI name.
func tiAddress(name string) (string, bool) {
	switch strings.TrimSuffix(strings.ToLower(name), ".") {
	case ERezeptHost:
		return ERezeptIP, true
	case IDPHost:
		return IDPIP, true
	}
	return "", false
}

// startKonnektor makes the Konnektor's CA and server certificate, writes
// the CA certificate to the pharmacy's folder and starts the HTTPS server
// (GET /connector.sds) and the DNS server.
func (p *Pharmacy) startKonnektor() error {
	tlsConf, caPEM, err := konnektorCerts(time.Now())
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(p.dir, "konnektor-ca-*.pem")
	if err != nil {
		return fmt.Errorf("write the Konnektor CA: %w", err)
	}
	p.caFile = f.Name()
	_, err = f.Write(caPEM)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write the Konnektor CA to %s: %w", p.caFile, err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /connector.sds", func(w http.ResponseWriter, r *http.Request) {
		if p.Mode(DepKonnektor) == ModeDegraded && !p.pause(r.Context(), slowDelay) {
			return
		}
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		_, _ = w.Write(konnektor.SDSDocument(sdsVendor, sdsProduct, sdsFW, p.KonnektorURL()))
	})
	s, err := startSwitchable(serveHTTP(mux, tlsConf, p.log.With("dep", DepKonnektor)))
	if err != nil {
		return err
	}
	p.konHTTPS = s
	d, err := startDNS(dns.HandlerFunc(p.serveKonnektorDNS))
	if err != nil {
		return err
	}
	p.konDNS = d
	return nil
}

// serveKonnektorDNS answers the TI names as a Konnektor does, and SERVFAIL
// when the Konnektor is down. It knows no other names: the simulation has
// no internet behind it.
func (p *Pharmacy) serveKonnektorDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.RecursionAvailable = true
	switch {
	case p.Mode(DepKonnektor) == ModeDown:
		m.Rcode = dns.RcodeServerFailure
	case len(r.Question) != 1:
		m.Rcode = dns.RcodeFormatError
	default:
		q := r.Question[0]
		ip, ok := tiAddress(q.Name)
		switch {
		case !ok:
			m.Rcode = dns.RcodeNameError
		case q.Qtype == dns.TypeA && q.Qclass == dns.ClassINET:
			m.Answer = append(m.Answer, &dns.A{
				Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
				A:   net.ParseIP(ip).To4(),
			})
		default:
			// The name exists but has no record of this type (NODATA).
		}
	}
	_ = w.WriteMsg(m)
}

// KonnektorURL returns the base URL of the Konnektor, like
// "https://127.0.0.1:41235"; the service directory is at /connector.sds.
func (p *Pharmacy) KonnektorURL() string { return "https://" + p.konHTTPS.addr }

// KonnektorDNSAddr returns the host:port of the Konnektor's DNS server
// (UDP and TCP).
func (p *Pharmacy) KonnektorDNSAddr() string { return p.konDNS.addr }

// CAFile returns the path of the PEM file holding the Konnektor's CA
// certificate.
func (p *Pharmacy) CAFile() string { return p.caFile }

// konnektorCerts makes a CA (ECDSA P-256) and a server certificate for
// 127.0.0.1 and localhost signed by it. It returns the server's TLS
// configuration and the CA certificate as PEM.
func konnektorCerts(now time.Time) (*tls.Config, []byte, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("make the Konnektor CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "Simulierte Konnektor-CA", Organization: []string{"lifeline Simulation"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(5, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("make the Konnektor CA: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, nil, fmt.Errorf("read the Konnektor CA: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("make the Konnektor key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: "konnektor", Organization: []string{"lifeline Simulation"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(2, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost", "konnektor"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("make the Konnektor certificate: %w", err)
	}
	conf := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der, caDER}, PrivateKey: key}},
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return conf, caPEM, nil
}

// randomSerial returns a random positive 128-bit certificate serial.
func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil { // crypto/rand does not fail on supported systems
		return big.NewInt(time.Now().UnixNano())
	}
	return n.Add(n, big.NewInt(1))
}
