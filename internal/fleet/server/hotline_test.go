package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/alert/webhook"
	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/fleettest"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
	"github.com/lifeline-project/lifeline/internal/fleetclient"
	"github.com/lifeline-project/lifeline/internal/rollout"
)

// hook is a receiver of silence alerts.
type hook struct {
	mu     sync.Mutex
	bodies []string
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.bodies = append(h.bodies, string(b))
	h.mu.Unlock()
}

func (h *hook) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.bodies...)
}

// hotline is a fleet with four sites in trouble: apo-duty on emergency
// duty now (degraded), apo-down (down), apo-silent (heartbeat stopped),
// apo-deg (degraded); and apo-ok.
type hotline struct {
	env     *fleettest.Env
	hook    *hook
	clients map[string]*fleetclient.Client
}

func newHotline(t *testing.T) *hotline {
	h := &hotline{hook: &hook{}, clients: map[string]*fleetclient.Client{}}
	hookSrv := httptest.NewServer(h.hook)
	t.Cleanup(hookSrv.Close)
	dir := t.TempDir()
	duties := filepath.Join(dir, "notdienste.csv")
	if err := os.WriteFile(duties, []byte("site;date;start;end\napo-duty;2026-06-15;08:30;08:30\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.env = fleettest.New(t, func(c *fleet.Config) {
		c.DutiesFile = duties
		c.SilenceAlerts.Webhook = &webhook.Config{URL: hookSrv.URL, Secret: "ein-langes-geheimnis-1234"}
	})
	codes := h.env.AddSites(t,
		fleet.Site{ID: "apo-duty", Name: "Notdienst-Apotheke", State: "BY"},
		fleet.Site{ID: "apo-down", Name: "Rosen-Apotheke", State: "BY", Contacts: "Frau Muster, 80331 München, 089 / 123 456, muster@rosen.example"},
		fleet.Site{ID: "apo-silent", Name: "Stille Apotheke", State: "NW", Contacts: "Herr Still, still@apo.example"},
		fleet.Site{ID: "apo-deg", Name: "Linden-Apotheke", State: "NW"},
		fleet.Site{ID: "apo-ok", Name: "Heile Apotheke", State: "NW"})
	for id, code := range codes {
		h.clients[id] = client(t, h.env, filepath.Join(dir, id), code)
		if _, err := h.clients[id].Enrol(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
	beat := func(id, overall, sentence string, causes ...string) {
		if _, err := h.clients[id].SendHeartbeat(ctx(t), protocol.Heartbeat{Overall: overall, Sentence: sentence, RootCauses: causes,
			Components: map[string]string{"erp": "2026.1"}}); err != nil {
			t.Fatal(err)
		}
	}
	beat("apo-silent", "ok", "Alles in Ordnung.")
	h.env.Clock.Advance(2 * time.Minute)
	beat("apo-down", "down", "E-Rezept gestört. Ursache: Konnektor ausgefallen.", "konnektor")
	h.env.Clock.Advance(2 * time.Minute)
	beat("apo-deg", "degraded", "Großhandel langsam.", "wholesaler")
	beat("apo-duty", "degraded", "Drucker aus.", "printer")
	beat("apo-ok", "ok", "Alles in Ordnung.")
	h.env.Clock.Advance(2 * time.Minute) // apo-silent: 6 min without a heartbeat
	for _, id := range []string{"apo-down", "apo-deg", "apo-duty", "apo-ok"} {
		beat(id, map[string]string{"apo-down": "down", "apo-deg": "degraded", "apo-duty": "degraded", "apo-ok": "ok"}[id], "wie zuvor",
			map[string][]string{"apo-down": {"konnektor"}, "apo-deg": {"wholesaler"}, "apo-duty": {"printer"}}[id]...)
	}
	if err := h.env.Service().Flush(ctx(t)); err != nil {
		t.Fatal(err)
	}
	return h
}

func userWithRole(t *testing.T, env *fleettest.Env, name string, r fleet.Role) *browser {
	t.Helper()
	if err := env.App.Auth.AddUser(ctx(t), name, r.AuthRole(), "ein-langes-passwort-42"); err != nil {
		t.Fatal(err)
	}
	if err := env.Service().SetRole(ctx(t), "admin", auth.Principal{Name: name, Role: r.AuthRole()}, r); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, env)
	b.login(name, "ein-langes-passwort-42")
	return b
}

var rowSiteRE = regexp.MustCompile(`<a href="/sites/([a-z0-9-]+)">`)

// TestTriageQueueOrder: duty first, then severity, then the longest
// problem; the silent site is in it; healthy sites are not.
func TestTriageQueueOrder(t *testing.T) {
	h := newHotline(t)
	items, err := h.env.Service().Triage(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, it := range items {
		ids = append(ids, it.Site.ID)
	}
	want := []string{"apo-duty", "apo-silent", "apo-down", "apo-deg"}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Fatalf("queue: got %v; want %v (duty first, then silent and down by age, then degraded)", ids, want)
	}
	if !items[0].OnDuty || items[1].Problems[0].Kind != fleet.ProblemSilent || items[2].Problems[0].Kind != fleet.ProblemDown {
		t.Errorf("queue items: got %+v", items[:3])
	}
	if d := items[2].Duration(h.env.Clock.Now()); d != 4*time.Minute {
		t.Errorf("down for: got %s; want 4m (since its first down heartbeat)", d)
	}
	viewer := userWithRole(t, h.env, "lena", fleet.RoleReadOnly)
	st, body, _ := viewer.get("/triage")
	var page []string
	for _, m := range rowSiteRE.FindAllStringSubmatch(body, -1) {
		page = append(page, m[1])
	}
	if st != http.StatusOK || strings.Join(page, ",") != strings.Join(want, ",") || !strings.Contains(body, "NOTDIENST") {
		t.Errorf("triage page: got %d %v; want %v with the duty marked", st, page, want)
	}
	if strings.Contains(body, `action="/triage/`) {
		t.Error("triage page for a read-only user: shows claim buttons")
	}
}

// TestClaimNoteAndTimeline: support agents claim (one at a time), write a
// note, and find the site by phone and town; its timeline shows versions,
// health, broadcast answers, notes and claims.
func TestClaimNoteAndTimeline(t *testing.T) {
	h := newHotline(t)
	anna := userWithRole(t, h.env, "anna", fleet.RoleSupport)
	ben := userWithRole(t, h.env, "ben", fleet.RoleSupport)
	for _, q := range []string{"089123456", "089 / 12 34 56", "münchen", "rosen"} {
		if _, body, _ := anna.get("/sites?q=" + url.QueryEscape(q)); !strings.Contains(body, `href="/sites/apo-down"`) || strings.Contains(body, `href="/sites/apo-deg"`) {
			t.Errorf("search %q: want apo-down only", q)
		}
	}
	if st, _, loc := anna.post("/triage/apo-down/claim", url.Values{"csrf": {anna.csrf}, "next": {"/triage"}}); st != http.StatusSeeOther || loc != "/triage" {
		t.Fatalf("claim: got %d to %q", st, loc)
	}
	if st, body, _ := ben.post("/triage/apo-down/claim", url.Values{"csrf": {ben.csrf}}); st != http.StatusConflict || !strings.Contains(body, "anna") {
		t.Errorf("second claim: got %d; want 409 naming anna", st)
	}
	if st, _, _ := anna.post("/sites/apo-down/notes", url.Values{"csrf": {anna.csrf}, "note": {"Angerufen: Konnektor neu gestartet, E-Rezept geht wieder."}}); st != http.StatusSeeOther {
		t.Errorf("note: got %d; want 303", st)
	}
	b, err := h.env.Service().SendBroadcast(ctx(t), "anna", fleet.Broadcast{Title: "Konnektor neu starten", Text: "x",
		Selector: fleet.Selector{FailingCheck: "konnektor"}}, nil)
	if err != nil || b.Targets != 1 {
		t.Fatalf("broadcast to the failing check: %+v, %v; want apo-down only", b, err)
	}
	site := fleet.Site{ID: "apo-down"}
	if err := h.env.Service().BroadcastReceipt(ctx(t), site, b.ID, fleet.ReceiptNotHelped, "klappt nicht", "Frau Muster"); err != nil {
		t.Fatal(err)
	}
	st, body, _ := ben.get("/sites/apo-down")
	for _, want := range []string{"Konnektor neu gestartet", "anna", "erp 2026.1 installiert", "Zustand gestört", "Antwort auf „Konnektor neu starten“: hilft nicht – klappt nicht",
		"Übernommen", "Nachricht 1 hilft nicht"} {
		if !strings.Contains(body, want) {
			t.Errorf("timeline page (%d): missing %q", st, want)
		}
	}
	if strings.Contains(body, ">tl.") || strings.Contains(body, ">tr.") || strings.Contains(body, ">cal.") {
		t.Error("timeline page: a text key is missing its sentence")
	}
	if st, _, _ := ben.post("/triage/apo-down/release", url.Values{"csrf": {ben.csrf}}); st != http.StatusNotFound {
		t.Errorf("release of another's claim: got %d; want 404", st)
	}
	if st, _, _ := ben.post("/triage/apo-down/claim", url.Values{"csrf": {ben.csrf}, "takeover": {"1"}}); st != http.StatusSeeOther {
		t.Errorf("takeover: got %d; want 303", st)
	}
	if st, _, _ := ben.post("/triage/apo-down/release", url.Values{"csrf": {ben.csrf}}); st != http.StatusSeeOther {
		t.Errorf("release: got %d; want 303", st)
	}

	// The timeline for tools.
	tok, err := h.env.App.Auth.CreateToken(ctx(t), "tool", auth.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, h.env.URL+"/api/v1/sites/apo-down/timeline?lang=en", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tl struct {
		Entries []struct{ Kind, Actor, Text string }
	}
	json.NewDecoder(resp.Body).Decode(&tl)
	resp.Body.Close()
	kinds := map[string]bool{}
	for _, e := range tl.Entries {
		kinds[e.Kind] = true
	}
	for _, k := range []string{fleet.TimelineVersion, fleet.TimelineHealth, fleet.TimelineBroadcast, fleet.TimelineNote, fleet.TimelineAction} {
		if !kinds[k] {
			t.Errorf("API timeline: no %s entry in %+v", k, tl.Entries)
		}
	}
}

// TestSilenceAlertsOnce: the planner round finds the silent site, alerts
// the hotline's webhook once, and notes it in the timeline.
func TestSilenceAlertsOnce(t *testing.T) {
	h := newHotline(t)
	res, err := h.env.Service().Tick(ctx(t))
	if err != nil || strings.Join(res.Silent, ",") != "apo-silent" {
		t.Fatalf("tick: silent %v, %v; want apo-silent", res.Silent, err)
	}
	h.env.Service().WaitSilenceAlerts()
	got := h.hook.got()
	if len(got) != 1 || !strings.Contains(got[0], "Stille Apotheke") || !strings.Contains(got[0], "meldet sich") {
		t.Fatalf("webhook: got %q; want one alert about the silent site", got)
	}
	h.env.Clock.Advance(time.Minute)
	if res, _ := h.env.Service().Tick(ctx(t)); len(res.Silent) != 0 {
		t.Errorf("second round: silent %v; want none (alerted once)", res.Silent)
	}
	tl, err := h.env.Service().Timeline(ctx(t), "apo-silent")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range tl.Entries {
		found = found || (e.Kind == fleet.TimelineSilence && strings.Contains(e.Text.DE, "webhook: ok"))
	}
	if !found {
		t.Errorf("timeline: no silence entry with the alert's result in %+v", tl.Entries)
	}
	// Back again, then silent again: a new silence, a new alert.
	if _, err := h.clients["apo-silent"].SendHeartbeat(ctx(t), protocol.Heartbeat{Overall: "ok"}); err != nil {
		t.Fatal(err)
	}
	h.env.Clock.Advance(6 * time.Minute)
	if res, _ := h.env.Service().Tick(ctx(t)); !contains(res.Silent, "apo-silent") {
		t.Errorf("after returning and falling silent again: silent %v; want apo-silent", res.Silent)
	}
	h.env.Service().WaitSilenceAlerts()
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestCalendarExports: the upcoming installs per day, as page, iCalendar
// and CSV.
func TestCalendarExports(t *testing.T) {
	h := newHotline(t)
	rel := publish(t, h.env, "erp", "2026.2", []byte("MSI"))
	if _, err := h.env.Service().StartRollout(ctx(t), "anna", rel.ID, fleet.StartOptions{Rings: []rollout.Ring{{Name: "all", Percent: 100}}}); err != nil {
		t.Fatal(err)
	}
	cmds, err := h.env.Service().UpcomingInstalls(ctx(t), 14)
	if err != nil || len(cmds) == 0 {
		t.Fatalf("upcoming: %d, %v; want the rollout's installs", len(cmds), err)
	}
	viewer := userWithRole(t, h.env, "lena", fleet.RoleReadOnly)
	if st, body, _ := viewer.get("/calendar"); st != http.StatusOK || !strings.Contains(body, "erp 2026.2") {
		t.Errorf("calendar page: got %d; want erp 2026.2", st)
	}
	st, ics, _ := viewer.get("/calendar.ics")
	if st != http.StatusOK || !strings.HasPrefix(ics, "BEGIN:VCALENDAR\r\n") || !strings.Contains(ics, "BEGIN:VEVENT") ||
		!strings.Contains(ics, "SUMMARY:Updates: erp 2026.2 an") || !strings.Contains(ics, "DTSTART;VALUE=DATE:") {
		t.Errorf("iCalendar: got %d %q", st, ics)
	}
	for _, l := range strings.Split(ics, "\r\n") {
		if len(l) > 75 {
			t.Errorf("iCalendar line longer than 75 octets: %q", l)
		}
	}
	st, csvDays, _ := viewer.get("/calendar.csv")
	if st != http.StatusOK || !strings.Contains(csvDays, "datum;komponente;version;verteilung;standorte") || !strings.Contains(csvDays, ";erp;2026.2;") {
		t.Errorf("CSV per day: got %d %q", st, csvDays)
	}
	st, csvSites, _ := viewer.get("/calendar.csv?sites=1")
	if st != http.StatusOK || strings.Count(csvSites, ";erp;2026.2;") != len(cmds) || !strings.Contains(csvSites, "Rosen-Apotheke") {
		t.Errorf("CSV per site: got %d %q; want %d sites", st, csvSites, len(cmds))
	}
}
