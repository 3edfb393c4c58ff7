package nutcheck

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/nut"
)

func probe(t *testing.T, spec check.Spec) check.Result {
	t.Helper()
	spec.Kind = check.KindNUT
	if spec.ID == "" {
		spec.ID = "usv"
	}
	spec.ApplyDefaults()
	p, err := New(spec, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.Probe(ctx)
}

// TestProbeAgainstSimulator runs the prober against the nut.Server the demo
// uses, over loopback.
func TestProbeAgainstSimulator(t *testing.T) {
	srv := nut.NewServer(nil)
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	srv.SetVars("ups", map[string]string{"ups.status": "OL", "battery.charge": "100", "battery.runtime": "2400"})

	tests := []struct {
		name       string
		setup      func()
		spec       check.Spec
		wantStatus check.Status
		wantDE     string
	}{
		{name: "on mains", spec: check.Spec{Address: srv.Addr()}, wantStatus: check.StatusOK, wantDE: "Netzbetrieb, Akku 100 %, Laufzeit 40 min"},
		{
			name: "on battery",
			setup: func() {
				srv.SetVars("ups", map[string]string{"ups.status": "OB", "battery.charge": "45", "battery.runtime": "720"})
			},
			spec:       check.Spec{Address: srv.Addr()},
			wantStatus: check.StatusDegraded, wantDE: "Batteriebetrieb! Akku 45 %, noch ca. 12 min",
		},
		{
			name:       "low battery",
			setup:      func() { srv.SetVar("ups", "ups.status", "OB LB") },
			spec:       check.Spec{Address: srv.Addr()},
			wantStatus: check.StatusFail, wantDE: "Akku fast leer!",
		},
		{
			name:       "stale",
			setup:      func() { srv.SetStale("ups", true) },
			spec:       check.Spec{Address: srv.Addr()},
			wantStatus: check.StatusUnknown, wantDE: "Daten der USV veraltet",
		},
		{
			name:       "driver not connected",
			setup:      func() { srv.SetStale("ups", false); srv.SetDriverConnected("ups", false) },
			spec:       check.Spec{Address: srv.Addr()},
			wantStatus: check.StatusUnknown, wantDE: "Daten der USV veraltet",
		},
		{
			name:       "unknown ups",
			setup:      func() { srv.SetDriverConnected("ups", true); srv.SetVar("ups", "ups.status", "OL") },
			spec:       check.Spec{Address: srv.Addr(), UPS: "keller"},
			wantStatus: check.StatusFail, wantDE: `USV "keller" ist dem USV-Dienst nicht bekannt`,
		},
		{
			name:       "login required and given",
			setup:      func() { srv.RequireLogin("monuser", "geheim") },
			spec:       check.Spec{Address: srv.Addr(), Username: "monuser", Password: "geheim"},
			wantStatus: check.StatusOK, wantDE: "Netzbetrieb",
		},
		{
			name:       "wrong password",
			spec:       check.Spec{Address: srv.Addr(), Username: "monuser", Password: "falsch"},
			wantStatus: check.StatusFail, wantDE: "USV-Dienst verweigert den Zugriff",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			got := probe(t, tt.spec)
			if got.Status != tt.wantStatus || !strings.HasPrefix(got.Message.DE, tt.wantDE) {
				t.Errorf("got %v %q; want %v %q...", got.Status, got.Message.DE, tt.wantStatus, tt.wantDE)
			}
			if got.Latency <= 0 {
				t.Errorf("latency got %v; want > 0", got.Latency)
			}
			if got.Message.EN == "" {
				t.Errorf("English message is empty; want one")
			}
		})
	}
}

func TestProbeNoServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	got := probe(t, check.Spec{Address: addr})
	if got.Status != check.StatusFail || !strings.Contains(got.Message.DE, "nicht erreichbar") {
		t.Errorf("got %v %q; want fail ...nicht erreichbar", got.Status, got.Message.DE)
	}
}

func TestProbeHonoursContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accept and stay silent
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	spec := check.Spec{ID: "usv", Kind: check.KindNUT, Address: ln.Addr().String()}
	spec.ApplyDefaults()
	p, err := New(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	got := p.Probe(ctx)
	if got.Status != check.StatusFail || got.Message.DE != "USV-Dienst antwortet nicht rechtzeitig" {
		t.Errorf("got %v %q; want fail \"USV-Dienst antwortet nicht rechtzeitig\"", got.Status, got.Message.DE)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Probe took %v; want it to stop at the 300ms deadline", d)
	}
}

func TestNewRejectsBadSpecs(t *testing.T) {
	tests := []struct {
		name string
		spec check.Spec
	}{
		{name: "no address", spec: check.Spec{ID: "u", Kind: check.KindNUT}},
		{name: "ups with space", spec: check.Spec{ID: "u", Kind: check.KindNUT, Address: "127.0.0.1", UPS: "a b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.spec, nil); err == nil {
				t.Errorf("New got nil error; want one")
			}
		})
	}
}
