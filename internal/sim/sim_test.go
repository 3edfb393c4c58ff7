package sim

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check/konnektor"
)

// startTestPharmacy starts a pharmacy that is closed when the test ends.
func startTestPharmacy(t *testing.T) *Pharmacy {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := StartPharmacy(ctx, PharmacyOptions{
		Name:   "Test-Apotheke",
		Dir:    t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("StartPharmacy: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

// mustSet sets a mode or fails the test.
func mustSet(t *testing.T, p *Pharmacy, dep string, m Mode) {
	t.Helper()
	if err := p.Set(dep, m); err != nil {
		t.Fatalf("Set(%q, %q): %v", dep, m, err)
	}
}

func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// getERPHealth asks the ERP's health endpoint as the http prober would.
func getERPHealth(c *http.Client, p *Pharmacy) error {
	resp, err := c.Get(p.ERPURL() + "/health")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body struct{ Status, DB string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return fmt.Errorf("decode health: %w", err)
	}
	if resp.StatusCode != http.StatusOK || body.Status != "ok" || body.DB != "ok" {
		return fmt.Errorf("health: status %d, body %+v", resp.StatusCode, body)
	}
	return nil
}

// konnektorClient trusts only the Konnektor's CA file.
func konnektorClient(t *testing.T, p *Pharmacy) *http.Client {
	t.Helper()
	pemBytes, err := os.ReadFile(p.CAFile())
	if err != nil {
		t.Fatalf("read CA file: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("CA file %s holds no certificate", p.CAFile())
	}
	return &http.Client{
		Timeout:   3 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
}

// getSDS fetches and parses the Konnektor's service directory.
func getSDS(c *http.Client, p *Pharmacy) error {
	resp, err := c.Get(p.KonnektorURL() + "/connector.sds")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("connector.sds: status %d", resp.StatusCode)
	}
	sds, err := konnektor.ParseSDS(resp.Body)
	if err != nil {
		return err
	}
	if got := sds.Product; got.Vendor() != sdsVendor || got.Label() != sdsProduct || got.FWVersion != sdsFW {
		return fmt.Errorf("vendor %q product %q firmware %q; want %q %q %q",
			got.Vendor(), got.Label(), got.FWVersion, sdsVendor, sdsProduct, sdsFW)
	}
	ev, ok := sds.Service("EventService")
	if !ok {
		return fmt.Errorf("no EventService in %+v", sds.Services)
	}
	for _, v := range ev.Versions {
		if v.EndpointTLS == p.KonnektorURL()+"/ws/EventService" {
			return nil
		}
	}
	return fmt.Errorf("no EventService endpoint under %s in %+v", p.KonnektorURL(), ev.Versions)
}

// TestOnOff breaks and heals each dependency that fails by refusing
// connections, checking it with a real client before, during and after.
func TestOnOff(t *testing.T) {
	t.Parallel()
	p := startTestPharmacy(t)
	plain := &http.Client{Timeout: 3 * time.Second}
	kc := konnektorClient(t, p)
	dial := func(addr func() string) func() error {
		return func() error {
			c, err := net.DialTimeout("tcp", addr(), time.Second)
			if err == nil {
				_ = c.Close()
			}
			return err
		}
	}
	tests := []struct {
		dep   string
		probe func() error
	}{
		{DepERP, func() error { return getERPHealth(plain, p) }},
		{DepKonnektor, func() error { return getSDS(kc, p) }},
		{DepLine1, dial(func() string { return p.line1.addr })},
		{DepLine2, dial(func() string { return p.line2.addr })},
	}
	for _, tt := range tests {
		t.Run(tt.dep, func(t *testing.T) {
			if err := tt.probe(); err != nil {
				t.Fatalf("before the break: got %v; want success", err)
			}
			mustSet(t, p, tt.dep, ModeDown)
			if got := p.Mode(tt.dep); got != ModeDown {
				t.Errorf("Mode after Set(down) = %q; want down", got)
			}
			if err := tt.probe(); !isRefused(err) {
				t.Errorf("while down: got %v; want connection refused", err)
			}
			mustSet(t, p, tt.dep, ModeOK)
			if err := tt.probe(); err != nil {
				t.Errorf("after repair: got %v; want success on the same address", err)
			}
		})
	}
}

// TestKeepAliveCut shows that a break also cuts open connections, as a
// crashed server does: a client's pooled connection does not survive it.
func TestKeepAliveCut(t *testing.T) {
	t.Parallel()
	p := startTestPharmacy(t)
	c := &http.Client{Timeout: 3 * time.Second} // keeps connections alive
	if err := getERPHealth(c, p); err != nil {
		t.Fatalf("first request: %v", err)
	}
	mustSet(t, p, DepERP, ModeDown)
	if err := getERPHealth(c, p); err == nil {
		t.Fatalf("request after the break over a kept-alive client: got success; want an error")
	}
	mustSet(t, p, DepERP, ModeOK)
	if err := getERPHealth(c, p); err != nil {
		t.Errorf("after repair: got %v; want success", err)
	}
}

// TestSlow checks that degraded ERP and Konnektor answer correctly, but
// only after about 1.5 s.
func TestSlow(t *testing.T) {
	t.Parallel()
	p := startTestPharmacy(t)
	plain := &http.Client{Timeout: 3 * time.Second}
	kc := konnektorClient(t, p)
	tests := []struct {
		dep   string
		probe func() error
	}{
		{DepERP, func() error { return getERPHealth(plain, p) }},
		{DepKonnektor, func() error { return getSDS(kc, p) }},
	}
	for _, tt := range tests {
		t.Run(tt.dep, func(t *testing.T) {
			t.Parallel()
			mustSet(t, p, tt.dep, ModeDegraded)
			start := time.Now()
			if err := tt.probe(); err != nil {
				t.Fatalf("slow: got %v; want a (late) answer", err)
			}
			if got := time.Since(start); got < 1400*time.Millisecond {
				t.Errorf("slow answer took %v; want at least 1.4 s", got)
			}
			mustSet(t, p, tt.dep, ModeOK)
			start = time.Now()
			if err := tt.probe(); err != nil {
				t.Fatalf("after repair: got %v; want success", err)
			}
			if got := time.Since(start); got > time.Second {
				t.Errorf("repaired answer took %v; want well under 1 s", got)
			}
		})
	}
}

// TestHandleERP checks that added endpoints are served by the ERP and share
// its outage.
func TestHandleERP(t *testing.T) {
	t.Parallel()
	p := startTestPharmacy(t)
	p.HandleERP("GET /api/articles", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `[{"pzn":"04877800"}]`)
	}))
	get := func() (string, error) {
		resp, err := http.Get(p.ERPURL() + "/api/articles")
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	if got, err := get(); err != nil || got != `[{"pzn":"04877800"}]` {
		t.Fatalf("GET /api/articles = %q, %v; want the article list", got, err)
	}
	mustSet(t, p, DepERP, ModeDown)
	if _, err := get(); !isRefused(err) {
		t.Errorf("GET /api/articles while down: got %v; want connection refused", err)
	}
}

func TestSetErrors(t *testing.T) {
	t.Parallel()
	p := startTestPharmacy(t)
	tests := []struct {
		name    string
		dep     string
		mode    Mode
		wantErr error
		wantIn  string
	}{
		{"unknown dependency", "fax", ModeDown, ErrUnknownDependency, "ups, line1, line2, ntp, konnektor, tilage, erp"},
		{"unknown mode", DepERP, Mode("kaputt"), ErrUnsupportedMode, "ok, degraded, down"},
		{"line cannot be slow", DepLine1, ModeDegraded, ErrUnsupportedMode, "ok, down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.Set(tt.dep, tt.mode)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Set(%q, %q) = %v; want %v", tt.dep, tt.mode, err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("error %q; want it to name %q", err, tt.wantIn)
			}
		})
	}
	if got := p.Mode(DepLine1); got != ModeOK {
		t.Errorf("Mode(line1) after refused changes = %q; want ok", got)
	}
}

func TestParseMode(t *testing.T) {
	tests := []struct {
		in      string
		want    Mode
		wantErr bool
	}{
		{"ok", ModeOK, false},
		{" Down ", ModeDown, false},
		{"degraded", ModeDegraded, false},
		{"slow", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		got, err := ParseMode(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseMode(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestDeps(t *testing.T) {
	t.Parallel()
	p := startTestPharmacy(t)
	mustSet(t, p, DepUPS, ModeDegraded)
	deps := p.Deps()
	var names []string
	for _, d := range deps {
		names = append(names, d.Name)
		if d.Title == "" || d.TitleEN == "" || d.Address == "" || d.Effect.DE == "" || d.Effect.EN == "" {
			t.Errorf("%s: empty field in %+v", d.Name, d)
		}
		wantMode := ModeOK
		if d.Name == DepUPS {
			wantMode = ModeDegraded
		}
		if d.Mode != wantMode {
			t.Errorf("%s: Mode %q; want %q", d.Name, d.Mode, wantMode)
		}
	}
	want := "ups line1 line2 ntp konnektor tilage erp"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("Deps names = %q; want %q", got, want)
	}
}

// TestClose checks that Close stops the servers, removes the CA file and
// may be called twice, and that Set afterwards fails.
func TestClose(t *testing.T) {
	t.Parallel()
	p, err := StartPharmacy(context.Background(), PharmacyOptions{})
	if err != nil {
		t.Fatalf("StartPharmacy: %v", err)
	}
	ca, erp := p.CAFile(), p.erp.addr
	if _, err := os.Stat(ca); err != nil {
		t.Fatalf("CA file: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: got %v; want nil", err)
	}
	if _, err := os.Stat(ca); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("CA file after Close: got %v; want it removed", err)
	}
	if c, err := net.DialTimeout("tcp", erp, time.Second); !isRefused(err) {
		if c != nil {
			_ = c.Close()
		}
		t.Errorf("dial ERP after Close: got %v; want connection refused", err)
	}
	if err := p.Set(DepERP, ModeDown); err == nil {
		t.Errorf("Set after Close: got nil; want an error")
	}
}

func TestStartCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := StartPharmacy(ctx, PharmacyOptions{Dir: t.TempDir()}); !errors.Is(err, context.Canceled) {
		t.Errorf("StartPharmacy with a cancelled context: got %v; want context.Canceled", err)
	}
}
