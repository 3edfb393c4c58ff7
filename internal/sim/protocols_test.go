package sim

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/beevik/ntp"
	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/check/tilage"
	"github.com/lifeline-project/lifeline/internal/nut"
)

// TestKonnektorDNS resolves the TI names through the Konnektor over UDP and
// TCP in every mode.
func TestKonnektorDNS(t *testing.T) {
	t.Parallel()
	p := startTestPharmacy(t)
	ask := func(network, name string, qtype uint16) (*dns.Msg, error) {
		c := &dns.Client{Net: network, Timeout: time.Second}
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(name), qtype)
		r, _, err := c.Exchange(m, p.KonnektorDNSAddr())
		return r, err
	}
	steps := []struct {
		mode  Mode
		name  string
		qtype uint16
		// wantRcode and wantA are the expected answer.
		wantRcode int
		wantA     string
	}{
		{ModeOK, IDPHost, dns.TypeA, dns.RcodeSuccess, IDPIP},
		{ModeOK, ERezeptHost, dns.TypeA, dns.RcodeSuccess, ERezeptIP},
		{ModeOK, strings.ToUpper(ERezeptHost), dns.TypeA, dns.RcodeSuccess, ERezeptIP},
		{ModeOK, ERezeptHost, dns.TypeAAAA, dns.RcodeSuccess, ""},
		{ModeOK, "example.org", dns.TypeA, dns.RcodeNameError, ""},
		{ModeDegraded, IDPHost, dns.TypeA, dns.RcodeSuccess, IDPIP},
		{ModeDown, IDPHost, dns.TypeA, dns.RcodeServerFailure, ""},
		{ModeDown, ERezeptHost, dns.TypeA, dns.RcodeServerFailure, ""},
		{ModeOK, ERezeptHost, dns.TypeA, dns.RcodeSuccess, ERezeptIP},
	}
	for _, st := range steps {
		mustSet(t, p, DepKonnektor, st.mode)
		for _, network := range []string{"udp", "tcp"} {
			r, err := ask(network, st.name, st.qtype)
			if err != nil {
				t.Fatalf("%s %s %s in mode %s: %v", network, st.name, dns.TypeToString[st.qtype], st.mode, err)
			}
			var gotA string
			for _, rr := range r.Answer {
				if a, ok := rr.(*dns.A); ok {
					gotA = a.A.String()
				}
			}
			if r.Rcode != st.wantRcode || gotA != st.wantA {
				t.Errorf("%s %s %s in mode %s: got %s %q; want %s %q", network, st.name, dns.TypeToString[st.qtype], st.mode,
					dns.RcodeToString[r.Rcode], gotA, dns.RcodeToString[st.wantRcode], st.wantA)
			}
		}
	}
}

// TestTILage reads the E-Rezept status in every mode and counts requests.
func TestTILage(t *testing.T) {
	t.Parallel()
	p := startTestPharmacy(t)
	tests := []struct {
		mode       Mode
		want       tilage.Outage
		wantStatus check.Status
	}{
		{ModeOK, tilage.OutageNone, check.StatusOK},
		{ModeDegraded, tilage.OutagePartial, check.StatusDegraded},
		{ModeDown, tilage.OutageFull, check.StatusFail},
		{ModeOK, tilage.OutageNone, check.StatusOK},
	}
	for i, tt := range tests {
		mustSet(t, p, DepTILage, tt.mode)
		resp, err := http.Get(p.TILageURL())
		if err != nil {
			t.Fatalf("GET %s: %v", p.TILageURL(), err)
		}
		doc, err := tilage.ParseDocument(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("mode %s: %v", tt.mode, err)
		}
		if got := doc.AppStatus[tilage.AppERezept].Outage; got != tt.want {
			t.Errorf("mode %s: outage %q; want %q", tt.mode, got, tt.want)
		}
		if got := tilage.Judge(doc).Status; got != tt.wantStatus {
			t.Errorf("mode %s: the prober judges %q; want %q", tt.mode, got, tt.wantStatus)
		}
		if got, want := p.TILageRequests(), int64(i+1); got != want {
			t.Errorf("TILageRequests after %d requests = %d; want %d", i+1, got, want)
		}
	}
	// Other paths are not counted.
	if resp, err := http.Get(strings.TrimSuffix(p.TILageURL(), tilage.Path) + "/"); err == nil {
		resp.Body.Close()
	}
	if got, want := p.TILageRequests(), int64(len(tests)); got != want {
		t.Errorf("TILageRequests after a request elsewhere = %d; want %d", got, want)
	}
}

// TestNTP queries the time server with a real NTP client in every mode.
func TestNTP(t *testing.T) {
	t.Parallel()
	p := startTestPharmacy(t)
	tests := []struct {
		mode        Mode
		wantOffset  time.Duration
		wantTimeout bool
	}{
		{ModeOK, 0, false},
		{ModeDegraded, 5 * time.Second, false},
		{ModeDown, 0, true},
		{ModeOK, 0, false},
	}
	for _, tt := range tests {
		mustSet(t, p, DepNTP, tt.mode)
		resp, err := ntp.QueryWithOptions(p.ntp.Addr(), ntp.QueryOptions{Timeout: 300 * time.Millisecond})
		if tt.wantTimeout {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Errorf("mode %s: got %v; want a timeout", tt.mode, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("mode %s: query: %v", tt.mode, err)
		}
		if err := resp.Validate(); err != nil {
			t.Errorf("mode %s: response invalid: %v", tt.mode, err)
		}
		if d := resp.ClockOffset - tt.wantOffset; d < -200*time.Millisecond || d > 200*time.Millisecond {
			t.Errorf("mode %s: offset %v; want %v ± 200 ms", tt.mode, resp.ClockOffset, tt.wantOffset)
		}
		if resp.Stratum != 2 {
			t.Errorf("mode %s: stratum %d; want 2", tt.mode, resp.Stratum)
		}
	}
}

// TestUPS talks NUT over TCP to the simulated UPS in every mode, with the
// NUT client the prober uses: one connection kept open across the mode
// changes (the server answers in every mode) and a new one for each mode.
func TestUPS(t *testing.T) {
	t.Parallel()
	p := startTestPharmacy(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kept, err := nut.Dial(ctx, p.ups.Addr())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer kept.Close()
	tests := []struct {
		mode                    Mode
		status, charge, runtime string
	}{
		{ModeOK, "OL", "100", "2400"},
		{ModeDegraded, "OB DISCHRG", "60", "900"},
		{ModeDown, "OB LB", "8", "120"},
		{ModeOK, "OL", "100", "2400"},
	}
	for _, tt := range tests {
		mustSet(t, p, DepUPS, tt.mode)
		want := map[string]string{
			"ups.status":      tt.status,
			"battery.charge":  tt.charge,
			"battery.runtime": tt.runtime,
			"device.model":    "Simulierte USV",
		}
		fresh, err := nut.Dial(ctx, p.ups.Addr())
		if err != nil {
			t.Fatalf("mode %s: dial: %v", tt.mode, err)
		}
		for name, c := range map[string]*nut.Client{"kept connection": kept, "new connection": fresh} {
			got, err := c.ListVars(ctx, "ups")
			if err != nil {
				t.Fatalf("mode %s, %s: LIST VAR ups: %v", tt.mode, name, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("mode %s, %s: LIST VAR ups mismatch (-want +got):\n%s", tt.mode, name, diff)
			}
		}
		if got, err := fresh.GetVar(ctx, "ups", "battery.charge"); err != nil || got != tt.charge {
			t.Errorf("mode %s: GET VAR ups battery.charge = %q, %v; want %q", tt.mode, got, err, tt.charge)
		}
		if _, err := fresh.ListVars(ctx, "other"); !nut.HasCode(err, nut.CodeUnknownUPS) {
			t.Errorf("mode %s: LIST VAR other: got %v; want ERR %s", tt.mode, err, nut.CodeUnknownUPS)
		}
		if err := fresh.Close(); err != nil {
			t.Errorf("mode %s: close: %v", tt.mode, err)
		}
	}
}
