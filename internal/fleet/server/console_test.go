package server_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/fleettest"
)

// browser is a console user with cookies, like a browser.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func newBrowser(t *testing.T, env *fleettest.Env) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: env.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(req *http.Request) (int, string, string) {
	b.t.Helper()
	req.Header.Set("Origin", b.base) // a same-origin browser request
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return resp.StatusCode, string(body), resp.Header.Get("Location")
}

func (b *browser) get(path string) (int, string, string) {
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) (int, string, string) {
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) upload(path, field, name string, data []byte, fields url.Values) (int, string, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile(field, name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

// login logs in and changes a one-time password when asked.
func (b *browser) login(name, password string) {
	b.t.Helper()
	st, _, loc := b.post("/login", url.Values{"user": {name}, "password": {password}})
	if st != http.StatusSeeOther {
		b.t.Fatalf("login %s: got %d; want 303", name, st)
	}
	if loc == "/password" {
		b.get("/password")
		st, body, _ := b.post("/password", url.Values{"csrf": {b.csrf}, "current": {password}, "new": {"ein-langes-passwort-42"}, "repeat": {"ein-langes-passwort-42"}})
		if st != http.StatusSeeOther {
			b.t.Fatalf("change password: got %d %s", st, body)
		}
	}
	b.get("/")
}

func TestConsole(t *testing.T) {
	env := fleettest.New(t, nil)
	admin := newBrowser(t, env)
	if st, _, loc := admin.get("/sites"); st != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
		t.Fatalf("anonymous /sites: got %d to %q; want a redirect to the login", st, loc)
	}
	for _, p := range []string{"/static/app.css", "/static/app.js", "/login"} {
		if st, _, _ := admin.get(p); st != http.StatusOK {
			t.Errorf("GET %s anonymously: got %d; want 200", p, st)
		}
	}
	admin.login("admin", env.App.AdminPassword)

	// German by default.
	st, body, _ := admin.get("/sites")
	if st != http.StatusOK || !strings.Contains(body, "Standort anlegen") {
		t.Fatalf("sites page: got %d; want the German page with the add form", st)
	}
	site := url.Values{"id": {"apo-1"}, "name": {"Rosen-Apotheke"}, "timezone": {"Europe/Berlin"}, "state": {"BY"},
		"window": {"Mo-Fr 01:00-05:00"}, "contacts": {"Frau Muster"}}
	if st, _, _ := admin.post("/sites", site); st != http.StatusForbidden {
		t.Errorf("add site without CSRF token: got %d; want 403", st)
	}
	site.Set("csrf", admin.csrf)
	st, body, _ = admin.post("/sites", site)
	if st != http.StatusOK || !regexp.MustCompile(`class="code">[0-9A-Z]{4}-`).MatchString(body) {
		t.Fatalf("add site: got %d; want the page with the one-time code", st)
	}
	site.Set("window", "nachts")
	st, body, _ = admin.post("/sites", site)
	if st != http.StatusBadRequest || !strings.Contains(body, "window") {
		t.Errorf("add site with a bad window: got %d; want 400 naming the window", st)
	}

	// CSV import: one bad line refuses the whole file.
	csvBad := "id;name;timezone;state;window;contacts\napo-2;Dom-Apotheke;;NW;täglich 02:00-04:00;\napo-3;Kaputt;;XX;täglich 02:00-04:00;\n"
	st, body, _ = admin.upload("/sites/import", "file", "sites.csv", []byte(csvBad), url.Values{"csrf": {admin.csrf}})
	if st != http.StatusBadRequest || !strings.Contains(body, "line 3") {
		t.Errorf("bad import: got %d; want 400 naming line 3", st)
	}
	if _, err := env.Service().Site(ctx(t), "apo-2"); fleet.ErrorCode(err) != fleet.ENOTFOUND {
		t.Errorf("site of a refused import: got %v; want none", err)
	}
	csvGood := "id;name;timezone;state;window;contacts;ring\napo-2;Dom-Apotheke;;NW;täglich 02:00-04:00;;test\napo-3;Löwen-Apotheke;Europe/Berlin;SN;Sa 01:00-03:00;Herr Beispiel;\n"
	st, body, _ = admin.upload("/sites/import", "file", "sites.csv", []byte(csvGood), url.Values{"csrf": {admin.csrf}})
	if st != http.StatusOK || strings.Count(body, `class="code"`) != 2 {
		t.Fatalf("import: got %d; want two codes", st)
	}
	if st, body, _ = admin.get("/sites/apo-2"); st != http.StatusOK || !strings.Contains(body, "Dom-Apotheke") {
		t.Errorf("site page: got %d", st)
	}

	// A viewer (hotline) sees, but may not change.
	if err := env.App.Auth.AddUser(ctx(t), "hotline", auth.RoleViewer, "hotline-passwort-1"); err != nil {
		t.Fatal(err)
	}
	viewer := newBrowser(t, env)
	viewer.login("hotline", "hotline-passwort-1")
	if st, _, _ := viewer.get("/sites/apo-2"); st != http.StatusOK {
		t.Errorf("viewer reads a site: got %d; want 200", st)
	}
	if st, _, _ := viewer.post("/sites/apo-2/code", url.Values{"csrf": {viewer.csrf}}); st != http.StatusForbidden {
		t.Errorf("viewer creates a code: got %d; want 403", st)
	}
	if st, _, _ := viewer.post("/sites", url.Values{"csrf": {viewer.csrf}, "id": {"x"}}); st != http.StatusForbidden {
		t.Errorf("viewer adds a site: got %d; want 403", st)
	}

	// Two sites enrol; a release and its rollout, paused by hand with a reason.
	for _, id := range []string{"apo-2", "apo-3"} {
		code, err := env.Service().NewEnrolmentCode(ctx(t), "admin", id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client(t, env, t.TempDir(), code.Code).Enrol(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
	admin.get("/releases")
	st, body, _ = admin.upload("/releases", "artifact", "erp-2026.1.msi", []byte("MSI..."), url.Values{"csrf": {admin.csrf},
		"component": {"erp"}, "version": {"2026.1"}, "install_hook": {"install"}, "rollback_hook": {"rollback"}, "notes": {"Neue Zuzahlungstabelle"}})
	if st != http.StatusOK || !strings.Contains(body, "erp 2026.1") {
		t.Fatalf("add release: got %d", st)
	}
	rels, _ := env.Service().Releases(ctx(t))
	st, _, loc := admin.post("/rollouts", url.Values{"csrf": {admin.csrf}, "release": {"1"}})
	if st != http.StatusSeeOther || loc != "/rollouts/1" || len(rels) != 1 {
		t.Fatalf("start rollout: got %d to %q", st, loc)
	}
	st, body, _ = admin.get("/rollouts/1")
	if st != http.StatusOK || !strings.Contains(body, "first") || !strings.Contains(body, "läuft") {
		t.Fatalf("rollout page: got %d; want the rings, running", st)
	}
	if st, body, _ = admin.get("/rollouts/1/live"); st != http.StatusOK || !strings.Contains(body, "class=\"rings\"") {
		t.Errorf("live fragment: got %d", st)
	}
	if st, _, _ := admin.post("/rollouts/1/pause", url.Values{"csrf": {admin.csrf}}); st != http.StatusBadRequest {
		t.Errorf("pause without a reason: got %d; want 400", st)
	}
	if st, _, _ := admin.post("/rollouts/1/pause", url.Values{"csrf": {admin.csrf}, "reason": {"Hotline meldet Druckprobleme"}}); st != http.StatusSeeOther {
		t.Errorf("pause: got %d; want 303", st)
	}
	if st, _, _ := admin.post("/rollouts/1/pause", url.Values{"csrf": {admin.csrf}, "reason": {"nochmal"}}); st != http.StatusConflict {
		t.Errorf("pause a paused rollout: got %d; want 409", st)
	}
	rec, _ := env.App.Store.Rollout(ctx(t), 1)
	if rec.Status != fleet.RolloutPaused || !strings.Contains(rec.Reason, "Druckprobleme") {
		t.Errorf("paused rollout: got %s %q", rec.Status, rec.Reason)
	}
	if st, _, _ := viewer.post("/rollouts/1/resume", url.Values{"csrf": {viewer.csrf}, "reason": {"x"}}); st != http.StatusForbidden {
		t.Errorf("viewer resumes: got %d; want 403", st)
	}

	// Every action is in the audit log.
	_, body, _ = admin.get("/audit")
	for _, action := range []string{"user.login", "user.password", "site.add", "site.import", "release.add", "rollout.start", "rollout.pause"} {
		if !strings.Contains(body, action) {
			t.Errorf("audit log: %s missing", action)
		}
	}

	// English on request.
	admin.post("/lang", url.Values{"csrf": {admin.csrf}, "lang": {"en"}, "next": {"/sites"}})
	if _, body, _ = admin.get("/sites"); !strings.Contains(body, "Add a site") {
		t.Error("after switching to English: the sites page is not English")
	}

	// The hotline's JSON API with a viewer API token.
	tok, err := env.App.Auth.CreateToken(ctx(t), "hotline-tool", auth.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, env.URL+"/api/v1/sites/apo-3", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "Löwen-Apotheke") {
		t.Errorf("API site: got %d %s", resp.StatusCode, b)
	}
}
