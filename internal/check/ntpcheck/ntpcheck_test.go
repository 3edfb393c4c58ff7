package ntpcheck

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

func newProber(t *testing.T, addr string) *Prober {
	t.Helper()
	spec := check.Spec{ID: "uhr", Kind: check.KindNTP, Address: addr}
	spec.ApplyDefaults()
	p, err := New(spec, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

func startServer(t *testing.T) *Server {
	t.Helper()
	s, err := NewServer("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestProbeAgainstLocalServer runs the prober against the NTP Server of
// this package on loopback with several offsets.
func TestProbeAgainstLocalServer(t *testing.T) {
	s := startServer(t)
	p := newProber(t, s.Addr())
	tests := []struct {
		name       string
		offset     time.Duration
		on         bool
		wantStatus check.Status
		wantDE     string
	}{
		{name: "0.2 s ahead is ok", offset: 200 * time.Millisecond, on: true, wantStatus: check.StatusOK, wantDE: "Uhr weicht 0,2 s ab"},
		{name: "5 s is degraded", offset: 5 * time.Second, on: true, wantStatus: check.StatusDegraded, wantDE: "Uhr weicht 5,0 s ab (geht nach; erlaubt: 1,0 s)"},
		{name: "5 s the other way is degraded", offset: -5 * time.Second, on: true, wantStatus: check.StatusDegraded, wantDE: "Uhr weicht 5,0 s ab (geht vor; erlaubt: 1,0 s)"},
		{name: "120 s is down", offset: 120 * time.Second, on: true, wantStatus: check.StatusFail, wantDE: "Uhr weicht 2 min ab (geht nach)!"},
		{name: "no answer fails", on: false, wantStatus: check.StatusFail, wantDE: "Zeitserver " + s.Addr() + " antwortet nicht"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.SetOffset(tt.offset)
			s.SetEnabled(tt.on)
			timeout := 3 * time.Second
			if !tt.on {
				timeout = 500 * time.Millisecond
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			got := p.Probe(ctx)
			if got.Status != tt.wantStatus || !strings.HasPrefix(got.Message.DE, tt.wantDE) {
				t.Errorf("got %v %q; want %v %q...", got.Status, got.Message.DE, tt.wantStatus, tt.wantDE)
			}
			if got.Message.EN == "" {
				t.Errorf("English message empty; want one")
			}
			if got.Latency <= 0 {
				t.Errorf("latency got %v; want > 0", got.Latency)
			}
			if tt.on {
				off := got.Values["offset_seconds"]
				if math.Abs(off-tt.offset.Seconds()) > 0.1 {
					t.Errorf("offset_seconds got %v; want about %v", off, tt.offset.Seconds())
				}
			}
		})
	}
}

func TestProbeNobodyListens(t *testing.T) {
	s := startServer(t)
	addr := s.Addr()
	_ = s.Close()
	p := newProber(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	got := p.Probe(ctx)
	if got.Status != check.StatusFail {
		t.Errorf("status got %v; want fail", got.Status)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Probe took %v; want at most about the 500ms deadline", d)
	}
}

func TestProbeHonoursCancel(t *testing.T) {
	s := startServer(t)
	s.SetEnabled(false)
	p := newProber(t, s.Addr())
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(150 * time.Millisecond); cancel() }()
	start := time.Now()
	got := p.Probe(ctx) // no deadline: the spec timeout (5 s) applies unless cancel stops it
	if got.Status != check.StatusFail {
		t.Errorf("status got %v; want fail", got.Status)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Probe took %v after cancel; want it to stop at once", d)
	}
}

func TestJudge(t *testing.T) {
	tests := []struct {
		name       string
		offset     time.Duration
		wantStatus check.Status
		wantDE     string
		wantEN     string
	}{
		{"exact", 0, check.StatusOK, "Uhr weicht 0,0 s ab", "Clock is off by 0.0 s"},
		{"at the warn limit", time.Second, check.StatusOK, "Uhr weicht 1,0 s ab", "Clock is off by 1.0 s"},
		{"just above warn", 1100 * time.Millisecond, check.StatusDegraded, "Uhr weicht 1,1 s ab (geht nach; erlaubt: 1,0 s)", "Clock is off by 1.1 s (behind; allowed: 1.0 s)"},
		{"at the max", -60 * time.Second, check.StatusDegraded, "Uhr weicht 60 s ab (geht vor; erlaubt: 1,0 s)", "Clock is off by 60 s (ahead; allowed: 1.0 s)"},
		{"an hour", time.Hour, check.StatusFail, "Uhr weicht 60 min ab (geht nach)! Zertifikate, TI-Anmeldung und Kassenbelege können scheitern: Uhrzeit stellen lassen", "Clock is off by 60 min (behind)! Certificates, TI login and receipts may fail: have the clock set"},
		{"three days", -72 * time.Hour, check.StatusFail, "Uhr weicht 3 Tage ab (geht vor)! Zertifikate, TI-Anmeldung und Kassenbelege können scheitern: Uhrzeit stellen lassen", "Clock is off by 3 days (ahead)! Certificates, TI login and receipts may fail: have the clock set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Judge(tt.offset, time.Second, time.Minute)
			if got.Status != tt.wantStatus || got.Message.DE != tt.wantDE || got.Message.EN != tt.wantEN {
				t.Errorf("got %v %q / %q; want %v %q / %q", got.Status, got.Message.DE, got.Message.EN, tt.wantStatus, tt.wantDE, tt.wantEN)
			}
			if got.Values["offset_seconds"] != tt.offset.Seconds() {
				t.Errorf("offset_seconds got %v; want %v", got.Values["offset_seconds"], tt.offset.Seconds())
			}
		})
	}
}

func TestNewRejectsBadSpecs(t *testing.T) {
	tests := []struct {
		name string
		spec check.Spec
	}{
		{"no address", check.Spec{ID: "u", Kind: check.KindNTP}},
		{"max below warn", check.Spec{ID: "u", Kind: check.KindNTP, Address: "127.0.0.1", WarnOffset: check.Duration(time.Minute), MaxOffset: check.Duration(time.Second)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.spec, nil); err == nil {
				t.Errorf("New got nil error; want one")
			}
		})
	}
}

// FuzzReply feeds arbitrary datagrams to the server's packet logic: it must
// never panic and answer only well-formed client requests, with 48 bytes.
func FuzzReply(f *testing.F) {
	req := make([]byte, 48)
	req[0] = 0x23 // version 4, mode 3
	f.Add(req)
	f.Add([]byte{})
	f.Add(make([]byte, 47))
	f.Add(append([]byte{0x24}, make([]byte, 47)...)) // mode 4: not a request
	now := time.Unix(1767225600, 0)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, ok := Reply(b, now, now)
		if !ok {
			return
		}
		if len(r) != 48 || r[0]&0x7 != 4 {
			t.Fatalf("Reply gave %d bytes, mode %d; want 48 bytes, mode 4", len(r), r[0]&0x7)
		}
		if string(r[24:32]) != string(b[40:48]) {
			t.Fatalf("origin time got %x; want the request's transmit time %x", r[24:32], b[40:48])
		}
	})
}
