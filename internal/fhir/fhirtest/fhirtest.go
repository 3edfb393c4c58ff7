// Package fhirtest builds the real parts of the hospital copy for tests:
// the simulated EHR (fhirsim) behind an httptest server on loopback, a
// SQLite copy (fhirdb) with a data key, a client and a Syncer, all on one
// fake clock whose Sleep advances the clock instead of waiting.
package fhirtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fhir"
	"github.com/lifeline-project/lifeline/internal/fhir/fhirdb"
	"github.com/lifeline-project/lifeline/internal/fhir/fhirsim"
	"github.com/lifeline-project/lifeline/internal/seal"
)

// Start is the fake clock's start: Tuesday 3 February 2026, 09:30 UTC
// (10:30 in Berlin).
func Start() time.Time { return time.Date(2026, 2, 3, 9, 30, 0, 0, time.UTC) }

// SampleDir returns the folder of the Synthea sample of 10 patients
// (../shared/testdata/fhir/10-patients beside the repository), or fails
// the test saying where it was looked for.
func SampleDir(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "..", "shared", "testdata", "fhir", "10-patients")
			if _, err := os.Stat(filepath.Join(p, "Patient.000.ndjson")); err != nil {
				t.Fatalf("test data missing: %s (the Synthea sample of 10 patients must lie at ../shared/testdata/fhir/10-patients beside the repository): %v", p, err)
			}
			return p
		}
		if filepath.Dir(dir) == dir {
			t.Fatalf("no go.mod above %s; cannot find ../shared/testdata/fhir/10-patients", wd)
		}
	}
}

// Options adjust an Env.
type Options struct {
	// Dir is the base data (default SampleDir).
	Dir string
	// Sim adjusts the simulator; Dir, Clock and Admit are filled in.
	Sim fhirsim.Options
	// NoAdmit leaves the base data without current stays.
	NoAdmit bool
	// Mode of the Syncer (default auto).
	Mode string
	// Token authenticates the client.
	Token fhir.TokenSource
	// Keys is the data keyring (default a new random key).
	Keys *seal.Keyring
	// DataDir holds fhir.db and the work folder (default a temp folder).
	DataDir string
}

// Env is a running simulated EHR with a copy that syncs from it.
type Env struct {
	T      testing.TB
	Clock  *clock.Fake
	Sim    *fhirsim.Server
	Server *httptest.Server
	DB     *fhirdb.DB
	Keys   *seal.Keyring
	Client *fhir.Client
	Syncer *fhir.Syncer
	// DataDir holds fhir.db and the work folder.
	DataDir string

	mu     sync.Mutex
	sleeps []time.Duration
}

// New starts an Env; everything is closed when the test ends.
func New(t testing.TB, o Options) *Env {
	t.Helper()
	e := &Env{T: t, Clock: clock.NewFake(Start())}
	if o.Dir == "" {
		o.Dir = SampleDir(t)
	}
	so := o.Sim
	so.Dir, so.Clock, so.Admit = o.Dir, e.Clock, !o.NoAdmit
	sim, err := fhirsim.New(so)
	if err != nil {
		t.Fatalf("start the simulated EHR: %v", err)
	}
	e.Sim = sim
	e.Server = httptest.NewServer(sim.Handler())
	t.Cleanup(func() {
		e.Server.Close()
		sim.Close()
	})
	e.Keys = o.Keys
	if e.Keys == nil {
		raw, err := seal.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		if e.Keys, err = seal.NewKeyring(raw); err != nil {
			t.Fatal(err)
		}
	}
	e.DataDir = o.DataDir
	if e.DataDir == "" {
		e.DataDir = t.TempDir()
	}
	e.OpenDB()
	e.Client, err = fhir.NewClient(fhir.ClientOptions{BaseURL: e.BaseURL(), HTTP: &http.Client{Timeout: time.Minute},
		Token: o.Token, Clock: e.Clock, Sleep: e.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	e.Syncer = e.NewSyncer(o.Mode)
	return e
}

// BaseURL is the FHIR base of the simulator.
func (e *Env) BaseURL() string { return e.Server.URL + "/fhir" }

// OpenDB opens (again) the copy in DataDir.
func (e *Env) OpenDB() {
	e.T.Helper()
	db, err := fhirdb.Open(context.Background(), filepath.Join(e.DataDir, fhirdb.FileName), e.Keys, nil)
	if err != nil {
		e.T.Fatalf("open the copy: %v", err)
	}
	e.DB = db
	e.T.Cleanup(func() { db.Close() })
}

// NewSyncer returns a Syncer over the Env's client and copy.
func (e *Env) NewSyncer(mode string) *fhir.Syncer {
	e.T.Helper()
	s, err := fhir.NewSyncer(fhir.SyncOptions{Client: e.Client, Store: e.DB, Keys: e.Keys, WorkDir: filepath.Join(e.DataDir, "fhir-work"),
		Mode: mode, Clock: e.Clock, Sleep: e.Sleep})
	if err != nil {
		e.T.Fatal(err)
	}
	return s
}

// Sleep records d and advances the fake clock by it.
func (e *Env) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.mu.Lock()
	e.sleeps = append(e.sleeps, d)
	e.mu.Unlock()
	e.Clock.Advance(d)
	return nil
}

// Sleeps returns the waits so far and forgets them.
func (e *Env) Sleeps() []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.sleeps
	e.sleeps = nil
	return out
}

// Sync runs one sync and fails the test on an error.
func (e *Env) Sync() fhir.Report {
	e.T.Helper()
	rep, err := e.Syncer.SyncOnce(context.Background())
	if err != nil {
		e.T.Fatalf("sync: %v", err)
	}
	return rep
}
