package counter_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/counter"
	"github.com/lifeline-project/lifeline/internal/counter/countertest"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
)

func TestReplayBooksIntoTheERPOnce(t *testing.T) {
	e := countertest.New(t, countertest.Options{ERP: true})
	s := e.Service
	e.ERP.Refuse(string(countertest.OTC.PZN), "Artikel in der Warenwirtschaft gesperrt", "article blocked in the ERP")
	switchOn(t, e)
	for _, b := range []counter.Basket{
		basket(t, journal.PaymentCash, line(countertest.Rx30.PZN, 1, counter.KindGKV)),
		basket(t, journal.PaymentCard, line(countertest.OTC.PZN, 2, counter.KindOTC)),
		basket(t, journal.PaymentCash, line(countertest.Festbetrag.PZN, 1, counter.KindGKV)),
	} {
		if _, _, err := s.Book(ctx, "anna", b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.StartReplay("anna"); counter.ErrorCode(err) != counter.ECONFLICT || !strings.Contains(counter.ErrorMessage(err, "de"), "Notbetrieb ausschalten") {
		t.Errorf("replay while emergency mode is on: got %v; want ECONFLICT asking to switch it off", err)
	}
	if _, _, err := s.SetMode(ctx, "anna", counter.ViaPage, false, ""); err != nil {
		t.Fatal(err)
	}
	e.Set(countertest.CheckERP, check.StatusFail)
	if st := s.ReplayStatus(); st.CanStart || !strings.Contains(st.Blocked.DE, "Warenwirtschaft ist noch nicht") || st.Pending != 3 {
		t.Errorf("while the ERP is down: %+v", st)
	}
	e.Set(countertest.CheckERP, check.StatusOK)
	if txt, ok := s.ReplayBanner(); !ok || !strings.HasPrefix(txt.DE, "3 Offline-Verkäufe noch nicht") {
		t.Errorf("replay banner: %q, %v", txt.DE, ok)
	}
	run := func() {
		t.Helper()
		done, err := s.StartReplay("anna")
		if err != nil {
			t.Fatalf("StartReplay: %v", err)
		}
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("the hand-over did not end within 30 s")
		}
	}
	run()
	st := s.ReplayStatus()
	if st.Last == nil || st.Last.Booked != 2 || st.Last.Refused != 1 || !st.Last.Complete || st.Pending != 0 || !st.LastErr.IsZero() {
		t.Fatalf("after the hand-over: %+v (report %+v)", st, st.Last)
	}
	if r := st.Last.Refusals[0]; r.Number != 2 || r.ReasonDE != "Artikel in der Warenwirtschaft gesperrt" {
		t.Errorf("refusal: got %+v", r)
	}
	if n := len(e.ERP.Bookings()); n != 2 {
		t.Errorf("ERP bookings: got %d; want 2", n)
	}
	if _, ok := s.ReplayBanner(); ok {
		t.Error("replay banner still shown with nothing pending")
	}
	// Pressing again books nothing twice and sends nothing again.
	req1, _, _ := e.ERP.Stats()
	run()
	req2, _, _ := e.ERP.Stats()
	if n := len(e.ERP.Bookings()); n != 2 || req2 != req1 {
		t.Errorf("second press: bookings %d, requests %d -> %d; want 2 and no new request", n, req1, req2)
	}
	// A later outage adds a sale; the next run hands over that one only.
	switchOn(t, e)
	if _, _, err := s.Book(ctx, "anna", basket(t, journal.PaymentCash, line(countertest.Rx7340.PZN, 1, counter.KindGKV))); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SetMode(ctx, "anna", counter.ViaPage, false, ""); err != nil {
		t.Fatal(err)
	}
	run()
	if n := len(e.ERP.Bookings()); n != 3 || s.ReplayStatus().Last.BookedThisRun != 1 {
		t.Errorf("after the second outage: %d bookings, %d this run; want 3 and 1", n, s.ReplayStatus().Last.BookedThisRun)
	}
	// The report survives a restart of the service.
	s2, err := counter.New(ctx, counter.Options{Config: e.Config, Store: sqlite.NewCounterStore(e.DB), Journal: e.Journal, Status: e.Monitor.Overview, Clock: e.Clock})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if st := s2.ReplayStatus(); st.Last == nil || st.Handed != 4 || st.Pending != 0 {
		t.Errorf("after restart: %+v", st)
	}
	if _, err := os.Stat(filepath.Join(e.Config.Replay.StateDir, "report.txt")); err != nil {
		t.Errorf("report.txt: %v", err)
	}
}

func TestReplayNotConfigured(t *testing.T) {
	e := countertest.New(t, countertest.Options{})
	st := e.Service.ReplayStatus()
	if st.Configured || st.CanStart || !strings.Contains(st.Blocked.DE, "counter.replay") {
		t.Errorf("got %+v; want not configured, naming counter.replay", st)
	}
}
