package counterdemo_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/counter"
	"github.com/lifeline-project/lifeline/internal/counter/counterdemo"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/feed"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrordb"
	"github.com/lifeline-project/lifeline/internal/monitor"
	"github.com/lifeline-project/lifeline/internal/probe"
	"github.com/lifeline-project/lifeline/internal/sim"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
)

// waitFor polls cond until it holds or 30 s pass; the monitor probes on
// real timers here, so the test waits for states, never for a time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestERPDownAtTheCounter runs the demo scenario on a simulated pharmacy
// with the real probers and monitor: the ERP fails, emergency mode is
// offered and switched on, sales are booked, the ERP returns, and the
// hand-over books them in the simulated ERP, once.
func TestERPDownAtTheCounter(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	ph, err := sim.StartPharmacy(ctx, sim.PharmacyOptions{Name: "Apotheke am Markt (Demo)", Dir: t.TempDir(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer ph.Close()
	sc := counterdemo.Setup(ph, counterdemo.Options{ArticleCount: 300, Logger: log})
	if g := sc.Guide("http://127.0.0.1:8080/"); !strings.Contains(g, string(sc.Samples()[0].PZN)) || !strings.Contains(g, "/api/sales") {
		t.Errorf("guide lacks a sample PZN or the bookings address:\n%s", g)
	}

	// The site's parts, as `lifeline site` wires them.
	db, err := sqlite.Open(ctx, filepath.Join(dir, "site.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	specs := ph.Checks(500 * time.Millisecond)
	for i := range specs {
		specs[i].ApplyDefaults()
	}
	probers, err := probe.All(specs, log)
	if err != nil {
		t.Fatal(err)
	}
	mon, err := monitor.New(monitor.Config{Specs: specs, Probers: probers, Store: sqlite.NewMonitorStore(db), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	monDone := make(chan error, 1)
	go func() { monDone <- mon.Run(ctx) }()
	defer func() { cancel(); <-monDone }()

	mdb, err := mirrordb.Open(ctx, filepath.Join(dir, mirrordb.FileName), nil, log)
	if err != nil {
		t.Fatal(err)
	}
	defer mdb.Close()
	src, err := feed.New(feed.Options{Dataset: mirror.Articles, URL: sc.MirrorSource().URL})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := mirror.Import(ctx, mdb, src, mirror.ImportOptions{}); err != nil || rep.Summary().DE == "" {
		t.Fatalf("copy the demo articles: %v", err)
	}
	j, err := journal.Open(counterdemo.JournalConfig(filepath.Join(dir, "data")), log, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	cfg := sc.CounterConfig("Apotheke am Markt (Demo)")
	cfg.ApplyDefaults(filepath.Join(dir, "data"))
	if ps := cfg.Validate(); len(ps) > 0 {
		t.Fatalf("demo counter config: %v", ps)
	}
	var ids []string
	for _, s := range specs {
		ids = append(ids, s.ID)
	}
	if ps := cfg.ValidateChecks(ids); len(ps) > 0 {
		t.Fatalf("demo counter config names unknown checks: %v", ps)
	}
	svc, err := counter.New(ctx, counter.Options{Config: cfg, Checks: specs, Store: sqlite.NewCounterStore(db), Journal: j, Articles: mdb,
		Status: mon.Overview, SiteName: "Apotheke am Markt (Demo)", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	erpState := func() check.State { c, _ := mon.Overview().Check("erp"); return c.State }
	waitFor(t, "the ERP check to be ok", func() bool { return erpState() == check.StateOK })

	// 1. The ERP fails; the dashboard offers emergency mode.
	if err := ph.Set(sim.DepERP, sim.ModeDown); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the offer of emergency mode", func() bool {
		txt, ok := svc.OfferBanner()
		return ok && strings.HasPrefix(txt.DE, "Warenwirtschaft ausgefallen: Notbetrieb einschalten?")
	})
	// 2. Staff switch it on and sell.
	if _, _, err := svc.SetMode(ctx, "anna", counter.ViaPage, true, "Warenwirtschaft ausgefallen"); err != nil {
		t.Fatal(err)
	}
	var total journal.Amount
	for i, a := range sc.Samples()[:2] {
		b, err := counter.Basket{Payment: journal.PaymentCash}.Add(a.PZN, a.Rx, time.Now(), counter.NewBasketKey)
		if err != nil {
			t.Fatal(err)
		}
		e, _, err := svc.Book(ctx, "anna", b)
		if err != nil {
			t.Fatalf("sale %d: %v", i+1, err)
		}
		total = total.Add(e.Total)
	}
	if _, err := svc.StartReplay("anna"); counter.ErrorCode(err) != counter.ECONFLICT {
		t.Errorf("hand-over while the ERP is down and the mode on: got %v; want ECONFLICT", err)
	}
	// 3. The ERP returns; emergency mode off; the hand-over books the sales.
	if err := ph.Set(sim.DepERP, sim.ModeOK); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the ERP check to be ok again", func() bool { return erpState() == check.StateOK })
	if txt, ok := svc.OfferBanner(); !ok || !strings.HasPrefix(txt.DE, "Warenwirtschaft wieder erreichbar") {
		t.Errorf("after the ERP returned: %q, %v; want the hint to switch off", txt.DE, ok)
	}
	if _, _, err := svc.SetMode(ctx, "anna", counter.ViaPage, false, "Warenwirtschaft zurück"); err != nil {
		t.Fatal(err)
	}
	for range 2 { // pressed twice
		done, err := svc.StartReplay("anna")
		if err != nil {
			t.Fatalf("hand-over: %v", err)
		}
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("the hand-over did not end within 30 s")
		}
	}
	bs := sc.Sales.Bookings()
	if len(bs) != 2 || bs[0].Number != 1 || bs[1].Number != 2 {
		t.Fatalf("bookings in the simulated ERP: %+v; want sales 1 and 2 once each", bs)
	}
	if st := svc.ReplayStatus(); st.Last == nil || st.Last.Booked != 2 || st.Pending != 0 || !st.Last.Complete {
		t.Errorf("report: %+v", st.Last)
	}
	if got := bs[0].Total; got == "" {
		t.Errorf("booking without total: %+v (journal total %s)", bs[0], total)
	}
}
