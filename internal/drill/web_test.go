package drill_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/drill"
	"github.com/lifeline-project/lifeline/internal/incident/sitetest"
	"github.com/lifeline-project/lifeline/internal/incident/webkit"
	"github.com/lifeline-project/lifeline/internal/web"
)

func TestDrillPages(t *testing.T) {
	loc := sitetest.Berlin(t)
	r := newRig(t, time.Date(2026, 3, 12, 9, 0, 0, 0, loc), []string{"uebung"})
	w := r.site.Web(func(srv *web.Server) {
		drill.NewWeb(webkit.Kit{Server: srv, Clock: r.site.Clock, Location: loc, Log: sitetest.Quiet()}, r.ctl, r.site.Store).Mount(srv)
	})
	chef, anna, vera := w.Login("chef"), w.Login("anna"), w.Login("vera")
	if p := vera.Get("/drills"); !strings.Contains(p.Body, "Warenwirtschaft ausgefallen") || strings.Contains(p.Body, "Übung starten") {
		t.Fatalf("viewer page: scenarios missing or start button shown\n%s", p.Body)
	}
	if p := anna.Post("/drills/start", url.Values{"scenario": {"warenwirtschaft"}}); p.Status != http.StatusForbidden {
		t.Fatalf("staff started a drill: %d; want 403", p.Status)
	}
	if p := chef.Post("/drills/start", url.Values{"scenario": {"warenwirtschaft"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("start: %d\n%s", p.Status, p.Body)
	}
	r.site.Live(2*time.Minute, 10*time.Second)
	p := vera.Get("/drills")
	if !strings.Contains(p.Body, "ÜBUNG läuft: Warenwirtschaft ausgefallen") || !strings.Contains(p.Body, "Übung läuft") {
		t.Fatalf("no drill banner while it runs:\n%s", p.Body)
	}
	if p := anna.Post("/drills/stop", nil); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/drills/1" {
		t.Fatalf("stop: %d %s", p.Status, p.Header.Get("Location"))
	}
	r.site.Live(3*time.Minute, 10*time.Second)
	rep := vera.Get("/drills/1")
	for _, want := range []string{"Übungsbericht", "Störung erkannt", "nach 10 Sekunden", "Erste Meldung an Übungsempfänger", "nach 40 Sekunden", "nicht geschehen", "ÜBUNG – Warenwirtschaft ausgefallen"} {
		if !strings.Contains(rep.Body, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if p := vera.Get("/drills"); strings.Contains(p.Body, "ÜBUNG läuft") {
		t.Fatal("drill banner after the drill ended")
	}
}
