package incident_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/incident/incidentsql"
	"github.com/lifeline-project/lifeline/internal/monitor"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func berlin(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// switchable is a prober whose verdict the test sets: the simulated
// dependency. The monitor, the store and the recorder around it are real.
type switchable struct {
	mu  sync.Mutex
	res check.Result
}

func (s *switchable) set(r check.Result) {
	s.mu.Lock()
	s.res = r
	s.mu.Unlock()
}

func (s *switchable) Probe(context.Context) check.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.res
}

// site is a small pharmacy: UPS, internet line, Konnektor (behind the
// line) and ERP, watched by a real monitor with a fake clock, recorded by
// a real recorder into a real SQLite file.
type site struct {
	t       testing.TB
	clk     *clock.Fake
	db      *sqlite.DB
	st      *incidentsql.Store
	mon     *monitor.Monitor
	rec     *incident.Recorder
	probers map[string]*switchable
	specs   []check.Spec
}

func newSite(t testing.TB, start time.Time, drills incident.DrillState) *site {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "site.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := &site{t: t, clk: clock.NewFake(start), db: db, st: incidentsql.NewStore(db), probers: map[string]*switchable{}}
	s.specs = []check.Spec{
		{ID: "usv", Name: "USV", Kind: check.KindNUT, Group: check.GroupPower},
		{ID: "internet", Name: "Internetleitung", Kind: check.KindTCP, Group: check.GroupNetwork, Affects: []string{"Großhandel online"}},
		{ID: "konnektor", Name: "Konnektor", Kind: check.KindKonnektor, Group: check.GroupAccess, DependsOn: []string{"internet"}, Affects: []string{"E-Rezept"}},
		{ID: "erp", Name: "Warenwirtschaft", Kind: check.KindHTTP, Group: check.GroupERP, Affects: []string{"Kasse", "Bestellung"}},
	}
	probers := map[string]check.Prober{}
	for i := range s.specs {
		s.specs[i].ApplyDefaults()
		sw := &switchable{res: check.OK(time.Millisecond, "in Ordnung", "fine")}
		s.probers[s.specs[i].ID] = sw
		probers[s.specs[i].ID] = sw
	}
	s.mon, err = monitor.New(monitor.Config{Specs: s.specs, Probers: probers, Store: sqlite.NewMonitorStore(db), Clock: s.clk, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	s.rec, err = incident.NewRecorder(ctx, incident.Options{Store: s.st, Site: "Apotheke am Markt", Location: berlin(t), Clock: s.clk,
		Log: quietLog(), Drills: drills})
	if err != nil {
		t.Fatal(err)
	}
	s.mon.OnTransition(s.rec.Observe)
	return s
}

// round probes every check once, then moves the clock on by 30 s.
func (s *site) round() {
	s.t.Helper()
	for _, sp := range s.specs {
		s.mon.ProbeOnce(context.Background(), sp.ID, s.probers[sp.ID])
	}
	s.clk.Advance(30 * time.Second)
}

func (s *site) fail(id, de, en string) { s.probers[id].set(check.Fail(time.Second, de, en)) }
func (s *site) heal(id string)         { s.probers[id].set(check.OK(time.Millisecond, "in Ordnung", "fine")) }
