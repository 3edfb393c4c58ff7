// Package tlscheck probes a TLS service: it verifies the certificate chain
// and host name and warns before the certificates expire. It also explains
// TLS errors in plain words for other probers (httpcheck).
package tlscheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/check/tcpcheck"
	"github.com/lifeline-project/lifeline/internal/clock"
)

var _ check.Prober = (*Prober)(nil)

// Prober checks the certificate of one TLS service.
type Prober struct {
	id         string
	address    string
	serverName string
	roots      *x509.CertPool
	warnDays   int
	critDays   int
	clock      clock.Clock
	log        *slog.Logger
}

// New returns a prober for spec.Address (host:port; port 443 when left
// out). It fails when the address is unusable or spec.CAFile cannot be read.
func New(spec check.Spec, log *slog.Logger) (*Prober, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	addr, host, err := tcpcheck.HostPort(spec.Address, "443")
	if err != nil {
		return nil, fmt.Errorf("tls check %q: %w", spec.ID, err)
	}
	roots, err := LoadRoots(spec.CAFile)
	if err != nil {
		return nil, fmt.Errorf("tls check %q: %w", spec.ID, err)
	}
	p := &Prober{
		id:         spec.ID,
		address:    addr,
		serverName: spec.ServerName,
		roots:      roots,
		warnDays:   spec.WarnDays,
		critDays:   spec.CritDays,
		clock:      clock.Real{},
		log:        log.With("check", spec.ID),
	}
	if p.serverName == "" {
		p.serverName = host
	}
	if p.warnDays <= 0 {
		p.warnDays = 30
	}
	if p.critDays <= 0 {
		p.critDays = 7
	}
	return p, nil
}

// WithClock makes the prober judge certificate dates against c instead of
// the wall clock, and returns p.
func (p *Prober) WithClock(c clock.Clock) *Prober {
	p.clock = c
	return p
}

// Probe connects, verifies the chain and host name and rates the time left
// until the earliest expiry in the chain: down below crit_days, degraded
// below warn_days. Values: days_left and not_after_unix.
func (p *Prober) Probe(ctx context.Context) (res check.Result) {
	start := time.Now()
	defer tcpcheck.Recover(p.log, start, &res)
	now := p.clock.Now()
	in, err := p.inspect(ctx, now)
	elapsed := time.Since(start)
	if err != nil {
		p.log.Debug("tls probe failed", "address", p.address, "err", err)
		return Failure(ctx, err, elapsed, now)
	}
	if in.verifyErr != nil {
		p.log.Debug("tls certificate not valid", "address", p.address, "server_name", p.serverName, "err", in.verifyErr)
		msg, ok := ExplainVerify(in.verifyErr, in.leaf, now)
		if !ok {
			msg = check.Msg(
				fmt.Sprintf("Zertifikat ungültig (%v)", in.verifyErr),
				fmt.Sprintf("certificate invalid (%v)", in.verifyErr))
		}
		return check.Result{Status: check.StatusFail, Latency: elapsed, Message: msg, Values: expiryValues(in.leaf.NotAfter, now)}
	}
	days := daysLeft(in.notAfter, now)
	res = check.Result{Status: check.StatusOK, Latency: elapsed, Values: expiryValues(in.notAfter, now)}
	who, whoEN := certWho(in.earliest, in.leaf)
	switch {
	case days < p.critDays:
		res.Status = check.StatusFail
	case days < p.warnDays:
		res.Status = check.StatusDegraded
	}
	if res.Status == check.StatusOK {
		res.Message = check.Msg(
			fmt.Sprintf("%s gültig bis %s (%s)", who, dateDE(in.notAfter), daysDE(days)),
			fmt.Sprintf("%s valid until %s (%s)", whoEN, dateEN(in.notAfter), daysEN(days)))
		return res
	}
	res.Message = check.Msg(
		fmt.Sprintf("%s läuft %s ab (%s) – bitte erneuern lassen", who, inDaysDE(days), dateDE(in.notAfter)),
		fmt.Sprintf("%s expires %s (%s) – please have it renewed", whoEN, inDaysEN(days), dateEN(in.notAfter)))
	return res
}

// inspection is what one TLS connection showed.
type inspection struct {
	leaf      *x509.Certificate
	verifyErr error
	// notAfter is the earliest expiry in the verified chain, and earliest
	// the certificate that has it; both only when verifyErr is nil.
	notAfter time.Time
	earliest *x509.Certificate
}

// inspect connects, completes the handshake without letting crypto/tls
// verify, then verifies the chain itself, so that the certificate dates are
// known even when the chain is not valid.
func (p *Prober) inspect(ctx context.Context, now time.Time) (inspection, error) {
	d := tls.Dialer{
		NetDialer: &net.Dialer{},
		Config: &tls.Config{
			ServerName: p.serverName,
			// Verified below with the same roots, host name and key usage as
			// crypto/tls would use, but against p.clock and keeping the
			// certificates of a failed verification.
			InsecureSkipVerify: true,
		},
	}
	conn, err := d.DialContext(ctx, "tcp", p.address)
	if err != nil {
		return inspection{}, err
	}
	state := conn.(*tls.Conn).ConnectionState()
	_ = conn.Close()
	certs := state.PeerCertificates
	if len(certs) == 0 {
		return inspection{}, errors.New("tls: server sent no certificate")
	}
	in := inspection{leaf: certs[0]}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	chains, err := certs[0].Verify(x509.VerifyOptions{
		Roots:         p.roots,
		Intermediates: inter,
		DNSName:       p.serverName,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		in.verifyErr = err
		return in, nil
	}
	in.notAfter, in.earliest = chainExpiry(chains)
	return in, nil
}

// chainExpiry returns the earliest expiry within a chain and its
// certificate. Of several valid chains it takes the one that lasts
// longest, since a client may use any of them.
func chainExpiry(chains [][]*x509.Certificate) (time.Time, *x509.Certificate) {
	var best time.Time
	var bestCert *x509.Certificate
	for _, chain := range chains {
		var min time.Time
		var minCert *x509.Certificate
		for _, c := range chain {
			if minCert == nil || c.NotAfter.Before(min) {
				min, minCert = c.NotAfter, c
			}
		}
		if minCert != nil && (bestCert == nil || min.After(best)) {
			best, bestCert = min, minCert
		}
	}
	return best, bestCert
}

// Expiry connects to spec.Address like a tls check and returns the earliest
// expiry in the verified certificate chain and the subject (common name) of
// the certificate that expires then, for the certificate calendar. When the
// chain does not verify it returns the server certificate's own expiry and
// subject together with the verification error; when no connection is
// possible it returns the zero time and the error.
func Expiry(ctx context.Context, spec check.Spec) (notAfter time.Time, subject string, err error) {
	p, err := New(spec, nil)
	if err != nil {
		return time.Time{}, "", err
	}
	in, err := p.inspect(ctx, p.clock.Now())
	if err != nil {
		return time.Time{}, "", fmt.Errorf("connect to %s: %w", p.address, err)
	}
	if in.verifyErr != nil {
		return in.leaf.NotAfter, subjectName(in.leaf), fmt.Errorf("certificate of %s not valid: %w", p.address, in.verifyErr)
	}
	return in.notAfter, subjectName(in.earliest), nil
}

// daysLeft counts the whole days from now until t; negative once expired.
func daysLeft(t, now time.Time) int {
	return int(math.Floor(t.Sub(now).Hours() / 24))
}

func expiryValues(notAfter, now time.Time) map[string]float64 {
	return map[string]float64{
		"days_left":      float64(daysLeft(notAfter, now)),
		"not_after_unix": float64(notAfter.Unix()),
	}
}

func daysDE(n int) string {
	if n == 1 {
		return "1 Tag"
	}
	return fmt.Sprintf("%d Tage", n)
}

func daysEN(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

func inDaysDE(n int) string {
	switch n {
	case 0:
		return "heute"
	case 1:
		return "morgen"
	}
	return fmt.Sprintf("in %d Tagen", n)
}

func inDaysEN(n int) string {
	switch n {
	case 0:
		return "today"
	case 1:
		return "tomorrow"
	}
	return fmt.Sprintf("in %d days", n)
}
