package fhirsim

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fhir/gen"
)

// DemoOptions configure StartDemo.
type DemoOptions struct {
	// Dir is the data to serve; when it is empty or missing (a binary
	// installed away from the repository), 60 patients are generated.
	Dir string
	// Listen is the address (default 127.0.0.1:0).
	Listen string
	// WorkDir receives the export files and generated data (default a
	// temporary folder).
	WorkDir string
	Clock   clock.Clock
	Log     *slog.Logger
}

// Demo is a simulated EHR serving on loopback, for `lifeline demo`.
type Demo struct {
	// BaseURL is the FHIR base ("http://127.0.0.1:port/fhir").
	BaseURL string
	// Sim is the simulator: SetDown(true) plays an EHR outage.
	Sim *Server
	// Generated is true when the data was generated (Dir missing).
	Generated bool
	srv       *http.Server
	tmp       string
}

// StartDemo starts a simulated EHR that admits the living patients of the
// data set to wards, so the hospital viewer has ward lists.
func StartDemo(o DemoOptions) (*Demo, error) {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	d := &Demo{}
	if o.WorkDir == "" {
		tmp, err := os.MkdirTemp("", "lifeline-fhirsim-*")
		if err != nil {
			return nil, err
		}
		d.tmp, o.WorkDir = tmp, tmp
	}
	admit := true
	if _, err := os.Stat(filepath.Join(o.Dir, "Patient.000.ndjson")); o.Dir == "" || err != nil {
		o.Dir = filepath.Join(o.WorkDir, "generated")
		if _, err := gen.WriteDir(o.Dir, gen.Options{Patients: 60, Seed: 1, Now: o.Clock.Now(), InpatientShare: 0.5}); err != nil {
			d.Close()
			return nil, fmt.Errorf("demo EHR: generate patients: %w", err)
		}
		d.Generated, admit = true, false
	}
	sim, err := New(Options{Dir: o.Dir, Admit: admit, Clock: o.Clock, WorkDir: filepath.Join(o.WorkDir, "exports"), Log: o.Log,
		StatusPolls: 1, RetryAfter: time.Second})
	if err != nil {
		d.Close()
		return nil, err
	}
	d.Sim = sim
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("demo EHR: listen on %s: %w", o.Listen, err)
	}
	d.BaseURL = "http://" + ln.Addr().String() + "/fhir"
	d.srv = &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := d.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			o.Log.Error("demo EHR stopped", "err", err)
		}
	}()
	return d, nil
}

// Close stops the server and removes the temporary files.
func (d *Demo) Close() error {
	var err error
	if d.srv != nil {
		err = d.srv.Close()
	}
	if d.Sim != nil {
		d.Sim.Close()
	}
	if d.tmp != "" {
		os.RemoveAll(d.tmp)
	}
	return err
}
