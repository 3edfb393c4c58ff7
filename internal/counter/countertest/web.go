package countertest

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/counter/counterweb"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
	"github.com/lifeline-project/lifeline/internal/web"
)

// Web is the env's site web server on loopback with the counter mounted
// and three users, each with the password name+"-passwort": anna (staff),
// vera (viewer) and chef (admin).
type Web struct {
	*Env
	Server *web.Server
	Auth   *auth.Service
	HTTP   *httptest.Server
	URL    string
}

// StartWeb starts the web server; it stops when the test ends.
func (e *Env) StartWeb() *Web {
	t := e.T
	t.Helper()
	ctx := context.Background()
	a := auth.New(sqlite.NewAuthStore(e.DB), e.Clock, e.Log,
		auth.WithHashParams(auth.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}))
	for _, u := range []struct {
		name string
		role auth.Role
	}{{"anna", auth.RoleStaff}, {"vera", auth.RoleViewer}, {"chef", auth.RoleAdmin}} {
		if err := a.AddUser(ctx, u.name, u.role, u.name+"-passwort"); err != nil {
			t.Fatalf("add user %s: %v", u.name, err)
		}
	}
	srv, err := web.New(web.Config{Location: e.Service.Location(), SiteName: "Apotheke am Markt"}, e.Monitor, a, e.Log, e.Clock)
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	h, err := counterweb.New(e.Service, srv, e.Log)
	if err != nil {
		t.Fatalf("counterweb.New: %v", err)
	}
	h.Mount()
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	return &Web{Env: e, Server: srv, Auth: a, HTTP: ts, URL: ts.URL}
}

// Client returns an HTTP client with its own cookies that does not follow
// redirects.
func (w *Web) Client() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		w.T.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Response is a read response.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Do sends a request; form values make it a form POST, a string body a
// JSON one.
func (w *Web) Do(c *http.Client, method, path string, form url.Values, header map[string]string) Response {
	w.T.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	if b, ok := header["body"]; ok {
		body = strings.NewReader(b)
	}
	req, err := http.NewRequest(method, w.URL+path, body)
	if err != nil {
		w.T.Fatalf("request: %v", err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		if k != "body" {
			req.Header.Set(k, v)
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		w.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		w.T.Fatalf("%s %s: read: %v", method, path, err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// Login logs c in as name.
func (w *Web) Login(c *http.Client, name string) {
	w.T.Helper()
	r := w.Do(c, "POST", "/login", url.Values{"user": {name}, "password": {name + "-passwort"}}, nil)
	if r.Status != http.StatusSeeOther {
		w.T.Fatalf("login %s: status %d; want 303\n%s", name, r.Status, r.Body)
	}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// CSRF reads the session's CSRF token from a page.
func (w *Web) CSRF(c *http.Client) string {
	w.T.Helper()
	r := w.Do(c, "GET", "/password", nil, nil)
	m := csrfRE.FindStringSubmatch(r.Body)
	if m == nil {
		w.T.Fatalf("no CSRF token on /password (status %d)", r.Status)
	}
	return m[1]
}
