// Package dnscheck probes a DNS server: it asks for one name and judges the
// answer, optionally against expected values.
package dnscheck

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/check/tcpcheck"
)

var _ check.Prober = (*Prober)(nil)

// ednsSize is the UDP answer size announced to the server, the value
// recommended by DNS Flag Day 2020 to avoid fragmentation.
const ednsSize = 1232

// Prober resolves one name through one DNS server.
type Prober struct {
	server   string // host:port
	query    string // fully qualified
	qtype    uint16
	typeName string
	expect   []string
	timeout  time.Duration
	log      *slog.Logger
}

// New returns a prober for spec.Query of type spec.RecordType (A, AAAA,
// CNAME or TXT) through spec.Server (host or host:port, port 53 by
// default). It fails when one of them is missing or unusable.
func New(spec check.Spec, log *slog.Logger) (*Prober, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if spec.Server == "" {
		return nil, fmt.Errorf("dns check %q: server is empty; name the DNS server to ask, for example 192.168.1.1", spec.ID)
	}
	server, _, err := tcpcheck.HostPort(spec.Server, "53")
	if err != nil {
		return nil, fmt.Errorf("dns check %q: server: %w", spec.ID, err)
	}
	q := strings.TrimSpace(spec.Query)
	if _, ok := dns.IsDomainName(q); q == "" || !ok {
		return nil, fmt.Errorf("dns check %q: query %q is not a DNS name; write it like erp.apotheke.local", spec.ID, spec.Query)
	}
	typeName := strings.ToUpper(strings.TrimSpace(spec.RecordType))
	if typeName == "" {
		typeName = "A"
	}
	qtype, ok := map[string]uint16{"A": dns.TypeA, "AAAA": dns.TypeAAAA, "CNAME": dns.TypeCNAME, "TXT": dns.TypeTXT}[typeName]
	if !ok {
		return nil, fmt.Errorf("dns check %q: record_type %q is not supported; use A, AAAA, CNAME or TXT", spec.ID, spec.RecordType)
	}
	timeout := spec.Timeout.D()
	if timeout <= 0 {
		timeout = check.DefaultTimeout
	}
	return &Prober{
		server:   server,
		query:    dns.Fqdn(q),
		qtype:    qtype,
		typeName: typeName,
		expect:   spec.Expect,
		timeout:  timeout,
		log:      log.With("check", spec.ID),
	}, nil
}

// Probe asks the server once over UDP, again over TCP when the answer was
// truncated. Values: answers (the number of records of the asked type).
func (p *Prober) Probe(ctx context.Context) (res check.Result) {
	start := time.Now()
	defer tcpcheck.Recover(p.log, start, &res)
	m := new(dns.Msg)
	m.SetQuestion(p.query, p.qtype)
	m.RecursionDesired = true
	m.SetEdns0(ednsSize, false)

	resp, err := p.exchange(ctx, m, "udp")
	if err == nil && resp.Truncated {
		resp, err = p.exchange(ctx, m, "tcp")
	}
	elapsed := time.Since(start)
	name := strings.TrimSuffix(p.query, ".")
	if err != nil {
		p.log.Debug("dns probe failed", "server", p.server, "query", p.query, "err", err)
		r := tcpcheck.Failure(ctx, err, elapsed)
		r.Message = check.Msg(
			fmt.Sprintf("DNS-Server %s: %s", p.server, r.Message.DE),
			fmt.Sprintf("DNS server %s: %s", p.server, r.Message.EN))
		return r
	}
	switch resp.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		return check.Fail(elapsed,
			fmt.Sprintf("Name „%s“ nicht gefunden (NXDOMAIN)", name),
			fmt.Sprintf("name %q not found (NXDOMAIN)", name))
	case dns.RcodeServerFailure:
		return check.Fail(elapsed,
			fmt.Sprintf("DNS-Server meldet einen Fehler für „%s“ (SERVFAIL)", name),
			fmt.Sprintf("DNS server reports a failure for %q (SERVFAIL)", name))
	case dns.RcodeRefused:
		return check.Fail(elapsed,
			fmt.Sprintf("DNS-Server verweigert die Auskunft für „%s“ (REFUSED)", name),
			fmt.Sprintf("DNS server refuses to answer for %q (REFUSED)", name))
	default:
		code := dns.RcodeToString[resp.Rcode]
		return check.Fail(elapsed,
			fmt.Sprintf("DNS-Server antwortet mit Fehler %s für „%s“", code, name),
			fmt.Sprintf("DNS server answers with error %s for %q", code, name))
	}
	answers := p.answers(resp)
	values := map[string]float64{"answers": float64(len(answers))}
	if len(answers) == 0 {
		return check.Result{Status: check.StatusFail, Latency: elapsed, Values: values, Message: check.Msg(
			fmt.Sprintf("Keine %s-Einträge für „%s“", p.typeName, name),
			fmt.Sprintf("no %s records for %q", p.typeName, name))}
	}
	list := listAnswers(answers)
	if len(p.expect) > 0 && !p.anyExpected(answers) {
		want := listAnswers(p.expect)
		return check.Result{Status: check.StatusFail, Latency: elapsed, Values: values, Message: check.Msg(
			fmt.Sprintf("Antwort %s statt erwartet %s", list, want),
			fmt.Sprintf("got %s, expected %s", list, want))}
	}
	return check.Result{Status: check.StatusOK, Latency: elapsed, Values: values, Message: check.Msg(
		fmt.Sprintf("Antwort: %s (%s)", list, tcpcheck.FormatDuration(elapsed, "de")),
		fmt.Sprintf("answer: %s (%s)", list, tcpcheck.FormatDuration(elapsed, "en")))}
}

// exchange sends m over network ("udp" or "tcp") and waits for the answer
// until the timeout or ctx ends, whichever comes first.
func (p *Prober) exchange(ctx context.Context, m *dns.Msg, network string) (*dns.Msg, error) {
	c := &dns.Client{Net: network, Timeout: p.timeout, UDPSize: ednsSize}
	conn, err := c.DialContext(ctx, p.server)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// miekg/dns honours only the deadline of ctx; close the connection on
	// cancellation too, so that the read returns at once.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	resp, _, err := c.ExchangeWithConnContext(ctx, m, conn)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("dns %s exchange: %w", network, ctx.Err())
		}
		return nil, err
	}
	return resp, nil
}

// answers returns the records of the asked type as text.
func (p *Prober) answers(resp *dns.Msg) []string {
	var out []string
	for _, rr := range resp.Answer {
		switch r := rr.(type) {
		case *dns.A:
			if p.qtype == dns.TypeA {
				out = append(out, r.A.String())
			}
		case *dns.AAAA:
			if p.qtype == dns.TypeAAAA {
				out = append(out, r.AAAA.String())
			}
		case *dns.CNAME:
			if p.qtype == dns.TypeCNAME {
				out = append(out, strings.TrimSuffix(r.Target, "."))
			}
		case *dns.TXT:
			if p.qtype == dns.TypeTXT {
				out = append(out, strings.Join(r.Txt, ""))
			}
		}
	}
	return out
}

// anyExpected reports whether one answer equals one expected value.
func (p *Prober) anyExpected(answers []string) bool {
	for _, a := range answers {
		for _, e := range p.expect {
			if p.equal(a, e) {
				return true
			}
		}
	}
	return false
}

// equal compares an answer with an expected value: IP addresses by value,
// names without case and trailing dot, text without case.
func (p *Prober) equal(answer, expected string) bool {
	expected = strings.TrimSpace(expected)
	switch p.qtype {
	case dns.TypeA, dns.TypeAAAA:
		a, errA := netip.ParseAddr(answer)
		e, errE := netip.ParseAddr(expected)
		if errA == nil && errE == nil {
			return a.Unmap() == e.Unmap()
		}
	case dns.TypeCNAME:
		return strings.EqualFold(strings.TrimSuffix(answer, "."), strings.TrimSuffix(expected, "."))
	}
	return strings.EqualFold(answer, expected)
}

// listAnswers joins answers for a message, shortening long lists and texts.
func listAnswers(answers []string) string {
	const maxItems, maxLen = 5, 80
	var parts []string
	for i, a := range answers {
		if i == maxItems {
			parts = append(parts, fmt.Sprintf("… (+%d)", len(answers)-maxItems))
			break
		}
		if r := []rune(a); len(r) > maxLen {
			a = string(r[:maxLen]) + "…"
		}
		if a == "" {
			a = `""`
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, ", ")
}
