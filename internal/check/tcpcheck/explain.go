package tcpcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// Failure turns a network error into a failed Result with a message in
// plain words: refused, timeout, name not found, unreachable. elapsed is
// the time the attempt took. A probe cancelled through ctx (not timed out)
// gives StatusUnknown, since the target was never really asked.
func Failure(ctx context.Context, err error, elapsed time.Duration) check.Result {
	res := check.Result{Status: check.StatusFail, Latency: elapsed, Message: Explain(ctx, err, elapsed)}
	if errors.Is(ctx.Err(), context.Canceled) || (ctx.Err() == nil && errors.Is(err, context.Canceled)) {
		res.Status = check.StatusUnknown
	}
	return res
}

// Explain describes a network error in plain German and English.
func Explain(ctx context.Context, err error, elapsed time.Duration) check.Text {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(ctx.Err(), context.Canceled) || (ctx.Err() == nil && errors.Is(err, context.Canceled)):
		return check.Msg("Prüfung abgebrochen", "check cancelled")
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return check.Msg(
			fmt.Sprintf("Name „%s“ nicht gefunden (DNS)", dnsErr.Name),
			fmt.Sprintf("name %q not found (DNS)", dnsErr.Name))
	case errors.As(err, &dnsErr):
		return check.Msg(
			fmt.Sprintf("Name „%s“ konnte nicht aufgelöst werden (DNS-Server antwortet nicht oder meldet einen Fehler)", dnsErr.Name),
			fmt.Sprintf("could not resolve name %q (DNS server not answering or failing)", dnsErr.Name))
	case isTimeout(ctx, err):
		return check.Msg(
			fmt.Sprintf("Zeitüberschreitung: keine Antwort nach %s", FormatDuration(elapsed, "de")),
			fmt.Sprintf("timeout: no answer after %s", FormatDuration(elapsed, "en")))
	case isErrno(err, errRefused()):
		return check.Msg(
			"Verbindung abgelehnt – der Dienst läuft nicht oder ist gesperrt",
			"connection refused – the service is not running or is blocked")
	case isErrno(err, errHostUnreach()):
		return check.Msg("Gerät im Netzwerk nicht erreichbar", "host unreachable on the network")
	case isErrno(err, errNetUnreach()):
		return check.Msg("Netzwerk nicht erreichbar", "network unreachable")
	case isErrno(err, errReset()):
		return check.Msg("Verbindung von der Gegenseite abgebrochen", "connection reset by the other side")
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return check.Msg("Verbindung vorzeitig geschlossen", "connection closed early")
	default:
		return check.Msg(
			fmt.Sprintf("Verbindung fehlgeschlagen: %v", err),
			fmt.Sprintf("connection failed: %v", err))
	}
}

func isTimeout(ctx context.Context, err error) bool {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isErrno(err error, codes []syscall.Errno) bool {
	for _, c := range codes {
		if errors.Is(err, c) {
			return true
		}
	}
	return false
}

// FormatDuration writes a duration for people: "350 ms" below a second,
// else seconds with one decimal, with a decimal comma for lang "de".
func FormatDuration(d time.Duration, lang string) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	s := fmt.Sprintf("%.1f s", d.Seconds())
	if lang == "de" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}
