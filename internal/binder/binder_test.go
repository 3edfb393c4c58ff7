package binder_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/binder"
	"github.com/lifeline-project/lifeline/internal/certcal"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/incident/incidentsql"
	"github.com/lifeline-project/lifeline/internal/incident/pdftest"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrordb"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrortest"
	"github.com/lifeline-project/lifeline/internal/runbook"
	"github.com/lifeline-project/lifeline/internal/seal"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// fixture is a pharmacy's downtime copy, sales journal and calendar, all
// real files in a temporary folder.
type fixture struct {
	mirror   *mirrordb.DB
	journal  *journal.Journal
	store    *incidentsql.Store
	calendar *certcal.Calendar
	clk      *clock.Fake
	dir      string
	arts     []mirror.Article
}

func newFixture(t *testing.T, now time.Time, nArticles int) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	raw, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	kr, err := seal.NewKeyring(raw)
	if err != nil {
		t.Fatal(err)
	}
	mdb, err := mirrordb.Open(ctx, filepath.Join(dir, "mirror.db"), kr, quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mdb.Close() })
	f := &fixture{mirror: mdb, clk: clock.NewFake(now), dir: dir}
	fill := func(ds mirror.Dataset, recs []mirror.Record) {
		t.Helper()
		err := mdb.Replace(ctx, ds, func(w mirror.Writer) (mirror.Commit, error) {
			for _, r := range recs {
				if err := w.Put(ctx, r); err != nil {
					return mirror.Commit{}, err
				}
			}
			return mirror.Commit{Source: "test", SyncedAt: now.Add(-time.Minute), At: now}, nil
		})
		if err != nil {
			t.Fatalf("fill %s: %v", ds, err)
		}
	}
	fill(mirror.Contacts, []mirror.Record{
		mirror.Contact{ID: "noweda", Kind: mirror.KindWholesaler, Name: "Noweda Essen", Phone: "0201 802-0"},
		mirror.Contact{ID: "lauer", Kind: mirror.KindERPHotline, Name: "Hotline Warenwirtschaft", Phone: "0261 8000-1111", Note: "Kundennummer 4711"},
		mirror.Contact{ID: "praxis", Kind: mirror.KindPractice, Name: "Praxis Dr. Sommer", Phone: "030 123456", PhonePrivate: "0171 9876543"},
	})
	fill(mirror.Patients, []mirror.Record{
		mirror.Patient{CustomerNo: "K-1001", Name: "Erika Mustermann", Phone: "030 555 01", Drugs: "Insulin glargin", NextDue: time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC)},
	})
	var recs []mirror.Record
	for i := 0; i < nArticles; i++ {
		a := mirror.Article{PZN: mirrortest.PZN(2000 + i), Name: fmt.Sprintf("Artikel Nr %03d", i), PackSize: "20 St", NormSize: mirror.N1, AVP: mirror.Cents(1000 + 100*i), PharmacyOnly: true}
		if i%2 == 0 {
			a.Rx = true
		}
		f.arts = append(f.arts, a)
		recs = append(recs, a)
	}
	// A drug above its Festbetrag: co-payment 8,00 € plus 15,00 € Mehrkosten (domain.md).
	fb := mirror.Article{PZN: mirrortest.PZN(9000), Name: "Festbetragsmittel", PackSize: "100 St", NormSize: mirror.N3, AVP: 9500, Festbetrag: 8000, HasFestbetrag: true, Rx: true, PharmacyOnly: true}
	f.arts = append(f.arts, fb)
	recs = append(recs, fb)
	fill(mirror.Articles, recs)
	fill(mirror.Duty, []mirror.Record{
		mirror.DutyShift{Start: time.Date(2026, 3, 30, 8, 30, 0, 0, berlin(t)), End: time.Date(2026, 3, 31, 8, 30, 0, 0, berlin(t)), Name: "Linden-Apotheke", Address: "Lindenstr. 1", Phone: "030 222333"},
	})

	f.journal, err = journal.Open(journal.Config{Dir: filepath.Join(dir, "journal"), MirrorDir: filepath.Join(dir, "journal-copy"), RegisterSerial: "K1", Till: "Kasse 1"}, quiet(), f.clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.journal.Close() })
	// Article i is sold nArticles-i times (the festbetrag drug 100 times): the
	// ranking is known.
	sale := 0
	add := func(a mirror.Article, qty int) {
		sale++
		_, _, err := f.journal.Append(ctx, journal.Sale{IdempotencyKey: fmt.Sprintf("s%d", sale), Staff: "anna", Payment: journal.PaymentCash,
			Items: []journal.Item{{PZN: string(a.PZN), Qty: qty, Price: journal.Cents(int64(a.AVP))}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	add(fb, 100)
	for i := 0; i < nArticles; i++ {
		add(f.arts[i], nArticles-i)
	}

	db, err := sqlite.Open(ctx, filepath.Join(dir, "site.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.store = incidentsql.NewStore(db)
	f.calendar, err = certcal.New(ctx, certcal.Options{Store: f.store, Location: berlin(t), Clock: f.clk, Config: incident.CertConfig{
		Entries: []incident.CertEntry{{ID: "smcb", Kind: incident.CertSMCB, Name: "SMC-B Apotheke am Markt", Expires: "2026-06-30"}}}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) generator(t *testing.T, folders []string, articles int) *binder.Generator {
	t.Helper()
	g, err := binder.New(binder.Options{Site: "Apotheke am Markt", DataDir: filepath.Join(f.dir, "data"), Patients: true,
		Config: incident.BinderConfig{Folders: folders, Time: "06:30", Keep: 2, Articles: articles,
			PhoneTree: []incident.PhoneTreeEntry{{Name: "Anna Becker", Role: "Inhaberin", Phone: "0171 1234567", Calls: []string{"Jonas Wolf"}},
				{Name: "Jonas Wolf", Role: "Filialleitung", Phone: "0172 7654321"}}},
		Mirror: f.mirror, Sales: binder.JournalSales{Journal: f.journal}, Runbook: runbook.NewBook(f.mirror, quiet()), Calendar: f.calendar,
		Log: f.store, Location: berlin(t), Clock: f.clk, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestBinderContent(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 29, 6, 30, 0, 0, berlin(t)) // the morning after the clocks went forward
	f := newFixture(t, now, 40)
	usb, pc2 := filepath.Join(t.TempDir(), "USB"), filepath.Join(t.TempDir(), "PC-BUERO")
	g := f.generator(t, []string{usb, pc2}, 30)
	res, err := g.Generate(ctx, "anna", binder.ReasonManual)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 0 || len(res.Written) != 3 {
		t.Fatalf("written %v, problems %v; want the site's copy, the USB stick and the second PC", res.Written, res.Problems)
	}
	b := res.Binder
	if len(b.Articles) != 30 || b.Articles[0].Name != "Festbetragsmittel" || b.Articles[1].Name != "Artikel Nr 000" || b.Articles[29].Name != "Artikel Nr 028" {
		t.Fatalf("articles: %d, first %q, second %q; want the 30 most sold in order", len(b.Articles), b.Articles[0].Name, b.Articles[1].Name)
	}
	if a := b.Articles[0]; !a.HasCopay || Euro(a.Copay) != "8,00 €" || Euro(a.Mehrkosten) != "15,00 €" {
		t.Fatalf("Festbetrag article: copay %s + %s; want 8,00 € + 15,00 €", a.Copay, a.Mehrkosten)
	}
	for _, dir := range []string{usb, pc2, filepath.Join(f.dir, "data", "notfallmappe")} {
		for _, name := range []string{"Notfallmappe-2026-03-29.pdf", binder.CurrentFile} {
			got, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil || string(got) != string(res.PDF) {
				t.Fatalf("%s/%s: %v; want the binder", dir, name, err)
			}
		}
	}

	text := pdftest.Text(t, res.PDF)
	flat := pdftest.Squash(text)
	for _, want := range []string{
		"Notfallmappe – Apotheke am Markt",
		"Anna Becker", "0171 1234567", "Jonas Wolf",
		"Noweda Essen", "0201 802-0", "Hotline Warenwirtschaft", "0261 8000-1111", "Kundennummer 4711", "Praxis Dr. Sommer", "0171 9876543",
		"1. Strom", "USV-Anzeige ansehen", "6. Rückkehr (zurück zum Normalbetrieb)",
		"Vorrang-Patienten (vertraulich)", "Erika Mustermann", "Insulin glargin", "30.03.2026",
		"SMC-B Apotheke am Markt", "30.06.2026", "läuft in 93 Tagen ab",
		"Linden-Apotheke", "30.03.2026 08:30",
		"Die 30 meistverkauften Artikel",
		"Festbetragsmittel", "95,00 €", "8,00 €", "15,00 €",
		"Artikel Nr 000", "10,00 €", "5,00 €",
		"Artikel Nr 028",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("binder lacks %q", want)
		}
	}
	if strings.Contains(flat, "Artikel Nr 029") {
		t.Error("binder lists article 31")
	}
	pages := pdftest.Pages(text)
	if n := strings.Count(text, "Stand: 29.03.2026 06:30"); pages < 3 || n < pages {
		t.Errorf("%d pages, the date on %d of them; want it on every page", pages, n)
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("binder text:\n%s", text)
	}

	log, err := f.store.BinderLog(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].By != "anna" || log[0].Patients != 1 || log[0].Reason != binder.ReasonManual || log[0].SHA256 != res.SHA256 || len(log[0].Folders) != 3 {
		t.Fatalf("binder log %+v; want the generation with its patient count", log)
	}
}

func Euro(d interface{ StringFixed(int32) string }) string {
	s := strings.Replace(d.StringFixed(2), ".", ",", 1)
	return s + " €"
}

func TestBinderFolderMissingAndKeep(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 10, 23, 6, 30, 0, 0, berlin(t))
	f := newFixture(t, now, 3)
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	usb := filepath.Join(t.TempDir(), "USB")
	g := f.generator(t, []string{filepath.Join(file, "Notfallmappe"), usb}, 300) // a folder below a file cannot be made
	for day := 0; day < 4; day++ {
		res, err := g.Generate(ctx, incident.ActorSystem, binder.ReasonDaily)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Written) != 2 || len(res.Problems) != 1 || !strings.Contains(res.Problems[0], "a-file") {
			t.Fatalf("day %d: written %v, problems %v; want two copies and the broken folder named", day, res.Written, res.Problems)
		}
		f.clk.Advance(24 * time.Hour)
	}
	names, err := os.ReadDir(usb)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range names {
		got = append(got, n.Name())
	}
	want := "Notfallmappe-2026-10-25.pdf Notfallmappe-2026-10-26.pdf Notfallmappe-aktuell.pdf"
	if strings.Join(got, " ") != want {
		t.Fatalf("USB folder %v; want the two newest dated copies and the current one (%s)", got, want)
	}
}

func TestDailySchedule(t *testing.T) {
	loc := berlin(t)
	cases := []struct {
		name        string
		at          string // HH:MM
		now, last   time.Time
		due         bool
		wantDailyAt time.Time
	}{
		{"before the time", "06:30", time.Date(2026, 3, 12, 6, 29, 0, 0, loc), time.Date(2026, 3, 11, 6, 30, 0, 0, loc), false, time.Date(2026, 3, 12, 6, 30, 0, 0, loc)},
		{"at the time", "06:30", time.Date(2026, 3, 12, 6, 30, 0, 0, loc), time.Date(2026, 3, 11, 6, 30, 0, 0, loc), true, time.Date(2026, 3, 12, 6, 30, 0, 0, loc)},
		{"done today", "06:30", time.Date(2026, 3, 12, 9, 0, 0, 0, loc), time.Date(2026, 3, 12, 6, 31, 0, 0, loc), false, time.Date(2026, 3, 12, 6, 30, 0, 0, loc)},
		{"missed while off", "06:30", time.Date(2026, 3, 12, 11, 0, 0, 0, loc), time.Date(2026, 3, 10, 6, 30, 0, 0, loc), true, time.Date(2026, 3, 12, 6, 30, 0, 0, loc)},
		// 29 Mar 2026: 02:00 CET becomes 03:00 CEST; 02:30 does not exist.
		// Go moves the missing 02:30 on by the gap: 03:30 CEST (01:30 UTC).
		{"spring night, missing hour", "02:30", time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC), time.Date(2026, 3, 28, 2, 30, 0, 0, loc), true, time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)},
		{"spring night, before", "02:30", time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), time.Date(2026, 3, 28, 2, 30, 0, 0, loc), false, time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)},
		{"spring day 06:30", "06:30", time.Date(2026, 3, 29, 4, 30, 0, 0, time.UTC), time.Date(2026, 3, 28, 6, 30, 0, 0, loc), true, time.Date(2026, 3, 29, 4, 30, 0, 0, time.UTC)},
		// 25 Oct 2026: 03:00 CEST becomes 02:00 CET; 02:30 happens twice and
		// Go takes the second one (02:30 CET, 01:30 UTC): one run that night.
		{"autumn night, first 02:30", "02:30", time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), time.Date(2026, 10, 24, 2, 30, 0, 0, loc), false, time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC)},
		{"autumn night, second 02:30", "02:30", time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), time.Date(2026, 10, 24, 2, 30, 0, 0, loc), true, time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC)},
		{"autumn night, done", "02:30", time.Date(2026, 10, 25, 2, 30, 0, 0, time.UTC), time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), false, time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC)},
		{"autumn day 06:30", "06:30", time.Date(2026, 10, 25, 5, 30, 0, 0, time.UTC), time.Date(2026, 10, 24, 6, 30, 0, 0, loc), true, time.Date(2026, 10, 25, 5, 30, 0, 0, time.UTC)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, m, err := incident.ParseClock(tc.at)
			if err != nil {
				t.Fatal(err)
			}
			if got := binder.DailyAt(tc.now, h, m, loc); !got.Equal(tc.wantDailyAt) {
				t.Errorf("DailyAt = %s; want %s", got.UTC(), tc.wantDailyAt.UTC())
			}
			if got := binder.Due(tc.now, tc.last, h, m, loc); got != tc.due {
				t.Errorf("Due = %v; want %v", got, tc.due)
			}
			next := binder.Next(tc.now, h, m, loc)
			if !next.After(tc.now) || next.Sub(tc.now) > 25*time.Hour {
				t.Errorf("Next = %s; want within a day after %s", next, tc.now)
			}
		})
	}
}

func TestTickMakesOneDailyBinder(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, time.Date(2026, 10, 24, 23, 0, 0, 0, berlin(t)), 2)
	g := f.generator(t, nil, 10)
	var last time.Time
	made := 0
	for i := 0; i < 24*6; i++ { // every 10 minutes through the night the clocks go back
		before := last
		last = g.Tick(ctx, last)
		if !last.Equal(before) {
			made++
		}
		f.clk.Advance(10 * time.Minute)
	}
	log, err := f.store.BinderLog(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	// The first tick catches up on the 24th (nothing was made that day),
	// then exactly one for the 25th.
	if made != 2 || len(log) != 2 || log[0].Reason != binder.ReasonDaily {
		t.Fatalf("made %d daily binders (log %d); want the catch-up and exactly 1 for 25 Oct", made, len(log))
	}
	if got := log[1].At.In(berlin(t)).Format("2006-01-02 15:04"); got != "2026-10-24 23:00" {
		t.Fatalf("catch-up at %s; want at the start", got)
	}
	if got := log[0].At.In(berlin(t)).Format("2006-01-02 15:04"); got != "2026-10-25 06:30" {
		t.Fatalf("daily binder at %s; want 2026-10-25 06:30", got)
	}
}

func TestFileAndCombinedSales(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	withQty := write("top.csv", "\uFEFFPZN;Menge;Name\n04877800;12;Ibu\n1234567;40;PZN-7\n00002000;x;kaputt\nHinweis\n04877800;3;Ibu noch mal\n")
	ranked := write("rang.csv", "pzn\n12345678\n04877800\n")
	cases := []struct {
		name string
		s    binder.Sales
		want string
	}{
		{"quantities, header, PZN-7, repeats", binder.FileSales{Path: withQty}, "01234567:40 04877800:15"},
		{"order only", binder.FileSales{Path: ranked}, ""},
		{"combined", binder.Combined{binder.FileSales{Path: withQty}, binder.FileSales{Path: filepath.Join(dir, "fehlt.csv")}}, "01234567:40 04877800:15"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.s.TopSellers(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, s := range got {
				parts = append(parts, fmt.Sprintf("%s:%d", s.PZN, s.Qty))
			}
			if tc.want == "" { // order only: the file's order
				if len(got) != 2 || got[0].PZN != "12345678" || got[1].PZN != "04877800" {
					t.Fatalf("got %v; want the file's order", parts)
				}
				return
			}
			if strings.Join(parts, " ") != tc.want {
				t.Fatalf("got %v; want %s", parts, tc.want)
			}
		})
	}
	if _, err := (binder.FileSales{Path: filepath.Join(dir, "fehlt.csv")}).TopSellers(ctx, 1); err == nil {
		t.Fatal("a missing file gave no error")
	}
}
