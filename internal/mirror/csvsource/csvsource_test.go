package csvsource_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/csvsource"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrordb"
	"github.com/lifeline-project/lifeline/internal/pharma"
	"github.com/lifeline-project/lifeline/internal/seal"
)

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
	db, err := mirrordb.Open(context.Background(), filepath.Join(t.TempDir(), "mirror.db"), kr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func source(t *testing.T, ds mirror.Dataset, file string) *csvsource.Source {
	t.Helper()
	s, err := csvsource.New(ds, filepath.Join("testdata", file), berlin(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func berlin(t *testing.T) *time.Location {
	t.Helper()
	l, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestImportGoodFiles(t *testing.T) {
	tests := []struct {
		ds   mirror.Dataset
		file string
		want int
	}{
		{mirror.Articles, "articles_good.csv", 4},
		{mirror.Contacts, "contacts_good.csv", 3},
		{mirror.Duty, "duty_good.csv", 2},
		{mirror.Patients, "patients_good.csv", 3},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			db := openDB(t)
			rep, err := mirror.Import(context.Background(), db, source(t, tt.ds, tt.file), mirror.ImportOptions{Strict: true})
			if err != nil {
				t.Fatalf("import: %v; rejected %v", err, rep.Rejected)
			}
			if rep.Imported != tt.want || rep.RejectedCount != 0 {
				t.Errorf("imported %d, rejected %d; want %d, 0", rep.Imported, rep.RejectedCount, tt.want)
			}
		})
	}
}

func TestGoodArticleValues(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	if _, err := mirror.Import(ctx, db, source(t, mirror.Articles, "articles_good.csv"), mirror.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Article(ctx, "12345678")
	if err != nil {
		t.Fatal(err)
	}
	want := mirror.Article{PZN: "12345678", Name: "Metformin Hexal 1000 mg; Filmtabletten", Manufacturer: "Hexal", Form: "FTA",
		PackSize: "180 St", NormSize: mirror.N3, Rx: true, PharmacyOnly: true, AVP: 1743, Festbetrag: 1915, HasFestbetrag: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("article 12345678 (-want +got):\n%s", diff)
	}
	m, err := db.Article(ctx, "00000017")
	if err != nil || !m.BtM {
		t.Errorf("Morphin: BtM = %v, %v; want true", m.BtM, err)
	}
	shifts, err := func() ([]mirror.DutyShift, error) {
		if _, err := mirror.Import(ctx, db, source(t, mirror.Duty, "duty_good.csv"), mirror.ImportOptions{}); err != nil {
			return nil, err
		}
		return db.DutyShifts(ctx, time.Date(2025, 3, 30, 12, 0, 0, 0, time.UTC), time.Date(2025, 3, 30, 13, 0, 0, 0, time.UTC))
	}()
	if err != nil {
		t.Fatal(err)
	}
	if len(shifts) != 1 || shifts[0].Name != "Löwen-Apotheke" {
		t.Fatalf("shifts at noon 30 March = %v; want Löwen-Apotheke", shifts)
	}
	if want := time.Date(2025, 3, 30, 6, 30, 0, 0, time.UTC); !shifts[0].Start.Equal(want) {
		t.Errorf("shift start = %v; want %v (08:30 CEST)", shifts[0].Start, want)
	}
}

type wantRow struct {
	Line  int
	Field string
	Words string
}

func TestImportBadArticles(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	rep, err := mirror.Import(ctx, db, source(t, mirror.Articles, "articles_bad.csv"), mirror.ImportOptions{})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	want := []wantRow{
		{3, "pzn", "Prüfziffer falsch"},
		{4, "avp", "negativer Preis"},
		{5, "name", "Name fehlt"},
		{6, "", "3 Spalten statt 12"},
		{7, "norm_size", "Normgröße"},
		{8, "rx", "kein Ja/Nein-Wert"},
		{9, "pzn", "mehrfach"},
		{10, "avp", "zwei Nachkommastellen"},
		{13, "", "Anführungszeichen"},
		{14, "avp", "negativer Preis"},
		{14, "festbetrag", "negativer Preis"},
	}
	var got []wantRow
	for _, e := range rep.Rejected {
		if e.File != "articles_bad.csv" {
			t.Errorf("row error file = %q; want articles_bad.csv", e.File)
		}
		if e.Reason.EN == "" {
			t.Errorf("line %d: no English reason", e.Line)
		}
		w := wantRow{e.Line, e.Field, ""}
		for _, r := range want {
			if r.Line == e.Line && r.Field == e.Field && strings.Contains(e.Reason.DE, r.Words) {
				w.Words = r.Words
			}
		}
		if w.Words == "" {
			w.Words = "unexpected: " + e.Reason.DE
		}
		got = append(got, w)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bad rows (-want +got):\n%s", diff)
	}
	if rep.Imported != 2 || rep.RejectedCount != 10 {
		t.Errorf("imported %d, rejected rows %d; want 2, 10", rep.Imported, rep.RejectedCount)
	}
	if got := rep.Summary().DE; got != "2 Artikel übernommen, 10 Zeilen fehlerhaft" {
		t.Errorf("summary %q", got)
	}
	for _, p := range []pharma.PZN{"04877800", "00000017"} {
		if _, err := db.Article(ctx, p); err != nil {
			t.Errorf("good row %s not imported: %v", p, err)
		}
	}
}

func TestStrictKeepsOldCopy(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	if _, err := mirror.Import(ctx, db, source(t, mirror.Articles, "articles_good.csv"), mirror.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err := mirror.Import(ctx, db, source(t, mirror.Articles, "articles_bad.csv"), mirror.ImportOptions{Strict: true})
	if mirror.ErrorCode(err) != mirror.EINVALID {
		t.Fatalf("strict import of a bad file: error %v; want EINVALID", err)
	}
	if len(rep.Rejected) != 1 || rep.Rejected[0].Line != 3 {
		t.Errorf("strict: rejected %v; want only the first bad row (line 3)", rep.Rejected)
	}
	// The old copy is unchanged: still the four good articles.
	st, _ := db.Status(ctx)
	if st[0].Rows != 4 {
		t.Errorf("rows after rejected import = %d; want 4 (the old copy)", st[0].Rows)
	}
	if _, err := db.Article(ctx, "01234562"); err != nil {
		t.Errorf("old article gone after rejected import: %v", err)
	}
}

func TestNothingImportedKeepsOldCopy(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	if _, err := mirror.Import(ctx, db, source(t, mirror.Patients, "patients_good.csv"), mirror.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"articles_header_only.csv"} {
		_, err := mirror.Import(ctx, db, source(t, mirror.Articles, f), mirror.ImportOptions{})
		if mirror.ErrorCode(err) != mirror.EINVALID {
			t.Errorf("%s: error %v; want EINVALID (nothing imported)", f, err)
		}
	}
	rep, err := mirror.Import(ctx, db, source(t, mirror.Patients, "patients_bad.csv"), mirror.ImportOptions{})
	if err != nil {
		t.Fatalf("patients_bad: %v", err)
	}
	if rep.Imported != 1 || rep.RejectedCount != 3 {
		t.Errorf("patients_bad: imported %d, rejected %d; want 1, 3", rep.Imported, rep.RejectedCount)
	}
}

func TestHeaderErrors(t *testing.T) {
	tests := []struct{ file, words string }{
		{"articles_unknown_column.csv", `unbekannte Spalte "festbetarg"`},
		{"articles_missing_column.csv", "Spalten fehlen: manufacturer"},
		{"articles_comma.csv", "Semikolon"},
		{"articles_empty.csv", "Datei ist leer"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			db := openDB(t)
			_, err := mirror.Import(context.Background(), db, source(t, mirror.Articles, tt.file), mirror.ImportOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.words) || !strings.Contains(err.Error(), "Zeile 1") {
				t.Errorf("error %v; want one naming line 1 and %q", err, tt.words)
			}
		})
	}
	if _, err := csvsource.New(mirror.Handbook, "x.csv", nil); err == nil {
		t.Errorf("New(handbook) error = nil; want one (the handbook is Markdown)")
	}
	s := source(t, mirror.Articles, "does-not-exist.csv")
	if _, err := s.Snapshot(context.Background(), &memSink{}); mirror.ErrorCode(err) != mirror.EUNAVAILABLE {
		t.Errorf("missing file: error %v; want EUNAVAILABLE", err)
	}
}

func TestVersionChangesWithFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.csv")
	body, _ := os.ReadFile(filepath.Join("testdata", "articles_good.csv"))
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	s, _ := csvsource.New(mirror.Articles, path, nil)
	v1, err := s.Version(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Snapshot(context.Background(), &memSink{})
	if err != nil || m.Cursor != v1 {
		t.Errorf("Snapshot cursor %q, %v; want the version %q", m.Cursor, err, v1)
	}
	if err := os.WriteFile(path, append(body, body[len(body)-40:]...), 0o644); err != nil {
		t.Fatal(err)
	}
	if v2, _ := s.Version(context.Background()); v2 == v1 {
		t.Errorf("version unchanged after the file changed")
	}
}

// memSink collects what a parse sends.
type memSink struct {
	puts    []mirror.Record
	lines   []int
	rejects []mirror.RowError
}

func (m *memSink) Put(_ context.Context, r mirror.Record, p mirror.Pos) error {
	m.puts = append(m.puts, r)
	m.lines = append(m.lines, p.Line)
	return nil
}
func (m *memSink) Delete(context.Context, string, mirror.Pos) error { return nil }
func (m *memSink) Reject(e mirror.RowError) error {
	m.rejects = append(m.rejects, e)
	return nil
}

func TestParseCancelled(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(strings.Join(mirror.ArticleColumns, ";") + "\n")
	for range 5000 {
		b.WriteString("04877800;Ibu;X;TAB;10 St;N1;0;1;0;1,00;;0\n")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := csvsource.Parse(ctx, &b, "big.csv", mirror.Articles, nil, &memSink{})
	if err != context.Canceled {
		t.Errorf("Parse with a cancelled context: %v; want context.Canceled", err)
	}
}

func FuzzParseArticles(f *testing.F) {
	for _, name := range []string{"articles_good.csv", "articles_bad.csv", "articles_comma.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("pzn;name\n\"unterminated\n"))
	f.Add([]byte("\xef\xbb\xbfpzn;name;manufacturer;form;pack_size;norm_size;rx;pharmacy_only;btm;avp;festbetrag;copay_exempt\n;;;;;;;;;;;\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sink := &memSink{}
		err := csvsource.Parse(context.Background(), bytes.NewReader(data), "fuzz.csv", mirror.Articles, nil, sink)
		if err != nil && (len(sink.puts) > 0 || len(sink.rejects) > 0) {
			t.Fatalf("Parse returned %v after sending rows; a header error must come first", err)
		}
		last := 1
		for i, r := range sink.puts {
			a, ok := r.(mirror.Article)
			if !ok {
				t.Fatalf("Put of %T; want mirror.Article", r)
			}
			if errs := a.Validate(); len(errs) > 0 {
				t.Fatalf("accepted an invalid article %+v: %v", a, errs)
			}
			if sink.lines[i] <= last {
				t.Fatalf("line %d after line %d; want increasing lines after the header", sink.lines[i], last)
			}
			last = sink.lines[i]
		}
		for _, e := range sink.rejects {
			if e.Line < 2 || e.Reason.DE == "" || e.Reason.EN == "" {
				t.Fatalf("row error %+v: want a line after the header and a reason in both languages", e)
			}
		}
	})
}
