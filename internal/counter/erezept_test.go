package counter_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/counter"
	"github.com/lifeline-project/lifeline/internal/counter/countertest"
	"github.com/lifeline-project/lifeline/internal/seal"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
)

func siteFiles(t *testing.T, e *countertest.Env) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(e.Dir, "site.db*"))
	if err != nil || len(m) == 0 {
		t.Fatalf("site database files: %v %v", m, err)
	}
	return m
}

func TestERezeptQueue(t *testing.T) {
	e := countertest.New(t, countertest.Options{NoArticles: true, NoJournal: true})
	s := e.Service
	e.Set(countertest.CheckKonnektor, check.StatusFail)
	if txt, ok := s.ERezeptBanner(ctx); !ok || !strings.HasPrefix(txt.DE, "TI gestört: E-Rezept-Codes") {
		t.Errorf("banner while the TI is down and nothing queued: %q, %v", txt.DE, ok)
	}
	two := countertest.ERezeptScan(1, 2)
	added, dup, err := s.AddERezepte(ctx, "anna", counter.ERezeptInput{Scan: two, Contact: "Frau Muster 0171 2345678"})
	if err != nil || len(added) != 2 || dup != 0 {
		t.Fatalf("add two: got %d added, %d dup, %v", len(added), dup, err)
	}
	e.Clock.Advance(5 * time.Minute)
	urgent := countertest.ERezeptScan(7, 1)
	if _, _, err := s.AddERezepte(ctx, "anna", counter.ERezeptInput{Scan: urgent, Contact: "Herr Eilig", Urgent: true, Note: "dringend: Antibiotikum"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AddERezepte(ctx, "anna", counter.ERezeptInput{Scan: two, Contact: "Frau Muster"}); counter.ErrorCode(err) != counter.ECONFLICT {
		t.Errorf("scanning the same printout again: got %v; want ECONFLICT", err)
	}
	if _, _, err := s.AddERezepte(ctx, "anna", counter.ERezeptInput{Scan: `{"urls":["Task/160.000.000.000.001.99/$accept?ac=x"]}`, Contact: "x"}); counter.ErrorCode(err) != counter.EINVALID {
		t.Errorf("bad code: got %v; want EINVALID", err)
	}
	if _, _, err := s.AddERezepte(ctx, "anna", counter.ERezeptInput{Scan: countertest.ERezeptScan(20, 1)}); counter.ErrorCode(err) != counter.EINVALID ||
		!strings.Contains(counter.ErrorMessage(err, "de"), "Telefonnummer") {
		t.Errorf("no contact: got %v; want EINVALID asking for name or phone", err)
	}
	// Sealed at rest: neither phone, note nor access code is in the files.
	e.DB.W.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	raw := e.Files(siteFiles(t, e)...)
	for _, secret := range []string{"0171 2345678", "Antibiotikum", added[0].Token.AccessCode, added[0].Token.PrescriptionID} {
		if strings.Contains(raw, secret) {
			t.Errorf("%q is readable in the site database; want it sealed", secret)
		}
	}
	if txt, ok := s.ERezeptBanner(ctx); !ok || txt.DE != "TI gestört: 3 E-Rezepte vorgemerkt, Einlösung sobald die TI zurück ist." {
		t.Errorf("banner while down: %q, %v", txt.DE, ok)
	}
	e.Set(countertest.CheckKonnektor, check.StatusOK)
	if txt, ok := s.ERezeptBanner(ctx); !ok || !strings.HasPrefix(txt.DE, "3 E-Rezepte warten auf Einlösung") {
		t.Errorf("banner once the TI is back: %q, %v", txt.DE, ok)
	}
	l, err := s.ListERezepte(ctx, "vera")
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, w := range l.Waiting {
		order = append(order, w.Contact)
	}
	if strings.Join(order, "|") != "Herr Eilig|Frau Muster 0171 2345678|Frau Muster 0171 2345678" || l.Waiting[0].Note != "dringend: Antibiotikum" {
		t.Errorf("order: got %v; want the urgent one first, then by age", order)
	}
	if err := s.MarkERezept(ctx, "anna", l.Waiting[0].ID, counter.StatusDone); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkERezept(ctx, "anna", l.Waiting[0].ID, counter.StatusReturned); counter.ErrorCode(err) != counter.ECONFLICT {
		t.Errorf("marking twice: got %v; want ECONFLICT", err)
	}
	if err := s.MarkERezept(ctx, "anna", l.Waiting[1].ID, counter.StatusReturned); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkERezept(ctx, "anna", 999, counter.StatusDone); counter.ErrorCode(err) != counter.ENOTFOUND {
		t.Errorf("unknown id: got %v; want ENOTFOUND", err)
	}
	tok, err := s.ERezeptToken(ctx, "anna", l.Waiting[2].ID)
	if err != nil || tok.Token.AccessCode == "" {
		t.Fatalf("token: %+v, %v", tok, err)
	}
	l2, err := s.ListERezepte(ctx, "anna")
	if err != nil || len(l2.Waiting) != 1 || len(l2.Handled) != 2 || l2.Handled[0].Status != counter.StatusReturned {
		t.Errorf("after handling two: waiting %d, handled %+v, %v", len(l2.Waiting), l2.Handled, err)
	}
	// Every view and change is in the access log, newest first.
	log, err := s.AccessLog(ctx, 20)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range log {
		got = append(got, a.User+" "+a.Action)
	}
	want := "anna erezept.list|anna erezept.token|anna erezept.returned|anna erezept.done|vera erezept.list|anna erezept.add|anna erezept.add|anna erezept.add"
	if strings.Join(got, "|") != want {
		t.Errorf("access log:\n got %s\nwant %s", strings.Join(got, "|"), want)
	}
	// Handled E-Rezepte go after the keeping time.
	e.Clock.Advance(31 * 24 * time.Hour)
	l3, err := s.ListERezepte(ctx, "anna")
	if err != nil || len(l3.Waiting) != 1 || len(l3.Handled) != 0 {
		t.Errorf("a month later: %+v, %v", l3, err)
	}
	rows, _ := sqlite.NewCounterStore(e.DB).ERezepte(ctx, "")
	if len(rows) != 1 {
		t.Errorf("rows kept: got %d; want the waiting one only", len(rows))
	}
}

func TestERezeptWithoutOrWithWrongKey(t *testing.T) {
	e := countertest.New(t, countertest.Options{NoArticles: true, NoJournal: true})
	if _, _, err := e.Service.AddERezepte(ctx, "anna", counter.ERezeptInput{Scan: countertest.ERezeptScan(1, 1), Contact: "x"}); err != nil {
		t.Fatal(err)
	}
	k, _ := seal.GenerateKey()
	other, _ := seal.NewKeyring(k)
	for name, kr := range map[string]*seal.Keyring{"no key": nil, "wrong key": other} {
		t.Run(name, func(t *testing.T) {
			s, err := counter.New(ctx, counter.Options{Store: sqlite.NewCounterStore(e.DB), Status: e.Monitor.Overview, Keys: kr, Clock: e.Clock})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.ListERezepte(ctx, "anna"); counter.ErrorCode(err) != counter.EUNAVAILABLE {
				t.Errorf("list: got %v; want EUNAVAILABLE", err)
			}
		})
	}
}
