package binder_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/binder"
	"github.com/lifeline-project/lifeline/internal/incident/pdftest"
	"github.com/lifeline-project/lifeline/internal/incident/sitetest"
	"github.com/lifeline-project/lifeline/internal/incident/webkit"
	"github.com/lifeline-project/lifeline/internal/web"
)

func TestBinderPages(t *testing.T) {
	ctx := context.Background()
	loc := berlin(t)
	now := time.Date(2026, 10, 25, 6, 45, 0, 0, loc)
	f := newFixture(t, now, 5)
	g := f.generator(t, nil, 300)
	s := sitetest.New(t, now, sitetest.DefaultSpecs(), nil, nil)
	w := s.Web(func(srv *web.Server) {
		binder.NewWeb(webkit.Kit{Server: srv, Clock: f.clk, Location: loc, Log: sitetest.Quiet()}, g).Mount(srv)
	})
	anna, vera := w.Login("anna"), w.Login("vera")
	for _, p := range []string{"/binder", "/binder/print", "/binder/notfallmappe.pdf"} {
		if r := vera.Get(p); r.Status != http.StatusForbidden {
			t.Errorf("viewer GET %s: %d; want 403 (patient data)", p, r.Status)
		}
	}
	if r := anna.Post("/binder/generate", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("generate: %d\n%s", r.Status, r.Body)
	}
	page := anna.Get("/binder?ok=saved")
	if !strings.Contains(page.Body, "Gespeichert.") || !strings.Contains(page.Body, "Bitte einen zweiten Ort einrichten") || !strings.Contains(page.Body, "notfallmappe") {
		t.Fatalf("binder page:\n%s", page.Body)
	}
	pr := anna.Get("/binder/print")
	for _, want := range []string{"Stand: 25.10.2026 06:45", "Erika Mustermann", "Noweda Essen", "Festbetragsmittel", "8,00 €", "15,00 €", `href="/binder/print.css"`} {
		if !strings.Contains(pr.Body, want) {
			t.Errorf("print view lacks %q", want)
		}
	}
	if css := anna.Get("/binder/print.css"); css.Status != 200 || !strings.Contains(css.Body, "position: fixed") {
		t.Fatalf("print CSS: %d", css.Status)
	}
	pdf := anna.Get("/binder/notfallmappe.pdf")
	if pdf.Status != 200 || !strings.Contains(pdftest.Squash(pdftest.Text(t, []byte(pdf.Body))), "Erika Mustermann") {
		t.Fatalf("PDF download: %d", pdf.Status)
	}
	log, err := f.store.BinderLog(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, e := range log {
		reasons = append(reasons, e.By+":"+e.Reason)
		if e.Patients != 1 {
			t.Errorf("log entry %+v without the patient count", e)
		}
	}
	if strings.Join(reasons, " ") != "anna:download anna:print anna:manual" {
		t.Fatalf("binder log %v; want every look at the patient data logged", reasons)
	}
}
