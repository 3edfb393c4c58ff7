// Package alerttest provides real local receivers for tests and the alert
// benchmark: a self-signed certificate for an SMTP server with STARTTLS,
// and a webhook receiver that verifies the HMAC signature. Everything
// listens on loopback only.
package alerttest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/alert/webhook"
)

// Cert returns a server TLS configuration with a fresh self-signed
// certificate for 127.0.0.1 and localhost, and a pool that trusts it.
func Cert() (*tls.Config, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "lifeline test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}, pool, nil
}

// Webhook is a local webhook receiver that checks every signature.
type Webhook struct {
	// URL is where to post.
	URL    string
	secret string
	srv    *httptest.Server

	mu       sync.Mutex
	payloads []webhook.Payload
	bad      int
	requests int
	// FailFirst answers the first n requests with 503.
	FailFirst int
	// FailAlways answers every request with this status when set.
	FailAlways int
	// OnPayload, when set, is called for every accepted payload before the
	// answer is sent.
	OnPayload func(webhook.Payload, time.Time)
}

// NewWebhook starts a receiver on loopback that verifies with secret.
func NewWebhook(secret string) *Webhook {
	w := &Webhook{secret: secret}
	w.srv = httptest.NewServer(http.HandlerFunc(w.serve))
	w.URL = w.srv.URL + "/hook"
	return w
}

// Close stops the receiver.
func (w *Webhook) Close() { w.srv.Close() }

func (w *Webhook) serve(rw http.ResponseWriter, r *http.Request) {
	at := time.Now()
	body, _ := io.ReadAll(r.Body)
	w.mu.Lock()
	w.requests++
	n := w.requests
	failFirst, failAlways := w.FailFirst, w.FailAlways
	w.mu.Unlock()
	if failAlways != 0 {
		http.Error(rw, "failing on purpose", failAlways)
		return
	}
	if n <= failFirst {
		http.Error(rw, "busy, try later", http.StatusServiceUnavailable)
		return
	}
	if !webhook.Verify(w.secret, body, r.Header.Get(webhook.SignatureHeader)) {
		w.mu.Lock()
		w.bad++
		w.mu.Unlock()
		http.Error(rw, "bad signature", http.StatusUnauthorized)
		return
	}
	var p webhook.Payload
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(rw, "bad json", http.StatusBadRequest)
		return
	}
	if w.OnPayload != nil {
		w.OnPayload(p, at)
	}
	w.mu.Lock()
	w.payloads = append(w.payloads, p)
	w.mu.Unlock()
	rw.WriteHeader(http.StatusNoContent)
}

// Payloads returns the accepted payloads.
func (w *Webhook) Payloads() []webhook.Payload {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]webhook.Payload(nil), w.payloads...)
}

// Requests returns how many requests arrived, and how many had a bad
// signature.
func (w *Webhook) Requests() (all, badSignature int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.requests, w.bad
}

// String describes the receiver.
func (w *Webhook) String() string { return fmt.Sprintf("webhook receiver at %s", w.URL) }
