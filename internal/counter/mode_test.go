package counter_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/counter"
	"github.com/lifeline-project/lifeline/internal/counter/countertest"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/pharma"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
)

var ctx = context.Background()

func switchOn(t *testing.T, e *countertest.Env) {
	t.Helper()
	if _, _, err := e.Service.SetMode(ctx, "anna", counter.ViaPage, true, "Warenwirtschaft ausgefallen"); err != nil {
		t.Fatalf("switch on: %v", err)
	}
}

// basket returns a basket with lines of (article, qty, kind).
func basket(t *testing.T, pay journal.Payment, lines ...counter.Line) counter.Basket {
	t.Helper()
	b := counter.Basket{Kind: counter.KindGKV, Payment: pay, Key: counter.NewBasketKey(), Start: countertest.Start}
	b.Lines = lines
	return b
}

func line(p pharma.PZN, qty int, k counter.Kind) counter.Line {
	return counter.Line{PZN: p, Qty: qty, Kind: k}
}

func TestModeSwitchIsRecordedAndSurvivesRestart(t *testing.T) {
	e := countertest.New(t, countertest.Options{NoArticles: true, NoJournal: true})
	s := e.Service
	if s.Mode().Active {
		t.Fatal("a new site starts with emergency mode on; want off")
	}
	if _, changed, err := s.SetMode(ctx, "anna", counter.ViaPage, false, ""); err != nil || changed {
		t.Errorf("switching off while off: changed %v, err %v; want nothing recorded", changed, err)
	}
	m, changed, err := s.SetMode(ctx, "anna", counter.ViaPage, true, "  Warenwirtschaft ausgefallen ")
	if err != nil || !changed || !m.Active || m.By != "anna" || m.Reason != "Warenwirtschaft ausgefallen" || !m.Since.Equal(countertest.Start) {
		t.Fatalf("switch on: got %+v, changed %v, %v", m, changed, err)
	}
	e.Clock.Advance(time.Minute)
	if _, changed, _ := s.SetMode(ctx, "vera", counter.ViaAPI, true, "again"); changed {
		t.Error("switching on while on recorded a switch; want none")
	}
	e.Clock.Advance(time.Hour)
	if _, changed, err := s.SetMode(ctx, "ci-token", counter.ViaAPI, false, "ERP zurück"); err != nil || !changed {
		t.Fatalf("switch off: changed %v, %v", changed, err)
	}
	hist, err := s.ModeHistory(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Active || hist[0].By != "ci-token" || hist[0].Via != counter.ViaAPI || hist[0].Reason != "ERP zurück" ||
		!hist[1].Active || hist[1].By != "anna" || hist[1].Via != counter.ViaPage || !hist[1].At.Equal(countertest.Start) {
		t.Errorf("history: got %+v; want off by ci-token via api, then on by anna via page", hist)
	}
	if _, _, err := s.SetMode(ctx, "anna", counter.ViaPage, true, strings.Repeat("x", 501)); counter.ErrorCode(err) != counter.EINVALID {
		t.Errorf("overlong reason: got %v; want EINVALID", err)
	}
	// A restart reads the mode back.
	if _, _, err := s.SetMode(ctx, "anna", counter.ViaPage, true, "Nacht"); err != nil {
		t.Fatal(err)
	}
	s2, err := counter.New(ctx, counter.Options{Store: sqlite.NewCounterStore(e.DB), Status: e.Monitor.Overview, Clock: e.Clock})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if m := s2.Mode(); !m.Active || m.Reason != "Nacht" {
		t.Errorf("after restart: got %+v; want on, reason Nacht", m)
	}
}

func TestBanners(t *testing.T) {
	e := countertest.New(t, countertest.Options{NoArticles: true, NoJournal: true})
	s := e.Service
	if txt, ok := s.OfferBanner(); ok {
		t.Errorf("offer while all is well: %q", txt.DE)
	}
	e.Set(countertest.CheckERP, check.StatusFail)
	txt, ok := s.OfferBanner()
	if !ok || txt.DE != "Warenwirtschaft ausgefallen: Notbetrieb einschalten? (Menü „Notbetrieb“)" {
		t.Errorf("offer while the ERP is down: got %q, %v", txt.DE, ok)
	}
	switchOn(t, e)
	if txt, ok := s.ModeBanner(); !ok || txt.DE != "Notbetrieb aktiv seit 02:14 — Verkäufe werden offline erfasst" {
		t.Errorf("mode banner: got %q, %v", txt.DE, ok)
	}
	if _, ok := s.OfferBanner(); ok {
		t.Error("offer shown while emergency mode is on and the ERP still down")
	}
	e.Set(countertest.CheckERP, check.StatusOK)
	if txt, ok := s.OfferBanner(); !ok || !strings.HasPrefix(txt.DE, "Warenwirtschaft wieder erreichbar") {
		t.Errorf("after the ERP returned: got %q, %v; want the hint to switch off", txt.DE, ok)
	}
	e.Clock.Advance(24 * time.Hour)
	if txt, _ := s.ModeBanner(); !strings.Contains(txt.DE, "seit 03.02. 02:14") {
		t.Errorf("mode banner on the next day: got %q; want the date", txt.DE)
	}
}

// siteFiles returns every file of the site database (with WAL).
