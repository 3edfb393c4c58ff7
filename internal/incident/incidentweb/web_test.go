package incidentweb_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/incident/incidentweb"
	"github.com/lifeline-project/lifeline/internal/incident/pdftest"
	"github.com/lifeline-project/lifeline/internal/incident/sitetest"
	"github.com/lifeline-project/lifeline/internal/incident/webkit"
	"github.com/lifeline-project/lifeline/internal/web"
)

func TestIncidentPages(t *testing.T) {
	ctx := context.Background()
	loc := sitetest.Berlin(t)
	s := sitetest.New(t, time.Date(2026, 3, 12, 9, 0, 0, 0, loc), sitetest.DefaultSpecs(), nil, nil)
	rec, err := incident.NewRecorder(ctx, incident.Options{Store: s.Store, Site: "Apotheke am Markt", Location: loc, Clock: s.Clock, Log: sitetest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	s.Monitor.OnTransition(rec.Observe)
	w := s.Web(func(srv *web.Server) {
		incidentweb.New(webkit.Kit{Server: srv, Clock: s.Clock, Location: loc, Log: sitetest.Quiet()}, rec).Mount(srv)
	})
	s.Rounds(2, 30*time.Second)
	s.Switches["erp"].Fail("Server antwortet nicht")
	s.Rounds(2, 30*time.Second)
	inc := rec.Open()[0]
	path := "/incidents/1"

	anon, vera, anna := w.Login(""), w.Login("vera"), w.Login("anna")
	if r := anon.Get("/incidents"); r.Status != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "/login") {
		t.Fatalf("anonymous: %d %s; want the login page", r.Status, r.Header.Get("Location"))
	}
	if r := vera.Get("/incidents"); r.Status != 200 || !strings.Contains(r.Body, "Warenwirtschaft ausgefallen") || strings.Contains(r.Body, `action="/incidents/open"`) {
		t.Fatalf("viewer list: %d; want the incident and no forms\n%s", r.Status, r.Body)
	}
	if r := vera.Post(path+"/note", url.Values{"text": {"x"}}); r.Status != http.StatusForbidden {
		t.Fatalf("viewer note: %d; want 403", r.Status)
	}
	if r := anna.PostWithoutToken(path+"/note", url.Values{"text": {"ohne Token"}}); r.Status != http.StatusForbidden {
		t.Fatalf("note without CSRF token: %d; want 403", r.Status)
	}
	steps := []struct {
		path string
		form url.Values
	}{
		{path + "/note", url.Values{"kind": {"observation"}, "text": {"Bildschirm der Kasse schwarz"}}},
		{path + "/emergency", url.Values{"on": {"1"}, "reason": {"Papierliste"}}},
		{path + "/hotline", url.Values{"whom": {"Hotline Warenwirtschaft"}, "waited": {"51"}, "outcome": {"Rückruf zugesagt"}}},
		{path + "/cost", url.Values{"label": {"Techniker"}, "amount": {"1.234,50"}}},
	}
	for _, st := range steps {
		if r := anna.Post(st.path, st.form); r.Status != http.StatusSeeOther || r.Header.Get("Location") != path+"?ok=saved" {
			t.Fatalf("POST %s: %d %s\n%s", st.path, r.Status, r.Header.Get("Location"), r.Body)
		}
	}
	if r := anna.Post(path+"/cost", url.Values{"label": {"x"}, "amount": {"zwölf"}}); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "wie 120,50") {
		t.Fatalf("bad amount: %d; want 400 with a hint", r.Status)
	}
	if r := anna.Post(path+"/close", nil); r.Status != http.StatusConflict {
		t.Fatalf("closing a monitor incident by hand: %d; want 409", r.Status)
	}
	page := anna.Get(path + "?ok=saved")
	for _, want := range []string{"Beobachtung: Bildschirm der Kasse schwarz", "Notbetrieb begonnen: Papierliste", "Wartezeit 51 Minuten", "1.234,50 €", "Notbetrieb läuft", "Gespeichert."} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("incident page lacks %q", want)
		}
	}

	// Recovery, then the retrospective banner.
	s.Switches["erp"].Heal()
	s.Rounds(2, 30*time.Second)
	if len(rec.Open()) != 0 {
		t.Fatalf("incident %d still open", inc.ID)
	}
	if r := vera.Get("/incidents"); !strings.Contains(r.Body, "Störung 1 ist vorbei") || !strings.Contains(r.Body, "Nachbesprechung offen") {
		t.Fatalf("no retrospective banner after the end:\n%s", r.Body)
	}
	if r := anna.Post(path+"/retro", url.Values{"what_happened": {"Server abgestürzt"}, "what_helped": {"Papierliste"},
		"improvement": {"USV für den Server"}, "owner": {"Anna"}, "due": {"2026-03-01"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("retro: %d\n%s", r.Status, r.Body)
	}
	if r := vera.Get("/incidents"); strings.Contains(r.Body, "ist vorbei") || !strings.Contains(r.Body, "1 überfällig") {
		t.Fatalf("after the retrospective: banner still there or overdue improvement not counted")
	}
	if r := vera.Get("/incidents/improvements"); !strings.Contains(r.Body, "USV für den Server") || !strings.Contains(r.Body, "überfällig") {
		t.Fatalf("improvements page:\n%s", r.Body)
	}
	if r := anna.Post("/incidents/improvements/1/done", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("improvement done: %d", r.Status)
	}

	// Exports for viewers; the PDF reads back.
	r := vera.Get(path + "/export/pdf")
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("PDF export: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	if text := pdftest.Squash(pdftest.Text(t, []byte(r.Body))); !strings.Contains(text, "Techniker") || !strings.Contains(text, "Server abgestürzt") {
		t.Fatalf("PDF export lacks the facts:\n%s", text)
	}
	if r := vera.Get(path + "/export/csv"); r.Status != 200 || !strings.Contains(r.Body, "Apotheke;Apotheke am Markt") {
		t.Fatalf("CSV export: %d\n%s", r.Status, r.Body)
	}
	if r := vera.Get(path + "/export/exe"); r.Status != http.StatusNotFound {
		t.Fatalf("unknown format: %d; want 404", r.Status)
	}
	var list struct {
		Incidents []struct {
			ID        int64 `json:"id"`
			Open      bool  `json:"open"`
			CostCents int64 `json:"cost_cents"`
		} `json:"incidents"`
	}
	api := vera.Get("/api/v1/incidents")
	if err := json.Unmarshal([]byte(api.Body), &list); err != nil || len(list.Incidents) != 1 || list.Incidents[0].Open || list.Incidents[0].CostCents != 123450 {
		t.Fatalf("API list: %v %s", err, api.Body)
	}
	if r := vera.Get("/incidents/verify"); !strings.Contains(r.Body, "In Ordnung.") {
		t.Fatalf("verify page:\n%s", r.Body)
	}
	// English.
	vera.Lang("en")
	if r := vera.Get(path); r.Status != 200 || !strings.Contains(r.Body, "Timeline") || !strings.Contains(r.Body, "What happened?") {
		t.Fatalf("English detail page: %d\n%s", r.Status, r.Body)
	}
	// A manual incident opened and closed by staff.
	if r := anna.Post("/incidents/open", url.Values{"title": {"Kartenterminal Kasse 2"}, "note": {"zeigt Fehler 99"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("open by hand: %d\n%s", r.Status, r.Body)
	}
	if r := anna.Post("/incidents/2/close", url.Values{"note": {"Terminal getauscht"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("close by hand: %d\n%s", r.Status, r.Body)
	}
	if r := vera.Get("/incidents/2"); !strings.Contains(r.Body, "ended by anna (Terminal getauscht)") {
		t.Fatalf("manual incident page:\n%s", r.Body)
	}
}
