// Package agentdemo is the scenario "bad update" of `lifeline demo`: a
// real fleet (internal/fleet with SQLite, TUF keys, console) and a few
// simulated pharmacies (internal/sim), each with a real update agent, a
// real monitor watching its simulated ERP server and real hook scripts.
// The fleet rolls WinApo 24.3 out in rings; the release breaks the ERP
// database of every pharmacy that installs it. The two canary pharmacies
// (ring "test") install it, see their ERP check fail in the health gate
// and roll back by themselves; the fleet's gate halts the rollout; the
// other pharmacies never get the update.
//
// The scenario runs on a demo clock that starts on a Tuesday morning in
// June (no holiday, no DST night) and runs Speed times faster than real
// time, so that the ten-minute health gate takes ten seconds.
package agentdemo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/agent"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/fleetapp"
	"github.com/lifeline-project/lifeline/internal/fleet/tufrepo"
	"github.com/lifeline-project/lifeline/internal/fleetclient"
	"github.com/lifeline-project/lifeline/internal/monitor"
	"github.com/lifeline-project/lifeline/internal/probe"
	"github.com/lifeline-project/lifeline/internal/rollout"
	"github.com/lifeline-project/lifeline/internal/sim"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
)

// Options configure the scenario.
type Options struct {
	// Dir holds the fleet's and the pharmacies' data (required).
	Dir string
	// Sites is the number of pharmacies (default 5); Canaries how many of
	// them are in the test ring (default 2).
	Sites, Canaries int
	// Speed is how much faster than real time the demo clock runs
	// (default 60: a minute per second).
	Speed float64
	// Start is the demo clock's start (default Tuesday 16 June 2026,
	// 10:00 in Berlin).
	Start time.Time
	// Listen is the fleet's address (default 127.0.0.1:0).
	Listen string
	Log    *slog.Logger
}

// Pharmacy is one simulated pharmacy with its agent.
type Pharmacy struct {
	ID, Name string
	Canary   bool
	Sim      *sim.Pharmacy
	Agent    *agent.Agent
	Monitor  *monitor.Monitor
	// ControlURL is the simulation's control page.
	ControlURL string
}

// Demo is a running scenario.
type Demo struct {
	// FleetURL is the fleet console; log in as admin with AdminPassword.
	FleetURL      string
	AdminPassword string
	Fleet         *fleetapp.App
	Pharmacies    []*Pharmacy
	Release       fleet.Release
	RolloutID     int64
	Clock         *Clock

	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closers []func()
}

// Clock is the demo clock: Start plus the real time since the demo began,
// times Speed.
type Clock struct {
	start, base time.Time
	speed       float64
}

// Now returns the demo time.
func (c *Clock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.base)) * c.speed))
}

// dated sets the Date header from the demo clock: the agents compare it
// with their own clock (the clock policy), and both run on demo time.
type dated struct {
	h   http.Handler
	clk *Clock
}

func (d dated) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Date", d.clk.Now().UTC().Format(http.TimeFormat))
	d.h.ServeHTTP(w, r)
}

// serve serves h on a new loopback listener until the demo closes.
func (d *Demo) serve(addr string, h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	d.closers = append(d.closers, func() { srv.Close() })
	return "http://" + ln.Addr().String(), nil
}

// Start builds the fleet and the pharmacies, publishes the bad release and
// starts its rollout; everything runs until Close.
func Start(ctx context.Context, o Options) (_ *Demo, err error) {
	if o.Dir == "" {
		return nil, errors.New("agentdemo: no folder")
	}
	if o.Sites <= 0 {
		o.Sites = 5
	}
	if o.Canaries <= 0 {
		o.Canaries = 2
	}
	if o.Canaries >= o.Sites {
		return nil, errors.New("agentdemo: there must be more pharmacies than canaries")
	}
	if o.Speed <= 0 {
		o.Speed = 60
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return nil, err
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 6, 16, 10, 0, 0, 0, berlin)
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	clk := &Clock{start: o.Start, base: time.Now(), speed: o.Speed}
	runCtx, cancel := context.WithCancel(context.Background())
	d := &Demo{Clock: clk, cancel: cancel}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if err := d.startFleet(ctx, runCtx, o); err != nil {
		return nil, err
	}
	var sites []fleet.Site
	for i := 1; i <= o.Sites; i++ {
		s := fleet.Site{ID: fmt.Sprintf("apo-%d", i), Name: fmt.Sprintf("Demo-Apotheke %d", i), Timezone: "Europe/Berlin",
			State: "NW", Window: "täglich 00:00-24:00"}
		if i <= o.Canaries {
			s.Ring, s.Name = "test", s.Name+" (Testapotheke)"
		}
		sites = append(sites, s)
	}
	codes, err := d.Fleet.Service.AddSites(ctx, "demo", sites)
	if err != nil {
		return nil, err
	}
	for i, s := range sites {
		p, err := d.startPharmacy(ctx, runCtx, o, s, codes[i].Code)
		if err != nil {
			return nil, fmt.Errorf("pharmacy %s: %w", s.ID, err)
		}
		d.Pharmacies = append(d.Pharmacies, p)
	}
	// Wait until every pharmacy enrolled.
	for _, p := range d.Pharmacies {
		for {
			st, err := d.Fleet.Store.Site(ctx, p.ID)
			if err == nil && st.HasToken {
				break
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	artifact := []byte("WinApo 24.3 – Demo-Update, das die Datenbank der Warenwirtschaft beschädigt\n")
	sum, n, err := tufrepo.StoreArtifact(d.Fleet.Config.TargetsDir(), bytesReader(artifact), 1<<20)
	if err != nil {
		return nil, err
	}
	d.Release, err = d.Fleet.Service.PublishRelease(ctx, "demo", fleet.Release{Component: "erp", Version: "24.3",
		Artifact: "winapo-24.3-setup.exe", Length: n, SHA256: sum, InstallHook: "install", RollbackHook: "rollback",
		Notes: "Demo: dieses Update beschädigt die Datenbank der Warenwirtschaft."})
	if err != nil {
		return nil, err
	}
	rings := []rollout.Ring{
		{Name: "test", Soak: 30 * time.Minute, MaxFailureRatio: 0, MinReportShare: 1},
		{Name: "alle", Percent: 100, Soak: time.Hour, MaxFailureRatio: 0.05, MinReportShare: 0.8},
	}
	rec, err := d.Fleet.Service.StartRollout(ctx, "demo", d.Release.ID, fleet.StartOptions{Rings: rings, Seed: "demo"})
	if err != nil {
		return nil, err
	}
	d.RolloutID = rec.ID
	o.Log.Info("agentdemo: bad update rolling out", "fleet", d.FleetURL, "rollout", rec.ID)
	return d, nil
}

// startFleet opens the fleet on demo time and serves it.
func (d *Demo) startFleet(ctx, runCtx context.Context, o Options) error {
	dir := filepath.Join(o.Dir, "fleet")
	cfg, err := fleet.BuildConfig(fleet.Config{DataDir: filepath.Join(dir, "data"), Listen: o.Listen,
		HeartbeatInterval: check.Duration(5 * time.Second), DeadManDeadline: check.Duration(15 * time.Minute),
		PlannerInterval: check.Duration(500 * time.Millisecond), FlushInterval: check.Duration(time.Second)},
		filepath.Join(dir, "fleet.yaml"))
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(cfg.TUFKeysDir, tufrepo.KeyFile(tufrepo.RoleRoot))); err != nil {
		if err := fleetapp.InitKeys(ctx, cfg, d.Clock, o.Log); err != nil {
			return err
		}
	}
	app, err := fleetapp.Open(ctx, fleetapp.Options{Config: cfg, Log: o.Log, Clock: d.Clock, Version: "demo"})
	if err != nil {
		return err
	}
	d.Fleet, d.AdminPassword = app, app.AdminPassword
	d.closers = append(d.closers, func() { app.Close() })
	if err := app.Start(runCtx); err != nil {
		return err
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		app.Service.Run(runCtx)
	}()
	d.FleetURL, err = d.serve(o.Listen, dated{h: app.Server.Handler(), clk: d.Clock})
	return err
}

// startPharmacy starts a simulated pharmacy with its monitor, fleet client,
// hooks and agent.
func (d *Demo) startPharmacy(ctx, runCtx context.Context, o Options, s fleet.Site, code string) (*Pharmacy, error) {
	dir := filepath.Join(o.Dir, s.ID)
	if err := os.MkdirAll(filepath.Join(dir, "sim"), 0o700); err != nil {
		return nil, err
	}
	ph, err := sim.StartPharmacy(ctx, sim.PharmacyOptions{Name: s.Name, Dir: filepath.Join(dir, "sim"), Logger: o.Log})
	if err != nil {
		return nil, err
	}
	d.closers = append(d.closers, func() { ph.Close() })
	p := &Pharmacy{ID: s.ID, Name: s.Name, Canary: s.Ring == "test", Sim: ph}
	if p.ControlURL, err = d.serve("127.0.0.1:0", ph.ControlHandler()); err != nil {
		return nil, err
	}
	// The monitor watches the ERP server, every second.
	var spec check.Spec
	for _, c := range ph.Checks(time.Second) {
		if c.ID == "erp" {
			spec = c
		}
	}
	spec.FailAfter, spec.RecoverAfter = 1, 1
	spec.ApplyDefaults()
	probers, err := probe.All([]check.Spec{spec}, o.Log)
	if err != nil {
		return nil, err
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "site.db"))
	if err != nil {
		return nil, err
	}
	d.closers = append(d.closers, func() { db.Close() })
	p.Monitor, err = monitor.New(monitor.Config{Specs: []check.Spec{spec}, Probers: probers, Store: sqlite.NewMonitorStore(db), Clock: d.Clock, Log: o.Log})
	if err != nil {
		return nil, err
	}
	install, rollback, err := writeHooks(filepath.Join(dir, "hooks"), p.ControlURL, ph.ControlToken())
	if err != nil {
		return nil, err
	}
	cfg := agent.Config{Window: "täglich 00:00-24:00", State: "NW", Components: []agent.Component{{
		Name: "erp", Title: "WinApo", Version: "24.2", Install: install, Rollback: rollback,
		HookTimeout: check.Duration(time.Minute), GateChecks: []string{"erp"},
	}}}
	cfg.ApplyDefaults()
	fc, err := fleetclient.New(fleetclient.Options{Config: fleetclient.Config{URL: d.FleetURL, EnrolmentCode: code, Heartbeat: check.Duration(5 * time.Second)},
		Dir: filepath.Join(dir, "fleet"), Clock: d.Clock, Log: o.Log, AgentVersion: "demo", Hostname: s.ID})
	if err != nil {
		return nil, err
	}
	repo, err := agent.NewTUFRepository(agent.TUFOptions{BaseURL: d.FleetURL, Clock: d.Clock, Dir: filepath.Join(dir, "agent", "tuf"),
		MaxSkew: cfg.MaxClockSkew.D(),
		Token: func() (string, error) {
			b, err := os.ReadFile(filepath.Join(dir, "fleet", fleetclient.TokenFile))
			return string(trimSpace(b)), err
		},
		TrustedRoot: func() ([]byte, error) { return os.ReadFile(filepath.Join(dir, "fleet", fleetclient.RootFile)) }})
	if err != nil {
		return nil, err
	}
	p.Agent, err = agent.New(agent.Options{Config: cfg, Dir: filepath.Join(dir, "agent"), Fleet: fc, Repo: repo,
		Health: p.Monitor.Overview, Clock: d.Clock, Log: o.Log.With("site", s.ID), Version: "demo", Poll: 200 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	loc, _ := time.LoadLocation("Europe/Berlin")
	d.wg.Add(3)
	go func() { defer d.wg.Done(); p.Monitor.Run(runCtx) }()
	go func() { defer d.wg.Done(); p.Agent.Run(runCtx) }()
	go func() {
		defer d.wg.Done()
		fc.Run(runCtx, func() fleetProtocolHeartbeat {
			return fleetclient.FromOverview(p.Monitor.Overview(), loc, p.Agent.Components(), p.Agent.Status())
		}, p.Agent.HandleCommand)
	}()
	return p, nil
}

// Outcome is where the scenario stands.
type Outcome struct {
	// RolloutStatus is the fleet's rollout status (halted at the end).
	RolloutStatus string
	// RolledBack lists the canaries whose agent rolled back by itself.
	RolledBack []string
	// Installs counts the install commands the other pharmacies got.
	Installs int
}

// Done reports whether the scenario reached its end: the rollout halted
// and every canary rolled back.
func (o Outcome) Done(canaries int) bool {
	return o.RolloutStatus == fleet.RolloutHalted && len(o.RolledBack) == canaries
}

// Outcome returns where the scenario stands now.
func (d *Demo) Outcome(ctx context.Context) (Outcome, error) {
	var out Outcome
	rec, err := d.Fleet.Store.Rollout(ctx, d.RolloutID)
	if err != nil {
		return out, err
	}
	out.RolloutStatus = rec.Status
	for _, p := range d.Pharmacies {
		if p.Canary {
			for _, u := range p.Agent.View(ctx).History {
				if u.Kind == agent.KindInstall && u.Result == agent.ResultRolledBack {
					out.RolledBack = append(out.RolledBack, p.ID)
					break
				}
			}
			continue
		}
		cmds, err := d.Fleet.Store.Commands(ctx, d.RolloutID, p.ID)
		if err != nil {
			return out, err
		}
		for _, c := range cmds {
			if c.Kind == fleet.CommandInstall {
				out.Installs++
			}
		}
	}
	return out, nil
}

// Close stops everything and waits for it.
func (d *Demo) Close() {
	d.cancel()
	d.wg.Wait()
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
}

// writeHooks writes the install and rollback hooks of a pharmacy: the
// install breaks the simulated ERP's database through the simulation's
// control API (what the bad update does), the rollback repairs it.
func writeHooks(dir, controlURL, token string) (install, rollback string, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", err
	}
	api := controlURL + "/api/deps/erp"
	if runtime.GOOS == "windows" {
		body := func(mode string) string {
			return "@echo off\r\nrem WinApo %LIFELINE_VERSION% (Demo)\r\ncurl.exe -fsS -X POST -H \"" + sim.TokenHeader + ": " + token +
				"\" -H \"Content-Type: application/json\" -d \"{\\\"mode\\\":\\\"" + mode + "\\\"}\" \"" + api + "\" >NUL || exit /b 1\r\n"
		}
		install, rollback = filepath.Join(dir, "install.cmd"), filepath.Join(dir, "rollback.cmd")
		if err := os.WriteFile(install, []byte(body("down")), 0o700); err != nil {
			return "", "", err
		}
		return install, rollback, os.WriteFile(rollback, []byte(body("ok")), 0o700)
	}
	body := func(what, mode string) string {
		return "#!/bin/sh\n# " + what + " (demo): sets the simulated ERP database to " + mode + ".\n" +
			"curl -fsS -X POST -H '" + sim.TokenHeader + ": " + token + "' -H 'Content-Type: application/json' -d '{\"mode\":\"" + mode + "\"}' '" + api + "' >/dev/null || exit 1\n"
	}
	install, rollback = filepath.Join(dir, "install.sh"), filepath.Join(dir, "rollback.sh")
	if err := os.WriteFile(install, []byte(body("WinApo $LIFELINE_VERSION, the bad update", "down")), 0o700); err != nil {
		return "", "", err
	}
	return install, rollback, os.WriteFile(rollback, []byte(body("rollback to $LIFELINE_PREVIOUS_VERSION", "ok")), 0o700)
}
