package fleetsim

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/fleetapp"
	"github.com/lifeline-project/lifeline/internal/fleet/postgres"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
)

// loadFleet is the fleet a load run talks to: its configuration file and
// the processes serving it.
type loadFleet struct {
	cfgPath  string
	cfg      *fleet.Config
	apiToken string
	schema   string // PostgreSQL: the run's schema, dropped at the end
	procs    []*fleetProc
}

// fleetProc is one fleet process: a child process (pid > 0) or, in
// process, an App.
type fleetProc struct {
	url   string
	pid   int
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan error
	app   *fleetapp.App
	stop  context.CancelFunc
}

// siteToken is an emulated site with its token.
type siteToken struct{ id, token string }

// newSiteToken returns a token of the real shape ("llsite_" + 32 bytes).
func newSiteToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return protocol.TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// prepareFleet writes the fleet's configuration, creates its keys, store,
// the sites with their tokens (as after enrolment) and an API token for
// sending the broadcast.
func prepareFleet(ctx context.Context, o LoadOptions, dir string, log *slog.Logger) (*loadFleet, []siteToken, error) {
	lf := &loadFleet{cfgPath: filepath.Join(dir, "fleet.yaml")}
	raw := map[string]any{
		"listen": "127.0.0.1:0", "data_dir": filepath.Join(dir, "data"), "heartbeat_interval": o.Heartbeat.String(),
		"flush_interval": "10s", "planner_interval": "30s", "log_level": "warn",
		"dead_man_deadline": max(15*time.Minute, 3*o.Heartbeat).String(),
	}
	if o.MemoryLimit != "" {
		raw["memory_limit"] = o.MemoryLimit
	}
	if o.Store == "postgres" {
		b := make([]byte, 5)
		rand.Read(b)
		lf.schema = "simload_" + hex.EncodeToString(b)
		st, err := postgres.Open(ctx, o.DSN, postgres.Options{Schema: lf.schema, Log: log})
		if err != nil {
			return nil, nil, fmt.Errorf("PostgreSQL at %s: %w", o.DSN, err)
		}
		st.Close()
		dsn, err := withSearchPath(o.DSN, lf.schema)
		if err != nil {
			return nil, nil, err
		}
		raw["dsn"] = dsn
	}
	data, err := yaml.Marshal(raw)
	if err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(lf.cfgPath, data, 0o600); err != nil {
		return nil, nil, err
	}
	if lf.cfg, err = fleet.LoadConfig(lf.cfgPath); err != nil {
		return nil, nil, err
	}
	if err := fleetapp.InitKeys(ctx, lf.cfg, clock.Real{}, log); err != nil {
		return nil, nil, err
	}
	st, err := fleetapp.OpenStore(ctx, lf.cfg, log)
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	now := time.Now().UTC()
	sites := make([]siteToken, o.Sites)
	var batch []fleet.NewSite
	codes := make([]string, o.Sites)
	states := []string{"BY", "NW", "BW", "NI", "HE", "SN", "RP", "BE", "SH", "TH", "ST", "BB", "MV", "HH", "SL", "HB"}
	for i := range sites {
		id := fmt.Sprintf("apo-%05d", i)
		sites[i] = siteToken{id: id, token: newSiteToken()}
		codes[i] = fmt.Sprintf("SIMLOAD%08d", i)
		batch = append(batch, fleet.NewSite{Site: fleet.Site{ID: id, Name: "Apotheke " + id, Timezone: "Europe/Berlin",
			State: states[i%len(states)], Window: "täglich 01:00-05:00", CreatedAt: now},
			CodeHash: fleet.HashSecret(codes[i]), CodeExpiresAt: now.Add(time.Hour)})
		if len(batch) == 5000 || i == len(sites)-1 {
			if err := st.CreateSites(ctx, batch); err != nil {
				return nil, nil, err
			}
			batch = batch[:0]
		}
	}
	workers := 1
	if o.Store == "postgres" {
		workers = 8
	}
	if err := parallel(ctx, workers, len(sites), func(i int) error {
		_, err := st.Enrol(ctx, fleet.HashSecret(codes[i]), fleet.HashSecret(sites[i].token), now)
		return err
	}); err != nil {
		return nil, nil, fmt.Errorf("enrol the emulated sites: %w", err)
	}
	authSvc := auth.New(st, clock.Real{}, log)
	if lf.apiToken, err = authSvc.CreateToken(ctx, "sim-load", auth.RoleStaff); err != nil {
		return nil, nil, err
	}
	if err := st.SetConsoleRole(ctx, "token:sim-load", string(fleet.RoleSupport)); err != nil {
		return nil, nil, err
	}
	return lf, sites, nil
}

// withSearchPath adds the schema to a PostgreSQL DSN (URL or key=value).
func withSearchPath(dsn, schema string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		return dsn + sep + "search_path=" + schema, nil
	}
	return dsn + " search_path=" + schema, nil
}

// startFleets starts the fleet processes: children running exe with args
// (the serving mode of this program), or in this process when exe is "".
func (lf *loadFleet) startFleets(ctx context.Context, n int, exe string, args []string, dir string, log *slog.Logger) error {
	for i := range n {
		p := &fleetProc{done: make(chan error, 1)}
		if exe == "" {
			app, err := fleetapp.Open(ctx, fleetapp.Options{Config: lf.cfg, Log: log})
			if err != nil {
				return err
			}
			if err := app.Listen("127.0.0.1:0"); err != nil {
				app.Close()
				return err
			}
			actx, stop := context.WithCancel(context.Background())
			p.app, p.stop, p.url = app, stop, app.URL()
			go func() {
				err := app.Run(actx)
				app.Close()
				p.done <- err
			}()
		} else {
			logf, err := os.Create(filepath.Join(dir, fmt.Sprintf("fleet-%d.log", i)))
			if err != nil {
				return err
			}
			cmd := exec.Command(exe, append(append([]string(nil), args...), lf.cfgPath)...)
			cmd.Stderr = logf
			if p.stdin, err = cmd.StdinPipe(); err != nil {
				return err
			}
			out, err := cmd.StdoutPipe()
			if err != nil {
				return err
			}
			if err := cmd.Start(); err != nil {
				return fmt.Errorf("start fleet process: %w", err)
			}
			p.cmd, p.pid = cmd, cmd.Process.Pid
			lines := bufio.NewScanner(out)
			urlCh := make(chan string, 1)
			go func() {
				for lines.Scan() {
					if u, ok := strings.CutPrefix(lines.Text(), "LISTEN "); ok {
						urlCh <- u
					}
				}
			}()
			go func() {
				err := cmd.Wait()
				logf.Close()
				p.done <- err
			}()
			select {
			case p.url = <-urlCh:
			case err := <-p.done:
				return fmt.Errorf("fleet process ended at start (%v); see %s", err, logf.Name())
			case <-time.After(2 * time.Minute):
				return fmt.Errorf("fleet process did not start within 2 minutes; see %s", logf.Name())
			}
		}
		lf.procs = append(lf.procs, p)
	}
	return nil
}

// stop ends the fleet processes (they flush their heartbeats) and drops
// the PostgreSQL schema.
func (lf *loadFleet) stop(o LoadOptions) error {
	var errs []error
	for _, p := range lf.procs {
		if p.stdin != nil {
			p.stdin.Close() // the child ends when its stdin closes
		}
		if p.stop != nil {
			p.stop()
		}
	}
	for _, p := range lf.procs {
		select {
		case err := <-p.done:
			if err != nil && !isSignal(err) {
				errs = append(errs, err)
			}
		case <-time.After(time.Minute):
			if p.cmd != nil {
				_ = p.cmd.Process.Kill()
			}
			errs = append(errs, errors.New("a fleet process did not stop within a minute; killed"))
		}
	}
	if lf.schema != "" {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := postgres.DropSchema(ctx, o.DSN, lf.schema); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func isSignal(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && !ee.Exited()
}

// ServeFleet is the serving mode of a load run's fleet process: it opens
// the fleet of the configuration file, prints "LISTEN <url>" and serves
// until stdin closes (the parent ended) or ctx ends.
func ServeFleet(ctx context.Context, cfgPath string, stdin io.Reader, stdout, stderr io.Writer) error {
	RaiseFileLimit()
	cfg, err := fleet.LoadConfig(cfgPath)
	if err != nil {
		return err
	}
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	fleetapp.ApplyMemoryLimit(cfg)
	app, err := fleetapp.Open(ctx, fleetapp.Options{Config: cfg, Log: log})
	if err != nil {
		return err
	}
	defer app.Close()
	if err := app.Listen(""); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		cancel()
	}()
	if addr := os.Getenv("LIFELINE_SIM_PPROF"); addr != "" {
		// Profiling a load run: net/http/pprof on its own address
		// (loopback), only in this serving mode of `sim load`.
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		go func() { _ = http.ListenAndServe(addr, mux) }() //nolint:gosec // diagnostics on loopback
	}
	fmt.Fprintf(stdout, "LISTEN %s\n", app.URL())
	return app.Run(ctx)
}

// procStats are a process's CPU time and memory, from /proc (Linux).
type procStats struct {
	cpu      time.Duration
	rss, hwm int64 // bytes
}

// readProc reads /proc/<pid>/stat and status; pid 0 is this process.
func readProc(pid int) (procStats, error) {
	p := "self"
	if pid > 0 {
		p = strconv.Itoa(pid)
	}
	var ps procStats
	data, err := os.ReadFile("/proc/" + p + "/stat")
	if err != nil {
		return ps, err
	}
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+2:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return ps, fmt.Errorf("unexpected /proc/%s/stat", p)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	ps.cpu = time.Duration(ut+st) * (time.Second / 100) // USER_HZ is 100 on Linux
	status, err := os.ReadFile("/proc/" + p + "/status")
	if err != nil {
		return ps, err
	}
	for _, l := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			ps.rss = kb << 10
		case "VmHWM":
			ps.hwm = kb << 10
		}
	}
	return ps, nil
}

// sampler follows the peak memory of processes while a run lasts.
type sampler struct {
	mu   sync.Mutex
	peak map[int]int64
}

func (s *sampler) run(ctx context.Context, pids []int) {
	s.peak = map[int]int64{}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		for _, pid := range pids {
			if ps, err := readProc(pid); err == nil {
				s.mu.Lock()
				s.peak[pid] = max(s.peak[pid], ps.rss, ps.hwm)
				s.mu.Unlock()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
