// Package konnektor is the prober of kind "konnektor": it loads the
// Konnektor's service directory (GET <url>/connector.sds, over TLS with the
// Konnektor's own CA) and reports the product, firmware and the number of
// services it offers. Without the directory, the pharmacy software cannot
// find the Konnektor's services: no E-Rezept, no card reading.
package konnektor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// maxSDSBytes bounds the service directory read; real ones are a few KiB.
const maxSDSBytes = 1 << 20

// Prober checks one Konnektor.
type Prober struct {
	sdsURL string
	client *http.Client
	log    *slog.Logger
}

var _ check.Prober = (*Prober)(nil)

// New returns a prober for the Konnektor base URL spec.URL (for example
// https://konnektor.local), trusting the CA certificates in spec.CAFile
// when given and verifying the host name spec.ServerName when given.
func New(spec check.Spec, log *slog.Logger) (*Prober, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u, err := url.Parse(strings.TrimSpace(spec.URL))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("check %q: url %q is not a Konnektor address; write it like https://konnektor.local", spec.ID, spec.URL)
	}
	if !strings.HasSuffix(u.Path, "/connector.sds") {
		u.Path = strings.TrimRight(u.Path, "/") + "/connector.sds"
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: spec.ServerName}
	if spec.CAFile != "" {
		pem, err := os.ReadFile(spec.CAFile)
		if err != nil {
			return nil, fmt.Errorf("check %q: read ca_file: %w; export the Konnektor's CA certificate as a PEM file and name it here", spec.ID, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("check %q: ca_file %s holds no PEM certificate; export the Konnektor's CA certificate in PEM format (-----BEGIN CERTIFICATE-----)", spec.ID, spec.CAFile)
		}
		tlsConf.RootCAs = pool
	}
	transport := &http.Transport{
		Proxy:               nil, // the Konnektor is in the pharmacy's own network
		TLSClientConfig:     tlsConf,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConns:        1,
		IdleConnTimeout:     30 * time.Second,
	}
	return &Prober{
		sdsURL: u.String(),
		client: &http.Client{Transport: transport},
		log:    log.With("check", spec.ID, "kind", check.KindKonnektor),
	}, nil
}

// Probe loads and checks the service directory once.
func (p *Prober) Probe(ctx context.Context) (res check.Result) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("konnektor probe panicked", "panic", r)
			res = check.Fail(0, "Interner Fehler bei der Konnektor-Prüfung", "Internal error while checking the Konnektor")
		}
		res.Latency = time.Since(start)
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.sdsURL, nil)
	if err != nil {
		return check.Fail(0, "Konnektor-Adresse ungültig", "Konnektor address invalid")
	}
	req.Header.Set("Accept", "application/xml, text/xml")
	resp, err := p.client.Do(req)
	if err != nil {
		p.log.Info("konnektor request failed", "url", p.sdsURL, "err", err)
		return requestError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxSDSBytes))
		return check.Fail(0,
			fmt.Sprintf("Konnektor antwortet mit HTTP-Status %d statt Dienstverzeichnis", resp.StatusCode),
			fmt.Sprintf("Konnektor answers with HTTP status %d instead of its service directory", resp.StatusCode))
	}
	sds, err := ParseSDS(io.LimitReader(resp.Body, maxSDSBytes))
	if err != nil {
		p.log.Info("konnektor sent an unusable connector.sds", "err", err)
		if ctx.Err() != nil {
			return check.Fail(0, "Konnektor antwortet zu langsam", "Konnektor answers too slowly")
		}
		return check.Fail(0, "Konnektor liefert kein gültiges Dienstverzeichnis (connector.sds)",
			"Konnektor sends no valid service directory (connector.sds)")
	}
	return Judge(sds)
}

// Judge turns a parsed service directory into a result: ok when it lists
// an EventService, down otherwise.
func Judge(sds *ServiceDirectory) check.Result {
	n := len(sds.Services)
	values := map[string]float64{"services": float64(n)}
	name := strings.TrimSpace(sds.Product.Vendor() + " " + sds.Product.Label())
	if name == "" {
		name = "(ohne Namen)"
	}
	fw := sds.Product.FWVersion
	if fw == "" {
		fw = "?"
	}
	if _, ok := sds.Service("EventService"); !ok {
		return check.Result{Status: check.StatusFail, Values: values, Message: check.Msg(
			fmt.Sprintf("Konnektor %s FW %s meldet keinen Systeminformationsdienst (EventService)", name, fw),
			fmt.Sprintf("Konnektor %s FW %s lists no system information service (EventService)", name, fw))}
	}
	return check.Result{Status: check.StatusOK, Values: values, Message: check.Msg(
		fmt.Sprintf("Konnektor %s FW %s, %d Dienste", name, fw, n),
		fmt.Sprintf("Konnektor %s FW %s, %d services", name, fw, n))}
}

// requestError explains a failed request in plain words.
func requestError(err error) check.Result {
	var (
		unknownCA *x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		verifyErr *tls.CertificateVerificationError
		recordErr tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &hostErr):
		return check.Fail(0, "Zertifikat des Konnektors passt nicht zu seiner Adresse (server_name prüfen)",
			"Konnektor certificate does not match its address (check server_name)")
	case errors.As(err, &invalid):
		return check.Fail(0, "Zertifikat des Konnektors ist abgelaufen oder ungültig",
			"Konnektor certificate has expired or is invalid")
	case errors.As(err, &unknownCA), errors.As(err, &verifyErr):
		return check.Fail(0, "Zertifikat des Konnektors wird nicht anerkannt (ca_file prüfen)",
			"Konnektor certificate is not trusted (check ca_file)")
	case errors.As(err, &recordErr),
		// net/http replaces the RecordHeaderError by this text.
		strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return check.Fail(0, "Konnektor spricht kein TLS an dieser Adresse (http/https prüfen)",
			"Konnektor does not speak TLS at this address (check http/https)")
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled), isTimeout(err):
		return check.Fail(0, "Konnektor antwortet nicht rechtzeitig", "Konnektor does not answer in time")
	default:
		return check.Fail(0, "Konnektor nicht erreichbar", "Konnektor not reachable")
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
