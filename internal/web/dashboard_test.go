package web

import (
	"html"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/monitor"
)

// tileHTML cuts the tile of one check out of a page.
func tileHTML(t *testing.T, page, id string) string {
	t.Helper()
	start := strings.Index(page, `<article id="check-`+id+`"`)
	if start < 0 {
		t.Fatalf("page has no tile #check-%s", id)
	}
	end := strings.Index(page[start:], "</article>")
	return page[start : start+end]
}

func TestDashboard(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client()
	e.login(c, "vera")
	r := e.do(c, "GET", "/", nil, nil)
	if r.status != http.StatusOK {
		t.Fatalf("status %d; want 200", r.status)
	}
	page := r.body
	o := testOverview()
	sentence := o.Sentence("de", e.loc)
	if !strings.Contains(sentence, "E-Rezept gestört seit 10:12. Ursache: Konnektor ausgefallen.") {
		t.Fatalf("fixture sentence %q is not the expected one", sentence)
	}
	if !strings.Contains(page, `id="sentence"`) || !strings.Contains(page, html.EscapeString(sentence)) {
		t.Errorf("dashboard lacks #sentence with %q", sentence)
	}
	if !strings.Contains(page, "Apotheke am Markt") {
		t.Errorf("dashboard lacks the site name")
	}
	// Groups in recovery order, with their titles.
	last := -1
	for _, g := range check.Groups {
		i := strings.Index(page, `id="group-`+g+`"`)
		if i < 0 {
			t.Errorf("group %s missing", g)
			continue
		}
		if i < last {
			t.Errorf("group %s out of recovery order", g)
		}
		last = i
		if title := html.EscapeString(check.GroupTitle(g).DE); !strings.Contains(page[i:], title) {
			t.Errorf("group title %q missing", title)
		}
	}
	if i, j := strings.Index(page, `id="check-konnektor"`), strings.Index(page, `id="group-access"`); i < j {
		t.Errorf("tile konnektor is not inside the access group")
	}
	tests := []struct {
		id    string
		state string
		want  []string
	}{
		{"ups", "ok", []string{"in Ordnung", "seit 01.02. 10:30", "Antwortzeit 3,0 ms", "Netzbetrieb, Akku 100 %", "<svg class=\"spark\""}},
		{"konnektor", "down", []string{"ausgefallen", "seit 10:12", "Antwortzeit 5000 ms", "Verbindung abgelehnt"}},
		{"erezept", "down", []string{"ausgefallen</strong>", ", weil Konnektor ausgefallen ist", "Betroffen: Kasse, Bestellung", "Antwortzeit 1,5 ms"}},
		{"erp", "degraded", []string{"eingeschränkt", "seit 02.02. 04:30", "Langsam: 900 ms"}},
		{"backup", "unknown", []string{"unbekannt", "noch nicht geprüft"}},
	}
	for _, tc := range tests {
		tile := tileHTML(t, page, tc.id)
		if !strings.Contains(tile, `data-state="`+tc.state+`"`) {
			t.Errorf("tile %s lacks data-state=%q", tc.id, tc.state)
		}
		for _, w := range tc.want {
			if !strings.Contains(tile, w) {
				t.Errorf("tile %s lacks %q:\n%s", tc.id, w, tile)
			}
		}
	}
	if strings.Contains(page, "??") {
		t.Errorf("dashboard has an untranslated key: %s", regexp.MustCompile(`\?\?[^?]*\?\?`).FindString(page))
	}
	if !strings.Contains(page, `<script src="/static/app.js?v=`) || strings.Contains(page, "<script>") || strings.Contains(page, " style=") {
		t.Errorf("dashboard must load its script from /static and have no inline script or style")
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Errorf("dashboard references an outside address")
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client()
	e.login(c, "vera")
	for _, path := range []string{"/", "/login", "/api/v1/status", "/healthz", "/static/app.js", "/nope"} {
		r := e.do(c, "GET", path, nil, nil)
		for k, want := range map[string]string{
			"X-Frame-Options":        "DENY",
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "same-origin",
		} {
			if got := r.header.Get(k); got != want {
				t.Errorf("%s: %s = %q; want %q", path, k, got, want)
			}
		}
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
	}
}

func TestLanguage(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client()
	if r := e.do(c, "GET", "/login", nil, nil); !strings.Contains(r.body, "Benutzername") || !strings.Contains(r.body, `lang="de"`) {
		t.Fatalf("login page is not German by default")
	}
	// Switch on the login page, before logging in.
	r := e.do(c, "POST", "/lang", url.Values{"lang": {"en"}, "next": {"/login"}}, nil)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login" {
		t.Fatalf("switch: status %d Location %q; want 303 /login", r.status, r.header.Get("Location"))
	}
	if r := e.do(c, "GET", "/login", nil, nil); !strings.Contains(r.body, "User name") || !strings.Contains(r.body, `lang="en"`) {
		t.Errorf("login page is not English after the switch")
	}
	e.login(c, "vera")
	page := e.do(c, "GET", "/", nil, nil).body
	o := testOverview()
	for _, want := range []string{
		html.EscapeString(o.Sentence("en", e.loc)),
		"down</strong>", ", because Konnektor is down", "Affects: Kasse, Bestellung", "Response time 1.5 ms",
		"Power", "Pharmacy system (ERP)", `id="lang-switch"`, ">Deutsch<",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("English dashboard lacks %q", want)
		}
	}
	if strings.Contains(page, "??") {
		t.Errorf("English dashboard has an untranslated key")
	}
	// Back to German, logged in: the CSRF token is required.
	tok := e.csrf(c)
	r = e.do(c, "POST", "/lang", url.Values{"lang": {"de"}, "next": {"/"}, "csrf": {tok}}, nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("switch back: status %d; want 303", r.status)
	}
	if page := e.do(c, "GET", "/", nil, nil).body; !strings.Contains(page, "weil Konnektor ausgefallen ist") || !strings.Contains(page, ">English<") {
		t.Errorf("dashboard is not German after switching back")
	}
	if r := e.do(c, "POST", "/lang", url.Values{"lang": {"fr"}, "csrf": {tok}}, nil); r.status != http.StatusBadRequest {
		t.Errorf("unsupported language: status %d; want 400", r.status)
	}
	// The configured default applies to users without a choice.
	en := newEnv(t, func(c *Config) { c.Language = "en" })
	if r := en.do(en.client(), "GET", "/login", nil, nil); !strings.Contains(r.body, "User name") {
		t.Errorf("Language en: login page is not English")
	}
	if _, err := New(Config{Language: "fr"}, en.src, en.auth, en.srv.log, en.clk); err == nil {
		t.Errorf("New with Language fr: no error")
	}
}

func TestCheckPage(t *testing.T) {
	e := newEnv(t, nil)
	e.src.transitions["konnektor"] = []check.Transition{
		{CheckID: "konnektor", From: check.StateOK, To: check.StateDown, At: testNow.Add(-18 * time.Minute), Reason: check.Msg("Verbindung abgelehnt", "Connection refused")},
	}
	e.src.samples["konnektor"] = []monitor.Sample{
		{CheckID: "konnektor", At: testNow.Add(-19 * time.Minute), Status: check.StatusFail, Latency: 5 * time.Second, Message: "Port 443 geschlossen"},
	}
	c := e.client()
	e.login(c, "vera")
	r := e.do(c, "GET", "/checks/konnektor", nil, nil)
	if r.status != http.StatusOK {
		t.Fatalf("status %d; want 200", r.status)
	}
	for _, want := range []string{"<title>Konnektor", "Zustandswechsel", "10:12", "in Ordnung", "ausgefallen", "Verbindung abgelehnt",
		"Port 443 geschlossen", "fehlgeschlagen", `href="/checks/internet"`, `data-state="down"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("detail page lacks %q", want)
		}
	}
	if strings.Contains(r.body, "??") {
		t.Errorf("detail page has an untranslated key")
	}
	r = e.do(c, "GET", "/checks/nope", nil, nil)
	if r.status != http.StatusNotFound || !strings.Contains(r.body, "Diese Prüfung gibt es nicht") {
		t.Errorf("unknown check: status %d; want 404 with an explanation", r.status)
	}
	if r := e.do(c, "GET", "/no/such/page", nil, nil); r.status != http.StatusNotFound {
		t.Errorf("unknown page: status %d; want 404", r.status)
	}
}

func TestExtensionPoints(t *testing.T) {
	e := newEnv(t, nil)
	var emergency atomic.Bool
	e.srv.AddBanner(func(r *http.Request) (check.Text, bool) {
		return check.Msg("Notbetrieb aktiv", "Emergency mode active"), emergency.Load()
	})
	c := e.client()
	e.login(c, "anna")
	if page := e.do(c, "GET", "/", nil, nil).body; strings.Contains(page, "Notbetrieb aktiv") {
		t.Errorf("banner shown while its function says no")
	}
	emergency.Store(true)
	for _, path := range []string{"/", "/checks/ups", "/test/page", "/password"} {
		if page := e.do(c, "GET", path, nil, nil).body; !strings.Contains(page, `class="banner" role="alert">Notbetrieb aktiv`) {
			t.Errorf("%s lacks the banner", path)
		}
	}
	var card atomic.Bool
	e.srv.AddCard(func(r *http.Request) (template.HTML, bool) {
		return template.HTML(`<section class="card" id="hotline-card">Kasse neu starten</section>`), card.Load()
	})
	if page := e.do(c, "GET", "/", nil, nil).body; strings.Contains(page, "hotline-card") {
		t.Error("card shown while its function says no")
	}
	card.Store(true)
	if page := e.do(c, "GET", "/", nil, nil).body; !strings.Contains(page, `<div class="dash-cards"><section class="card" id="hotline-card">`) {
		t.Error("the dashboard lacks the card")
	}
	if page := e.do(c, "GET", "/checks/ups", nil, nil).body; strings.Contains(page, "hotline-card") {
		t.Error("a card belongs on the dashboard only")
	}
	page := e.do(c, "GET", "/test/page", nil, nil).body
	for _, want := range []string{`<p id="ext">lang=de user=anna csrf-set=yes</p>`, "<title>Testseite – Apotheke am Markt</title>",
		`href="/test/page" aria-current="page"`, `id="logout"`} {
		if !strings.Contains(page, want) {
			t.Errorf("extension page lacks %q", want)
		}
	}
}

func TestSparkline(t *testing.T) {
	tests := []struct {
		name     string
		values   []float64
		wantPath string
		wantText string
	}{
		{"none", nil, "", ""},
		{"all gaps", []float64{-1, -1, -1}, "", "keine Messwerte"},
		{"line", []float64{0, 10}, `d="M0.0 22.0L96.0 2.0"`, "höchstens 10 ms"},
		{"gap splits", []float64{10, -1, 10}, `d="M0.0 2.0h0M96.0 2.0h0"`, "höchstens 10 ms"},
		{"flat zero", []float64{0, 0}, `d="M0.0 22.0L96.0 22.0"`, "höchstens 0,0 ms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(sparkline(tc.values, "de"))
			if tc.values == nil {
				if got != "" {
					t.Errorf("sparkline(nil) = %q; want empty", got)
				}
				return
			}
			if tc.wantPath == "" && strings.Contains(got, "<path") {
				t.Errorf("sparkline draws a path without data: %s", got)
			}
			if !strings.Contains(got, tc.wantPath) || !strings.Contains(got, tc.wantText) {
				t.Errorf("sparkline = %s; want %s and %q", got, tc.wantPath, tc.wantText)
			}
		})
	}
}

func TestFormatWhen(t *testing.T) {
	loc := berlin(t)
	now := time.Date(2026, 3, 29, 12, 0, 0, 0, loc)
	tests := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC), "03:30"}, // after the DST switch
		{time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC), "00:30"},
		{time.Date(2026, 3, 28, 22, 30, 0, 0, time.UTC), "28.03. 23:30"},
		{time.Date(2025, 12, 31, 22, 0, 0, 0, time.UTC), "31.12.2025 23:00"},
	}
	for _, tc := range tests {
		if got := formatWhen(tc.at, now, loc); got != tc.want {
			t.Errorf("formatWhen(%v) = %q; want %q", tc.at, got, tc.want)
		}
	}
}

func TestLocalPath(t *testing.T) {
	tests := map[string]string{
		"/":                  "/",
		"/checks/a?x=1":      "/checks/a?x=1",
		"":                   "/",
		"checks":             "/",
		"//evil.example":     "/",
		"/\\evil.example":    "/",
		"https://evil.ex/":   "/",
		"/a\r\nSet-Cookie:x": "/",
	}
	for in, want := range tests {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestAcceptLanguage(t *testing.T) {
	tests := map[string]string{
		"":                        "",
		"de-DE,de;q=0.9,en;q=0.8": "de",
		"en-US,en;q=0.9":          "en",
		"fr-FR,en;q=0.5,de;q=0.4": "en",
		"fr":                      "",
		"de;q=0,en;q=0.1":         "en",
		"EN":                      "en",
		"de;q=abc,en;q=0.2":       "en",
		"*":                       "",
	}
	for in, want := range tests {
		if got := acceptLanguage(in); got != want {
			t.Errorf("acceptLanguage(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestBecause(t *testing.T) {
	o := monitor.Overview{Checks: []monitor.CheckStatus{{ID: "k", Name: "Konnektor"}, {ID: "i", Name: "Internet"}}}
	tests := []struct {
		ids  []string
		lang string
		want string
	}{
		{[]string{"k"}, "de", "weil Konnektor ausgefallen ist"},
		{[]string{"i", "k"}, "de", "weil Internet und Konnektor ausgefallen sind"},
		{[]string{"k"}, "en", "because Konnektor is down"},
		{[]string{"i", "k", "x"}, "en", "because Internet, Konnektor and x are down"},
	}
	for _, tc := range tests {
		if got := because(o, tc.ids, tc.lang); got != tc.want {
			t.Errorf("because(%v, %s) = %q; want %q", tc.ids, tc.lang, got, tc.want)
		}
	}
}
