package sim

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/beevik/ntp"
	"github.com/miekg/dns"
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
		mode Mode
		want string
	}{
		{ModeOK, "none"},
		{ModeDegraded, "partial"},
		{ModeDown, "full"},
		{ModeOK, "none"},
	}
	for i, tt := range tests {
		mustSet(t, p, DepTILage, tt.mode)
		resp, err := http.Get(p.TILageURL())
		if err != nil {
			t.Fatalf("GET %s: %v", p.TILageURL(), err)
		}
		var body struct {
			AppStatus struct {
				ERezept struct {
					Outage string `json:"outage"`
				} `json:"erezept"`
			} `json:"appStatus"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if got := body.AppStatus.ERezept.Outage; got != tt.want {
			t.Errorf("mode %s: outage %q; want %q", tt.mode, got, tt.want)
		}
		if got, want := p.TILageRequests(), int64(i+1); got != want {
			t.Errorf("TILageRequests after %d requests = %d; want %d", i+1, got, want)
		}
	}
	// Other paths are not counted.
	if resp, err := http.Get(strings.TrimSuffix(p.TILageURL(), TILagePath) + "/"); err == nil {
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
		resp, err := ntp.QueryWithOptions(p.ntp.addr(), ntp.QueryOptions{Timeout: 300 * time.Millisecond})
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

func TestNTPTime(t *testing.T) {
	tests := []struct {
		in   time.Time
		want uint64
	}{
		{time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), 2208988800 << 32},
		{time.Date(1970, 1, 1, 0, 0, 0, 500_000_000, time.UTC), 2208988800<<32 | 1<<31},
		{time.Date(2036, 2, 7, 6, 28, 15, 0, time.UTC), 0xffffffff << 32},
	}
	for _, tt := range tests {
		if got := ntpTime(tt.in); got != tt.want {
			t.Errorf("ntpTime(%v) = %#x; want %#x", tt.in, got, tt.want)
		}
	}
}

// nutExchange sends commands to a NUT server and returns the replies: one
// line each, or the lines of a BEGIN ... END block.
func nutExchange(addr string, cmds ...string) ([][]string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	rd := bufio.NewReader(c)
	var out [][]string
	for _, cmd := range cmds {
		if _, err := fmt.Fprintf(c, "%s\n", cmd); err != nil {
			return nil, err
		}
		var lines []string
		for {
			l, err := rd.ReadString('\n')
			if err != nil {
				return nil, fmt.Errorf("after %q: %w", cmd, err)
			}
			l = strings.TrimSuffix(l, "\n")
			lines = append(lines, l)
			if !strings.HasPrefix(lines[0], "BEGIN ") || strings.HasPrefix(l, "END ") {
				break
			}
		}
		out = append(out, lines)
	}
	return out, nil
}

// TestUPS talks NUT to the simulated UPS in every mode.
func TestUPS(t *testing.T) {
	t.Parallel()
	p := startTestPharmacy(t)
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
		got, err := nutExchange(p.ups.addr, "VER", "LIST VAR ups", "GET VAR ups battery.charge", "LIST VAR other", "LOGOUT")
		if err != nil {
			t.Fatalf("mode %s: %v", tt.mode, err)
		}
		want := [][]string{
			{"Network UPS Tools upsd 2.8.1 - lifeline Simulation"},
			{
				"BEGIN LIST VAR ups",
				`VAR ups ups.status "` + tt.status + `"`,
				`VAR ups battery.charge "` + tt.charge + `"`,
				`VAR ups battery.runtime "` + tt.runtime + `"`,
				`VAR ups device.model "Simulierte USV"`,
				"END LIST VAR ups",
			},
			{`VAR ups battery.charge "` + tt.charge + `"`},
			{"ERR UNKNOWN-UPS"},
			{"OK Goodbye"},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("mode %s:\ngot  %q\nwant %q", tt.mode, got, want)
		}
	}
}

func TestNUTAnswer(t *testing.T) {
	st := upsStateFor(ModeOK)
	tests := []struct {
		line     string
		want     string
		wantQuit bool
	}{
		{"GET VAR ups ups.status", "VAR ups ups.status \"OL\"\n", false},
		{"get var ups battery.runtime", "VAR ups battery.runtime \"2400\"\n", false},
		{"GET VAR ups input.voltage", "ERR VAR-NOT-SUPPORTED\n", false},
		{"GET VAR other ups.status", "ERR UNKNOWN-UPS\n", false},
		{"GET UPSDESC ups", "UPSDESC ups \"Simulierte USV\"\n", false},
		{"LIST UPS", "BEGIN LIST UPS\nUPS ups \"Simulierte USV\"\nEND LIST UPS\n", false},
		{`USERNAME "mon user"`, "OK\n", false},
		{"PASSWORD", "ERR INVALID-ARGUMENT\n", false},
		{"LIST VAR", "ERR INVALID-ARGUMENT\n", false},
		{"STARTTLS", "ERR FEATURE-NOT-CONFIGURED\n", false},
		{"NETVER", "1.3\n", false},
		{"FLY", "ERR UNKNOWN-COMMAND\n", false},
		{"", "ERR UNKNOWN-COMMAND\n", false},
		{"LOGOUT", "OK Goodbye\n", true},
	}
	for _, tt := range tests {
		got, quit := nutAnswer(tt.line, st)
		if got != tt.want || quit != tt.wantQuit {
			t.Errorf("nutAnswer(%q) = %q, %v; want %q, %v", tt.line, got, quit, tt.want, tt.wantQuit)
		}
	}
}

func TestNUTFields(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"LIST VAR ups", []string{"LIST", "VAR", "ups"}},
		{"  GET   VAR ups x\r", []string{"GET", "VAR", "ups", "x"}},
		{`SET VAR ups ups.id "a b"`, []string{"SET", "VAR", "ups", "ups.id", "a b"}},
		{`X "say \"hi\""`, []string{"X", `say "hi"`}},
		{`X ""`, []string{"X", ""}},
		{"", nil},
	}
	for _, tt := range tests {
		if got := nutFields(tt.in); fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
			t.Errorf("nutFields(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzNUTAnswer feeds arbitrary command lines: every reply is one or more
// complete lines and never panics.
func FuzzNUTAnswer(f *testing.F) {
	for _, s := range []string{"LIST VAR ups", `GET VAR "ups" battery.charge`, "LOGOUT", `"\`, "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		got, _ := nutAnswer(line, upsStateFor(ModeDown))
		if !strings.HasSuffix(got, "\n") {
			t.Errorf("nutAnswer(%q) = %q; want a reply ending in a newline", line, got)
		}
	})
}
