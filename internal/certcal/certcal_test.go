package certcal_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/alert"
	"github.com/lifeline-project/lifeline/internal/certcal"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/check/tlscheck"
	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/incident/sitetest"
)

// TestWarningsFireOnTheRightDay runs the calendar as a check of the real
// monitor, with the real alert engine routing degraded and down states of
// the calendar to a real webhook receiver, day by day with a fake clock
// across the spring DST change: a warning goes out on the day 90 days
// before the SMC-B's last day, 30 days before and 7 days before, and on no
// other day.
func TestWarningsFireOnTheRightDay(t *testing.T) {
	ctx := context.Background()
	loc := sitetest.Berlin(t)
	start := time.Date(2026, 3, 1, 0, 5, 0, 0, loc)
	var cal *certcal.Calendar
	spec := certcal.CheckSpec()
	site := sitetest.New(t, start, []check.Spec{spec}, map[string]check.Prober{spec.ID: check.ProberFunc(func(ctx context.Context) check.Result {
		return cal.Probe(ctx)
	})}, nil)
	var err error
	cal, err = certcal.New(ctx, certcal.Options{Store: site.Store, Location: loc, Clock: site.Clock, Log: sitetest.Quiet(),
		Config: incident.CertConfig{WarnDays: incident.DefaultWarnDays(), Entries: []incident.CertEntry{
			{ID: "smcb", Kind: incident.CertSMCB, Name: "SMC-B Apotheke am Markt", Expires: "2026-06-30"}}}})
	if err != nil {
		t.Fatal(err)
	}
	site.StartAlerts(alert.Config{Receivers: []alert.Receiver{site.Hook("it")},
		Routes: []alert.Route{{Checks: []string{certcal.CheckID}, Severity: []string{"down", "degraded"}, Receivers: []string{"it"}}}}, nil)

	type fired struct {
		day  string
		text string
	}
	var got []fired
	seen := 0
	for day := start; day.Before(time.Date(2026, 7, 2, 0, 0, 0, 0, loc)); day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 5, 0, 0, loc) {
		site.Clock.Set(day)
		site.Live(5*time.Minute, 30*time.Second)
		for _, p := range site.Hooks["it"].Payloads()[seen:] {
			if p.Kind == "firing" {
				got = append(got, fired{day.Format("2006-01-02"), p.Text})
			}
		}
		seen = len(site.Hooks["it"].Payloads())
		// Staff take note of each warning the day it comes ("ordered").
		if st := cal.Statuses(); st[0].Stage != 0 && !st[0].Acked {
			if _, err := cal.Acknowledge(ctx, st[0].Key, "anna"); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := []struct{ day, text string }{
		{"2026-04-01", "läuft in 90 Tagen ab (30.06.2026)"},
		{"2026-05-31", "läuft in 30 Tagen ab (30.06.2026)"},
		{"2026-06-23", "läuft in 7 Tagen ab (30.06.2026)"},
	}
	if len(got) != len(want) {
		t.Fatalf("warnings on %v; want on %v", got, want)
	}
	for i, w := range want {
		if got[i].day != w.day || !strings.Contains(got[i].text, w.text) {
			t.Errorf("warning %d on %s: %q; want on %s saying %q", i+1, got[i].day, got[i].text, w.day, w.text)
		}
	}
	// From the last stage on the check stays down, acknowledged or not,
	// and after the last day the entry is expired.
	ov := site.Monitor.Overview()
	if c, _ := ov.Check(certcal.CheckID); c.State != check.StateDown || !strings.Contains(c.Message.DE, "abgelaufen seit 30.06.2026") {
		t.Fatalf("check on 1 July: %s %q; want down, expired", c.State, c.Message.DE)
	}
}

func TestEvaluateStages(t *testing.T) {
	loc := sitetest.Berlin(t)
	cases := []struct {
		name  string
		now   time.Time
		days  int
		stage int
		level certcal.Level
	}{
		{"91 days", time.Date(2026, 3, 31, 23, 59, 0, 0, loc), 91, 0, certcal.LevelOK},
		{"90 days at midnight", time.Date(2026, 4, 1, 0, 0, 0, 0, loc), 90, 90, certcal.LevelWarn},
		{"31 days", time.Date(2026, 5, 30, 12, 0, 0, 0, loc), 31, 90, certcal.LevelWarn},
		{"30 days", time.Date(2026, 5, 31, 0, 0, 0, 0, loc), 30, 30, certcal.LevelWarn},
		{"8 days", time.Date(2026, 6, 22, 23, 59, 59, 0, loc), 8, 30, certcal.LevelWarn},
		{"7 days", time.Date(2026, 6, 23, 0, 0, 0, 0, loc), 7, 7, certcal.LevelCritical},
		{"last day", time.Date(2026, 6, 30, 23, 59, 0, 0, loc), 0, 7, certcal.LevelCritical},
		{"expired", time.Date(2026, 7, 1, 0, 0, 0, 0, loc), -1, 7, certcal.LevelExpired},
	}
	e := certcal.Entry{Key: "config:smcb", LastDay: time.Date(2026, 6, 30, 0, 0, 0, 0, loc), Expires: time.Date(2026, 7, 1, 0, 0, 0, 0, loc)}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := certcal.Evaluate([]certcal.Entry{e}, nil, []int{7, 90, 30}, tc.now, loc)
			if st[0].DaysLeft != tc.days || st[0].Stage != tc.stage || st[0].Level != tc.level {
				t.Fatalf("got %d days, stage %d, %s; want %d, %d, %s", st[0].DaysLeft, st[0].Stage, st[0].Level, tc.days, tc.stage, tc.level)
			}
		})
	}
}

// TestTLSFindingsJoinTheCalendar runs the real tls prober against a local
// TLS server with a certificate ending in 20 days; the wrapped prober puts
// it into the calendar, which warns at the 30-day stage.
func TestTLSFindingsJoinTheCalendar(t *testing.T) {
	ctx := context.Background()
	loc := sitetest.Berlin(t)
	now := time.Now()
	notAfter := now.Add(20*24*time.Hour + time.Hour).Truncate(time.Second)
	srv, caFile := tlsServer(t, notAfter)
	spec := check.Spec{ID: "konnektor-tls", Name: "Konnektor (TLS)", Kind: check.KindTLS, Address: srv, CAFile: caFile, ServerName: "localhost"}
	spec.ApplyDefaults()
	p, err := tlscheck.New(spec, sitetest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	site := sitetest.New(t, now, nil, nil, nil)
	cal, err := certcal.New(ctx, certcal.Options{Store: site.Store, Location: loc, Clock: site.Clock, TLSChecks: []check.Spec{spec}, Log: sitetest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	wrapped := cal.WrapTLS(spec.ID, p)
	if res := wrapped.Probe(ctx); res.Values["not_after_unix"] == 0 {
		t.Fatalf("tls probe reported no expiry: %+v", res)
	}
	st := cal.Statuses()
	if len(st) != 1 || st[0].Source != certcal.SourceTLS || !st[0].Expires.Equal(notAfter) || st[0].Stage != 30 || !strings.HasPrefix(st[0].Name, "Konnektor (TLS)") {
		t.Fatalf("calendar %+v; want the Konnektor's certificate at the 30-day stage", st)
	}
	if res := cal.Probe(ctx); res.Status != check.StatusDegraded {
		t.Fatalf("calendar check %s %q; want degraded", res.Status, res.Message.DE)
	}
	// A second calendar over the same store knows it after a restart.
	cal2, err := certcal.New(ctx, certcal.Options{Store: site.Store, Location: loc, Clock: site.Clock, TLSChecks: []check.Spec{spec}})
	if err != nil {
		t.Fatal(err)
	}
	if st := cal2.Statuses(); len(st) != 1 || !st[0].Expires.Equal(notAfter) {
		t.Fatalf("after restart: %+v", st)
	}
}

func TestManualEntries(t *testing.T) {
	ctx := context.Background()
	loc := sitetest.Berlin(t)
	site := sitetest.New(t, time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), nil, nil, nil)
	cal, err := certcal.New(ctx, certcal.Options{Store: site.Store, Location: loc, Clock: site.Clock})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []certcal.Manual{
		{Kind: "nope", Name: "x", Expires: "2027-01-01"},
		{Kind: incident.CertHBA, Name: " ", Expires: "2027-01-01"},
		{Kind: incident.CertHBA, Name: "HBA Anna", Expires: "31.01.2027"},
	} {
		if _, err := cal.Add(ctx, bad); incident.ErrorCode(err) != incident.EINVALID {
			t.Errorf("Add(%+v) = %v; want EINVALID", bad, err)
		}
	}
	m, err := cal.Add(ctx, certcal.Manual{Kind: incident.CertHBA, Name: "HBA Anna Becker", Expires: "2026-11-20", CreatedBy: "anna"})
	if err != nil {
		t.Fatal(err)
	}
	st := cal.Statuses()
	if len(st) != 1 || st[0].DaysLeft != 26 || st[0].Stage != 30 {
		t.Fatalf("statuses %+v; want the HBA 26 days ahead at stage 30", st)
	}
	if _, err := cal.Acknowledge(ctx, st[0].Key, "anna"); err != nil {
		t.Fatal(err)
	}
	if res := cal.Probe(ctx); res.Status != check.StatusOK {
		t.Fatalf("after the acknowledgement: %s %q; want OK", res.Status, res.Message.DE)
	}
	if err := cal.Delete(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if err := cal.Delete(ctx, m.ID); incident.ErrorCode(err) != incident.ENOTFOUND {
		t.Fatalf("second delete: %v; want ENOTFOUND", err)
	}
	if st := cal.Statuses(); len(st) != 0 {
		t.Fatalf("after delete: %+v", st)
	}
}

// tlsServer starts a local TLS server whose certificate ends at notAfter,
// signed by a test CA written to a file.
func tlsServer(t *testing.T, notAfter time.Time) (addr, caFile string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test-CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(365 * 24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "konnektor.local"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: notAfter, DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv.Listener.Addr().String(), caFile
}
