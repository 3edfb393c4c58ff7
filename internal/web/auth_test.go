package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/auth"
)

func TestLogin(t *testing.T) {
	tests := []struct {
		name       string
		user, pass string
		wantStatus int
		wantLoc    string
		wantBody   string
		wantCookie bool
	}{
		{"right password", "anna", "anna-passwort", http.StatusSeeOther, "/", "", true},
		{"name with capitals", "Anna", "anna-passwort", http.StatusSeeOther, "/", "", true},
		{"wrong password", "anna", "falsch-falsch", http.StatusUnauthorized, "", "Benutzername oder Passwort ist falsch.", false},
		{"unknown user", "otto", "anna-passwort", http.StatusUnauthorized, "", "Benutzername oder Passwort ist falsch.", false},
		{"empty", "", "", http.StatusUnauthorized, "", "Benutzername oder Passwort ist falsch.", false},
	}
	e := newEnv(t, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := e.client()
			r := e.do(c, "POST", "/login", url.Values{"user": {tc.user}, "password": {tc.pass}}, nil)
			if r.status != tc.wantStatus {
				t.Fatalf("status %d; want %d\n%s", r.status, tc.wantStatus, r.body)
			}
			if got := r.header.Get("Location"); got != tc.wantLoc {
				t.Errorf("Location %q; want %q", got, tc.wantLoc)
			}
			if !strings.Contains(r.body, tc.wantBody) {
				t.Errorf("body lacks %q", tc.wantBody)
			}
			setCookie := strings.Join(r.header.Values("Set-Cookie"), "\n")
			if got := strings.Contains(setCookie, sessionCookie+"="); got != tc.wantCookie {
				t.Fatalf("session cookie set = %v; want %v (%s)", got, tc.wantCookie, setCookie)
			}
			if tc.wantCookie {
				for _, attr := range []string{"HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=604800"} {
					if !strings.Contains(setCookie, attr) {
						t.Errorf("session cookie %q lacks %s", setCookie, attr)
					}
				}
				if strings.Contains(setCookie, "Secure") {
					t.Errorf("session cookie %q is Secure over plain HTTP; the browser would drop it", setCookie)
				}
				if got := e.do(c, "GET", "/", nil, nil); got.status != http.StatusOK {
					t.Errorf("dashboard after login: status %d; want 200", got.status)
				}
			}
		})
	}
}

func TestLoginFormFields(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(e.client(), "GET", "/login", nil, nil)
	for _, want := range []string{`name="user"`, `name="password"`, `id="login"`, `type="password"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("login page lacks %s", want)
		}
	}
}

func TestSessionCookieSecureOverTLS(t *testing.T) {
	e := newEnv(t, nil)
	ts := httptestTLS(t, e.srv.Handler())
	c := ts.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.PostForm(ts.URL+"/login", url.Values{"user": {"anna"}, "password": {"anna-passwort"}})
	if err != nil {
		t.Fatalf("POST /login over TLS: %v", err)
	}
	resp.Body.Close()
	setCookie := resp.Header.Get("Set-Cookie")
	if !strings.Contains(setCookie, "Secure") || !strings.Contains(setCookie, "HttpOnly") {
		t.Errorf("session cookie over TLS = %q; want Secure and HttpOnly", setCookie)
	}
}

func TestLoginThrottle(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client()
	for i := range 5 {
		r := e.do(c, "POST", "/login", url.Values{"user": {"anna"}, "password": {"falsch-falsch"}}, nil)
		if r.status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: status %d; want 401", i+1, r.status)
		}
	}
	r := e.do(c, "POST", "/login", url.Values{"user": {"anna"}, "password": {"anna-passwort"}}, nil)
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("right password while locked: status %d; want 429", r.status)
	}
	if !strings.Contains(r.body, "Zu viele Fehlversuche") || r.header.Get("Retry-After") == "" {
		t.Errorf("locked answer lacks the explanation or Retry-After: %q", r.header.Get("Retry-After"))
	}
	e.clk.Advance(30 * time.Second)
	e.login(c, "anna")
}

func TestSessionExpiry(t *testing.T) {
	tests := []struct {
		name    string
		advance []time.Duration
		want    int
	}{
		{"active", []time.Duration{time.Hour}, http.StatusOK},
		{"idle 11 h", []time.Duration{11 * time.Hour}, http.StatusOK},
		{"idle 12 h", []time.Duration{12 * time.Hour}, http.StatusSeeOther},
		{"in use for 6 days", repeatDur(10*time.Hour, 14), http.StatusOK},
		{"in use for over 7 days", repeatDur(10*time.Hour, 17), http.StatusSeeOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			c := e.client()
			e.login(c, "anna")
			var r response
			for _, d := range tc.advance {
				e.clk.Advance(d)
				r = e.do(c, "GET", "/", nil, nil)
			}
			if r.status != tc.want {
				t.Fatalf("status %d; want %d", r.status, tc.want)
			}
			if tc.want == http.StatusSeeOther && r.header.Get("Location") != "/login" {
				t.Errorf("Location %q; want /login", r.header.Get("Location"))
			}
		})
	}
}

func repeatDur(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func TestLogout(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client()
	e.login(c, "anna")
	token := e.sessionCookieValue(c)
	r := e.do(c, "POST", "/logout", url.Values{"csrf": {e.csrf(c)}}, nil)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login" {
		t.Fatalf("logout: status %d Location %q; want 303 /login", r.status, r.header.Get("Location"))
	}
	if got := e.do(c, "GET", "/", nil, nil); got.status != http.StatusSeeOther {
		t.Errorf("dashboard after logout: status %d; want 303", got.status)
	}
	// The old cookie value is dead on the server, not just in the browser.
	other := e.client()
	r = e.do(other, "GET", "/api/v1/status", nil, map[string]string{"Cookie": sessionCookie + "=" + token})
	if r.status != http.StatusUnauthorized {
		t.Errorf("old session token after logout: status %d; want 401", r.status)
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client()
	e.login(c, "anna")
	tok := e.csrf(c)
	tests := []struct {
		name   string
		path   string
		form   url.Values
		header map[string]string
		want   int
	}{
		{"page without token", "/test/action", url.Values{}, nil, http.StatusForbidden},
		{"page with wrong token", "/test/action", url.Values{"csrf": {tok + "x"}}, nil, http.StatusForbidden},
		{"page with token", "/test/action", url.Values{"csrf": {tok}}, nil, http.StatusSeeOther},
		{"page with token in header", "/test/action", url.Values{}, map[string]string{"X-CSRF-Token": tok}, http.StatusSeeOther},
		{"page with token, same origin", "/test/action", url.Values{"csrf": {tok}}, map[string]string{"Origin": e.ts.URL}, http.StatusSeeOther},
		{"page with token, foreign origin", "/test/action", url.Values{"csrf": {tok}}, map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"page with token, cross-site fetch", "/test/action", url.Values{"csrf": {tok}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"logout without token", "/logout", url.Values{}, nil, http.StatusForbidden},
		{"password without token", "/password", url.Values{"current": {"anna-passwort"}, "new": {"neu-neu-neu-neu"}, "repeat": {"neu-neu-neu-neu"}}, nil, http.StatusForbidden},
		{"language without token", "/lang", url.Values{"lang": {"en"}}, nil, http.StatusForbidden},
		{"api fetch without token", "/api/v1/test/ack", url.Values{}, nil, http.StatusForbidden},
		{"api fetch with token", "/api/v1/test/ack", url.Values{}, map[string]string{"X-CSRF-Token": tok}, http.StatusOK},
		{"api fetch with token, foreign origin", "/api/v1/test/ack", url.Values{}, map[string]string{"X-CSRF-Token": tok, "Origin": "http://evil.example"}, http.StatusForbidden},
		{"login from a foreign origin", "/login", url.Values{"user": {"anna"}, "password": {"anna-passwort"}}, map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(c, "POST", tc.path, tc.form, tc.header)
			if r.status != tc.want {
				t.Errorf("status %d; want %d\n%.300s", r.status, tc.want, r.body)
			}
		})
	}
	// The refusals left the session alone.
	if r := e.do(c, "GET", "/", nil, nil); r.status != http.StatusOK {
		t.Errorf("dashboard after the refusals: status %d; want 200", r.status)
	}
}

func TestAPIToken(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	viewer, err := e.auth.CreateToken(ctx, "prometheus", auth.RoleViewer)
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	staff, err := e.auth.CreateToken(ctx, "kasse", auth.RoleStaff)
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	c := e.client()
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	tests := []struct {
		name   string
		method string
		path   string
		header map[string]string
		want   int
	}{
		{"viewer reads status", "GET", "/api/v1/status", bearer(viewer), http.StatusOK},
		{"lower-case scheme", "GET", "/api/v1/status", map[string]string{"Authorization": "bearer " + viewer}, http.StatusOK},
		{"viewer reads history", "GET", "/api/v1/checks/konnektor/history", bearer(viewer), http.StatusOK},
		{"viewer reads metrics", "GET", "/metrics", bearer(viewer), http.StatusOK},
		{"viewer may not acknowledge", "POST", "/api/v1/test/ack", bearer(viewer), http.StatusForbidden},
		{"staff acknowledges without CSRF", "POST", "/api/v1/test/ack", bearer(staff), http.StatusOK},
		{"no token", "GET", "/api/v1/status", nil, http.StatusUnauthorized},
		{"invalid token", "GET", "/api/v1/status", bearer("ll_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), http.StatusUnauthorized},
		{"basic auth", "GET", "/api/v1/status", map[string]string{"Authorization": "Basic YW5uYTphbm5hLXBhc3N3b3J0"}, http.StatusUnauthorized},
		{"token is no page login", "GET", "/", bearer(viewer), http.StatusSeeOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(c, tc.method, tc.path, nil, tc.header)
			if r.status != tc.want {
				t.Fatalf("status %d; want %d\n%.300s", r.status, tc.want, r.body)
			}
			if tc.want == http.StatusUnauthorized {
				assertJSONError(t, r)
				if r.header.Get("WWW-Authenticate") == "" {
					t.Errorf("401 without WWW-Authenticate")
				}
			}
		})
	}

	if err := e.auth.RevokeToken(ctx, "prometheus"); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	r := e.do(c, "GET", "/api/v1/status", nil, bearer(viewer))
	if r.status != http.StatusUnauthorized {
		t.Errorf("revoked token: status %d; want 401", r.status)
	}
	assertJSONError(t, r)

	// Only the hash is stored.
	var files []byte
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(e.db.Path() + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatalf("read database: %v", err)
		}
		files = append(files, b...)
	}
	if bytes.Contains(files, []byte(staff)) {
		t.Errorf("the plain API token is in the database file")
	}
	if !bytes.Contains(files, []byte(auth.HashToken(staff))) {
		t.Errorf("the token's hash is not in the database files; the check above proves nothing")
	}
}

func assertJSONError(t *testing.T, r response) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q; want application/json", ct)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatalf("error body %q is not JSON: %v", r.body, err)
	}
	if msg, ok := body["error"].(string); !ok || msg == "" || len(body) != 1 {
		t.Errorf("error body = %v; want exactly {\"error\": \"...\"}", body)
	}
}

func TestAnonymousRefused(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		method, path string
		want         int
		wantLoc      string
	}{
		{"GET", "/", http.StatusSeeOther, "/login"},
		{"GET", "/checks/konnektor", http.StatusSeeOther, "/login?next=%2Fchecks%2Fkonnektor"},
		{"GET", "/checks/nope", http.StatusSeeOther, "/login?next=%2Fchecks%2Fnope"},
		{"GET", "/password", http.StatusSeeOther, "/login?next=%2Fpassword"},
		{"POST", "/password", http.StatusSeeOther, "/login"},
		{"POST", "/logout", http.StatusSeeOther, "/login"},
		{"GET", "/events", http.StatusUnauthorized, ""},
		{"GET", "/api/v1/status", http.StatusUnauthorized, ""},
		{"GET", "/api/v1/checks/konnektor/history", http.StatusUnauthorized, ""},
		{"GET", "/api/v1/checks/nope/history", http.StatusUnauthorized, ""},
		{"GET", "/metrics", http.StatusUnauthorized, ""},
		{"GET", "/test/page", http.StatusSeeOther, "/login?next=%2Ftest%2Fpage"},
		{"POST", "/test/action", http.StatusSeeOther, "/login"},
		{"POST", "/api/v1/test/ack", http.StatusUnauthorized, ""},
		{"GET", "/api/v1/test/fail", http.StatusUnauthorized, ""},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var form url.Values
			if tc.method == "POST" {
				form = url.Values{}
			}
			r := e.do(e.client(), tc.method, tc.path, form, nil)
			if r.status != tc.want {
				t.Fatalf("status %d; want %d", r.status, tc.want)
			}
			if got := r.header.Get("Location"); got != tc.wantLoc {
				t.Errorf("Location %q; want %q", got, tc.wantLoc)
			}
			for _, secret := range []string{"Konnektor", "Verbindung abgelehnt", "lifeline_check_up"} {
				if strings.Contains(r.body, secret) {
					t.Errorf("anonymous answer shows %q", secret)
				}
			}
		})
	}
}

func TestPublicRoutes(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		path     string
		wantType string
		wantBody string
	}{
		{"/healthz", "application/json", `{"status":"ok"}`},
		{"/login", "text/html", `id="login"`},
		{"/static/app.js", "text/javascript", "EventSource"},
		{"/static/app.css", "text/css", ".tile"},
		{"/test/public", "text/plain", "public"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := e.do(e.client(), "GET", tc.path, nil, nil)
			if r.status != http.StatusOK {
				t.Fatalf("status %d; want 200", r.status)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, tc.wantType) {
				t.Errorf("Content-Type %q; want %s", ct, tc.wantType)
			}
			if !strings.Contains(r.body, tc.wantBody) {
				t.Errorf("body lacks %q", tc.wantBody)
			}
		})
	}
	if r := e.do(e.client(), "GET", "/static/", nil, nil); r.status != http.StatusNotFound {
		t.Errorf("GET /static/ (directory listing): status %d; want 404", r.status)
	}
}

func TestMustChangePassword(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	pw, err := e.auth.ResetPassword(ctx, "chef")
	if err != nil {
		t.Fatalf("ResetPassword: %v", err)
	}
	c := e.client()
	r := e.do(c, "POST", "/login", url.Values{"user": {"chef"}, "password": {pw}, "next": {"/checks/konnektor"}}, nil)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/password" {
		t.Fatalf("login with a one-time password: status %d Location %q; want 303 /password", r.status, r.header.Get("Location"))
	}
	for _, path := range []string{"/", "/checks/konnektor", "/test/page"} {
		r := e.do(c, "GET", path, nil, nil)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/password" {
			t.Errorf("GET %s before the change: status %d Location %q; want 303 /password", path, r.status, r.header.Get("Location"))
		}
	}
	if r := e.do(c, "GET", "/api/v1/status", nil, nil); r.status != http.StatusForbidden {
		t.Errorf("API by session before the change: status %d; want 403", r.status)
	}
	if r := e.do(c, "GET", "/events", nil, nil); r.status != http.StatusForbidden {
		t.Errorf("events before the change: status %d; want 403", r.status)
	}
	page := e.do(c, "GET", "/password", nil, nil)
	if page.status != http.StatusOK || !strings.Contains(page.body, `id="must-change"`) {
		t.Fatalf("password page: status %d, must-change notice present %v", page.status, strings.Contains(page.body, `id="must-change"`))
	}
	tok := csrfRE.FindStringSubmatch(page.body)[1]
	old := e.sessionCookieValue(c)

	bad := []struct {
		name      string
		form      url.Values
		wantInMsg string
	}{
		{"mismatch", url.Values{"current": {pw}, "new": {"neu-neu-neu-neu"}, "repeat": {"neu-neu-neu-nex"}}, "stimmen nicht überein"},
		{"too short", url.Values{"current": {pw}, "new": {"kurz"}, "repeat": {"kurz"}}, "zu kurz"},
		{"wrong current", url.Values{"current": {"falsch-falsch"}, "new": {"neu-neu-neu-neu"}, "repeat": {"neu-neu-neu-neu"}}, "falsch"},
	}
	for _, tc := range bad {
		tc.form.Set("csrf", tok)
		r := e.do(c, "POST", "/password", tc.form, nil)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, tc.wantInMsg) {
			t.Errorf("%s: status %d, message with %q present %v; want 400 and the message", tc.name, r.status, tc.wantInMsg, strings.Contains(r.body, tc.wantInMsg))
		}
	}
	r = e.do(c, "POST", "/password", url.Values{"csrf": {tok}, "current": {pw}, "new": {"neu-neu-neu-neu"}, "repeat": {"neu-neu-neu-neu"}}, nil)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Fatalf("change password: status %d Location %q; want 303 /\n%.300s", r.status, r.header.Get("Location"), r.body)
	}
	if e.sessionCookieValue(c) == old {
		t.Errorf("the session cookie was not renewed after the password change")
	}
	if r := e.do(c, "GET", "/", nil, nil); r.status != http.StatusOK {
		t.Errorf("dashboard after the change: status %d; want 200", r.status)
	}
	if r := e.do(e.client(), "GET", "/", nil, map[string]string{"Cookie": sessionCookie + "=" + old}); r.status != http.StatusSeeOther {
		t.Errorf("old session after the change: status %d; want 303 to the login", r.status)
	}
}

func TestRoles(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		user string
		want int
	}{
		{"vera", http.StatusForbidden},
		{"anna", http.StatusOK},
		{"chef", http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.user, func(t *testing.T) {
			c := e.client()
			e.login(c, tc.user)
			r := e.do(c, "GET", "/test/page", nil, nil)
			if r.status != tc.want {
				t.Fatalf("staff page as %s: status %d; want %d", tc.user, r.status, tc.want)
			}
			if tc.want == http.StatusForbidden && !strings.Contains(r.body, "Berechtigung") {
				t.Errorf("refusal does not explain the missing permission")
			}
			dash := e.do(c, "GET", "/", nil, nil)
			hasLink := strings.Contains(dash.body, `href="/test/page"`)
			if want := tc.want == http.StatusOK; hasLink != want {
				t.Errorf("navigation link for the staff page shown to %s = %v; want %v", tc.user, hasLink, want)
			}
		})
	}
}

func TestLoginNext(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		next, want string
	}{
		{"/checks/konnektor", "/checks/konnektor"},
		{"//evil.example/x", "/"},
		{"https://evil.example/", "/"},
		{"/\\evil.example", "/"},
		{"", "/"},
	}
	for _, tc := range tests {
		c := e.client()
		r := e.do(c, "POST", "/login", url.Values{"user": {"anna"}, "password": {"anna-passwort"}, "next": {tc.next}}, nil)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != tc.want {
			t.Errorf("login with next=%q: status %d Location %q; want 303 %q", tc.next, r.status, r.header.Get("Location"), tc.want)
		}
	}
}
