package viewer_test

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
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/fhir"
	"github.com/lifeline-project/lifeline/internal/fhir/fhirdb"
	"github.com/lifeline-project/lifeline/internal/fhir/fhirtest"
	"github.com/lifeline-project/lifeline/internal/fhir/viewer"
	"github.com/lifeline-project/lifeline/internal/monitor"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
	"github.com/lifeline-project/lifeline/internal/web"
)

// The site's web server is where the viewer mounts its pages.
var _ viewer.Mounter = (*web.Server)(nil)

// site is a hospital site for tests: the simulated EHR synced into a real
// copy, the site's real web server with real users and sessions in SQLite,
// the viewer mounted on it.
type site struct {
	t      *testing.T
	env    *fhirtest.Env
	auth   *auth.Service
	web    *web.Server
	srv    *httptest.Server
	census *fhir.Census
	// wardA is assigned to pflege1, wardB is not.
	wardA, wardB fhir.Ward
}

// Users of the test site (password: name + "-passwort").
const (
	nurse  = "pflege1" // staff, ward A
	doctor = "arzt"    // staff, all wards ("*")
	admin  = "chef"    // admin
	guest  = "gast"    // viewer, no ward
)

type siteOptions struct {
	// access wraps the copy's access log (default: the copy itself).
	access func(*fhirdb.DB) fhir.Access
}

func newSite(t *testing.T, so siteOptions) *site {
	t.Helper()
	ctx := context.Background()
	e := fhirtest.New(t, fhirtest.Options{})
	e.Sync()
	e.Clock.Advance(3 * time.Minute)
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "site.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := slog.New(slog.NewTextHandler(testLogWriter(t), nil))
	svc := auth.New(sqlite.NewAuthStore(db), e.Clock, log,
		auth.WithHashParams(auth.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}))
	for name, role := range map[string]auth.Role{nurse: auth.RoleStaff, doctor: auth.RoleStaff, admin: auth.RoleAdmin, guest: auth.RoleViewer} {
		if err := svc.AddUser(ctx, name, role, name+"-passwort"); err != nil {
			t.Fatal(err)
		}
	}
	mon, err := monitor.New(monitor.Config{Store: sqlite.NewMonitorStore(db), Clock: e.Clock, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/Berlin")
	ws, err := web.New(web.Config{Location: loc, SiteName: "Klinikum Test"}, mon, svc, log, e.Clock)
	if err != nil {
		t.Fatal(err)
	}
	var access fhir.Access = e.DB
	if so.access != nil {
		access = so.access(e.DB)
	}
	v, err := viewer.New(viewer.Options{Reader: e.DB, Access: access,
		Hooks: viewer.Hooks{Render: ws.Render, Lang: web.Lang, User: web.User, CSRF: web.CSRFToken},
		Users: func(ctx context.Context) ([]string, error) {
			us, err := svc.Users(ctx)
			var names []string
			for _, u := range us {
				names = append(names, u.Name)
			}
			return names, err
		},
		MaxAge: 15 * time.Minute, Site: "Klinikum Test", Location: loc, Clock: e.Clock, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	v.Mount(ws)
	s := &site{t: t, env: e, auth: svc, web: ws}
	s.srv = httptest.NewServer(ws.Handler())
	t.Cleanup(func() {
		ws.Close()
		s.srv.Close()
	})
	s.census, err = fhir.CensusOf(ctx, e.DB)
	if err != nil {
		t.Fatal(err)
	}
	var occupied []fhir.Ward
	for _, w := range s.census.Wards {
		if w.Patients > 0 {
			occupied = append(occupied, w)
		}
	}
	if len(occupied) < 2 {
		t.Fatalf("want patients on at least 2 wards; got %v", s.census.Wards)
	}
	s.wardA, s.wardB = occupied[0], occupied[1]
	if err := e.DB.SetUserWards(ctx, nurse, []string{s.wardA.ID}); err != nil {
		t.Fatal(err)
	}
	if err := e.DB.SetUserWards(ctx, doctor, []string{fhir.AllWards}); err != nil {
		t.Fatal(err)
	}
	return s
}

// client is a logged-in browser without redirects followed.
type client struct {
	s *site
	c *http.Client
}

func (s *site) login(name string) *client {
	s.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{s: s, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	resp, err := c.c.PostForm(s.srv.URL+"/login", url.Values{"user": {name}, "password": {name + "-passwort"}})
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("login %s: status %d", name, resp.StatusCode)
	}
	return c
}

func (s *site) anonymous() *client {
	jar, _ := cookiejar.New(nil)
	return &client{s: s, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	body   string
	header http.Header
}

func (c *client) get(path string) page {
	c.s.t.Helper()
	resp, err := c.c.Get(c.s.srv.URL + path)
	if err != nil {
		c.s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, string(b), resp.Header}
}

func (c *client) post(path string, form url.Values) page {
	c.s.t.Helper()
	resp, err := c.c.PostForm(c.s.srv.URL+path, form)
	if err != nil {
		c.s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, string(b), resp.Header}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the session's CSRF token from a page.
func (c *client) csrf() string {
	c.s.t.Helper()
	m := csrfRE.FindStringSubmatch(c.get("/hospital").body)
	if m == nil {
		c.s.t.Fatal("no CSRF token on the page")
	}
	return m[1]
}

// patientsOn returns the patient keys of a ward, in bed order.
func (s *site) patientsOn(w fhir.Ward) []fhir.Key {
	var out []fhir.Key
	for _, b := range s.census.Beds(w.ID) {
		out = append(out, b.Patient)
	}
	return out
}

// logOf returns the access log entries of a user, newest first.
func (s *site) logOf(user string) []fhir.AccessEntry {
	s.t.Helper()
	all, err := s.env.DB.AccessLog(context.Background(), fhir.Key{}, 1000)
	if err != nil {
		s.t.Fatal(err)
	}
	var out []fhir.AccessEntry
	for _, e := range all {
		if e.User == user {
			out = append(out, e)
		}
	}
	return out
}

func contains(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

// testLogWriter sends the site's log to the test log with -v, else
// discards it.
func testLogWriter(t *testing.T) io.Writer {
	if testing.Verbose() {
		return tLog{t}
	}
	return io.Discard
}

type tLog struct{ t *testing.T }

func (l tLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
