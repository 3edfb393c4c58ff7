// Package fleettest starts a real fleet for tests: a SQLite store in a
// temporary folder, real TUF keys and repository, the service and the HTTP
// server on 127.0.0.1 (httptest), a fake clock and cheap password hashing.
// Tests of the server, the site client and the simulation share it.
package fleettest

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/fleetapp"
)

// Start is the fake clock's start: Monday 15 June 2026, 12:00 in Berlin,
// a day without holidays anywhere in Germany.
var Start = time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)

// Env is a running test fleet.
type Env struct {
	App   *fleetapp.App
	Clock *clock.Fake
	HTTP  *httptest.Server
	// URL is the fleet's base address.
	URL string
	Dir string
}

// New starts a fleet; edit adjusts the configuration before it is built.
// Everything stops when the test ends.
func New(t testing.TB, edit func(*fleet.Config)) *Env {
	t.Helper()
	dir := t.TempDir()
	cfg := fleet.Config{DataDir: filepath.Join(dir, "data"), Listen: "127.0.0.1:0", PublicURL: "http://127.0.0.1:1",
		HeartbeatInterval: check.Duration(30 * time.Second), DeadManDeadline: check.Duration(15 * time.Minute)}
	if edit != nil {
		edit(&cfg)
	}
	c, err := fleet.BuildConfig(cfg, filepath.Join(dir, "fleet.yaml"))
	if err != nil {
		t.Fatalf("fleet config: %v", err)
	}
	clk := clock.NewFake(Start)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	log := slog.New(slog.NewTextHandler(logOut(), nil))
	if err := fleetapp.InitKeys(ctx, c, clk, log); err != nil {
		t.Fatalf("keys init: %v", err)
	}
	app, err := fleetapp.Open(ctx, fleetapp.Options{Config: c, Log: log, Clock: clk, Version: "test",
		AuthOptions: []auth.Option{auth.WithHashParams(auth.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})}})
	if err != nil {
		t.Fatalf("open fleet: %v", err)
	}
	t.Cleanup(func() { app.Close() })
	if err := app.Start(ctx); err != nil {
		t.Fatalf("start fleet: %v", err)
	}
	srv := httptest.NewServer(app.Server.Handler())
	t.Cleanup(srv.Close)
	return &Env{App: app, Clock: clk, HTTP: srv, URL: srv.URL, Dir: dir}
}

// Service returns the fleet's service.
func (e *Env) Service() *fleet.Service { return e.App.Service }

// AddSites creates sites (with defaults for empty fields) and returns
// their enrolment codes by site id.
func (e *Env) AddSites(t testing.TB, sites ...fleet.Site) map[string]string {
	t.Helper()
	for i := range sites {
		if sites[i].Name == "" {
			sites[i].Name = "Apotheke " + sites[i].ID
		}
		if sites[i].Timezone == "" {
			sites[i].Timezone = "Europe/Berlin"
		}
		if sites[i].State == "" {
			sites[i].State = "NW"
		}
		if sites[i].Window == "" {
			sites[i].Window = "täglich 01:00-05:00"
		}
	}
	codes, err := e.Service().AddSites(context.Background(), "test", sites)
	if err != nil {
		t.Fatalf("add sites: %v", err)
	}
	out := map[string]string{}
	for _, c := range codes {
		out[c.SiteID] = c.Code
	}
	return out
}

// logOut is where the test fleet logs: stderr with LIFELINE_TEST_LOG=1,
// else nowhere.
func logOut() io.Writer {
	if os.Getenv("LIFELINE_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}
