package certcal_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/certcal"
	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/incident/sitetest"
	"github.com/lifeline-project/lifeline/internal/incident/webkit"
	"github.com/lifeline-project/lifeline/internal/web"
)

func TestCalendarPage(t *testing.T) {
	ctx := context.Background()
	loc := sitetest.Berlin(t)
	s := sitetest.New(t, time.Date(2026, 3, 29, 10, 0, 0, 0, loc), sitetest.DefaultSpecs(), nil, nil)
	cal, err := certcal.New(ctx, certcal.Options{Store: s.Store, Location: loc, Clock: s.Clock, Config: incident.CertConfig{
		WarnDays: incident.DefaultWarnDays(), Entries: []incident.CertEntry{{ID: "smcb", Kind: incident.CertSMCB, Name: "SMC-B Apotheke am Markt", Expires: "2027-03-31"}}}})
	if err != nil {
		t.Fatal(err)
	}
	w := s.Web(func(srv *web.Server) {
		certcal.NewWeb(webkit.Kit{Server: srv, Clock: s.Clock, Location: loc, Log: sitetest.Quiet()}, cal).Mount(srv)
	})
	chef, anna, vera := w.Login("chef"), w.Login("anna"), w.Login("vera")
	if r := anna.Post("/certificates", url.Values{"kind": {"hba"}, "name": {"HBA Anna"}, "expires": {"2026-05-15"}}); r.Status != http.StatusForbidden {
		t.Fatalf("staff added an entry: %d; want 403 (admins only)", r.Status)
	}
	if r := chef.Post("/certificates", url.Values{"kind": {"hba"}, "name": {"HBA Anna Becker"}, "expires": {"2026-05-15"}, "note": {"Karte 80276"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("add: %d\n%s", r.Status, r.Body)
	}
	if r := chef.Post("/certificates", url.Values{"kind": {"hba"}, "name": {"x"}, "expires": {"morgen"}}); r.Status != http.StatusBadRequest {
		t.Fatalf("bad date: %d; want 400", r.Status)
	}
	page := vera.Get("/certificates")
	for _, want := range []string{"HBA Anna Becker", "läuft in 47 Tagen ab (15.05.2026)", "bald erneuern", "SMC-B Apotheke am Markt", "in Ordnung", "Karte 80276"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("calendar page lacks %q", want)
		}
	}
	if strings.Contains(page.Body, `action="/certificates/ack"`) {
		t.Error("viewer sees the acknowledge button")
	}
	key := cal.Statuses()[0].Key
	if r := vera.Post("/certificates/ack", url.Values{"key": {key}}); r.Status != http.StatusForbidden {
		t.Fatalf("viewer acknowledged: %d", r.Status)
	}
	if r := anna.Post("/certificates/ack", url.Values{"key": {key}}); r.Status != http.StatusSeeOther {
		t.Fatalf("ack: %d\n%s", r.Status, r.Body)
	}
	if r := vera.Get("/certificates"); !strings.Contains(r.Body, "zur Kenntnis genommen von anna") {
		t.Fatal("acknowledgement not shown")
	}
	if r := chef.Post("/certificates/1/delete", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.Status)
	}
	if r := vera.Get("/certificates"); strings.Contains(r.Body, "HBA Anna Becker") {
		t.Fatal("deleted entry still shown")
	}
}
