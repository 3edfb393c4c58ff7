package mirrordb_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrordb"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrortest"
	"github.com/lifeline-project/lifeline/internal/pharma"
	"github.com/lifeline-project/lifeline/internal/seal"
)

func newKeyring(t *testing.T) *seal.Keyring {
	t.Helper()
	k, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	kr, err := seal.NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func open(t *testing.T, path string, kr *seal.Keyring, opts ...mirrordb.Options) *mirrordb.DB {
	t.Helper()
	db, err := mirrordb.Open(context.Background(), path, kr, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func tempDB(t *testing.T) *mirrordb.DB {
	return open(t, filepath.Join(t.TempDir(), mirrordb.FileName), newKeyring(t))
}

// replace writes records as a full import.
func replace(t *testing.T, db *mirrordb.DB, ds mirror.Dataset, recs ...mirror.Record) {
	t.Helper()
	err := db.Replace(context.Background(), ds, func(w mirror.Writer) (mirror.Commit, error) {
		for _, r := range recs {
			if err := w.Put(context.Background(), r); err != nil {
				return mirror.Commit{}, err
			}
		}
		return mirror.Commit{Source: "test", SyncedAt: time.Now()}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func articles(n int) []mirror.Record {
	out := make([]mirror.Record, n)
	for i := range out {
		out[i] = mirror.Article{PZN: mirrortest.PZN(100 + i), Name: fmt.Sprintf("Artikel %d Tabletten", i), AVP: mirror.Cents(100 + i), PharmacyOnly: true}
	}
	return out
}

func rows(t *testing.T, db *mirrordb.DB, ds mirror.Dataset) int {
	t.Helper()
	st, err := db.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Dataset == ds {
			return s.Rows
		}
	}
	t.Fatalf("no status for %s", ds)
	return 0
}

func TestArticleLookup(t *testing.T) {
	db := tempDB(t)
	ctx := context.Background()
	a := mirror.Article{PZN: "04877800", Name: "Ibuprofen AL 400 mg", Manufacturer: "Aliud", Form: "FTA", PackSize: "20 St",
		NormSize: mirror.N1, PharmacyOnly: true, AVP: 499, Festbetrag: 512, HasFestbetrag: true, CopayExempt: true}
	replace(t, db, mirror.Articles, a)
	got, err := db.Article(ctx, "04877800")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, got); diff != "" {
		t.Errorf("Article (-want +got):\n%s", diff)
	}
	_, err = db.Article(ctx, mirrortest.PZN(5))
	if mirror.ErrorCode(err) != mirror.ENOTFOUND {
		t.Errorf("unknown PZN: error %v; want ENOTFOUND", err)
	}
	if _, err := db.Article(ctx, "123"); mirror.ErrorCode(err) != mirror.EINVALID {
		t.Errorf("malformed PZN: error %v; want EINVALID", err)
	}
}

func TestReplaceFailureKeepsOldCopy(t *testing.T) {
	db := tempDB(t)
	ctx := context.Background()
	replace(t, db, mirror.Articles, articles(50)...)
	boom := errors.New("feed went down")
	err := db.Replace(ctx, mirror.Articles, func(w mirror.Writer) (mirror.Commit, error) {
		for _, r := range articles(10) {
			if err := w.Put(ctx, r); err != nil {
				return mirror.Commit{}, err
			}
		}
		return mirror.Commit{}, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Replace error = %v; want the fill's error", err)
	}
	if got := rows(t, db, mirror.Articles); got != 50 {
		t.Errorf("rows after failed replace = %d; want 50", got)
	}
	if _, err := db.Article(ctx, mirrortest.PZN(100+49)); err != nil {
		t.Errorf("old article 49 gone: %v", err)
	}
	hits, err := db.SearchArticles(ctx, "artikel 49", 5)
	if err != nil || len(hits) == 0 {
		t.Errorf("search after failed replace: %v, %v; want the old article (index rebuilt in the same transaction)", hits, err)
	}
}

func TestReadersSeeOldCopyDuringImport(t *testing.T) {
	db := tempDB(t)
	ctx := context.Background()
	replace(t, db, mirror.Articles, articles(20)...)
	halfway, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := db.Replace(ctx, mirror.Articles, func(w mirror.Writer) (mirror.Commit, error) {
			a := mirror.Article{PZN: "04877800", Name: "Neu", AVP: 1, PharmacyOnly: true}
			if err := w.Put(ctx, a); err != nil {
				return mirror.Commit{}, err
			}
			close(halfway)
			<-release
			return mirror.Commit{Source: "new", SyncedAt: time.Now()}, nil
		})
		if err != nil {
			t.Error(err)
		}
	}()
	<-halfway
	if _, err := db.Article(ctx, mirrortest.PZN(105)); err != nil {
		t.Errorf("during import: old article not readable: %v", err)
	}
	if _, err := db.Article(ctx, "04877800"); mirror.ErrorCode(err) != mirror.ENOTFOUND {
		t.Errorf("during import: uncommitted article visible: %v", err)
	}
	if got := rows(t, db, mirror.Articles); got != 20 {
		t.Errorf("during import: rows = %d; want 20", got)
	}
	close(release)
	wg.Wait()
	if _, err := db.Article(ctx, "04877800"); err != nil {
		t.Errorf("after import: new article missing: %v", err)
	}
	if got := rows(t, db, mirror.Articles); got != 1 {
		t.Errorf("after import: rows = %d; want 1", got)
	}
}

func TestIncrementUpdatesIndex(t *testing.T) {
	db := tempDB(t)
	ctx := context.Background()
	replace(t, db, mirror.Articles, articles(10)...)
	p3, p4 := mirrortest.PZN(103), mirrortest.PZN(104)
	err := db.Update(ctx, mirror.Articles, func(w mirror.Writer) (mirror.Commit, error) {
		if err := w.Put(ctx, mirror.Article{PZN: p3, Name: "Zauberpflaster", AVP: 999, PharmacyOnly: true}); err != nil {
			return mirror.Commit{}, err
		}
		if err := w.Put(ctx, mirror.Article{PZN: "04877800", Name: "Ibuprofen neu", AVP: 1, PharmacyOnly: true}); err != nil {
			return mirror.Commit{}, err
		}
		if err := w.Delete(ctx, string(p4)); err != nil {
			return mirror.Commit{}, err
		}
		if err := w.Delete(ctx, string(mirrortest.PZN(9999))); err != nil { // unknown: no error
			return mirror.Commit{}, err
		}
		return mirror.Commit{Source: "feed", Cursor: "42", SyncedAt: time.Now()}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := rows(t, db, mirror.Articles); got != 10 {
		t.Errorf("rows = %d; want 10 (10 + 1 new - 1 deleted)", got)
	}
	tests := []struct {
		query string
		want  []pharma.PZN
	}{
		{"zauberpfl", []pharma.PZN{p3}},
		{"artikel 3 tabletten", nil}, // old name no longer indexed
		{"artikel 4", nil},           // deleted
		{"ibuprofen", []pharma.PZN{"04877800"}},
	}
	for _, tt := range tests {
		hits, err := db.SearchArticles(ctx, tt.query, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []pharma.PZN
		for _, h := range hits {
			got = append(got, h.Article.PZN)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("search %q (-want +got):\n%s", tt.query, diff)
		}
	}
	if a, _ := db.Article(ctx, p3); a.AVP != 999 {
		t.Errorf("updated price = %v; want 9.99", a.AVP)
	}
	st, _ := db.Status(ctx)
	if st[0].Cursor != "42" || st[0].Source != "feed" {
		t.Errorf("status cursor %q source %q; want 42, feed", st[0].Cursor, st[0].Source)
	}
}

func TestDuplicateInReplaceIsConflict(t *testing.T) {
	db := tempDB(t)
	ctx := context.Background()
	var second error
	err := db.Replace(ctx, mirror.Articles, func(w mirror.Writer) (mirror.Commit, error) {
		a := mirror.Article{PZN: "04877800", Name: "Erste", AVP: 1, PharmacyOnly: true}
		if err := w.Put(ctx, a); err != nil {
			return mirror.Commit{}, err
		}
		a.Name = "Zweite"
		second = w.Put(ctx, a)
		return mirror.Commit{SyncedAt: time.Now()}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if mirror.ErrorCode(second) != mirror.ECONFLICT {
		t.Errorf("second Put of the same PZN: %v; want ECONFLICT", second)
	}
	if a, _ := db.Article(ctx, "04877800"); a.Name != "Erste" {
		t.Errorf("name = %q; want the first row's", a.Name)
	}
}

// TestSearchRanking runs the shared ranking cases against SQLite (FTS5 plus
// typo corrections), to match the pure ranking in package mirror.
func TestSearchRanking(t *testing.T) {
	db := tempDB(t)
	var recs []mirror.Record
	for _, a := range mirrortest.RankingArticles() {
		recs = append(recs, a)
	}
	replace(t, db, mirror.Articles, recs...)
	for _, tc := range mirrortest.RankingCases() {
		t.Run(tc.Query, func(t *testing.T) {
			hits, err := db.SearchArticles(context.Background(), tc.Query, 10)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range hits {
				got = append(got, h.Article.Name)
			}
			if len(got) > len(tc.Want) {
				got = got[:len(tc.Want)]
			}
			if diff := cmp.Diff(tc.Want, got); diff != "" {
				t.Errorf("ranking of %q (-want +got):\n%s", tc.Query, diff)
			}
		})
	}
}

func TestSearchLimit(t *testing.T) {
	db := tempDB(t)
	replace(t, db, mirror.Articles, articles(60)...)
	hits, err := db.SearchArticles(context.Background(), "artikel", 25)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 25 {
		t.Errorf("hits = %d; want the limit 25", len(hits))
	}
	for i := 1; i < len(hits); i++ {
		if mirror.NameKey(hits[i-1].Article.Name) > mirror.NameKey(hits[i].Article.Name) {
			t.Errorf("prefix hits out of name order at %d: %q > %q", i, hits[i-1].Article.Name, hits[i].Article.Name)
		}
	}
	if hits, _ := db.SearchArticles(context.Background(), " !! ", 10); len(hits) != 0 {
		t.Errorf("query without words: %d hits; want 0", len(hits))
	}
}

func TestHandbookAndStatus(t *testing.T) {
	db := tempDB(t)
	ctx := context.Background()
	replace(t, db, mirror.Handbook,
		mirror.Page{Slug: "ti", Title: "TI-Ausfall", Order: 2, Markdown: "# TI"},
		mirror.Page{Slug: "strom", Title: "Strom", Order: 1, Markdown: "# Strom"})
	pages, err := db.HandbookPages(ctx)
	if err != nil || len(pages) != 2 || pages[0].Slug != "strom" {
		t.Fatalf("pages = %v, %v; want strom first", pages, err)
	}
	if _, err := db.HandbookPage(ctx, "nix"); mirror.ErrorCode(err) != mirror.ENOTFOUND {
		t.Errorf("unknown page: %v; want ENOTFOUND", err)
	}
	at := time.Date(2025, 3, 28, 9, 41, 0, 0, time.UTC)
	if err := db.RecordError(ctx, mirror.Handbook, at, "Ordner fehlt"); err != nil {
		t.Fatal(err)
	}
	st, _ := db.Status(ctx)
	var h mirror.Status
	for _, s := range st {
		if s.Dataset == mirror.Handbook {
			h = s
		}
	}
	if h.Rows != 2 || h.LastError != "Ordner fehlt" || !h.LastErrorAt.Equal(at) || h.SchemaVersion != 1 {
		t.Errorf("handbook status %+v; want 2 rows, the error and schema 1", h)
	}
	if len(st) != len(mirror.Datasets) {
		t.Errorf("status has %d data sets; want %d", len(st), len(mirror.Datasets))
	}
}
