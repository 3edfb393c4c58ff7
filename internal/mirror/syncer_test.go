package mirror_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/csvsource"
	"github.com/lifeline-project/lifeline/internal/mirror/feed"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrordb"
	"github.com/lifeline-project/lifeline/internal/mirror/synth"
	"github.com/lifeline-project/lifeline/internal/seal"
)

func berlin(t *testing.T) *time.Location {
	t.Helper()
	l, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func openDB(t *testing.T) *mirrordb.DB {
	t.Helper()
	k, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	kr, err := seal.NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	db, err := mirrordb.Open(context.Background(), filepath.Join(t.TempDir(), mirrordb.FileName), kr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func articleStatus(t *testing.T, db mirror.Store) mirror.Status {
	t.Helper()
	st, err := db.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st[0]
}

type erpFixture struct {
	erp *synth.ERP
	srv *httptest.Server
	src *feed.Source
}

func newERP(t *testing.T, clk clock.Clock, n int) erpFixture {
	t.Helper()
	erp := synth.NewERP(synth.ERPOptions{Articles: n, Seed: 11, ChangesPerTick: 5, Clock: clk})
	srv := httptest.NewServer(erp.Handler())
	t.Cleanup(srv.Close)
	src, err := feed.New(feed.Options{Dataset: mirror.Articles, URL: srv.URL + "/feed/articles"})
	if err != nil {
		t.Fatal(err)
	}
	return erpFixture{erp, srv, src}
}

func TestSyncerFollowsTheERP(t *testing.T) {
	loc := berlin(t)
	clk := clock.NewFake(time.Date(2025, 3, 29, 12, 0, 0, 0, loc))
	f := newERP(t, clk, 300)
	db := openDB(t)
	s := mirror.NewSyncer(db, []mirror.Job{{Source: f.src}}, mirror.SyncOptions{
		Interval: time.Minute, FullAt: mirror.TimeOfDay{Hour: 3, Minute: 30}, Location: loc, Clock: clk})
	ctx := context.Background()

	reps := s.Tick(ctx)
	if len(reps) != 1 || !reps[0].Full || reps[0].Imported != 300 {
		t.Fatalf("first tick: %+v; want a full sync of 300", reps)
	}
	clk.Advance(30 * time.Second)
	if reps := s.Tick(ctx); len(reps) != 0 {
		t.Errorf("tick before the interval: %+v; want nothing", reps)
	}
	ch := f.erp.Tick()
	clk.Advance(30 * time.Second)
	reps = s.Tick(ctx)
	if len(reps) != 1 || reps[0].Full || reps[0].Imported < len(ch.Changed) {
		t.Fatalf("increment: %+v; want %d changes", reps, len(ch.Changed))
	}
	for _, a := range ch.Changed {
		got, err := db.Article(ctx, a.PZN)
		if err != nil || got.AVP != a.AVP {
			t.Errorf("changed price of %s: copy %v, %v; ERP %v", a.PZN, got.AVP, err, a.AVP)
		}
	}
	if st := articleStatus(t, db); !st.SyncedAt.Equal(clk.Now()) {
		t.Errorf("synced_at = %v; want now %v", st.SyncedAt, clk.Now())
	}

	// Through the DST night: increments every minute keep the copy under
	// a minute old, and one full sync runs at 03:30 CEST.
	var fulls []time.Time
	maxAge := time.Duration(0)
	for clk.Now().Before(time.Date(2025, 3, 30, 6, 0, 0, 0, loc)) {
		if clk.Now().Minute()%7 == 0 {
			f.erp.Tick()
		}
		clk.Advance(time.Minute)
		for _, r := range s.Tick(ctx) {
			if r.Full {
				fulls = append(fulls, clk.Now())
			}
		}
		age, _ := articleStatus(t, db).Age(clk.Now())
		maxAge = max(maxAge, age)
	}
	if len(fulls) != 1 || fulls[0].In(loc).Format("15:04 MST") != "03:30 CEST" {
		t.Errorf("full syncs at %v; want one at 03:30 CEST", fulls)
	}
	if maxAge > time.Minute {
		t.Errorf("copy was %v old at worst; want at most a minute", maxAge)
	}
	r := s.Prober(10 * time.Minute).Probe(ctx)
	if r.Status != check.StatusOK {
		t.Errorf("prober: %v %q; want ok", r.Status, r.Message.DE)
	}
}

func TestSyncerOutageDegradesAndRecovers(t *testing.T) {
	loc := berlin(t)
	clk := clock.NewFake(time.Date(2025, 3, 29, 9, 0, 0, 0, loc))
	f := newERP(t, clk, 100)
	db := openDB(t)
	s := mirror.NewSyncer(db, []mirror.Job{{Source: f.src}}, mirror.SyncOptions{
		Interval: time.Minute, FullAt: mirror.TimeOfDay{Hour: 3, Minute: 30}, Location: loc, Clock: clk})
	ctx := context.Background()
	prober := s.Prober(10 * time.Minute)

	if r := prober.Probe(ctx); r.Status != check.StatusDegraded || !strings.Contains(r.Message.DE, "Noch keine Preisdaten") {
		t.Errorf("before the first sync: %v %q; want degraded, no price data yet", r.Status, r.Message.DE)
	}
	s.Tick(ctx)
	synced := articleStatus(t, db).SyncedAt

	f.erp.SetDown(true)
	for range 180 {
		clk.Advance(time.Minute)
		s.Tick(ctx)
	}
	st := articleStatus(t, db)
	if st.Rows != 100 || !st.SyncedAt.Equal(synced) {
		t.Errorf("during the outage: rows %d synced %v; want the old copy (100, %v)", st.Rows, st.SyncedAt, synced)
	}
	if st.LastError == "" || !st.LastErrorAt.Equal(clk.Now()) {
		t.Errorf("last error %q at %v; want the outage recorded now", st.LastError, st.LastErrorAt)
	}
	r := prober.Probe(ctx)
	if r.Status != check.StatusDegraded || !strings.HasPrefix(r.Message.DE, "Preisdaten 3 Stunden alt") {
		t.Errorf("after 3 hours down: %v %q; want degraded \"Preisdaten 3 Stunden alt\"", r.Status, r.Message.DE)
	}
	if !strings.Contains(r.Message.DE, "letzter Fehler: Feed") {
		t.Errorf("message %q does not name the last error", r.Message.DE)
	}
	if r.Values["age_seconds"] != (3 * time.Hour).Seconds() {
		t.Errorf("age_seconds = %v; want %v", r.Values["age_seconds"], (3 * time.Hour).Seconds())
	}
	if _, err := db.Article(ctx, f.erp.Articles()[0].PZN); err != nil {
		t.Errorf("lookup during the outage: %v", err)
	}

	f.erp.SetDown(false)
	clk.Advance(time.Minute)
	s.Tick(ctx)
	if r := prober.Probe(ctx); r.Status != check.StatusOK {
		t.Errorf("after recovery: %v %q; want ok", r.Status, r.Message.DE)
	}
}

func TestSyncerCursorExpiredTakesFullSync(t *testing.T) {
	clk := clock.NewFake(time.Date(2025, 3, 29, 9, 0, 0, 0, time.UTC))
	db := openDB(t)
	ctx := context.Background()
	f := newERP(t, clk, 50)
	for range 20 {
		f.erp.Tick()
	}
	if _, err := mirror.Import(ctx, db, f.src, mirror.ImportOptions{Clock: clk}); err != nil {
		t.Fatal(err)
	}
	// The ERP restarts with a fresh, longer history: our cursor's position
	// exists there too, but belongs to the old history.
	g := newERP(t, clk, 500)
	src2, _ := feed.New(feed.Options{Dataset: mirror.Articles, URL: f.srv.URL + "/feed/articles"})
	f.srv.Config.Handler = g.erp.Handler()
	s := mirror.NewSyncer(db, []mirror.Job{{Source: src2}}, mirror.SyncOptions{Interval: time.Minute, Clock: clk})
	reps := s.Tick(ctx)
	if len(reps) != 1 || !reps[0].Full || reps[0].Imported != 500 {
		t.Errorf("after the ERP's restart: %+v; want a full sync of 500", reps)
	}
}

func TestSyncerReimportsChangedFile(t *testing.T) {
	clk := clock.NewFake(time.Now())
	dir := t.TempDir()
	path := filepath.Join(dir, "artikel.csv")
	write := func(n int) {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := synth.WriteCSV(f, n, 5); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	write(10)
	src, err := csvsource.New(mirror.Articles, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	contacts, _ := csvsource.New(mirror.Contacts, filepath.Join("csvsource", "testdata", "contacts_good.csv"), nil)
	db := openDB(t)
	s := mirror.NewSyncer(db, []mirror.Job{{Source: src}, {Source: contacts}}, mirror.SyncOptions{Interval: time.Minute, Clock: clk})
	ctx := context.Background()
	if reps := s.Tick(ctx); len(reps) != 2 || reps[0].Imported != 10 || reps[1].Imported != 3 {
		t.Fatalf("first tick: %+v; want both files imported", reps)
	}
	clk.Advance(time.Minute)
	if reps := s.Tick(ctx); len(reps) != 0 {
		t.Errorf("unchanged files: %+v; want no import", reps)
	}
	write(12)
	clk.Advance(time.Minute)
	if reps := s.Tick(ctx); len(reps) != 1 || reps[0].Imported != 12 {
		t.Errorf("changed file: %+v; want a re-import of 12", reps)
	}
	// The article file ages like its data; the contacts file is not
	// watched by default.
	clk.Advance(time.Hour)
	r := s.Prober(10 * time.Minute).Probe(ctx)
	if r.Status != check.StatusDegraded || !strings.HasPrefix(r.Message.DE, "Preisdaten 1 Stunde alt") || strings.Contains(r.Message.DE, "Kontakte") {
		t.Errorf("prober: %v %q; want degraded for the price data only", r.Status, r.Message.DE)
	}
	s2 := mirror.NewSyncer(db, []mirror.Job{{Source: src, MaxAge: 2 * time.Hour}, {Source: contacts, MaxAge: time.Minute}}, mirror.SyncOptions{Clock: clk})
	r = s2.Prober(10 * time.Minute).Probe(ctx)
	if r.Status != check.StatusDegraded || strings.Contains(r.Message.DE, "Preisdaten") || !strings.Contains(r.Message.DE, "Kontakte") {
		t.Errorf("prober with own limits: %v %q; want degraded for the contacts only", r.Status, r.Message.DE)
	}
}

func TestSyncerTrigger(t *testing.T) {
	clk := clock.NewFake(time.Date(2025, 3, 29, 9, 0, 0, 0, time.UTC))
	f := newERP(t, clk, 20)
	db := openDB(t)
	s := mirror.NewSyncer(db, []mirror.Job{{Source: f.src}}, mirror.SyncOptions{Interval: time.Hour, Clock: clk})
	ctx := context.Background()
	s.Tick(ctx)
	ch := f.erp.Tick()
	clk.Advance(time.Minute)
	if reps := s.Tick(ctx); len(reps) != 0 {
		t.Fatalf("tick within the hour: %+v; want nothing", reps)
	}
	s.Trigger()
	reps := s.Tick(ctx)
	if len(reps) != 1 || reps[0].Imported < len(ch.Changed) {
		t.Errorf("tick after Trigger: %+v; want the %d changes", reps, len(ch.Changed))
	}
}
