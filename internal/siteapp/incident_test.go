package siteapp_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/alert"
	"github.com/lifeline-project/lifeline/internal/alert/alerttest"
	"github.com/lifeline-project/lifeline/internal/alert/webhook"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/config"
	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/incident/pdftest"
	"github.com/lifeline-project/lifeline/internal/siteapp"
)

// TestIncidentWiring opens a real site with an HTTP check against a local
// server: an example outage is recorded and exported, the binder is
// written to the configured folder, the pages are linked, and a drill
// reaches only the drill receiver.
func TestIncidentWiring(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var down atomic.Bool
	erp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "kaputt", 503)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer erp.Close()
	real := alerttest.NewWebhook("secret-0123456789-real")
	defer real.Close()
	drillHook := alerttest.NewWebhook("secret-0123456789-drill")
	defer drillHook.Close()
	dir := t.TempDir()
	usb := filepath.Join(dir, "USB")
	cfg, err := config.Build(config.Site{
		SiteName: "Apotheke am Markt (Test)", DataDir: filepath.Join(dir, "site"),
		Checks: []check.Spec{{ID: "erp", Name: "Warenwirtschaft", Kind: check.KindHTTP, URL: erp.URL, Group: check.GroupERP,
			Interval: check.Duration(time.Second), Timeout: check.Duration(900 * time.Millisecond), Affects: []string{"Kasse"}}},
		Alert: alert.Config{PublicURL: "http://127.0.0.1:1", GroupWait: check.Duration(time.Second), ResolveWait: check.Duration(time.Second),
			Receivers: []alert.Receiver{{Name: "anna", Webhook: &webhook.Config{URL: real.URL, Secret: "secret-0123456789-real"}},
				{Name: "uebung", Webhook: &webhook.Config{URL: drillHook.URL, Secret: "secret-0123456789-drill"}}},
			Routes: []alert.Route{{Receivers: []string{"anna"}}}},
		Incident: incident.Config{Binder: incident.BinderConfig{Folders: []string{usb}},
			Drill:        incident.DrillConfig{Receivers: []string{"uebung"}},
			Certificates: incident.CertConfig{Entries: []incident.CertEntry{{ID: "smcb", Kind: "smcb", Name: "SMC-B", Expires: "2030-01-31"}}}},
	}, filepath.Join(dir, "site.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	app, err := siteapp.Open(ctx, siteapp.Options{Config: cfg, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if _, ok := app.Monitor.Overview().Check("zertifikate"); !ok {
		t.Fatal("the certificate calendar's check is missing")
	}
	if err := app.Auth.SetPassword(ctx, "admin", "admin-passwort-123"); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	app.UseListener(ln)
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()

	id, err := app.DemoIncident(ctx, func() error { down.Store(true); return nil }, func() error { down.Store(false); return nil }, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{filepath.Join(usb, "Notfallmappe-aktuell.pdf"), filepath.Join(cfg.DataDir, "notfallmappe", "Notfallmappe-aktuell.pdf")} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("binder not written: %v", err)
		}
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := app.URL()
	resp, err := c.PostForm(base+"login", url.Values{"user": {"admin"}, "password": {"admin-passwort-123"}})
	if err != nil || resp.StatusCode != 303 {
		t.Fatalf("login: %v %v", err, resp)
	}
	get := func(p string) string {
		t.Helper()
		r, err := c.Get(base + strings.TrimPrefix(p, "/"))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		if r.StatusCode != 200 {
			t.Fatalf("GET %s: %d\n%s", p, r.StatusCode, b)
		}
		return string(b)
	}
	dash := get("/")
	for _, nav := range []string{`href="/incidents"`, `href="/runbook"`, `href="/binder"`, `href="/certificates"`, `href="/drills"`} {
		if !strings.Contains(dash, nav) {
			t.Errorf("dashboard lacks the link %s", nav)
		}
	}
	pdf := get("/incidents/" + itoa(id) + "/export/pdf")
	text := pdftest.Squash(pdftest.Text(t, []byte(pdf)))
	for _, want := range []string{"Apotheke am Markt (Test)", "Warenwirtschaft", "Notbetrieb begonnen: Papierliste und Notkasse", "Wartezeit 51 Minuten", "85,00 €", "Papierliste und die Notkasse"} {
		if !strings.Contains(text, want) {
			t.Errorf("export lacks %q", want)
		}
	}
	if !strings.Contains(get("/incidents/"+itoa(id)), "Meldung (erste Meldung) an anna gesendet") {
		t.Error("the delivered alert is not in the timeline")
	}
	get("/runbook")
	get("/binder")
	if !strings.Contains(get("/certificates"), "SMC-B") {
		t.Error("certificate page lacks the configured entry")
	}
	// A drill: the real receiver gets nothing. (First the demo outage's
	// all-clear goes out.)
	deadline := time.Now().Add(10 * time.Second)
	for len(app.Alerts.Incidents()) > 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	before := len(real.Payloads())
	page := get("/drills")
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)[1]
	if r, err := c.PostForm(base+"drills/start", url.Values{"csrf": {csrf}, "scenario": {"warenwirtschaft"}}); err != nil || r.StatusCode != 303 {
		t.Fatalf("start drill: %v %v", err, r)
	}
	deadline = time.Now().Add(15 * time.Second)
	for len(drillHook.Payloads()) == 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if len(drillHook.Payloads()) == 0 || !strings.HasPrefix(drillHook.Payloads()[0].Title, "ÜBUNG") {
		t.Fatalf("drill receiver got %+v", drillHook.Payloads())
	}
	if n := len(real.Payloads()); n != before {
		t.Fatalf("real receiver got %d messages during the drill", n-before)
	}
	if !strings.Contains(get("/"), "ÜBUNG läuft") {
		t.Error("no drill banner on the dashboard")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
