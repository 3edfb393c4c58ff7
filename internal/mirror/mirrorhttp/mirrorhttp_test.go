package mirrorhttp_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrordb"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrorhttp"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrortest"
)

func server(t *testing.T) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	db, err := mirrordb.Open(ctx, filepath.Join(t.TempDir(), mirrordb.FileName), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	berlin, _ := time.LoadLocation("Europe/Berlin")
	synced := time.Date(2025, 3, 28, 9, 41, 0, 0, berlin)
	err = db.Replace(ctx, mirror.Articles, func(w mirror.Writer) (mirror.Commit, error) {
		for _, a := range mirrortest.RankingArticles() {
			if a.PZN == "04877800" {
				a.Festbetrag, a.HasFestbetrag, a.AVP = 1000, true, 1230
			}
			if err := w.Put(ctx, a); err != nil {
				return mirror.Commit{}, err
			}
		}
		return mirror.Commit{Source: "test", SyncedAt: synced}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	o := mirrorhttp.Options{Clock: clock.NewFake(synced.Add(time.Hour)), Location: berlin}
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/articles/{pzn}", mirrorhttp.Article(db, o))
	mux.Handle("GET /api/v1/articles", mirrorhttp.Search(db, o))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) (int, http.Header, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %q: %v", b, err)
	}
	return resp.StatusCode, resp.Header, m
}

func TestArticleLookup(t *testing.T) {
	srv := server(t)
	tests := []struct {
		path       string
		wantStatus int
		wantName   string
		wantError  string
	}{
		{"/api/v1/articles/04877800", 200, "Ibuprofen AL 400 mg Filmtabletten", ""},
		{"/api/v1/articles/4877800", 200, "Ibuprofen AL 400 mg Filmtabletten", ""}, // PZN-7
		{"/api/v1/articles/" + string(mirrortest.PZN(4242)), 404, "", "not_found"},
		{"/api/v1/articles/04877801", 400, "", "invalid"},
		{"/api/v1/articles/abc", 400, "", "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			status, h, m := get(t, srv.URL+tt.path)
			if status != tt.wantStatus {
				t.Fatalf("status %d; want %d (%v)", status, tt.wantStatus, m)
			}
			if tt.wantError != "" {
				if m["error"] != tt.wantError || m["message"] == "" || m["message_en"] == "" {
					t.Errorf("error body %v; want error %q with messages", m, tt.wantError)
				}
				return
			}
			if m["name"] != tt.wantName || m["pzn"] != "04877800" {
				t.Errorf("body %v; want %s", m, tt.wantName)
			}
			if m["avp"] != "12.30" || m["festbetrag"] != "10.00" {
				t.Errorf("prices avp=%v festbetrag=%v; want \"12.30\", \"10.00\"", m["avp"], m["festbetrag"])
			}
			for _, c := range mirror.ArticleColumns {
				if _, ok := m[c]; !ok {
					t.Errorf("field %q missing", c)
				}
			}
			if h.Get("X-Data-Stand") != "heute 09:41" || h.Get("X-Data-As-Of") != "2025-03-28T08:41:00Z" {
				t.Errorf("age headers %q %q; want heute 09:41, 2025-03-28T08:41:00Z", h.Get("X-Data-Stand"), h.Get("X-Data-As-Of"))
			}
		})
	}
}

func TestSearch(t *testing.T) {
	srv := server(t)
	status, _, m := get(t, srv.URL+"/api/v1/articles?q=ibu&limit=3")
	if status != 200 {
		t.Fatalf("status %d: %v", status, m)
	}
	items := m["items"].([]any)
	var names, matches []string
	for _, it := range items {
		o := it.(map[string]any)
		names = append(names, o["name"].(string))
		matches = append(matches, o["match"].(string))
	}
	want := "Ibuprofen 400 mg Tabletten Heumann|Ibuprofen AL 400 mg Filmtabletten|Ibuprofen AL 600 mg Filmtabletten"
	if strings.Join(names, "|") != want || strings.Join(matches, ",") != "prefix,prefix,prefix" {
		t.Errorf("items %v %v; want %s, all prefix", names, matches, want)
	}
	if m["as_of"] != "2025-03-28T08:41:00Z" || m["query"] != "ibu" {
		t.Errorf("as_of %v query %v", m["as_of"], m["query"])
	}
	status, _, m = get(t, srv.URL+"/api/v1/articles?q=paracetmol")
	if status != 200 || len(m["items"].([]any)) != 2 || m["items"].([]any)[0].(map[string]any)["match"] != "typo" {
		t.Errorf("typo search: %d %v", status, m)
	}
	for _, q := range []string{"", "?q=", "?q=ibu&limit=0", "?q=ibu&limit=500", "?q=ibu&limit=x"} {
		if status, _, _ := get(t, srv.URL+"/api/v1/articles"+q); status != 400 {
			t.Errorf("%q: status %d; want 400", q, status)
		}
	}
	status, _, m = get(t, srv.URL+"/api/v1/articles?q=qqqqqq")
	if status != 200 || len(m["items"].([]any)) != 0 {
		t.Errorf("no match: %d %v; want 200 with no items", status, m)
	}
}
