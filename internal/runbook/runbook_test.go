package runbook_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/incident/sitetest"
	"github.com/lifeline-project/lifeline/internal/incident/webkit"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrordb"
	"github.com/lifeline-project/lifeline/internal/runbook"
	"github.com/lifeline-project/lifeline/internal/web"
)

func handbook(t *testing.T, pages ...mirror.Page) *mirrordb.DB {
	t.Helper()
	ctx := context.Background()
	db, err := mirrordb.Open(ctx, filepath.Join(t.TempDir(), "mirror.db"), nil, sitetest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Replace(ctx, mirror.Handbook, func(w mirror.Writer) (mirror.Commit, error) {
		for _, p := range pages {
			if err := w.Put(ctx, p); err != nil {
				return mirror.Commit{}, err
			}
		}
		return mirror.Commit{Source: "test", SyncedAt: time.Now(), At: time.Now()}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestFromHandbook(t *testing.T) {
	pages := []mirror.Page{
		{Slug: "usv", Title: "Stromausfall", Order: 1, Markdown: "# Strom\n\n- [ ] Kühlschrank zukleben\n- [x] Notstrom prüfen\n- normale Liste\n"},
		{Slug: "kim", Title: "Wenn KIM nicht geht", Markdown: "Phase: Zugang\n\n* [ ] KIM-Postfach prüfen\n* [ ] KIM-Postfach prüfen\n"},
		{Slug: "allerlei", Title: "Allerlei", Markdown: "- [ ] Chefin anrufen\n"},
		{Slug: "ohne", Title: "Ohne Liste", Markdown: "Nur Text.\n- Punkt ohne Kästchen"},
		{Slug: "ti-ausfall", Title: "TI oder Konnektor gestört", Markdown: "# TI\n\n1. TI-Lagebild prüfen\n2) Konnektor neu starten\n\nText 3. kein Schritt"},
		{Slug: "zurueck", Title: "Nach der Störung", Markdown: "Bereich: Rückkehr\n- [ ] Kassenabschluss"},
	}
	got := runbook.FromHandbook(pages)
	var lines []string
	for _, c := range got {
		var steps []string
		for _, s := range c.Steps {
			steps = append(steps, s.ID)
		}
		lines = append(lines, c.ID+"@"+string(c.Phase)+":"+strings.Join(steps, ","))
	}
	want := []string{
		"hb-usv@power:kuehlschrank-zukleben,notstrom-pruefen",
		"hb-kim@access:kim-postfach-pruefen,kim-postfach-pruefen-2",
		"hb-allerlei@people:chefin-anrufen",
		"hb-ti-ausfall@access:ti-lagebild-pruefen,konnektor-neu-starten",
		"hb-zurueck@return:kassenabschluss",
	}
	if strings.Join(lines, " ") != strings.Join(want, " ") {
		t.Fatalf("checklists\n got %v\nwant %v", lines, want)
	}
}

func TestChecklistsInRecoveryOrder(t *testing.T) {
	book := runbook.NewBook(handbook(t, mirror.Page{Slug: "netz", Title: "Internet weg", Markdown: "- [ ] LTE-Stick einstecken"}), sitetest.Quiet())
	var phases []string
	for _, c := range book.Checklists(context.Background()) {
		phases = append(phases, string(c.Phase)+"/"+c.ID)
	}
	want := "power/strom network/netz network/hb-netz access/zugang people/mensch document/dokument return/rueckkehr"
	if strings.Join(phases, " ") != want {
		t.Fatalf("order %v; want %s", phases, want)
	}
	for _, c := range runbook.Defaults() {
		for _, s := range c.Steps {
			if s.Text.DE == "" || s.Text.EN == "" || s.Text.DE == s.Text.EN {
				t.Errorf("step %s/%s lacks a German or English text", c.ID, s.ID)
			}
		}
	}
}

// TestGuidedRun works through checklist steps on the pages as staff: each
// step goes into the incident with who and when, the next open step
// follows the recovery order, a viewer cannot tick, and the run survives
// because it is read back from the incident.
func TestGuidedRun(t *testing.T) {
	ctx := context.Background()
	loc := sitetest.Berlin(t)
	s := sitetest.New(t, time.Date(2026, 3, 29, 1, 58, 0, 0, loc), sitetest.DefaultSpecs(), nil, nil)
	rec, err := incident.NewRecorder(ctx, incident.Options{Store: s.Store, Site: "Apotheke am Markt", Location: loc, Clock: s.Clock, Log: sitetest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	s.Monitor.OnTransition(rec.Observe)
	hb := handbook(t, mirror.Page{Slug: "usv", Title: "USV der Apotheke", Markdown: "Phase: Strom\n\n- [ ] Hausmeister anrufen (0171 555)\n", Order: 1},
		mirror.Page{Slug: "notfall", Title: "Notfall", Markdown: "## Wichtig\n\n<script>alert(1)</script>\n\n**Ruhe bewahren.**"})
	book := runbook.NewBook(hb, sitetest.Quiet())
	w := s.Web(func(srv *web.Server) {
		runbook.NewWeb(webkit.Kit{Server: srv, Clock: s.Clock, Location: loc, Log: sitetest.Quiet()}, book, rec).Mount(srv)
	})
	s.Rounds(1, 30*time.Second)
	s.Switches["usv"].Fail("Netzausfall")
	s.Rounds(2, 30*time.Second)
	inc := rec.Open()[0]

	anna, vera := w.Login("anna"), w.Login("vera")
	run := "/runbook/run/1"
	page := anna.Get(run)
	if page.Status != 200 || !strings.Contains(page.Body, "USV-Anzeige ansehen") || !strings.Contains(page.Body, `id="next-done"`) {
		t.Fatalf("run page %d; want the first power step as next\n%s", page.Status, page.Body)
	}
	post := func(c *sitetest.Client, checklist, step, status string) sitetest.Response {
		return c.Post(run+"/step", url.Values{"checklist": {checklist}, "step": {step}, "status": {status}})
	}
	if r := post(vera, "strom", "usv-ansehen", "done"); r.Status != http.StatusForbidden {
		t.Fatalf("viewer ticked a step: %d", r.Status)
	}
	if r := post(anna, "strom", "usv-ansehen", "done"); r.Status != http.StatusSeeOther {
		t.Fatalf("tick: %d\n%s", r.Status, r.Body)
	}
	s.Clock.Advance(2 * time.Minute)
	if r := post(anna, "strom", "sicherung", "skipped"); r.Status != http.StatusSeeOther {
		t.Fatalf("skip: %d", r.Status)
	}
	if r := post(anna, "strom", "usv-ansehen", "done"); r.Status != http.StatusConflict {
		t.Fatalf("the same step again: %d; want 409", r.Status)
	}
	if r := post(anna, "strom", "gibt-es-nicht", "done"); r.Status != http.StatusNotFound {
		t.Fatalf("unknown step: %d; want 404", r.Status)
	}
	if r := post(anna, "hb-usv", "hausmeister-anrufen-0171-555", "done"); r.Status != http.StatusSeeOther {
		t.Fatalf("handbook step: %d", r.Status)
	}
	entries, err := s.Store.Entries(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, e := range entries {
		if e.Kind == incident.KindChecklistStep {
			steps = append(steps, e.Actor+":"+e.Data["checklist"]+"/"+e.Data["step"]+"="+e.Data["status"]+"@"+e.At.In(loc).Format("15:04"))
		}
	}
	// 01:58 + 90 s of probing, then 2 minutes: the clocks jump from 02:00 to 03:00.
	want := "anna:strom/usv-ansehen=done@01:59 anna:strom/sicherung=skipped@03:01 anna:hb-usv/hausmeister-anrufen-0171-555=done@03:01"
	if strings.Join(steps, " ") != want {
		t.Fatalf("recorded steps\n got %v\nwant %s", steps, want)
	}
	page = vera.Get(run)
	if !strings.Contains(page.Body, "3 von 27 Schritten erledigt") || !strings.Contains(page.Body, "anna, 03:01") {
		t.Fatalf("run page after three steps:\n%s", page.Body)
	}
	run2 := runbook.BuildRun(book.Checklists(ctx), entries)
	if run2.Next == nil || run2.Next.Step.ID != "kuehlware" {
		t.Fatalf("next step %+v; want the third power step", run2.Next)
	}

	// The handbook page renders Markdown without passing HTML through.
	hp := vera.Get("/runbook/handbook/notfall")
	if !strings.Contains(hp.Body, "<strong>Ruhe bewahren.</strong>") || strings.Contains(hp.Body, "<script>alert(1)") {
		t.Fatalf("handbook page:\n%s", hp.Body)
	}
	if r := vera.Get("/runbook"); !strings.Contains(r.Body, "Geführte Checkliste für") || !strings.Contains(r.Body, "USV der Apotheke") {
		t.Fatalf("runbook index:\n%s", r.Body)
	}
}
