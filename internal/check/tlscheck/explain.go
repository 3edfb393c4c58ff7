package tlscheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/check/tcpcheck"
)

// Failure turns an error from a TLS connection (dial, handshake or
// certificate verification) into a failed Result in plain words. now is
// the time against which certificate dates are described. Errors that are
// not about TLS are explained by tcpcheck.Failure.
func Failure(ctx context.Context, err error, elapsed time.Duration, now time.Time) check.Result {
	if msg, ok := ExplainVerify(err, nil, now); ok {
		return check.Result{Status: check.StatusFail, Latency: elapsed, Message: msg}
	}
	var rhe tls.RecordHeaderError
	switch {
	case errors.As(err, &rhe):
		return check.Fail(elapsed,
			"Die Gegenstelle spricht kein TLS (keine verschlüsselte Verbindung möglich) – falscher Port?",
			"the other side does not speak TLS (no encrypted connection possible) – wrong port?")
	case ctx.Err() == nil && strings.Contains(err.Error(), "remote error: tls:"):
		return check.Fail(elapsed,
			fmt.Sprintf("Die Gegenstelle lehnt die verschlüsselte Verbindung ab (%s)", tlsDetail(err)),
			fmt.Sprintf("the other side rejected the encrypted connection (%s)", tlsDetail(err)))
	case ctx.Err() == nil && strings.Contains(err.Error(), "tls: "):
		return check.Fail(elapsed,
			fmt.Sprintf("Verschlüsselte Verbindung fehlgeschlagen (%s)", tlsDetail(err)),
			fmt.Sprintf("encrypted connection failed (%s)", tlsDetail(err)))
	}
	return tcpcheck.Failure(ctx, err, elapsed)
}

// tlsDetail returns the technical reason without the Go call chain.
func tlsDetail(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, "tls: "); i >= 0 {
		return s[i:]
	}
	return s
}

// ExplainVerify describes a certificate verification error in plain words
// and reports whether err was one. leaf is the server's certificate, used to
// name its expiry date; when nil it is taken from a
// *tls.CertificateVerificationError inside err, where there is one.
func ExplainVerify(err error, leaf *x509.Certificate, now time.Time) (check.Text, bool) {
	var cve *tls.CertificateVerificationError
	if errors.As(err, &cve) && leaf == nil && len(cve.UnverifiedCertificates) > 0 {
		leaf = cve.UnverifiedCertificates[0]
	}
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		noRoots  x509.SystemRootsError
		insecure x509.InsecureAlgorithmError
	)
	switch {
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired && invalid.Cert != nil:
		c := invalid.Cert
		who, whoEN := certWho(c, leaf)
		if now.Before(c.NotBefore) {
			return check.Msg(
				fmt.Sprintf("%s erst gültig ab %s – bitte Datum und Uhrzeit dieses Rechners prüfen", who, dateDE(c.NotBefore)),
				fmt.Sprintf("%s not valid before %s – please check this computer's date and time", whoEN, dateEN(c.NotBefore))), true
		}
		return check.Msg(
			fmt.Sprintf("%s abgelaufen am %s", who, dateDE(c.NotAfter)),
			fmt.Sprintf("%s expired on %s", whoEN, dateEN(c.NotAfter))), true
	case errors.As(err, &unknown):
		return check.Msg(
			"Zertifikat nicht vertrauenswürdig: unbekannte Zertifizierungsstelle"+validUntilDE(leaf, now),
			"certificate not trusted: unknown certificate authority"+validUntilEN(leaf, now)), true
	case errors.As(err, &hostname):
		names := certNames(hostname.Certificate)
		return check.Msg(
			fmt.Sprintf("Zertifikat gehört nicht zu „%s“ (ausgestellt für %s)%s", hostname.Host, names, validUntilDE(leaf, now)),
			fmt.Sprintf("certificate does not belong to %q (issued for %s)%s", hostname.Host, names, validUntilEN(leaf, now))), true
	case errors.As(err, &invalid):
		return check.Msg(
			fmt.Sprintf("Zertifikat ungültig (%s)%s", invalid.Error(), validUntilDE(leaf, now)),
			fmt.Sprintf("certificate invalid (%s)%s", invalid.Error(), validUntilEN(leaf, now))), true
	case errors.As(err, &noRoots):
		return check.Msg(
			"Auf diesem Rechner sind keine vertrauenswürdigen Zertifizierungsstellen eingerichtet",
			"no trusted certificate authorities are set up on this computer"), true
	case errors.As(err, &insecure):
		return check.Msg(
			fmt.Sprintf("Zertifikat nutzt ein unsicheres Verfahren (%s)", insecure.Error()),
			fmt.Sprintf("certificate uses an insecure algorithm (%s)", insecure.Error())), true
	case cve != nil:
		return check.Msg(
			fmt.Sprintf("Zertifikat ungültig (%v)%s", cve.Err, validUntilDE(leaf, now)),
			fmt.Sprintf("certificate invalid (%v)%s", cve.Err, validUntilEN(leaf, now))), true
	}
	return check.Text{}, false
}

// certWho names a certificate in a sentence: "Zertifikat" for the server's
// own, else with its subject, since an expired intermediate looks different
// to the person who must renew it.
func certWho(c, leaf *x509.Certificate) (de, en string) {
	if leaf == nil || c.Equal(leaf) {
		return "Zertifikat", "certificate"
	}
	name := subjectName(c)
	return fmt.Sprintf("Zertifikat der Zertifizierungsstelle „%s“", name), fmt.Sprintf("certificate of the authority %q", name)
}

func validUntilDE(leaf *x509.Certificate, now time.Time) string {
	if leaf == nil {
		return ""
	}
	if now.After(leaf.NotAfter) {
		return fmt.Sprintf("; außerdem abgelaufen am %s", dateDE(leaf.NotAfter))
	}
	return fmt.Sprintf("; Zertifikat gültig bis %s", dateDE(leaf.NotAfter))
}

func validUntilEN(leaf *x509.Certificate, now time.Time) string {
	if leaf == nil {
		return ""
	}
	if now.After(leaf.NotAfter) {
		return fmt.Sprintf("; also expired on %s", dateEN(leaf.NotAfter))
	}
	return fmt.Sprintf("; certificate valid until %s", dateEN(leaf.NotAfter))
}

// certNames lists the names a certificate was issued for.
func certNames(c *x509.Certificate) string {
	if c == nil {
		return "?"
	}
	var names []string
	names = append(names, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = append(names, c.Subject.CommonName)
	}
	if len(names) == 0 {
		return "?"
	}
	if len(names) > 5 {
		names = append(names[:5], "…")
	}
	return strings.Join(names, ", ")
}

// subjectName is the common name of a certificate, or its full subject.
func subjectName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	return c.Subject.String()
}

// dateDE writes a date the German way, in local time: 14.03.2027.
func dateDE(t time.Time) string { return t.Local().Format("02.01.2006") }

// dateEN writes a date in ISO form, in local time: 2027-03-14.
func dateEN(t time.Time) string { return t.Local().Format("2006-01-02") }
