package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/config"
	"github.com/lifeline-project/lifeline/internal/fhir"
	"github.com/lifeline-project/lifeline/internal/fhir/fhirsim"
	"github.com/lifeline-project/lifeline/internal/siteapp"
)

// demoHospital is the demo's hospital: a simulated EHR speaking FHIR Bulk
// Data and a second site node keeping its encrypted downtime copy.
type demoHospital struct {
	EHR  *fhirsim.Demo
	App  *siteapp.App
	URL  string
	done chan error
}

// startDemoHospital starts the simulated EHR (serving the shared 10-patient
// test data when the demo runs in the repository, generated patients
// otherwise) and the hospital's site node with the same admin password as
// the pharmacy.
func startDemoHospital(ctx context.Context, dataDir, lang, password string, log *slog.Logger) (*demoHospital, error) {
	ehr, err := fhirsim.StartDemo(fhirsim.DemoOptions{
		Dir:     filepath.Join("..", "shared", "testdata", "fhir", "10-patients"),
		WorkDir: filepath.Join(dataDir, "ehr"), Log: log,
	})
	if err != nil {
		return nil, fmt.Errorf("start the simulated EHR: %w", err)
	}
	dir := filepath.Join(dataDir, "hospital")
	cfg, err := config.Build(config.Site{
		SiteName: "Klinikum am Park (Demo)", DataDir: dir, Language: lang,
		Checks: []check.Spec{{ID: "kis", Name: "KIS (FHIR-Server)", Kind: check.KindHTTP, URL: ehr.BaseURL + "/metadata",
			Interval: check.Duration(10 * time.Second), Timeout: check.Duration(3 * time.Second), Group: check.GroupERP}},
		FHIR: &fhir.Config{BaseURL: ehr.BaseURL, Interval: check.Duration(30 * time.Second),
			Print: fhir.PrintConfig{Every: check.Duration(10 * time.Minute), Folders: []string{filepath.Join(dir, "ausdrucke")}}},
	}, filepath.Join(dataDir, "hospital.yaml"))
	if err != nil {
		ehr.Close()
		return nil, fmt.Errorf("hospital configuration: %w", err)
	}
	app, err := siteapp.Open(ctx, siteapp.Options{Config: cfg, Log: log, Version: buildVersion()})
	if err != nil {
		ehr.Close()
		return nil, err
	}
	if err := app.Auth.SetPassword(ctx, "admin", password); err != nil {
		app.Close()
		ehr.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		app.Close()
		ehr.Close()
		return nil, err
	}
	app.UseListener(ln)
	h := &demoHospital{EHR: ehr, App: app, URL: app.URL() + "hospital", done: make(chan error, 1)}
	go func() { h.done <- app.Run(ctx) }()
	return h, nil
}

// Close waits for the hospital site to stop (its context must be done) and
// releases it.
func (h *demoHospital) Close() error {
	err := <-h.done
	h.App.Close()
	h.EHR.Close()
	return err
}
