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
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/config"
	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/fleettest"
	"github.com/lifeline-project/lifeline/internal/fleetclient"
	"github.com/lifeline-project/lifeline/internal/siteapp"
)

// TestBroadcastOnDashboard runs a real site enrolled at a real fleet: a
// broadcast from the hotline appears on the site's dashboard with its
// runbook steps and the two answer buttons; staff press "Hat geholfen"
// there, and the hotline's console counts the answer. A viewer sees the
// runbook but no buttons.
func TestBroadcastOnDashboard(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := fleettest.New(t, nil)
	// The site runs on the real clock; the fleet's clock is brought to now,
	// so that the message's "visible until" lies ahead for both.
	env.Clock.Advance(time.Since(env.Clock.Now()))
	codes := env.AddSites(t, fleet.Site{ID: "apo-markt", Name: "Apotheke am Markt", State: "BY"})
	erp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer erp.Close()
	dir := t.TempDir()
	cfg, err := config.Build(config.Site{SiteName: "Apotheke am Markt (Test)", DataDir: filepath.Join(dir, "site"),
		Checks: []check.Spec{{ID: "erp", Name: "Warenwirtschaft", Kind: check.KindHTTP, URL: erp.URL, Group: check.GroupERP,
			Interval: check.Duration(time.Second), Timeout: check.Duration(900 * time.Millisecond)}},
		Fleet: fleetclient.Config{URL: env.URL, EnrolmentCode: codes["apo-markt"]}}, filepath.Join(dir, "site.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	app, err := siteapp.Open(ctx, siteapp.Options{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if err := app.Auth.SetPassword(ctx, "admin", "admin-passwort-123"); err != nil {
		t.Fatal(err)
	}
	if err := app.Auth.AddUser(ctx, "anzeige", auth.RoleViewer, "anzeige-passwort-123"); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	app.UseListener(ln)
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()

	waitUntil(t, "the site enrolled and long-polling", func() bool { return env.Service().Waiting() == 1 })
	b, err := env.Service().SendBroadcast(ctx, "sabine", fleet.Broadcast{Title: "Kasse startet nicht nach Update", Severity: fleet.SeverityCritical,
		Text: "Nach dem Update 2026.4 startet die Kasse nicht.", Steps: []string{"Kasse ausschalten", "Ordner C:\\ERP\\cache löschen", "Kasse einschalten"},
		Selector: fleet.Selector{States: []string{"BY"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}

	login := func(user, pw string) (*http.Client, func(string) string) {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.PostForm(app.URL()+"login", url.Values{"user": {user}, "password": {pw}})
		if err != nil || resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login %s: %v %v", user, err, resp)
		}
		resp.Body.Close()
		return c, func(p string) string {
			t.Helper()
			r, err := c.Get(app.URL() + strings.TrimPrefix(p, "/"))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Body.Close()
			body, _ := io.ReadAll(r.Body)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d", p, r.StatusCode)
			}
			return string(body)
		}
	}
	staff, get := login("admin", "admin-passwort-123")
	var dash string
	waitUntil(t, "the message on the dashboard", func() bool {
		dash = get("/")
		return strings.Contains(dash, "Kasse startet nicht nach Update")
	})
	for _, want := range []string{"Dringende Nachricht", "<li>Ordner C:\\ERP\\cache löschen</li>", `value="helped"`, `value="not_helped"`,
		`class="banner" role="alert">Dringende Nachricht vom Hersteller: Kasse startet nicht nach Update`} {
		if !strings.Contains(dash, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	_, viewerGet := login("anzeige", "anzeige-passwort-123")
	if v := viewerGet("/"); !strings.Contains(v, "<li>Kasse ausschalten</li>") || strings.Contains(v, `value="helped"`) {
		t.Error("a viewer should see the runbook but no answer buttons")
	}

	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(dash)
	if csrf == nil {
		t.Fatal("no CSRF token in the dashboard's answer form")
	}
	resp, err := staff.PostForm(app.URL()+"messages/"+itoa(b.ID)+"/answer", url.Values{"csrf": {"falsch"}, "answer": {"helped"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("answer with a wrong CSRF token: got %d; want 403", resp.StatusCode)
	}
	resp, err = staff.PostForm(app.URL()+"messages/"+itoa(b.ID)+"/answer", url.Values{"csrf": {csrf[1]}, "answer": {"helped"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("answer: got %d; want 303", resp.StatusCode)
	}
	waitUntil(t, "the answer counted by the hotline", func() bool {
		c, _ := env.Service().BroadcastCounts(ctx, b.ID)
		return c.Delivered == 1 && c.Helped == 1
	})
	if strings.Contains(get("/"), "Kasse startet nicht nach Update") {
		t.Error("the answered message is still on the dashboard")
	}
	if !strings.Contains(get("/messages"), "Hat geholfen") {
		t.Error("the messages page does not show the answer")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20 s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
