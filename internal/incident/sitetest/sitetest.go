// Package sitetest builds a small real site for the tests of the incident
// features: a real SQLite database, a real monitor with a fake clock, the
// real alert engine with real local webhook receivers. Only the probed
// dependencies are simulated (Switch), so that a test can fail and heal
// them.
package sitetest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/alert"
	"github.com/lifeline-project/lifeline/internal/alert/alerttest"
	"github.com/lifeline-project/lifeline/internal/alert/notify"
	"github.com/lifeline-project/lifeline/internal/alert/webhook"
	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/incident/incidentsql"
	"github.com/lifeline-project/lifeline/internal/monitor"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
	"github.com/lifeline-project/lifeline/internal/web"
)

// Quiet is a logger that discards.
func Quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Berlin returns the Europe/Berlin zone.
func Berlin(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// Switch is a simulated dependency: a prober whose verdict the test sets.
type Switch struct {
	mu  sync.Mutex
	res check.Result
}

// Set changes the verdict.
func (s *Switch) Set(r check.Result) {
	s.mu.Lock()
	s.res = r
	s.mu.Unlock()
}

// Fail makes the dependency fail with a message.
func (s *Switch) Fail(msg string) { s.Set(check.Fail(time.Second, msg, msg)) }

// Heal makes the dependency work.
func (s *Switch) Heal() { s.Set(check.OK(time.Millisecond, "in Ordnung", "fine")) }

// Probe returns the verdict.
func (s *Switch) Probe(context.Context) check.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.res
}

// Site is the small real site.
type Site struct {
	T       testing.TB
	Clock   *clock.Fake
	DB      *sqlite.DB
	Store   *incidentsql.Store
	Monitor *monitor.Monitor
	Specs   []check.Spec
	// Switches hold the simulated dependencies by check id; Probers the
	// probers the monitor runs (a Switch, or what Wrap made of it).
	Switches map[string]*Switch
	Probers  map[string]check.Prober
	Alerts   *alert.Engine
	// Hooks are the webhook receivers by receiver name.
	Hooks map[string]*alerttest.Webhook
}

// DefaultSpecs are four checks: UPS, internet line, Konnektor (behind the
// line), ERP.
func DefaultSpecs() []check.Spec {
	specs := []check.Spec{
		{ID: "usv", Name: "USV", Kind: check.KindNUT, Group: check.GroupPower},
		{ID: "internet", Name: "Internetleitung", Kind: check.KindTCP, Group: check.GroupNetwork},
		{ID: "konnektor", Name: "Konnektor", Kind: check.KindKonnektor, Group: check.GroupAccess, DependsOn: []string{"internet"}, Affects: []string{"E-Rezept"}},
		{ID: "erp", Name: "Warenwirtschaft", Kind: check.KindHTTP, Group: check.GroupERP, Affects: []string{"Kasse"}},
	}
	for i := range specs {
		specs[i].ApplyDefaults()
	}
	return specs
}

// New builds the site. extra adds checks with their own probers (the
// certificate calendar); wrap, when not nil, wraps every prober (drills).
func New(t testing.TB, start time.Time, specs []check.Spec, extra map[string]check.Prober, wrap func(id string, p check.Prober) check.Prober) *Site {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "site.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := &Site{T: t, Clock: clock.NewFake(start), DB: db, Store: incidentsql.NewStore(db), Specs: specs,
		Switches: map[string]*Switch{}, Probers: map[string]check.Prober{}, Hooks: map[string]*alerttest.Webhook{}}
	for _, sp := range specs {
		var p check.Prober
		if e, ok := extra[sp.ID]; ok {
			p = e
		} else {
			sw := &Switch{}
			sw.Heal()
			s.Switches[sp.ID] = sw
			p = sw
		}
		if wrap != nil {
			p = wrap(sp.ID, p)
		}
		s.Probers[sp.ID] = p
	}
	s.Monitor, err = monitor.New(monitor.Config{Specs: specs, Probers: s.Probers, Store: sqlite.NewMonitorStore(db), Clock: s.Clock, Log: Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Round probes every check once at the current fake time.
func (s *Site) Round() {
	for _, sp := range s.Specs {
		s.Monitor.ProbeOnce(context.Background(), sp.ID, s.Probers[sp.ID])
	}
}

// Rounds probes n times, moving the clock on by step after each round.
func (s *Site) Rounds(n int, step time.Duration) {
	for i := 0; i < n; i++ {
		s.Round()
		s.Clock.Advance(step)
	}
}

// Hook starts a webhook receiver and returns its receiver configuration.
func (s *Site) Hook(name string) alert.Receiver {
	secret := "test-secret-0123456789-" + name
	h := alerttest.NewWebhook(secret)
	s.T.Cleanup(h.Close)
	s.Hooks[name] = h
	return alert.Receiver{Name: name, Webhook: &webhook.Config{URL: h.URL, Secret: secret}}
}

// StartAlerts builds the real alert engine over the monitor; wrap, when
// not nil, wraps the notifiers as the site does (incident recording, drill
// routing).
func (s *Site) StartAlerts(cfg alert.Config, wrap func(map[string]notify.Notifier) map[string]notify.Notifier) {
	t := s.T
	t.Helper()
	ctx := context.Background()
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://127.0.0.1:8080"
	}
	cfg.ApplyDefaults()
	if ps := cfg.Validate(); len(ps) > 0 {
		t.Fatalf("alert config: %v", ps)
	}
	dir := t.TempDir()
	st, err := alert.OpenStore(ctx, filepath.Join(dir, "alerts.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, err := alert.LoadOrCreateKey(filepath.Join(dir, alert.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := alert.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := alert.Build(cfg, Quiet())
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		ns = wrap(ns)
	}
	s.Alerts, err = alert.New(ctx, alert.Options{Config: cfg, Site: "Apotheke am Markt", Lang: "de", Location: Berlin(t),
		Store: st, Notifiers: ns, Signer: signer, Clock: s.Clock, Log: Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	s.Monitor.OnTransition(s.Alerts.Observe)
	s.Alerts.Update(s.Monitor.Overview())
}

// TickAlerts lets the alert engine do what is due now and waits for the
// deliveries.
func (s *Site) TickAlerts() {
	s.Alerts.Tick(s.Clock.Now())
	s.Alerts.Wait()
}

// Live moves the clock on by d in steps, probing every check and ticking
// the alert engine (when started) at each step, as the running site does.
func (s *Site) Live(d, step time.Duration) {
	end := s.Clock.Now().Add(d)
	for s.Clock.Now().Before(end) {
		s.Round()
		if s.Alerts != nil {
			s.TickAlerts()
		}
		s.Clock.Advance(step)
	}
}

// Web is the site's real web server with three users: anna (staff), vera
// (viewer) and chef (admin), each with the password name+"-passwort".
type Web struct {
	T      testing.TB
	Server *web.Server
	TS     *httptest.Server
	Auth   *auth.Service
}

// Web starts the dashboard over the site's monitor and database; mount
// registers the feature's routes before the server starts.
func (s *Site) Web(mount func(*web.Server)) *Web {
	t := s.T
	t.Helper()
	ctx := context.Background()
	svc := auth.New(sqlite.NewAuthStore(s.DB), s.Clock, Quiet(),
		auth.WithHashParams(auth.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}))
	for _, u := range []struct {
		name string
		role auth.Role
	}{{"anna", auth.RoleStaff}, {"vera", auth.RoleViewer}, {"chef", auth.RoleAdmin}} {
		if err := svc.AddUser(ctx, u.name, u.role, u.name+"-passwort"); err != nil {
			t.Fatalf("add user %s: %v", u.name, err)
		}
	}
	srv, err := web.New(web.Config{Location: Berlin(t), SiteName: "Apotheke am Markt"}, s.Monitor, svc, Quiet(), s.Clock)
	if err != nil {
		t.Fatal(err)
	}
	if mount != nil {
		mount(srv)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	return &Web{T: t, Server: srv, TS: ts, Auth: svc}
}

// Client is a browser session of one user.
type Client struct {
	w    *Web
	c    *http.Client
	csrf string
}

// Response is an answer of the server.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Login returns a client logged in as name; "" is an anonymous client.
func (w *Web) Login(name string) *Client {
	w.T.Helper()
	jar, _ := cookiejar.New(nil)
	c := &Client{w: w, c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if name == "" {
		return c
	}
	r := c.do("POST", "/login", url.Values{"user": {name}, "password": {name + "-passwort"}})
	if r.Status != http.StatusSeeOther {
		w.T.Fatalf("login %s: %d\n%s", name, r.Status, r.Body)
	}
	p := c.Get("/password")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(p.Body)
	if m == nil {
		w.T.Fatalf("no CSRF token for %s", name)
	}
	c.csrf = m[1]
	return c
}

func (c *Client) do(method, path string, form url.Values) Response {
	c.w.T.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.w.TS.URL+path, body)
	if err != nil {
		c.w.T.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.w.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.w.T.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// Get fetches a page.
func (c *Client) Get(path string) Response { return c.do("GET", path, nil) }

// Post sends a form with the session's CSRF token.
func (c *Client) Post(path string, form url.Values) Response {
	if form == nil {
		form = url.Values{}
	}
	if c.csrf != "" && form.Get("csrf") == "" {
		form.Set("csrf", c.csrf)
	}
	return c.do("POST", path, form)
}

// PostWithoutToken sends a form without the CSRF token (to test that it is
// refused).
func (c *Client) PostWithoutToken(path string, form url.Values) Response {
	return c.do("POST", path, form)
}

// Lang switches the session's language ("de" or "en").
func (c *Client) Lang(lang string) {
	c.w.T.Helper()
	if r := c.Post("/lang", url.Values{"lang": {lang}, "next": {"/"}}); r.Status != http.StatusSeeOther {
		c.w.T.Fatalf("switch language: %d", r.Status)
	}
}
