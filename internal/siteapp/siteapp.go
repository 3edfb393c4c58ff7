// Package siteapp wires the parts of `lifeline site` together: the
// configuration, the site database, the probers, the monitor, the
// authentication service and the web server. cmd/lifeline and the demo call
// Open and Run; nothing here holds business rules.
package siteapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/lifeline-project/lifeline/internal/agent"
	"github.com/lifeline-project/lifeline/internal/alert"
	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/config"
	"github.com/lifeline-project/lifeline/internal/counter"
	"github.com/lifeline-project/lifeline/internal/fleetclient"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/mirror/mirrorsite"
	"github.com/lifeline-project/lifeline/internal/monitor"
	"github.com/lifeline-project/lifeline/internal/probe"
	"github.com/lifeline-project/lifeline/internal/seal"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
	"github.com/lifeline-project/lifeline/internal/web"
)

// KeyFile is the name of the data key file in the data folder.
const KeyFile = "lifeline.key"

// Options are the inputs of Open.
type Options struct {
	Config  *config.Site
	Log     *slog.Logger
	Clock   clock.Clock
	Version string
	// Out receives the one-time admin password on the first start.
	Out io.Writer
	// ExtraChecks are checks the program adds beyond the configured ones
	// (for example the freshness of the downtime copy), each with its
	// prober in ExtraProbers.
	ExtraChecks  []check.Spec
	ExtraProbers map[string]check.Prober
}

// App is a running site node.
type App struct {
	Config  *config.Site
	Log     *slog.Logger
	DB      *sqlite.DB
	Monitor *monitor.Monitor
	Auth    *auth.Service
	Web     *web.Server
	Alerts  *alert.Engine
	// Keys encrypts personal data at rest (patients, E-Rezept tokens):
	// from LIFELINE_DATA_KEY, or the key file <data_dir>/lifeline.key,
	// created with 0600 rights on the first start.
	Keys *seal.Keyring

	alertStore *alert.Store
	// Mirror is the downtime copy.
	Mirror *mirrorsite.Node
	// FHIR is the hospital downtime viewer (nil without a fhir section).
	FHIR *FHIRNode
	// Fleet is the connection to the vendor's fleet (nil without a fleet
	// section); Agent the update agent (nil without components).
	Fleet   *fleetclient.Client
	Agent   *agent.Agent
	version string
	// Counter is the emergency mode at the counter; Journal its offline
	// sales journal (nil while the journal section is missing).
	Counter *counter.Service
	Journal *journal.Journal

	// inc holds the incident features (incident.go).
	inc *incidentParts

	// AdminPassword is set when Open created the first admin.
	AdminPassword string

	ln     net.Listener
	closed bool
}

// Open prepares the site: data folder, database, probers, monitor, users
// and web server. It does not start probing or serving; Run does.
func Open(ctx context.Context, o Options) (*App, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	cfg := o.Config
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder %s: %w", cfg.DataDir, err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "site.db"))
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Log: o.Log, DB: db}
	fail := func(err error) (*App, error) {
		db.Close()
		return nil, err
	}
	keys, origin, err := seal.Load(seal.Options{File: filepath.Join(cfg.DataDir, KeyFile)})
	if err != nil {
		return fail(fmt.Errorf("load the data key: %w", err))
	}
	a.Keys = keys
	o.Log.Info("data key loaded", "origin", origin.String())
	probers, err := probe.All(cfg.Checks, o.Log)
	if err != nil {
		return fail(err)
	}
	if err := a.openMirror(ctx, &o); err != nil {
		return fail(err)
	}
	if err := a.openFHIR(ctx, &o); err != nil {
		a.Mirror.Close()
		return fail(err)
	}
	specs := append([]check.Spec{}, cfg.Checks...)
	for _, s := range o.ExtraChecks {
		specs = append(specs, s)
		probers[s.ID] = o.ExtraProbers[s.ID]
	}
	if specs, err = a.prepareIncidents(ctx, o, specs, probers); err != nil {
		return fail(err)
	}
	a.Monitor, err = monitor.New(monitor.Config{Specs: specs, Probers: probers, Store: sqlite.NewMonitorStore(db), Clock: o.Clock, Log: o.Log})
	if err != nil {
		return fail(err)
	}
	if err := a.Monitor.Restore(ctx); err != nil {
		o.Log.Warn("could not restore the last states; starting fresh", "err", err)
	}
	a.Auth = auth.New(sqlite.NewAuthStore(db), o.Clock, o.Log)
	pw, created, err := a.Auth.EnsureAdmin(ctx)
	if err != nil {
		return fail(fmt.Errorf("create the first admin: %w", err))
	}
	if created {
		a.AdminPassword = pw
		if o.Out != nil {
			fmt.Fprintf(o.Out, "\nErster Start: Benutzer \"admin\" angelegt.\nEinmal-Passwort: %s\n(Beim ersten Anmelden muss es geändert werden. First start: user \"admin\", one-time password above.)\n\n", pw)
		}
		o.Log.Info("first start: created user admin with a one-time password (printed on the console, not logged)")
	}
	a.Web, err = web.New(web.Config{
		Language: cfg.Language, Location: cfg.Location(), MetricsPublic: cfg.MetricsPublic,
		SiteName: cfg.SiteName, Version: o.Version,
	}, a.Monitor, a.Auth, o.Log, o.Clock)
	if err != nil {
		return fail(err)
	}
	a.mountMirror()
	if err := a.mountFHIR(o); err != nil {
		a.FHIR.Close()
		return fail(err)
	}
	if err := a.openAlerts(ctx, o); err != nil {
		return fail(err)
	}
	if err := a.openCounter(ctx, o); err != nil {
		return fail(err)
	}
	if err := a.openIncidents(ctx, o); err != nil {
		return fail(err)
	}
	if err := a.openFleet(o); err != nil {
		return fail(err)
	}
	if err := a.openBroadcasts(); err != nil {
		return fail(err)
	}
	if err := a.openAgent(ctx, o); err != nil {
		return fail(err)
	}
	return a, nil
}

// openAlerts builds the alert engine, connects it to the monitor and mounts
// its pages.
func (a *App) openAlerts(ctx context.Context, o Options) error {
	cfg := a.Config
	st, err := alert.OpenStore(ctx, filepath.Join(cfg.DataDir, "alerts.db"))
	if err != nil {
		return err
	}
	key, err := alert.LoadOrCreateKey(filepath.Join(cfg.DataDir, alert.KeyFile))
	if err != nil {
		st.Close()
		return err
	}
	signer, err := alert.NewSigner(key)
	if err != nil {
		st.Close()
		return err
	}
	notifiers, err := alert.Build(cfg.Alert, o.Log)
	if err != nil {
		st.Close()
		return err
	}
	notifiers = a.incidentNotifiers(notifiers)
	eng, err := alert.New(ctx, alert.Options{
		Config: cfg.Alert, Site: cfg.SiteName, Lang: cfg.Language, Location: cfg.Location(),
		Store: st, Notifiers: notifiers, Signer: signer, Clock: o.Clock, Log: o.Log,
	})
	if err != nil {
		st.Close()
		return err
	}
	a.Alerts, a.alertStore = eng, st
	a.Monitor.OnTransition(eng.Observe)
	eng.Update(a.Monitor.Overview())
	w := alert.NewWeb(eng, "/alerts", alert.WebHooks{
		Render: a.Web.Render, Lang: web.Lang, CSRF: web.CSRFToken,
		User: func(r *http.Request) (string, bool) {
			p, ok := web.User(r)
			if !ok {
				return "", false
			}
			return p.Name, p.Role.AtLeast(auth.RoleStaff)
		},
	})
	a.Web.HandlePage("GET /alerts", auth.RoleViewer, w.Page())
	a.Web.HandlePage("POST /alerts/ack", auth.RoleStaff, w.AckAction())
	a.Web.HandlePage("POST /alerts/silences", auth.RoleStaff, w.AddSilenceAction())
	a.Web.HandlePage("POST /alerts/silences/end", auth.RoleStaff, w.EndSilenceAction())
	a.Web.HandlePublic(alert.AckPath, w.Link()) // signed, expiring, single use
	a.Web.AddBanner(w.Banner)
	a.Web.AddNav("/alerts", check.Msg("Meldungen", "Alerts"), auth.RoleViewer)
	return nil
}

// Listen opens the configured listen address (or addr when not empty).
func (a *App) Listen(addr string) error {
	if addr == "" {
		addr = a.Config.Listen
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another lifeline or program using the port? change listen in the config)", addr, err)
	}
	a.ln = ln
	return nil
}

// UseListener makes the site serve on ln (the demo picks its port first,
// to put it into the links of its messages).
func (a *App) UseListener(ln net.Listener) { a.ln = ln }

// URL returns the dashboard's address once listening.
func (a *App) URL() string {
	if a.ln == nil {
		return ""
	}
	return "http://" + a.ln.Addr().String() + "/"
}

// Run probes and serves until ctx ends, then shuts down gracefully.
func (a *App) Run(ctx context.Context) error {
	if a.ln == nil {
		if err := a.Listen(""); err != nil {
			return err
		}
	}
	srv := &http.Server{
		Handler:           a.Web.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	monCtx, stopMon := context.WithCancel(ctx)
	waitFHIR := a.runFHIR(monCtx)
	defer waitFHIR()
	fleetDone := make(chan struct{})
	go func() { defer close(fleetDone); a.runFleet(monCtx) }()
	defer func() { <-fleetDone }()
	monDone := make(chan error, 1)
	go func() { monDone <- a.Monitor.Run(monCtx) }()
	alertDone := make(chan error, 1)
	go func() { alertDone <- a.Alerts.Run(monCtx) }()
	go a.runIncidents(monCtx)
	mirrorDone := make(chan error, 1)
	go func() { mirrorDone <- a.Mirror.Run(monCtx) }()
	if hb := a.Config.Alert.Heartbeat; hb.URL != "" {
		sender := alert.NewHeartbeat(hb, func() alert.HeartbeatStatus {
			ov := a.Monitor.Overview()
			return alert.HeartbeatStatus{Site: a.Config.SiteName, Overall: string(ov.Overall), Sentence: ov.Sentence(a.Config.Language, a.Config.Location())}
		}, nil, a.Log)
		go sender.Run(monCtx)
	}
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.Serve(a.ln) }()
	a.Log.Info("lifeline site running", "url", a.URL(), "checks", len(a.Config.Checks))
	var err error
	select {
	case <-ctx.Done():
	case err = <-srvDone:
	}
	a.Web.Close() // ends server-sent event streams
	shCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if e := srv.Shutdown(shCtx); e != nil && err == nil {
		err = e
	}
	stopMon()
	if e := <-monDone; e != nil && err == nil {
		err = e
	}
	if e := <-alertDone; e != nil && err == nil && !errors.Is(e, context.Canceled) {
		err = e
	}
	if e := <-mirrorDone; e != nil && err == nil && !errors.Is(e, context.Canceled) {
		err = e
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Close releases the database.
func (a *App) Close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	if a.Counter != nil {
		a.Counter.Close() // stops a running hand-over, which reads the journal
	}
	if a.Journal != nil {
		a.Journal.Close()
	}
	if a.Mirror != nil {
		a.Mirror.Close()
	}
	a.FHIR.Close()
	if a.alertStore != nil {
		a.alertStore.Close()
	}
	return a.DB.Close()
}
