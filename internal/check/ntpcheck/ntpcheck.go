// Package ntpcheck is the prober of kind "ntp": it asks a time server how
// far the local clock is off. A wrong clock breaks TLS certificates, the TI
// login and the timestamps of cash records, so the pharmacy wants to know
// before the clock is far off. The package also holds Server, a small NTP
// server with a settable offset for the demo and tests.
package ntpcheck

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/ntp"

	"github.com/lifeline-project/lifeline/internal/check"
)

// Prober measures the clock offset against one NTP server.
type Prober struct {
	addr    string
	warn    time.Duration
	max     time.Duration
	timeout time.Duration
	log     *slog.Logger
}

var _ check.Prober = (*Prober)(nil)

// New returns a prober for spec.Address (host or host:port, port 123 by
// default) with the limits spec.WarnOffset and spec.MaxOffset.
func New(spec check.Spec, log *slog.Logger) (*Prober, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if strings.TrimSpace(spec.Address) == "" {
		return nil, fmt.Errorf("check %q: address is empty; set it to a time server, for example ptbtime1.ptb.de", spec.ID)
	}
	p := &Prober{
		addr:    spec.Address,
		warn:    spec.WarnOffset.D(),
		max:     spec.MaxOffset.D(),
		timeout: spec.Timeout.D(),
		log:     log.With("check", spec.ID, "kind", check.KindNTP),
	}
	if p.warn <= 0 {
		p.warn = time.Second
	}
	if p.max <= 0 {
		p.max = 60 * time.Second
	}
	if p.max < p.warn {
		return nil, fmt.Errorf("check %q: max_offset %v is below warn_offset %v; make max_offset the larger one", spec.ID, p.max, p.warn)
	}
	if p.timeout <= 0 {
		p.timeout = check.DefaultTimeout
	}
	return p, nil
}

// Probe queries the time server once.
func (p *Prober) Probe(ctx context.Context) (res check.Result) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("ntp probe panicked", "panic", r)
			res = check.Fail(0, "Interner Fehler bei der Uhrzeit-Prüfung", "Internal error while checking the clock")
		}
		res.Latency = time.Since(start)
	}()
	if err := ctx.Err(); err != nil {
		return check.Fail(0, "Prüfung abgebrochen", "Check cancelled")
	}
	timeout := p.timeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
		if timeout <= 0 {
			return check.Fail(0, "Keine Zeit für die Prüfung", "No time left for the check")
		}
	}
	var stop func() bool
	opts := ntp.QueryOptions{
		Timeout: timeout,
		Dialer: func(_, remote string) (net.Conn, error) {
			var d net.Dialer
			conn, err := d.DialContext(ctx, "udp", remote)
			if err != nil {
				return nil, err
			}
			// Cancelling ctx ends a wait for the answer at once.
			stop = context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
			return conn, nil
		},
	}
	resp, err := ntp.QueryWithOptions(p.addr, opts)
	if stop != nil {
		stop()
	}
	if err != nil {
		p.log.Info("NTP query failed", "addr", p.addr, "err", err)
		return check.Fail(0,
			fmt.Sprintf("Zeitserver %s antwortet nicht", p.addr),
			fmt.Sprintf("Time server %s does not answer", p.addr))
	}
	if err := resp.Validate(); err != nil {
		p.log.Info("NTP answer unusable", "addr", p.addr, "err", err)
		return check.Fail(0,
			fmt.Sprintf("Zeitserver %s liefert keine brauchbare Zeit", p.addr),
			fmt.Sprintf("Time server %s gives no usable time", p.addr))
	}
	r := Judge(resp.ClockOffset, p.warn, p.max)
	r.Values["rtt_seconds"] = resp.RTT.Seconds()
	r.Values["stratum"] = float64(resp.Stratum)
	return r
}

// Judge turns a measured clock offset (positive: the local clock is behind
// the server) into a result: ok up to warn, degraded up to max, down above.
func Judge(offset, warn, max time.Duration) check.Result {
	abs := offset
	if abs < 0 {
		abs = -abs
	}
	de, en := Words(abs)
	values := map[string]float64{"offset_seconds": offset.Seconds()}
	dirDE, dirEN := "geht nach", "behind"
	if offset < 0 {
		dirDE, dirEN = "geht vor", "ahead"
	}
	switch {
	case abs > max:
		return check.Result{Status: check.StatusFail, Values: values, Message: check.Msg(
			fmt.Sprintf("Uhr weicht %s ab (%s)! Zertifikate, TI-Anmeldung und Kassenbelege können scheitern: Uhrzeit stellen lassen", de, dirDE),
			fmt.Sprintf("Clock is off by %s (%s)! Certificates, TI login and receipts may fail: have the clock set", en, dirEN))}
	case abs > warn:
		wde, wen := Words(warn)
		return check.Result{Status: check.StatusDegraded, Values: values, Message: check.Msg(
			fmt.Sprintf("Uhr weicht %s ab (%s; erlaubt: %s)", de, dirDE, wde),
			fmt.Sprintf("Clock is off by %s (%s; allowed: %s)", en, dirEN, wen))}
	default:
		return check.Result{Status: check.StatusOK, Values: values, Message: check.Msg(
			fmt.Sprintf("Uhr weicht %s ab", de),
			fmt.Sprintf("Clock is off by %s", en))}
	}
}

// Words writes a non-negative duration in German and English for people:
// "0,2 s" below 10 s, whole seconds below 2 min, then minutes, hours, days.
func Words(d time.Duration) (de, en string) {
	s := d.Seconds()
	switch {
	case s < 10:
		v := strconv.FormatFloat(math.Round(s*10)/10, 'f', 1, 64)
		return strings.Replace(v, ".", ",", 1) + " s", v + " s"
	case s < 120:
		v := fmt.Sprintf("%.0f s", math.Round(s))
		return v, v
	case s < 2*3600:
		v := fmt.Sprintf("%.0f min", math.Round(s/60))
		return v, v
	case s < 48*3600:
		v := fmt.Sprintf("%.0f h", math.Round(s/3600))
		return v, v
	default:
		n := math.Round(s / 86400)
		return fmt.Sprintf("%.0f Tage", n), fmt.Sprintf("%.0f days", n)
	}
}
