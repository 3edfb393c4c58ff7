package agentweb_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/agent"
	"github.com/lifeline-project/lifeline/internal/agent/agentweb"
	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
	"github.com/lifeline-project/lifeline/internal/monitor"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
	"github.com/lifeline-project/lifeline/internal/web"
)

// now is Wednesday 10 June 2026, 12:00 in Berlin.
var now = time.Date(2026, 6, 10, 10, 0, 0, 0, time.UTC)

// unreachable is a fleet that cannot be reached: reports stay queued.
type unreachable struct{}

func (unreachable) Report(context.Context, protocol.Report) error {
	return errors.New("fleet not reachable")
}

// noRepo is never asked: the agent does not run in this test.
type noRepo struct{}

func (noRepo) Target(context.Context, string) (agent.Target, error) {
	return agent.Target{}, errors.New("not used")
}
func (noRepo) Open(context.Context, agent.Target, int64) (io.ReadCloser, int64, error) {
	return nil, 0, errors.New("not used")
}

type env struct {
	t   *testing.T
	clk *clock.Fake
	ts  *httptest.Server
	ag  *agent.Agent
	loc *time.Location
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "site.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := clock.NewFake(now)
	log := slog.New(slog.DiscardHandler)
	svc := auth.New(sqlite.NewAuthStore(db), clk, log, auth.WithHashParams(auth.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}))
	for _, u := range []struct {
		name string
		role auth.Role
	}{{"anna", auth.RoleStaff}, {"vera", auth.RoleViewer}} {
		if err := svc.AddUser(ctx, u.name, u.role, u.name+"-passwort"); err != nil {
			t.Fatal(err)
		}
	}
	mon, err := monitor.New(monitor.Config{Store: sqlite.NewMonitorStore(db), Clock: clk, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/Berlin")
	srv, err := web.New(web.Config{Location: loc, SiteName: "Apotheke am Markt", Version: "test"}, mon, svc, log, clk)
	if err != nil {
		t.Fatal(err)
	}
	hook := filepath.Join(dir, "hook.sh")
	if runtime.GOOS == "windows" {
		hook = filepath.Join(dir, "hook.cmd")
	}
	if err := os.WriteFile(hook, []byte("exit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := agent.Config{Window: "So 02:00-05:00", State: "NW", Components: []agent.Component{{Name: "erp", Title: "WinApo", Version: "24.2",
		Install: hook, Rollback: hook}}}
	cfg.ApplyDefaults()
	ag, err := agent.New(agent.Options{Config: cfg, Dir: filepath.Join(dir, "agent"), Fleet: unreachable{}, Repo: noRepo{},
		Health: mon.Overview, Clock: clk, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	h, err := agentweb.New(ag, agentweb.Hooks{Render: srv.Render, Lang: web.Lang, CSRF: web.CSRFToken,
		User: func(r *http.Request) (string, bool) {
			p, ok := web.User(r)
			return p.Name, ok && p.Role.AtLeast(auth.RoleStaff)
		}}, log)
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range h.Routes() {
		if rt.API {
			srv.HandleAPI(rt.Pattern, rt.Role, rt.Handler)
		} else {
			srv.HandlePage(rt.Pattern, rt.Role, rt.Handler)
		}
	}
	srv.AddBanner(h.Banner)
	srv.AddNav(agentweb.Prefix, agentweb.NavTitle(), auth.RoleViewer)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { srv.Close(); ts.Close() })
	return &env{t: t, clk: clk, ts: ts, ag: ag, loc: loc}
}

func (e *env) client(name string) *http.Client {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp := e.do(c, "POST", "/login", url.Values{"user": {name}, "password": {name + "-passwort"}})
	if resp.status != http.StatusSeeOther {
		e.t.Fatalf("login %s: %d %s", name, resp.status, resp.body)
	}
	return c
}

type answer struct {
	status   int
	body     string
	location string
}

func (e *env) do(c *http.Client, method, path string, form url.Values) answer {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, e.ts.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", e.ts.URL)
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: string(b), location: resp.Header.Get("Location")}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func TestUpdatesPage(t *testing.T) {
	e := newEnv(t)
	anna, vera := e.client("anna"), e.client("vera")
	page := e.do(vera, "GET", "/updates", nil)
	if page.status != 200 || !strings.Contains(page.body, "Kein Update geplant.") || !strings.Contains(page.body, "So 02:00-05:00") {
		t.Fatalf("empty page: %d\n%s", page.status, page.body)
	}
	// The fleet plans WinApo 24.3 for Sunday's window.
	sunday := time.Date(2026, 6, 14, 0, 0, 0, 0, time.UTC) // 02:00 in Berlin
	if err := e.ag.HandleCommand(context.Background(), protocol.Command{ID: 7, RolloutID: 1, Kind: "install", Component: "erp", Version: "24.3",
		TargetPath: "erp/24.3/setup.exe", NotBefore: sunday, NotAfter: sunday.Add(3 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	page = e.do(vera, "GET", "/updates", nil)
	if !strings.Contains(page.body, "Update WinApo 24.3 geplant für So 02:00") {
		t.Fatalf("planned update missing:\n%s", page.body)
	}
	if strings.Contains(page.body, "/updates/postpone") {
		t.Error("a viewer sees the postpone button")
	}
	if strings.Contains(page.body, "verschieben unter") {
		t.Errorf("banner for an update days away")
	}
	// A viewer may not postpone; staff without the CSRF token may not either.
	if r := e.do(vera, "POST", "/updates/postpone", url.Values{}); r.status != http.StatusForbidden {
		t.Errorf("viewer postpones: got %d; want 403", r.status)
	}
	if r := e.do(anna, "POST", "/updates/postpone", url.Values{}); r.status != http.StatusForbidden {
		t.Errorf("postpone without CSRF: got %d; want 403", r.status)
	}
	page = e.do(anna, "GET", "/updates", nil)
	m := csrfRE.FindStringSubmatch(page.body)
	if m == nil || !strings.Contains(page.body, "Update verschieben") {
		t.Fatalf("staff page lacks the button:\n%s", page.body)
	}
	r := e.do(anna, "POST", "/updates/postpone", url.Values{"csrf": {m[1]}})
	if r.status != http.StatusSeeOther || r.location != "/updates" {
		t.Fatalf("postpone: got %d %s", r.status, r.location)
	}
	v := e.ag.View(context.Background())
	if !v.Postponed.Until.Equal(sunday.Add(3*time.Hour)) || v.Postponed.By != "anna" {
		t.Errorf("postponed: got %+v; want until the end of Sunday's window, by anna", v.Postponed)
	}
	page = e.do(anna, "GET", "/updates?lang=en", nil)
	if !strings.Contains(page.body, "Verschoben bis") {
		t.Errorf("page after postponing:\n%s", page.body)
	}
	// Pausing needs a reason.
	r = e.do(anna, "POST", "/updates/pause", url.Values{"csrf": {m[1]}})
	if r.status != http.StatusSeeOther || !strings.Contains(r.location, "error=") {
		t.Errorf("pause without reason: got %d %s; want back with an error", r.status, r.location)
	}
	e.do(anna, "POST", "/updates/pause", url.Values{"csrf": {m[1]}, "reason": {"Inventur"}})
	if st := e.ag.Status(); !st.UpdatesPaused || st.PauseReason != "Inventur" {
		t.Errorf("pause: got %+v", st)
	}
	// The JSON view.
	api := e.do(vera, "GET", "/api/v1/updates", nil)
	var got struct {
		Next      struct{ Version, Sentence string }
		Paused    bool
		Installed map[string]string
	}
	if err := json.Unmarshal([]byte(api.body), &got); err != nil || got.Next.Version != "24.3" || !got.Paused || got.Installed["erp"] != "24.2" {
		t.Errorf("API: got %+v, %v\n%s", got, err, api.body)
	}
	e.do(anna, "POST", "/updates/resume", url.Values{"csrf": {m[1]}})
	if st := e.ag.Status(); st.UpdatesPaused {
		t.Error("resume: still paused")
	}
}

func TestCardAndBannerWords(t *testing.T) {
	e := newEnv(t)
	req := httptest.NewRequest("GET", "/", nil)
	h, err := agentweb.New(e.ag, agentweb.Hooks{Lang: func(*http.Request) string { return "en" }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := h.Banner(req); ok {
		t.Error("banner without an update")
	}
	card, ok := h.Card(req)
	if !ok || !strings.Contains(string(card), "No update planned.") {
		t.Errorf("card: %q", card)
	}
	soon := now.Add(2 * time.Hour)
	if err := e.ag.HandleCommand(context.Background(), protocol.Command{ID: 8, Kind: "install", Component: "erp", Version: "24.3",
		NotBefore: soon, NotAfter: soon.Add(5 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// Sunday is more than 24 hours away: no banner yet.
	if text, ok := h.Banner(req); ok {
		t.Errorf("banner for an update days away: %q", text.EN)
	}
	card, _ = h.Card(req)
	if !strings.Contains(string(card), "Update WinApo 24.3 planned for Sun 02:00") {
		t.Errorf("card: %s", card)
	}
	// On Saturday noon it is within a day: the banner shows on every page.
	e.clk.Set(time.Date(2026, 6, 13, 10, 0, 0, 0, time.UTC))
	text, ok := h.Banner(req)
	if want := (check.Msg("Update WinApo 24.3 geplant für So 02:00 – verschieben unter „Updates“",
		"Update WinApo 24.3 planned for Sun 02:00 – postpone under “Updates”")); !ok || text != want {
		t.Errorf("banner: got %+v, %v; want %+v", text, ok, want)
	}
}
