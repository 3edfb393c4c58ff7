package dnscheck

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/lifeline-project/lifeline/internal/check"
)

// zone answers the test names; see the cases in TestProbe.
func zone(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	q := req.Question[0]
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: q.Name, Rrtype: t, Class: dns.ClassINET, Ttl: 60}
	}
	overTCP := w.RemoteAddr().Network() == "tcp"
	switch strings.ToLower(q.Name) {
	case "erp.apotheke.test.":
		if q.Qtype == dns.TypeA {
			m.Answer = append(m.Answer,
				&dns.A{Hdr: hdr(dns.TypeA), A: net.ParseIP("192.0.2.10")},
				&dns.A{Hdr: hdr(dns.TypeA), A: net.ParseIP("192.0.2.11")})
		}
		if q.Qtype == dns.TypeAAAA {
			m.Answer = append(m.Answer, &dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: net.ParseIP("2001:db8::1")})
		}
	case "alias.apotheke.test.":
		m.Answer = append(m.Answer, &dns.CNAME{Hdr: hdr(dns.TypeCNAME), Target: "ERP.Apotheke.test."})
		if q.Qtype == dns.TypeA {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: "ERP.Apotheke.test.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.ParseIP("192.0.2.10")})
		}
	case "txt.apotheke.test.":
		m.Answer = append(m.Answer, &dns.TXT{Hdr: hdr(dns.TypeTXT), Txt: []string{"v=spf1 ", "-all"}})
	case "empty.apotheke.test.":
		// success without records
	case "fail.apotheke.test.":
		m.Rcode = dns.RcodeServerFailure
	case "refused.apotheke.test.":
		m.Rcode = dns.RcodeRefused
	case "big.apotheke.test.":
		if !overTCP {
			m.Truncated = true
			break
		}
		m.Answer = append(m.Answer, &dns.A{Hdr: hdr(dns.TypeA), A: net.ParseIP("192.0.2.99")})
	default:
		m.Rcode = dns.RcodeNameError
	}
	_ = w.WriteMsg(m)
}

// startDNS serves zone on a random loopback port over UDP and TCP and
// returns the address.
func startDNS(t *testing.T) string {
	t.Helper()
	for attempt := 0; ; attempt++ {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err != nil { // the TCP port is taken; try another
			pc.Close()
			if attempt > 10 {
				t.Fatalf("no free UDP+TCP port pair: %v", err)
			}
			continue
		}
		for _, srv := range []*dns.Server{
			{PacketConn: pc, Handler: dns.HandlerFunc(zone)},
			{Listener: ln, Handler: dns.HandlerFunc(zone)},
		} {
			started := make(chan struct{})
			srv.NotifyStartedFunc = func() { close(started) }
			go func() { _ = srv.ActivateAndServe() }()
			<-started
			t.Cleanup(func() { _ = srv.Shutdown() })
		}
		return pc.LocalAddr().String()
	}
}

func TestProbe(t *testing.T) {
	addr := startDNS(t)
	tests := []struct {
		name        string
		query       string
		rtype       string
		expect      []string
		wantStatus  check.Status
		wantMsg     string
		wantAnswers float64
	}{
		{"A records", "erp.apotheke.test", "A", nil, check.StatusOK, "Antwort: 192.0.2.10, 192.0.2.11", 2},
		{"A expected", "erp.apotheke.test", "A", []string{"192.0.2.11"}, check.StatusOK, "192.0.2.11", 2},
		{"A expect mismatch", "erp.apotheke.test", "A", []string{"192.0.2.99", "192.0.2.98"}, check.StatusFail, "Antwort 192.0.2.10, 192.0.2.11 statt erwartet 192.0.2.99, 192.0.2.98", 2},
		{"AAAA expected in other notation", "erp.apotheke.test", "AAAA", []string{"2001:DB8:0::1"}, check.StatusOK, "2001:db8::1", 1},
		{"CNAME expected without dot", "alias.apotheke.test", "CNAME", []string{"erp.apotheke.test"}, check.StatusOK, "ERP.Apotheke.test", 1},
		{"CNAME expected with dot", "alias.apotheke.test", "CNAME", []string{"erp.apotheke.test."}, check.StatusOK, "ERP.Apotheke.test", 1},
		{"A through CNAME", "alias.apotheke.test", "A", []string{"192.0.2.10"}, check.StatusOK, "192.0.2.10", 1},
		{"TXT joined", "txt.apotheke.test", "TXT", []string{"V=SPF1 -ALL"}, check.StatusOK, "v=spf1 -all", 1},
		{"truncated retried over TCP", "big.apotheke.test", "A", nil, check.StatusOK, "192.0.2.99", 1},
		{"NXDOMAIN", "gibtsnicht.apotheke.test", "A", nil, check.StatusFail, "Name „gibtsnicht.apotheke.test“ nicht gefunden", 0},
		{"SERVFAIL", "fail.apotheke.test", "A", nil, check.StatusFail, "SERVFAIL", 0},
		{"REFUSED", "refused.apotheke.test", "A", nil, check.StatusFail, "verweigert", 0},
		{"empty answer", "empty.apotheke.test", "A", nil, check.StatusFail, "Keine A-Einträge für „empty.apotheke.test“", 0},
		{"no AAAA records", "txt.apotheke.test", "AAAA", nil, check.StatusFail, "Keine AAAA-Einträge", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := check.Spec{ID: "dns", Kind: check.KindDNS, Server: addr, Query: tt.query, RecordType: tt.rtype, Expect: tt.expect}
			spec.ApplyDefaults()
			p, err := New(spec, nil)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			got := p.Probe(ctx)
			t.Logf("%v: %s | %s", got.Status, got.Message.DE, got.Message.EN)
			if got.Status != tt.wantStatus {
				t.Errorf("status: got %v (%s); want %v", got.Status, got.Message.DE, tt.wantStatus)
			}
			if !strings.Contains(got.Message.DE, tt.wantMsg) {
				t.Errorf("message: got %q; want it to contain %q", got.Message.DE, tt.wantMsg)
			}
			if got.Message.EN == "" {
				t.Errorf("English message empty")
			}
			if n := got.Values["answers"]; n != tt.wantAnswers {
				t.Errorf("answers: got %v; want %v", n, tt.wantAnswers)
			}
		})
	}
}

func TestProbeUnansweredQuery(t *testing.T) {
	// A UDP socket that receives the query and never answers.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	spec := check.Spec{ID: "dns", Kind: check.KindDNS, Server: pc.LocalAddr().String(), Query: "erp.apotheke.test"}
	spec.ApplyDefaults()
	p, err := New(spec, nil)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("timeout", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		got := p.Probe(ctx)
		if got.Status != check.StatusFail || !strings.Contains(got.Message.DE, "Zeitüberschreitung") {
			t.Errorf("got %v %q; want fail with Zeitüberschreitung", got.Status, got.Message.DE)
		}
		if el := time.Since(start); el > 1300*time.Millisecond {
			t.Errorf("probe took %v; want it to end at the 300ms timeout", el)
		}
	})
	t.Run("nothing listening", func(t *testing.T) {
		closed, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := closed.LocalAddr().String()
		closed.Close()
		q, err := New(check.Spec{ID: "dns", Server: addr, Query: "erp.apotheke.test"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		got := q.Probe(ctx)
		if got.Status != check.StatusFail || !strings.Contains(got.Message.DE, "DNS-Server "+addr+": Verbindung abgelehnt") {
			t.Errorf("got %v %q; want fail with Verbindung abgelehnt", got.Status, got.Message.DE)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		got := p.Probe(ctx)
		if got.Status != check.StatusUnknown {
			t.Errorf("status: got %v (%s); want unknown", got.Status, got.Message.DE)
		}
		if el := time.Since(start); el > time.Second {
			t.Errorf("probe took %v; want it to stop soon after cancel", el)
		}
	})
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		spec check.Spec
	}{
		{"no server", check.Spec{Query: "erp.test"}},
		{"bad server", check.Spec{Server: "a:b:c", Query: "erp.test"}},
		{"no query", check.Spec{Server: "127.0.0.1"}},
		{"bad query", check.Spec{Server: "127.0.0.1", Query: "erp..test"}},
		{"unsupported type", check.Spec{Server: "127.0.0.1", Query: "erp.test", RecordType: "MX"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.spec, nil); err == nil {
				t.Errorf("got nil error; want an error")
			}
		})
	}
}

func TestNewServerAddress(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.168.1.1", "192.168.1.1:53"},
		{"192.168.1.1:5353", "192.168.1.1:5353"},
		{"::1", "[::1]:53"},
		{"dns.apotheke.test", "dns.apotheke.test:53"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := New(check.Spec{Server: tt.in, Query: "erp.test", RecordType: "a"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if p.server != tt.want {
				t.Errorf("got %q; want %q", p.server, tt.want)
			}
		})
	}
}
