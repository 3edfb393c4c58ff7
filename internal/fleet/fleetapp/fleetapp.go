// Package fleetapp wires `lifeline fleet` together: the configuration, the
// store (SQLite by default, PostgreSQL when the configuration gives a DSN),
// the TUF repository, the console's users, the fleet service and the HTTP
// server. The command line and the simulation call Open and Run; nothing
// here holds business rules.
package fleetapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/postgres"
	"github.com/lifeline-project/lifeline/internal/fleet/server"
	"github.com/lifeline-project/lifeline/internal/fleet/silencealert"
	"github.com/lifeline-project/lifeline/internal/fleet/sqlite"
	"github.com/lifeline-project/lifeline/internal/fleet/tufrepo"
	"github.com/lifeline-project/lifeline/internal/rollout"
)

// Options are the inputs of Open.
type Options struct {
	Config  *fleet.Config
	Log     *slog.Logger
	Clock   clock.Clock
	Version string
	// Out receives the first admin's one-time password.
	Out io.Writer
	// AuthOptions adjust the console's login service (tests use cheap
	// password hashing).
	AuthOptions []auth.Option
}

// App is an opened fleet.
type App struct {
	Config  *fleet.Config
	Log     *slog.Logger
	Store   fleet.Store
	Repo    *tufrepo.Repo
	Auth    *auth.Service
	Service *fleet.Service
	Server  *server.Server
	// AdminPassword is set when Open created the first admin.
	AdminPassword string

	ln net.Listener
}

// OpenStore opens the store the configuration selects.
func OpenStore(ctx context.Context, cfg *fleet.Config, log *slog.Logger) (fleet.Store, error) {
	if cfg.DSN != "" {
		return postgres.Open(ctx, cfg.DSN, postgres.Options{Log: log})
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder %s: %w", cfg.DataDir, err)
	}
	return sqlite.Open(ctx, cfg.SQLitePath())
}

// Calendar builds the blackout calendar from the configuration (the duty
// rota file, partial holidays).
func Calendar(cfg *fleet.Config) (*rollout.Calendar, error) {
	cal := &rollout.Calendar{PartialHolidays: cfg.PartialHolidays}
	if cfg.DutiesFile == "" {
		return cal, nil
	}
	f, err := os.Open(cfg.DutiesFile)
	if err != nil {
		return nil, fmt.Errorf("read duties_file: %w", err)
	}
	defer f.Close()
	duties, err := rollout.ImportDutyCSV(f)
	if err != nil {
		return nil, fmt.Errorf("duties_file %s: %w", cfg.DutiesFile, err)
	}
	cal.AddDuties(duties...)
	return cal, nil
}

// Open prepares the fleet: store, TUF repository (which `lifeline fleet
// keys init` must have created), first admin, service and server. It does
// not listen; Run does.
func Open(ctx context.Context, o Options) (*App, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	cfg := o.Config
	st, err := OpenStore(ctx, cfg, o.Log)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*App, error) {
		st.Close()
		return nil, err
	}
	keys, err := tufrepo.LoadKeys(cfg.TUFKeysDir)
	if err != nil {
		return fail(err)
	}
	repo := tufrepo.New(st, keys, o.Clock)
	if ok, err := repo.Initialized(ctx); err != nil {
		return fail(err)
	} else if !ok {
		return fail(errors.New("the TUF repository is not set up; run `lifeline fleet keys init --config FILE` first"))
	}
	for _, role := range []string{tufrepo.RoleSnapshot, tufrepo.RoleTimestamp} {
		if !keys.Has(role) {
			return fail(fmt.Errorf("the %s key is missing in %s; the server needs the snapshot and timestamp keys online", role, cfg.TUFKeysDir))
		}
	}
	cal, err := Calendar(cfg)
	if err != nil {
		return fail(err)
	}
	a := &App{Config: cfg, Log: o.Log, Store: st, Repo: repo}
	a.Auth = auth.New(st, o.Clock, o.Log, o.AuthOptions...)
	pw, created, err := a.Auth.EnsureAdmin(ctx)
	if err != nil {
		return fail(fmt.Errorf("create the first admin: %w", err))
	}
	if created {
		a.AdminPassword = pw
		if o.Out != nil {
			fmt.Fprintf(o.Out, "\nErster Start: Benutzer \"admin\" angelegt.\nEinmal-Passwort: %s\n(Beim ersten Anmelden muss es geändert werden. First start: user \"admin\", one-time password above.)\n\n", pw)
		}
	}
	silence, err := silencealert.Build(cfg.SilenceAlerts, cfg.PublicURL, o.Log)
	if err != nil {
		return fail(err)
	}
	a.Service, err = fleet.NewService(fleet.Options{Config: cfg, Store: st, TUF: repo, Clock: o.Clock, Log: o.Log, Calendar: cal, Silence: silence})
	if err != nil {
		return fail(err)
	}
	a.Server, err = server.New(server.Config{Language: cfg.Language, Location: cfg.Location(), Version: o.Version,
		TargetsDir: cfg.TargetsDir()}, a.Service, a.Auth, repo, o.Log, o.Clock)
	if err != nil {
		return fail(err)
	}
	return a, nil
}

// Listen opens the configured address (or addr when not empty).
func (a *App) Listen(addr string) error {
	if addr == "" {
		addr = a.Config.Listen
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another program using the port? change listen in the config)", addr, err)
	}
	a.ln = ln
	return nil
}

// URL returns the server's base address once listening.
func (a *App) URL() string {
	if a.ln == nil {
		return ""
	}
	scheme := "http"
	if a.Config.TLSCertFile != "" {
		scheme = "https"
	}
	return scheme + "://" + a.ln.Addr().String()
}

// Start loads the service's memory and begins listening for commands.
func (a *App) Start(ctx context.Context) error { return a.Service.Start(ctx) }

// Serve serves HTTP until ctx ends (without the service's timed loops:
// the simulation drives those itself).
func (a *App) Serve(ctx context.Context) error {
	if a.ln == nil {
		if err := a.Listen(""); err != nil {
			return err
		}
	}
	// HTTP/1.1 and HTTP/2, also without TLS (h2c, for a load balancer
	// that speaks HTTP/2 to its backends): a site then multiplexes its
	// long-poll and heartbeats on one connection, and a balancer many
	// sites; a stream per long-poll, so the stream limit is generous.
	var protos http.Protocols
	protos.SetHTTP1(true)
	protos.SetHTTP2(true)
	protos.SetUnencryptedHTTP2(true)
	srv := &http.Server{
		Handler:           a.Server.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
		Protocols:         &protos,
		HTTP2:             &http.HTTP2Config{MaxConcurrentStreams: 1000},
	}
	done := make(chan error, 1)
	go func() {
		if a.Config.TLSCertFile != "" {
			done <- srv.ServeTLS(a.ln, a.Config.TLSCertFile, a.Config.TLSKeyFile)
			return
		}
		done <- srv.Serve(a.ln)
	}()
	var err error
	select {
	case <-ctx.Done():
	case err = <-done:
	}
	shCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if e := srv.Shutdown(shCtx); e != nil && err == nil {
		err = e
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Run starts the service, its timed loops (heartbeat flush, planner) and
// the HTTP server until ctx ends.
func (a *App) Run(ctx context.Context) error {
	if err := a.Start(ctx); err != nil {
		return err
	}
	loops := make(chan error, 1)
	go func() { loops <- a.Service.Run(ctx) }()
	a.Log.Info("lifeline fleet running", "url", a.URL(), "public_url", a.Config.PublicURL)
	err := a.Serve(ctx)
	<-loops
	return err
}

// Close releases the store.
func (a *App) Close() error { return a.Store.Close() }

// InitKeys creates the four TUF keys in the configured keys folder and the
// repository's first metadata in the store (`lifeline fleet keys init`).
// It refuses to overwrite existing keys or an existing repository.
func InitKeys(ctx context.Context, cfg *fleet.Config, clk clock.Clock, log *slog.Logger) error {
	if clk == nil {
		clk = clock.Real{}
	}
	st, err := OpenStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	probe := tufrepo.New(st, nil, clk)
	if ok, err := probe.Initialized(ctx); err != nil {
		return err
	} else if ok {
		return errors.New("the fleet's TUF repository exists already; its keys are never replaced this way")
	}
	keys, err := tufrepo.InitKeys(cfg.TUFKeysDir)
	if err != nil {
		return err
	}
	return tufrepo.New(st, keys, clk).Init(ctx)
}

// ApplyMemoryLimit sets the process's soft memory limit from the
// configuration (memory_limit), unless it is empty; it returns the limit
// in force. Call it once per process, from the command that serves.
func ApplyMemoryLimit(cfg *fleet.Config) int64 {
	if n := cfg.MemoryLimitBytes(); n > 0 {
		debug.SetMemoryLimit(n)
	}
	return debug.SetMemoryLimit(-1)
}
