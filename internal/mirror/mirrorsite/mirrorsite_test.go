package mirrorsite_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrorsite"
	"github.com/lifeline-project/lifeline/internal/mirror/synth"
)

func TestSiteWiring(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	clk := clock.NewFake(time.Date(2025, 3, 28, 9, 41, 0, 0, berlin))
	erp := synth.NewERP(synth.ERPOptions{Articles: 200, Token: "t0k", Clock: clk})
	srv := httptest.NewServer(erp.Handler())
	defer srv.Close()
	dir := t.TempDir()
	cfg := mirror.Config{Sources: []mirror.SourceConfig{
		{Dataset: "articles", Kind: "feed", URL: srv.URL + "/feed/articles", Token: "t0k"},
		{Dataset: "handbook", Kind: "markdown", File: filepath.Join("..", "mdsource", "testdata", "handbuch")},
		{Dataset: "contacts", Kind: "csv", File: filepath.Join("..", "csvsource", "testdata", "contacts_good.csv")},
	}}
	cfg.ApplyDefaults()
	if ps := cfg.Validate(); len(ps) > 0 {
		t.Fatal(ps)
	}
	ctx := context.Background()
	n, err := mirrorsite.Open(ctx, mirrorsite.Options{Config: cfg, DataDir: dir, Clock: clk, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if n.KeyErr != nil {
		t.Fatalf("KeyErr = %v", n.KeyErr)
	}
	fi, err := os.Stat(filepath.Join(dir, mirrorsite.DefaultKeyFile))
	if err != nil {
		t.Fatalf("key file not created: %v", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %04o; want 0600", fi.Mode().Perm())
	}
	if r := n.Prober().Probe(ctx); r.Status != check.StatusDegraded {
		t.Errorf("prober before the first sync: %v; want degraded", r.Status)
	}
	reps := n.Syncer.Tick(ctx)
	if len(reps) != 3 {
		t.Fatalf("first tick ran %d syncs; want 3", len(reps))
	}
	for _, r := range reps {
		if r.Imported == 0 {
			t.Errorf("%s: nothing imported", r.Dataset)
		}
	}
	if r := n.Prober().Probe(ctx); r.Status != check.StatusOK {
		t.Errorf("prober after the sync: %v %q; want ok", r.Status, r.Message.DE)
	}
	lines, err := n.StandLines(ctx)
	if err != nil || len(lines) != 3 || lines[0].DE != "Preisdaten Stand: heute 09:41" {
		t.Errorf("stand lines %v, %v; want three, price data first", lines, err)
	}
	cs, err := n.DB.Contacts(ctx)
	if err != nil || len(cs) != 3 {
		t.Errorf("contacts %v, %v", cs, err)
	}

	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/articles/{pzn}", n.ArticleHandler())
	mux.Handle("GET /api/v1/articles", n.SearchHandler())
	api := httptest.NewServer(mux)
	defer api.Close()
	a := erp.Articles()[0]
	resp, err := http.Get(api.URL + "/api/v1/articles/" + string(a.PZN))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Data-Stand") != "heute 09:41" {
		t.Errorf("lookup: %d stand %q", resp.StatusCode, resp.Header.Get("X-Data-Stand"))
	}
	word := strings.Fields(a.Name)[0]
	resp, err = http.Get(api.URL + "/api/v1/articles?q=" + word[:4])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("search: %d", resp.StatusCode)
	}
}
