package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/config"
	"github.com/lifeline-project/lifeline/internal/service"
	"github.com/lifeline-project/lifeline/internal/sim"
	"github.com/lifeline-project/lifeline/internal/siteapp"
)

// demoOptions configure `lifeline demo`.
type demoOptions struct {
	listen   string
	dataDir  string
	interval time.Duration
	lang     string
}

func cmdDemo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o demoOptions
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "address of the demo dashboard (a free port is taken when busy)")
	fs.StringVar(&o.dataDir, "data", "", "data folder (default: a new temporary folder)")
	fs.DurationVar(&o.interval, "interval", 5*time.Second, "probe interval of the simulated pharmacy")
	fs.StringVar(&o.lang, "lang", "de", "language: de or en")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runDemo(ctx, o, stdout, nil); err != nil {
		fmt.Fprintln(stderr, "lifeline demo:", err)
		return 1
	}
	return 0
}

// demoInfo is what a started demo tells its caller (tests use it).
type demoInfo struct {
	URL, ControlURL, User, Password string
	Pharmacy                        *sim.Pharmacy
	App                             *siteapp.App
}

// runDemo starts a simulated pharmacy and a site node watching it, and
// serves until ctx ends. ready, when not nil, receives the demo's
// addresses once everything listens.
func runDemo(ctx context.Context, o demoOptions, stdout io.Writer, ready chan<- demoInfo) error {
	if o.dataDir == "" {
		dir, err := os.MkdirTemp("", "lifeline-demo-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		o.dataDir = dir
	}
	log, closer := service.NewLogger("warn", filepath.Join(o.dataDir, "lifeline.log"))
	defer closer.Close()
	if err := os.MkdirAll(filepath.Join(o.dataDir, "sim"), 0o700); err != nil {
		return err
	}
	ph, err := sim.StartPharmacy(ctx, sim.PharmacyOptions{Name: "Apotheke am Markt (Demo)", Dir: filepath.Join(o.dataDir, "sim"), Logger: log})
	if err != nil {
		return fmt.Errorf("start the simulated pharmacy: %w", err)
	}
	defer ph.Close()
	cfg, err := config.Build(config.Site{
		SiteName: "Apotheke am Markt (Demo)",
		DataDir:  filepath.Join(o.dataDir, "site"),
		Language: o.lang,
		Checks:   ph.Checks(o.interval),
	}, filepath.Join(o.dataDir, "demo.yaml"))
	if err != nil {
		return fmt.Errorf("demo configuration: %w", err)
	}
	app, err := siteapp.Open(ctx, siteapp.Options{Config: cfg, Log: log, Version: buildVersion()})
	if err != nil {
		return err
	}
	defer app.Close()
	// The demo's admin gets a fresh random password that need not be
	// changed at the first login; there is still no default password.
	pw, err := auth.GeneratePassword()
	if err != nil {
		return err
	}
	if err := app.Auth.SetPassword(ctx, "admin", pw); err != nil {
		return err
	}
	app.Web.HandlePublic("/sim/", http.StripPrefix("/sim", ph.ControlHandler()))
	app.Web.AddNav("/sim/", check.Msg("Demo: Störungen auslösen", "Demo: cause outages"), auth.RoleViewer)
	if err := app.Listen(o.listen); err != nil {
		if err2 := app.Listen("127.0.0.1:0"); err2 != nil {
			return errors.Join(err, err2)
		}
	}
	info := demoInfo{URL: app.URL(), ControlURL: app.URL() + "sim/", User: "admin", Password: pw, Pharmacy: ph, App: app}
	fmt.Fprintf(stdout, `
lifeline Demo: eine simulierte Apotheke mit USV, zwei Internetleitungen, Konnektor,
TI-Lagebild, Zeitserver und Warenwirtschaft, alle echt auf diesem Rechner (127.0.0.1).

  Dashboard:          %s
  Anmelden:           Benutzer %s, Passwort %s
  Störungen auslösen: %s

Probieren Sie: Konnektor "Ausfallen lassen" -> nach etwa %s zeigt das Dashboard
"E-Rezept gestört ... Ursache: Konnektor ausgefallen", ohne neu zu laden.
Beenden mit Strg+C.

`, info.URL, info.User, info.Password, info.ControlURL, 3*o.interval)
	if ready != nil {
		ready <- info
	}
	return app.Run(ctx)
}
