// Package tcpcheck probes whether a TCP port accepts connections, and
// explains network errors in plain words for the other network probers.
package tcpcheck

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

var _ check.Prober = (*Prober)(nil)

// Prober connects to one host:port and closes the connection at once.
type Prober struct {
	address string
	log     *slog.Logger
}

// New returns a prober for spec.Address ("host:port"). It fails when the
// address has no port.
func New(spec check.Spec, log *slog.Logger) (*Prober, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	host, port, err := net.SplitHostPort(spec.Address)
	if err != nil {
		return nil, fmt.Errorf("tcp check %q: address %q is not host:port (for example 192.168.1.10:443): %w", spec.ID, spec.Address, err)
	}
	if host == "" || port == "" {
		return nil, fmt.Errorf("tcp check %q: address %q needs both a host and a port, for example 192.168.1.10:443", spec.ID, spec.Address)
	}
	return &Prober{address: spec.Address, log: log.With("check", spec.ID)}, nil
}

// Probe dials the address once. It is OK when the connection is accepted.
func (p *Prober) Probe(ctx context.Context) (res check.Result) {
	start := time.Now()
	defer Recover(p.log, start, &res)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", p.address)
	elapsed := time.Since(start)
	if err != nil {
		p.log.Debug("tcp probe failed", "address", p.address, "err", err)
		return Failure(ctx, err, elapsed)
	}
	_ = conn.Close()
	return check.OK(elapsed,
		fmt.Sprintf("Verbindung hergestellt in %s", FormatDuration(elapsed, "de")),
		fmt.Sprintf("connected in %s", FormatDuration(elapsed, "en")))
}

// Recover turns a panic inside a probe into a failed result, so that a bug
// in one prober never stops the monitor. Use it as
// `defer tcpcheck.Recover(log, start, &res)` with a named result.
func Recover(log *slog.Logger, start time.Time, res *check.Result) {
	if v := recover(); v != nil {
		log.Error("probe panicked", "panic", v)
		*res = check.Fail(time.Since(start),
			"Interner Fehler der Prüfung (bitte dem Support melden)",
			"internal error in the check (please report to support)")
	}
}
