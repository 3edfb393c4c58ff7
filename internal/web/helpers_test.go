package web

import (
	"context"
	"html"
	"html/template"
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

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/monitor"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
)

// fakeSource is a test double of the monitor.
type fakeSource struct {
	mu          sync.Mutex
	overview    monitor.Overview
	subs        map[int]chan monitor.Overview
	next        int
	samples     map[string][]monitor.Sample
	transitions map[string][]check.Transition
	// lastSince records the since argument of the last history query.
	lastSince time.Time
}

func newFakeSource(o monitor.Overview) *fakeSource {
	return &fakeSource{overview: o, subs: map[int]chan monitor.Overview{},
		samples: map[string][]monitor.Sample{}, transitions: map[string][]check.Transition{}}
}

func (f *fakeSource) Overview() monitor.Overview {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.overview
}

func (f *fakeSource) Subscribe() (<-chan monitor.Overview, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan monitor.Overview, 1)
	id := f.next
	f.next++
	f.subs[id] = ch
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.subs, id)
	}
}

// subscribers returns the number of open subscriptions.
func (f *fakeSource) subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// set replaces the overview and tells every subscriber, dropping a stale
// value like the monitor does.
func (f *fakeSource) set(o monitor.Overview) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.overview = o
	for _, ch := range f.subs {
		select {
		case <-ch:
		default:
		}
		ch <- o
	}
}

func (f *fakeSource) Samples(_ context.Context, id string, since time.Time) ([]monitor.Sample, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastSince = since
	var out []monitor.Sample
	for _, s := range f.samples[id] {
		if !s.At.Before(since) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (f *fakeSource) Transitions(_ context.Context, id string, since time.Time) ([]check.Transition, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastSince = since
	var out []check.Transition
	for _, t := range f.transitions[id] {
		if !t.At.Before(since) {
			out = append(out, t)
		}
	}
	return out, nil
}

// testNow is the fake clock's start: 09:30 UTC, 10:30 in Berlin.
var testNow = time.Date(2026, 2, 3, 9, 30, 0, 0, time.UTC)

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatalf("load zone: %v", err)
	}
	return loc
}

func spark(vals ...float64) []float64 { return vals }

// testOverview is a pharmacy with the Konnektor down (so the E-Rezept is
// down as a consequence), the ERP slow and the backup disk not checked yet.
func testOverview() monitor.Overview {
	at := testNow
	probe := at.Add(-10 * time.Second)
	checks := []monitor.CheckStatus{
		{ID: "ups", Name: "USV", Kind: check.KindNUT, Group: check.GroupPower, State: check.StateOK,
			Since: at.Add(-48 * time.Hour), Latency: 3 * time.Millisecond, Message: check.Msg("Netzbetrieb, Akku 100 %", "On mains, battery 100 %"),
			LastProbe: probe, Spark: spark(-1, -1, 2, 3, 2.5, -1, 4, 3)},
		{ID: "internet", Name: "Internet", Kind: check.KindTCP, Group: check.GroupNetwork, State: check.StateOK,
			Since: at.Add(-2 * time.Hour), Latency: 21 * time.Millisecond, Message: check.Msg("erreichbar", "reachable"),
			LastProbe: probe, Spark: spark(20, 22, 21)},
		{ID: "konnektor", Name: "Konnektor", Kind: check.KindKonnektor, Group: check.GroupAccess, State: check.StateDown,
			Since: at.Add(-18 * time.Minute), Latency: 5 * time.Second, Message: check.Msg("Verbindung abgelehnt", "Connection refused"),
			DependsOn: []string{"internet"}, LastProbe: probe, Spark: spark(40, 41, -1)},
		{ID: "erezept", Name: "E-Rezept", Kind: check.KindHTTP, Group: check.GroupAccess, State: check.StateDown,
			Since: at.Add(-17 * time.Minute), Latency: 1500 * time.Microsecond, Message: check.Msg("Zeitüberschreitung", "Timeout"),
			DependsOn: []string{"konnektor"}, Affects: []string{"Kasse", "Bestellung"},
			Consequence: true, CausedBy: []string{"konnektor"}, LastProbe: probe, Spark: spark(100, 120)},
		{ID: "erp", Name: "Warenwirtschaft", Kind: check.KindHTTP, Group: check.GroupERP, State: check.StateDegraded,
			Since: at.Add(-30 * time.Hour), Latency: 900 * time.Millisecond, Message: check.Msg("Langsam: 900 ms (Grenze 500 ms)", "Slow: 900 ms (limit 500 ms)"),
			LastProbe: probe, Spark: spark(300, 900)},
		{ID: "backup", Name: "Sicherung", Kind: check.KindDisk, Group: check.GroupOther, State: check.StateUnknown,
			Since: at.Add(-time.Minute)},
	}
	return monitor.Overview{At: at, Overall: check.StateDown, RootCauses: []string{"erp", "konnektor"}, Checks: checks}
}

type env struct {
	t    *testing.T
	srv  *Server
	ts   *httptest.Server
	auth *auth.Service
	clk  *clock.Fake
	src  *fakeSource
	db   *sqlite.DB
	loc  *time.Location
}

// newEnv starts a server over a real SQLite database with the users
// anna (staff), vera (viewer) and chef (admin).
func newEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "site.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	clk := clock.NewFake(testNow)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := auth.New(sqlite.NewAuthStore(db), clk, log,
		auth.WithHashParams(auth.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}))
	for _, u := range []struct {
		name string
		role auth.Role
	}{{"anna", auth.RoleStaff}, {"vera", auth.RoleViewer}, {"chef", auth.RoleAdmin}} {
		if err := svc.AddUser(ctx, u.name, u.role, u.name+"-passwort"); err != nil {
			t.Fatalf("AddUser %s: %v", u.name, err)
		}
	}
	loc := berlin(t)
	cfg := Config{Location: loc, SiteName: "Apotheke am Markt", Version: "v0.1.0-test"}
	if mod != nil {
		mod(&cfg)
	}
	src := newFakeSource(testOverview())
	srv, err := New(cfg, src, svc, log, clk)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e := &env{t: t, srv: srv, auth: svc, clk: clk, src: src, db: db, loc: loc}
	e.registerExtensions()
	e.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		srv.Close()
		e.ts.Close()
	})
	return e
}

// registerExtensions adds a page, an API and a public handler the way a
// later feature would.
func (e *env) registerExtensions() {
	s := e.srv
	s.HandlePage("GET /test/page", auth.RoleStaff, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := User(r)
		s.Render(w, r, check.Msg("Testseite", "Test page"),
			template.HTML("<p id=\"ext\">lang="+html.EscapeString(Lang(r))+" user="+html.EscapeString(u.Name)+" csrf-set="+boolWord(CSRFToken(r) != "")+"</p>"))
	}))
	s.HandlePage("POST /test/action", auth.RoleStaff, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/test/page", http.StatusSeeOther)
	}))
	s.HandleAPI("POST /api/v1/test/ack", auth.RoleStaff, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := User(r)
		WriteJSON(w, http.StatusOK, map[string]any{"ok": true, "by": u.Name, "token": u.ViaToken})
	}))
	s.HandleAPI("GET /api/v1/test/fail", auth.RoleViewer, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.WriteError(w, r, auth.Errorf(auth.ECONFLICT, "Schon quittiert.", "Already acknowledged."))
	}))
	s.HandlePublic("GET /test/public", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "public")
	}))
	s.AddNav("/test/page", check.Msg("Testseite", "Test page"), auth.RoleStaff)
}

func boolWord(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// client returns an HTTP client with its own cookie jar that does not
// follow redirects.
func (e *env) client() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatalf("cookie jar: %v", err)
	}
	return &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request; form values make it a form POST.
func (e *env) do(c *http.Client, method, path string, form url.Values, header map[string]string) response {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.ts.URL+path, body)
	if err != nil {
		e.t.Fatalf("request: %v", err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// login logs c in as name (password name+"-passwort") and checks the
// redirect.
func (e *env) login(c *http.Client, name string) {
	e.t.Helper()
	r := e.do(c, "POST", "/login", url.Values{"user": {name}, "password": {name + "-passwort"}}, nil)
	if r.status != http.StatusSeeOther {
		e.t.Fatalf("login %s: status %d; want 303\n%s", name, r.status, r.body)
	}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token from a page of the logged-in client.
func (e *env) csrf(c *http.Client) string {
	e.t.Helper()
	r := e.do(c, "GET", "/password", nil, nil)
	m := csrfRE.FindStringSubmatch(r.body)
	if m == nil {
		e.t.Fatalf("no CSRF token on /password (status %d)", r.status)
	}
	return m[1]
}

// sessionCookieValue returns the client's session cookie.
func (e *env) sessionCookieValue(c *http.Client) string {
	u, _ := url.Parse(e.ts.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			return ck.Value
		}
	}
	return ""
}

// httptestTLS starts a TLS test server on loopback.
func httptestTLS(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewTLSServer(h)
	t.Cleanup(ts.Close)
	return ts
}
