package tlscheck

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
)

var loopback = []net.IP{net.IPv4(127, 0, 0, 1)}

func TestProbe(t *testing.T) {
	ca := newCA(t, "Lifeline Test CA")
	caFile := writeCAFile(t, ca.cert)
	now := time.Now()
	day := 24 * time.Hour

	// leafServer issues a leaf for 127.0.0.1 and konnektor.test that
	// expires after `valid` and serves it.
	leafServer := func(t *testing.T, notBefore time.Time, valid time.Duration, names ...string) string {
		if len(names) == 0 {
			names = []string{"konnektor.test"}
		}
		c, k := issue(t, ca, certOpts{cn: names[0], dnsNames: names, ips: loopback, notBefore: notBefore, notAfter: now.Add(valid)})
		return serveTLS(t, k, c)
	}
	// An intermediate that expires in 10 days under which a leaf valid for
	// a year sits: the chain expires with the intermediate.
	interCert, interKey := issue(t, ca, certOpts{cn: "Lifeline Sub CA", notBefore: now.Add(-day), notAfter: now.Add(10 * day), ca: true})
	inter := &authority{cert: interCert, key: interKey}
	chainLeaf, chainKey := issue(t, inter, certOpts{cn: "erp.test", dnsNames: []string{"erp.test"}, ips: loopback, notBefore: now.Add(-day), notAfter: now.Add(365 * day)})
	chainAddr := serveTLS(t, chainKey, chainLeaf, interCert)

	tests := []struct {
		name       string
		addr       string
		serverName string
		caFile     string
		wantStatus check.Status
		wantDays   float64
		wantMsg    []string
	}{
		{"valid 200 days", leafServer(t, now.Add(-day), 200*day), "", caFile, check.StatusOK, 199, []string{"Zertifikat gültig bis " + dateDE(now.Add(200*day)), "(199 Tage)"}},
		{"expires in 20 days", leafServer(t, now.Add(-day), 20*day), "", caFile, check.StatusDegraded, 19, []string{"läuft in 19 Tagen ab", "erneuern"}},
		{"expires in 3 days", leafServer(t, now.Add(-day), 3*day), "", caFile, check.StatusFail, 2, []string{"läuft in 2 Tagen ab"}},
		{"expired", leafServer(t, now.Add(-30*day), -day), "", caFile, check.StatusFail, -2, []string{"abgelaufen am " + dateDE(now.Add(-day))}},
		{"not yet valid", leafServer(t, now.Add(2*day), 30*day), "", caFile, check.StatusFail, 29, []string{"erst gültig ab", "Uhrzeit"}},
		{"server name matches", leafServer(t, now.Add(-day), 200*day), "konnektor.test", caFile, check.StatusOK, 199, []string{"gültig bis"}},
		{"wrong host name", leafServer(t, now.Add(-day), 200*day, "other.example"), "konnektor.test", caFile, check.StatusFail, 199, []string{"gehört nicht zu „konnektor.test“", "other.example", "gültig bis"}},
		{"untrusted", leafServer(t, now.Add(-day), 200*day), "", "", check.StatusFail, 199, []string{"unbekannte Zertifizierungsstelle", "gültig bis " + dateDE(now.Add(200*day))}},
		{"intermediate expires first", chainAddr, "erp.test", caFile, check.StatusDegraded, 9, []string{"„Lifeline Sub CA“", "in 9 Tagen"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := check.Spec{ID: "tls", Kind: check.KindTLS, Address: tt.addr, ServerName: tt.serverName, CAFile: tt.caFile}
			spec.ApplyDefaults()
			p, err := New(spec, nil)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			got := p.Probe(ctx)
			t.Logf("%s | %s", got.Message.DE, got.Message.EN)
			if got.Status != tt.wantStatus {
				t.Errorf("status: got %v (%s); want %v", got.Status, got.Message.DE, tt.wantStatus)
			}
			for _, w := range tt.wantMsg {
				if !strings.Contains(got.Message.DE, w) {
					t.Errorf("message: got %q; want it to contain %q", got.Message.DE, w)
				}
			}
			if got.Message.EN == "" {
				t.Errorf("English message empty")
			}
			if d := got.Values["days_left"]; d != tt.wantDays {
				t.Errorf("days_left: got %v; want %v", d, tt.wantDays)
			}
			if got.Values["not_after_unix"] == 0 {
				t.Errorf("not_after_unix: got 0; want the expiry time")
			}
		})
	}
}

func TestProbeFakeClock(t *testing.T) {
	ca := newCA(t, "Lifeline Test CA")
	now := time.Now()
	c, k := issue(t, ca, certOpts{cn: "konnektor", ips: loopback, notBefore: now.Add(-time.Hour), notAfter: now.AddDate(0, 0, 200)})
	addr := serveTLS(t, k, c)
	spec := check.Spec{ID: "tls", Kind: check.KindTLS, Address: addr, CAFile: writeCAFile(t, ca.cert)}
	spec.ApplyDefaults()
	p, err := New(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.WithClock(clock.NewFake(now.AddDate(0, 0, 195)))
	got := p.Probe(context.Background())
	if got.Status != check.StatusFail {
		t.Errorf("status 5 days before expiry: got %v (%s); want fail", got.Status, got.Message.DE)
	}
	if d := got.Values["days_left"]; d != 4 && d != 5 {
		t.Errorf("days_left: got %v; want 4 or 5", d)
	}
}

func TestProbeConnectionFailures(t *testing.T) {
	// A closed port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	// A server that answers in plain text instead of TLS.
	plain := listen(t, func(c net.Conn) {
		buf := make([]byte, 512)
		_, _ = c.Read(buf)
		_, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
	})
	// A server that accepts but never answers.
	silent := listen(t, func(c net.Conn) { time.Sleep(3 * time.Second) })

	tests := []struct {
		name       string
		addr       string
		timeout    time.Duration
		wantStatus check.Status
		wantMsg    string
	}{
		{"refused", closed, 2 * time.Second, check.StatusFail, "Verbindung abgelehnt"},
		{"not tls", plain, 2 * time.Second, check.StatusFail, "spricht kein TLS"},
		{"no answer", silent, 300 * time.Millisecond, check.StatusFail, "Zeitüberschreitung"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(check.Spec{ID: "tls", Kind: check.KindTLS, Address: tt.addr}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			start := time.Now()
			got := p.Probe(ctx)
			t.Logf("%s | %s", got.Message.DE, got.Message.EN)
			if got.Status != tt.wantStatus {
				t.Errorf("status: got %v (%s); want %v", got.Status, got.Message.DE, tt.wantStatus)
			}
			if !strings.Contains(got.Message.DE, tt.wantMsg) {
				t.Errorf("message: got %q; want it to contain %q", got.Message.DE, tt.wantMsg)
			}
			if el := time.Since(start); el > tt.timeout+time.Second {
				t.Errorf("probe took %v; want it to stop at the %v timeout", el, tt.timeout)
			}
		})
	}
}

// listen starts a TCP server on loopback that hands each connection to h.
func listen(t *testing.T, h func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				h(c)
			}()
		}
	}()
	return ln.Addr().String()
}

func TestExpiry(t *testing.T) {
	ca := newCA(t, "Lifeline Test CA")
	now := time.Now()
	c, k := issue(t, ca, certOpts{cn: "konnektor.test", ips: loopback, notBefore: now.Add(-time.Hour), notAfter: now.AddDate(0, 0, 90)})
	addr := serveTLS(t, k, c)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	t.Run("trusted", func(t *testing.T) {
		na, subject, err := Expiry(ctx, check.Spec{ID: "k", Address: addr, CAFile: writeCAFile(t, ca.cert)})
		if err != nil {
			t.Fatalf("got error %v; want nil", err)
		}
		if !na.Equal(c.NotAfter) {
			t.Errorf("notAfter: got %v; want %v", na, c.NotAfter)
		}
		if subject != "konnektor.test" {
			t.Errorf("subject: got %q; want %q", subject, "konnektor.test")
		}
	})
	t.Run("untrusted still gives the date", func(t *testing.T) {
		na, subject, err := Expiry(ctx, check.Spec{ID: "k", Address: addr})
		if err == nil {
			t.Fatalf("got nil error; want a verification error")
		}
		if !na.Equal(c.NotAfter) || subject != "konnektor.test" {
			t.Errorf("got %v %q; want %v %q", na, subject, c.NotAfter, "konnektor.test")
		}
	})
}

func TestNewErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		spec check.Spec
	}{
		{"missing ca file", check.Spec{Address: "127.0.0.1:443", CAFile: filepath.Join(dir, "nope.pem")}},
		{"ca file without certificate", check.Spec{Address: "127.0.0.1:443", CAFile: junk}},
		{"empty address", check.Spec{Address: ""}},
		{"bad address", check.Spec{Address: "a:b:c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.spec, nil); err == nil {
				t.Errorf("got nil error; want an error")
			}
		})
	}
}

func TestLoadRootsDER(t *testing.T) {
	ca := newCA(t, "DER CA")
	path := filepath.Join(t.TempDir(), "ca.der")
	if err := os.WriteFile(path, ca.cert.Raw, 0o600); err != nil {
		t.Fatal(err)
	}
	pool, err := LoadRoots(path)
	if err != nil {
		t.Fatalf("got %v; want nil", err)
	}
	c, _ := issue(t, ca, certOpts{cn: "x", dnsNames: []string{"x.test"}, notBefore: time.Now().Add(-time.Hour), notAfter: time.Now().Add(time.Hour)})
	if _, err := c.Verify(x509VerifyOpts(pool, "x.test")); err != nil {
		t.Errorf("verify against DER root: got %v; want nil", err)
	}
}

func TestExplainVerifyIgnoresOtherErrors(t *testing.T) {
	if msg, ok := ExplainVerify(errors.New("connection refused"), nil, time.Now()); ok {
		t.Errorf("got %q, true; want false for a non-certificate error", msg.DE)
	}
}
