package feed_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/feed"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrordb"
	"github.com/lifeline-project/lifeline/internal/mirror/synth"
	"github.com/lifeline-project/lifeline/internal/pharma"
)

func openDB(t *testing.T) *mirrordb.DB {
	t.Helper()
	db, err := mirrordb.Open(context.Background(), filepath.Join(t.TempDir(), mirrordb.FileName), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newSource(t *testing.T, url, token string, pageSize int) *feed.Source {
	t.Helper()
	s, err := feed.New(feed.Options{Dataset: mirror.Articles, URL: url, Token: token, PageSize: pageSize})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sameAsERP checks that the copy holds exactly the ERP's articles.
func sameAsERP(t *testing.T, db *mirrordb.DB, erp *synth.ERP) {
	t.Helper()
	ctx := context.Background()
	want := erp.Articles()
	st, _ := db.Status(ctx)
	if st[0].Rows != len(want) {
		t.Errorf("copy holds %d articles; ERP %d", st[0].Rows, len(want))
	}
	for _, a := range want {
		got, err := db.Article(ctx, a.PZN)
		if err != nil {
			t.Errorf("article %s: %v", a.PZN, err)
			continue
		}
		if got != a {
			t.Errorf("article %s: copy %+v; ERP %+v", a.PZN, got, a)
		}
	}
}

func status(t *testing.T, db *mirrordb.DB) mirror.Status {
	t.Helper()
	st, err := db.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st[0]
}

func TestFeedFullSyncAndIncrements(t *testing.T) {
	erp := synth.NewERP(synth.ERPOptions{Articles: 1500, Seed: 7, ChangesPerTick: 40, Token: "geheim"})
	srv := httptest.NewServer(erp.Handler())
	defer srv.Close()
	db := openDB(t)
	ctx := context.Background()
	src := newSource(t, srv.URL+"/feed/articles", "geheim", 200)

	rep, err := mirror.Import(ctx, db, src, mirror.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Imported != 1500 || rep.RejectedCount != 0 {
		t.Errorf("full sync: imported %d, rejected %d; want 1500, 0", rep.Imported, rep.RejectedCount)
	}
	sameAsERP(t, db, erp)

	var deleted []pharma.PZN
	for range 12 { // enough ticks for a delisting or two
		deleted = append(deleted, erp.Tick().Deleted...)
	}
	if len(deleted) == 0 {
		t.Fatal("the ERP delisted nothing in 12 ticks with seed 7; pick a seed that does")
	}
	cursor := status(t, db).Cursor
	rep, err = mirror.Increment(ctx, db, src, cursor, mirror.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.CaughtUp || rep.Imported == 0 {
		t.Errorf("increment: caught up %v, imported %d; want caught up with changes", rep.CaughtUp, rep.Imported)
	}
	if rep.Deleted != len(deleted) {
		t.Errorf("increment deleted %d; want %d", rep.Deleted, len(deleted))
	}
	for _, p := range deleted {
		if _, err := db.Article(ctx, p); mirror.ErrorCode(err) != mirror.ENOTFOUND {
			t.Errorf("delisted %s still in the copy: %v", p, err)
		}
	}
	sameAsERP(t, db, erp)
	if status(t, db).Cursor == cursor {
		t.Errorf("cursor did not move")
	}
	// Nothing new: an empty increment, still caught up.
	rep, err = mirror.Increment(ctx, db, src, status(t, db).Cursor, mirror.ImportOptions{})
	if err != nil || !rep.CaughtUp || rep.Imported+rep.Deleted != 0 {
		t.Errorf("empty increment: %+v, %v", rep, err)
	}
}

// flaky serves n requests, then fails each later one the way kind says.
func flaky(h http.Handler, n int64, kind string) (http.Handler, *atomic.Int64) {
	var count atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if count.Add(1) <= n {
			h.ServeHTTP(w, r)
			return
		}
		switch kind {
		case "503":
			http.Error(w, "down", http.StatusServiceUnavailable)
		case "cut":
			// Half a response, then the connection drops.
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"dataset":"articles","schema":1,"cursor":"9","more":true,"items":[{"pzn":"0487`))
			if hj, ok := w.(http.Hijacker); ok {
				c, _, _ := hj.Hijack()
				c.Close()
			}
		}
	}), &count
}

func TestFeedGoesDownMidSync(t *testing.T) {
	for _, kind := range []string{"503", "cut"} {
		t.Run(kind, func(t *testing.T) {
			erp := synth.NewERP(synth.ERPOptions{Articles: 1000, Seed: 3, ChangesPerTick: 300})
			ctx := context.Background()
			db := openDB(t)
			good := httptest.NewServer(erp.Handler())
			defer good.Close()
			if _, err := mirror.Import(ctx, db, newSource(t, good.URL+"/feed/articles", "", 100), mirror.ImportOptions{}); err != nil {
				t.Fatal(err)
			}
			before := status(t, db)
			old := erp.Articles()

			// A full sync that loses the feed after 4 of 10 pages.
			erp.Tick()
			h, _ := flaky(erp.Handler(), 4, kind)
			bad := httptest.NewServer(h)
			defer bad.Close()
			_, err := mirror.Import(ctx, db, newSource(t, bad.URL+"/feed/articles", "", 100), mirror.ImportOptions{})
			if mirror.ErrorCode(err) != mirror.EUNAVAILABLE {
				t.Fatalf("full sync with the feed going down: %v; want EUNAVAILABLE", err)
			}
			after := status(t, db)
			if after.Rows != before.Rows || after.Cursor != before.Cursor || !after.SyncedAt.Equal(before.SyncedAt) {
				t.Errorf("state changed by a failed full sync: %+v -> %+v", before, after)
			}
			for _, a := range old[:50] {
				if got, _ := db.Article(ctx, a.PZN); got != a {
					t.Errorf("article %s changed by a failed sync: %+v; want %+v", a.PZN, got, a)
				}
			}

			// An increment of 300 changes over 3 pages that loses the feed
			// after the first page: nothing is applied.
			h, _ = flaky(erp.Handler(), 1, kind)
			bad2 := httptest.NewServer(h)
			defer bad2.Close()
			_, err = mirror.Increment(ctx, db, newSource(t, bad2.URL+"/feed/articles", "", 100), before.Cursor, mirror.ImportOptions{})
			if mirror.ErrorCode(err) != mirror.EUNAVAILABLE {
				t.Fatalf("increment with the feed going down: %v; want EUNAVAILABLE", err)
			}
			if got := status(t, db); got.Cursor != before.Cursor {
				t.Errorf("cursor moved by a failed increment: %q -> %q", before.Cursor, got.Cursor)
			}
			for _, a := range old[:50] {
				if got, _ := db.Article(ctx, a.PZN); got != a {
					t.Errorf("article %s changed by a failed increment", a.PZN)
				}
			}

			// The feed is back: the increment catches up completely.
			rep, err := mirror.Increment(ctx, db, newSource(t, good.URL+"/feed/articles", "", 100), before.Cursor, mirror.ImportOptions{})
			if err != nil || !rep.CaughtUp {
				t.Fatalf("increment after recovery: %+v, %v", rep, err)
			}
			sameAsERP(t, db, erp)
		})
	}
}

func TestFeedErrors(t *testing.T) {
	erp := synth.NewERP(synth.ERPOptions{Articles: 10, Token: "richtig"})
	srv := httptest.NewServer(erp.Handler())
	defer srv.Close()
	ctx := context.Background()
	db := openDB(t)

	_, err := mirror.Import(ctx, db, newSource(t, srv.URL+"/feed/articles", "falsch", 0), mirror.ImportOptions{})
	if mirror.ErrorCode(err) != mirror.EINVALID || !strings.Contains(err.Error(), "token") {
		t.Errorf("wrong token: %v; want EINVALID naming the token", err)
	}
	erp.SetDown(true)
	_, err = mirror.Import(ctx, db, newSource(t, srv.URL+"/feed/articles", "richtig", 0), mirror.ImportOptions{})
	if mirror.ErrorCode(err) != mirror.EUNAVAILABLE {
		t.Errorf("ERP down: %v; want EUNAVAILABLE", err)
	}
	erp.SetDown(false)
	_, _, err = newSource(t, srv.URL+"/feed/articles", "richtig", 0).Changes(ctx, "999999", nopSink{})
	if err != mirror.ErrCursorExpired {
		t.Errorf("unknown cursor: %v; want ErrCursorExpired", err)
	}
	if _, err := feed.New(feed.Options{Dataset: mirror.Articles, URL: "ftp://x"}); err == nil {
		t.Errorf("ftp URL accepted")
	}
}

type nopSink struct{}

func (nopSink) Put(context.Context, mirror.Record, mirror.Pos) error { return nil }
func (nopSink) Delete(context.Context, string, mirror.Pos) error     { return nil }
func (nopSink) Reject(mirror.RowError) error                         { return nil }

// staticFeed serves one fixed page body.
func staticFeed(body *atomic.Value) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body.Load().(string)))
	}))
}

func TestFeedBadItemsReported(t *testing.T) {
	var body atomic.Value
	body.Store(`{"dataset":"articles","schema":1,"cursor":"3","more":false,"items":[
		{"pzn":"04877800","name":"Gut","manufacturer":"","form":"","pack_size":"","norm_size":"","rx":false,"pharmacy_only":true,"btm":false,"avp":"4.99","festbetrag":null,"copay_exempt":false},
		{"pzn":"04877801","name":"Prüfziffer","rx":false,"pharmacy_only":true,"btm":false,"avp":"1.00","copay_exempt":false},
		{"pzn":"12345678","name":"Negativ","rx":false,"pharmacy_only":true,"btm":false,"avp":"-1.00","copay_exempt":false},
		"kein Objekt"],
		"deleted":["xyz"]}`)
	srv := staticFeed(&body)
	defer srv.Close()
	db := openDB(t)
	rep, err := mirror.Import(context.Background(), db, newSource(t, srv.URL+"/feed", "", 0), mirror.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Imported != 1 {
		t.Errorf("imported %d; want 1", rep.Imported)
	}
	type row struct {
		line  int
		field string
	}
	var got []row
	for _, e := range rep.Rejected {
		got = append(got, row{e.Line, e.Field})
		if e.File != srv.URL+"/feed" {
			t.Errorf("row error names %q; want the feed URL", e.File)
		}
	}
	want := []row{{2, "pzn"}, {3, "avp"}, {4, ""}, {5, "deleted"}}
	if len(got) != len(want) {
		t.Fatalf("bad items %v; want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("bad item %d = %v; want %v", i, got[i], want[i])
		}
	}
	// A bad key to delete in an increment is reported too.
	var rejects []mirror.RowError
	_, _, err = newSource(t, srv.URL+"/feed", "", 0).Changes(context.Background(), "1", sinkFunc(func(e mirror.RowError) { rejects = append(rejects, e) }))
	if err != nil {
		t.Fatal(err)
	}
	if len(rejects) != 4 || rejects[3].Field != "deleted" || rejects[3].Line != 5 {
		t.Errorf("increment rejects %v; want the bad deletion as item 5", rejects)
	}

	body.Store(`{"dataset":"articles","schema":2,"cursor":"1","more":false,"items":[]}`)
	_, err = mirror.Import(context.Background(), db, newSource(t, srv.URL+"/feed", "", 0), mirror.ImportOptions{})
	if mirror.ErrorCode(err) != mirror.EINVALID || !strings.Contains(err.Error(), "Schema-Version 2") {
		t.Errorf("schema 2: %v; want EINVALID naming the version", err)
	}
	body.Store(`{"dataset":"contacts","schema":1,"cursor":"1","more":false,"items":[]}`)
	if _, err = mirror.Import(context.Background(), db, newSource(t, srv.URL+"/feed", "", 0), mirror.ImportOptions{}); err == nil {
		t.Errorf("feed of another data set accepted")
	}
}

type sinkFunc func(mirror.RowError)

func (sinkFunc) Put(context.Context, mirror.Record, mirror.Pos) error { return nil }
func (sinkFunc) Delete(context.Context, string, mirror.Pos) error     { return nil }
func (f sinkFunc) Reject(e mirror.RowError) error                     { f(e); return nil }

// collect records what a fuzzed page delivers.
type collect struct {
	puts    []mirror.Record
	rejects []mirror.RowError
}

func (c *collect) Put(_ context.Context, r mirror.Record, _ mirror.Pos) error {
	c.puts = append(c.puts, r)
	return nil
}
func (c *collect) Delete(context.Context, string, mirror.Pos) error { return nil }
func (c *collect) Reject(e mirror.RowError) error {
	c.rejects = append(c.rejects, e)
	return nil
}

func FuzzFeedPage(f *testing.F) {
	f.Add(`{"dataset":"articles","schema":1,"cursor":"3","more":false,"items":[{"pzn":"04877800","name":"Gut","rx":false,"pharmacy_only":true,"btm":false,"avp":"4.99","copay_exempt":false}],"deleted":["12345678"]}`)
	f.Add(`{"dataset":"articles","schema":1,"cursor":"","more":true}`)
	f.Add(`{"items":[1,2,{"pzn":7}]}`)
	f.Add(`not json`)
	var body atomic.Value
	body.Store("")
	srv := staticFeed(&body)
	defer srv.Close()
	src, err := feed.New(feed.Options{Dataset: mirror.Articles, URL: srv.URL, MaxPages: 2})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, page string) {
		body.Store(page)
		c := &collect{}
		src.Changes(context.Background(), "1", c)
		for _, r := range c.puts {
			a, ok := r.(mirror.Article)
			if !ok {
				t.Fatalf("Put of %T", r)
			}
			if errs := a.Validate(); len(errs) > 0 {
				t.Fatalf("accepted an invalid article %+v: %v", a, errs)
			}
		}
		for _, e := range c.rejects {
			if e.Reason.DE == "" || e.Line < 1 {
				t.Fatalf("row error without reason or item number: %+v", e)
			}
		}
	})
}
