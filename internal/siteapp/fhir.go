package siteapp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/fhir"
	"github.com/lifeline-project/lifeline/internal/fhir/fhirdb"
	"github.com/lifeline-project/lifeline/internal/fhir/printrun"
	"github.com/lifeline-project/lifeline/internal/fhir/viewer"
	"github.com/lifeline-project/lifeline/internal/web"
)

// FHIRNode is the hospital downtime copy of a site: the encrypted copy in
// <data_dir>/fhir.db, the Syncer that keeps it current, the scheduled
// print runs and the viewer's pages.
type FHIRNode struct {
	DB      *fhirdb.DB
	Syncer  *fhir.Syncer
	Printer *printrun.Runner // nil without print folders
	Viewer  *viewer.Viewer

	cfg *fhir.Config
}

// openFHIR opens the hospital copy when the configuration has a fhir
// section, and adds its freshness check ("Datenstand 3 Minuten alt") to
// the monitor's checks. Call it after the keyring is loaded and before
// the monitor is built; the pages are mounted by mountFHIR once the web
// server exists.
func (a *App) openFHIR(ctx context.Context, o *Options) error {
	cfg := a.Config.FHIR
	if cfg == nil {
		return nil
	}
	if a.Keys == nil {
		return errors.New("hospital copy: no data key; patient data is only stored encrypted")
	}
	db, err := fhirdb.Open(ctx, filepath.Join(a.Config.DataDir, fhirdb.FileName), a.Keys, o.Log)
	if err != nil {
		return fmt.Errorf("open the hospital copy: %w", err)
	}
	n := &FHIRNode{DB: db, cfg: cfg}
	fail := func(err error) error {
		db.Close()
		return err
	}
	httpClient, err := fhirHTTPClient(cfg)
	if err != nil {
		return fail(err)
	}
	var token fhir.TokenSource
	switch {
	case cfg.Auth.BearerTokenFile != "":
		token = fhir.NewFileToken(cfg.Auth.BearerTokenFile)
	case cfg.Auth.SMART():
		key, _, err := fhir.LoadPrivateKey(cfg.Auth.KeyFile)
		if err != nil {
			return fail(fmt.Errorf("fhir.auth.key_file: %w", err))
		}
		if token, err = fhir.NewSMART(fhir.SMARTOptions{ClientID: cfg.Auth.ClientID, TokenURL: cfg.Auth.TokenURL,
			Scope: cfg.Auth.Scope, KeyID: cfg.Auth.KeyID, Key: key, HTTP: httpClient, Clock: o.Clock}); err != nil {
			return fail(err)
		}
	}
	client, err := fhir.NewClient(fhir.ClientOptions{BaseURL: cfg.BaseURL, ExportPath: cfg.ExportPath, HTTP: httpClient,
		Token: token, Clock: o.Clock, Log: o.Log})
	if err != nil {
		return fail(err)
	}
	if n.Syncer, err = fhir.NewSyncer(fhir.SyncOptions{Client: client, Store: db, Keys: a.Keys,
		WorkDir: filepath.Join(a.Config.DataDir, "fhir-work"), Mode: cfg.Mode, Interval: cfg.Interval.D(),
		FullEvery: cfg.FullEvery.D(), Recent: cfg.Recent.D(), Clock: o.Clock, Log: o.Log}); err != nil {
		return fail(err)
	}
	if len(cfg.Print.Folders) > 0 {
		if n.Printer, err = printrun.New(printrun.Options{Reader: db, Access: db, Config: cfg.Print, MaxAge: cfg.MaxAge.D(),
			Site: a.Config.SiteName, Lang: a.Config.Language, Location: a.Config.Location(), Clock: o.Clock, Log: o.Log}); err != nil {
			return fail(err)
		}
	}
	spec := fhir.CheckSpec()
	o.ExtraChecks = append(o.ExtraChecks, spec)
	if o.ExtraProbers == nil {
		o.ExtraProbers = map[string]check.Prober{}
	}
	o.ExtraProbers[spec.ID] = fhir.Prober(db, cfg.MaxAge.D(), o.Clock)
	a.FHIR = n
	return nil
}

// fhirHTTPClient returns the client for the EHR: the request timeout and,
// with ca_file, the hospital's CA added to the system's.
func fhirHTTPClient(cfg *fhir.Config) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("fhir.ca_file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("fhir.ca_file %s holds no PEM certificate", cfg.CAFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: cfg.Timeout.D()}, nil
}

// mountFHIR builds the viewer and mounts its pages (ward lists, patient
// summaries, search, print views, ward assignment and access log).
func (a *App) mountFHIR(o Options) error {
	n := a.FHIR
	if n == nil {
		return nil
	}
	v, err := viewer.New(viewer.Options{
		Reader: n.DB, Access: n.DB,
		Hooks: viewer.Hooks{Render: a.Web.Render, Lang: web.Lang, User: web.User, CSRF: web.CSRFToken},
		Users: func(ctx context.Context) ([]string, error) {
			us, err := a.Auth.Users(ctx)
			names := make([]string, 0, len(us))
			for _, u := range us {
				names = append(names, u.Name)
			}
			return names, err
		},
		MaxAge: n.cfg.MaxAge.D(), Site: a.Config.SiteName, Location: a.Config.Location(), Clock: o.Clock, Log: a.Log,
	})
	if err != nil {
		return err
	}
	v.Mount(a.Web)
	n.Viewer = v
	return nil
}

// runFHIR starts the Syncer and the print runs; wait returns when both
// have ended after ctx.
func (a *App) runFHIR(ctx context.Context) (wait func()) {
	n := a.FHIR
	if n == nil {
		return func() {}
	}
	var wg sync.WaitGroup
	wg.Go(func() { n.Syncer.Run(ctx) })
	if n.Printer != nil {
		wg.Go(func() { n.Printer.Run(ctx) })
	}
	return wg.Wait
}

// Close closes the copy.
func (n *FHIRNode) Close() error {
	if n == nil {
		return nil
	}
	return n.DB.Close()
}
