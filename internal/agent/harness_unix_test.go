//go:build !windows

package agent

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/fleettest"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
	"github.com/lifeline-project/lifeline/internal/fleet/tufrepo"
	"github.com/lifeline-project/lifeline/internal/fleetclient"
	"github.com/lifeline-project/lifeline/internal/monitor"
	"github.com/lifeline-project/lifeline/internal/probe"
	"github.com/lifeline-project/lifeline/internal/rollout"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
)

// oneRing is a rollout plan with a single ring holding every site.
var oneRing = []rollout.Ring{{Name: "alle", Percent: 100, Soak: time.Hour, MaxFailureRatio: 0.5, MinReportShare: 0.5}}

// testLog is the agent's log in tests: stderr with LIFELINE_TEST_LOG=1.
func testLog() *slog.Logger {
	if os.Getenv("LIFELINE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.DiscardHandler)
}

func tctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

// dated serves h with the Date header from clk, so that the fleet's clock
// as the site sees it is the fake clock (net/http would send the real
// time). cut, when set, makes the first artifact download end after that
// many bytes, for the resume test; ranges records the Range headers of
// artifact requests.
type dated struct {
	h      http.Handler
	clk    clock.Clock
	cut    atomic.Int64
	mu     sync.Mutex
	ranges []string
}

func (d *dated) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Date", d.clk.Now().UTC().Format(http.TimeFormat))
	if strings.HasPrefix(r.URL.Path, protocol.PathTargets) {
		d.mu.Lock()
		d.ranges = append(d.ranges, r.Header.Get("Range"))
		d.mu.Unlock()
		if n := d.cut.Swap(0); n > 0 {
			rec := httptest.NewRecorder()
			d.h.ServeHTTP(rec, r)
			w.Header().Set("Content-Length", rec.Header().Get("Content-Length"))
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes()[:n])
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
				}
			}
			return
		}
	}
	d.h.ServeHTTP(w, r)
}

// erpServer is a simulated ERP server whose health endpoint fails while
// the file "broken" exists in dir: the hooks break and repair it.
func erpServer(t testing.TB, dir string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := os.Stat(filepath.Join(dir, "broken")); err == nil {
			http.Error(w, "database gone", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// world is a real fleet with one enrolled site.
type world struct {
	env    *fleettest.Env
	front  *dated
	url    string
	siteID string
	client *fleetclient.Client
	// siteDir is the site's data folder; hooks its hook folder.
	siteDir string
	hooks   string
	mon     *monitor.Monitor
	prober  check.Prober
}

// newWorld starts a fleet and enrols the site apo-1 (window daily
// 01:00-05:00, like the agent's).
func newWorld(t testing.TB) *world {
	t.Helper()
	env := fleettest.New(t, nil)
	w := &world{env: env, front: &dated{h: env.App.Server.Handler(), clk: env.Clock}, siteID: "apo-1"}
	srv := httptest.NewServer(w.front)
	t.Cleanup(srv.Close)
	w.url = srv.URL
	codes := env.AddSites(t, fleet.Site{ID: w.siteID, Window: "täglich 01:00-05:00"})
	w.siteDir = filepath.Join(env.Dir, "site")
	w.hooks = filepath.Join(w.siteDir, "hooks")
	if err := os.MkdirAll(w.hooks, 0o700); err != nil {
		t.Fatal(err)
	}
	c, err := fleetclient.New(fleetclient.Options{Config: fleetclient.Config{URL: w.url, EnrolmentCode: codes[w.siteID]},
		Dir: filepath.Join(w.siteDir, "fleet"), Clock: env.Clock, AgentVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Enrol(tctx(t)); err != nil {
		t.Fatalf("enrol: %v", err)
	}
	w.client = c
	// The site's monitor with one real HTTP check of the simulated ERP.
	erp := erpServer(t, w.hooks)
	spec := check.Spec{ID: "erp", Name: "Warenwirtschaft", Kind: check.KindHTTP, URL: erp.URL + "/health",
		Interval: check.Duration(10 * time.Second), Timeout: check.Duration(2 * time.Second), FailAfter: 1, RecoverAfter: 1}
	spec.ApplyDefaults()
	probers, err := probe.All([]check.Spec{spec}, testLog())
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(tctx(t), filepath.Join(w.siteDir, "site.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w.mon, err = monitor.New(monitor.Config{Specs: []check.Spec{spec}, Probers: probers, Store: sqlite.NewMonitorStore(db), Clock: env.Clock, Log: testLog()})
	if err != nil {
		t.Fatal(err)
	}
	w.prober = probers["erp"]
	w.probe(t)
	return w
}

// probe runs the ERP check once.
func (w *world) probe(t testing.TB) check.State {
	t.Helper()
	w.mon.ProbeOnce(tctx(t), "erp", w.prober)
	c, _ := w.mon.Overview().Check("erp")
	return c.State
}

// repo returns a TUF repository for the site with clk.
func (w *world) repo(t testing.TB, clk clock.Clock) *TUFRepository {
	t.Helper()
	r, err := NewTUFRepository(TUFOptions{BaseURL: w.url, Clock: clk, Dir: filepath.Join(w.siteDir, "agent", "tuf"),
		Token: func() (string, error) {
			b, err := os.ReadFile(filepath.Join(w.siteDir, "fleet", fleetclient.TokenFile))
			return strings.TrimSpace(string(b)), err
		},
		TrustedRoot: func() ([]byte, error) { return os.ReadFile(filepath.Join(w.siteDir, "fleet", fleetclient.RootFile)) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// config returns the agent configuration with the component erp and the
// hooks install.sh and rollback.sh in the hook folder.
func (w *world) config() Config {
	c := Config{Window: "täglich 01:00-05:00", State: "NW", Components: []Component{{
		Name: "erp", Title: "WinApo", Version: "24.2",
		Install: filepath.Join(w.hooks, "install.sh"), Rollback: filepath.Join(w.hooks, "rollback.sh"),
		HookTimeout: check.Duration(time.Minute), GateChecks: []string{"erp"},
	}}}
	c.ApplyDefaults()
	return c
}

// hooksWith writes the install and rollback hooks; every run appends a
// line to install.count or rollback.count.
func (w *world) hooksWith(t testing.TB, install, rollback string) {
	t.Helper()
	writeHook(t, w.hooks, "install.sh", `echo "$LIFELINE_VERSION $LIFELINE_PREVIOUS_VERSION $LIFELINE_ATTEMPT" >> install.count`+"\n"+install)
	writeHook(t, w.hooks, "rollback.sh", `echo "$LIFELINE_VERSION $LIFELINE_PREVIOUS_VERSION $LIFELINE_ATTEMPT" >> rollback.count`+"\n"+rollback)
}

// count returns the runs of a hook ("install" or "rollback").
func (w *world) count(name string) int {
	b, _ := os.ReadFile(filepath.Join(w.hooks, name+".count"))
	return strings.Count(string(b), "\n")
}

// publish stores an artifact and publishes a release of erp.
func (w *world) publish(t testing.TB, version string, artifact []byte) fleet.Release {
	t.Helper()
	sum, n, err := tufrepo.StoreArtifact(w.env.App.Config.TargetsDir(), bytes.NewReader(artifact), 1<<24)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := w.env.Service().PublishRelease(tctx(t), "anna", fleet.Release{Component: "erp", Version: version,
		Artifact: "winapo-setup.exe", Length: n, SHA256: sum, InstallHook: "install", RollbackHook: "rollback"})
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return rel
}

// start starts a rollout of rel over the site.
func (w *world) start(t testing.TB, rel fleet.Release) fleet.RolloutRecord {
	t.Helper()
	rec, err := w.env.Service().StartRollout(tctx(t), "anna", rel.ID, fleet.StartOptions{Rings: oneRing})
	if err != nil {
		t.Fatalf("start rollout: %v", err)
	}
	return rec
}

// running is an agent running in the test, with the site's command loop.
type running struct {
	*Agent
	cancel context.CancelFunc
	done   chan struct{}
}

// run starts an agent and a loop that long-polls the fleet for commands
// and hands them to it, as fleetclient.Run does (heartbeats are sent by
// the test, after it moves the clock).
func (w *world) run(t testing.TB, o Options) *running {
	t.Helper()
	if o.Dir == "" {
		o.Dir = filepath.Join(w.siteDir, "agent")
	}
	if o.Fleet == nil {
		o.Fleet = w.client
	}
	if o.Clock == nil {
		o.Clock = w.env.Clock
	}
	if o.Repo == nil {
		o.Repo = w.repo(t, o.Clock)
	}
	if o.Health == nil {
		o.Health = w.mon.Overview
	}
	if o.Log == nil {
		o.Log = testLog()
	}
	if o.Poll == 0 {
		o.Poll = 5 * time.Millisecond
	}
	if o.Config.Window == "" {
		o.Config = w.config()
	}
	a, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Agent: a, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				cmds, err := w.client.Poll(ctx, time.Second)
				if err != nil {
					time.Sleep(20 * time.Millisecond)
					continue
				}
				for _, c := range cmds {
					if a.HandleCommand(ctx, c) == nil {
						w.client.Ack(ctx, c.ID)
					}
				}
			}
		}()
		a.Run(ctx)
		wg.Wait()
	}()
	t.Cleanup(r.stop)
	return r
}

// stop ends the agent and waits for it.
func (r *running) stop() {
	r.cancel()
	<-r.done
}

// heartbeat sends the site's heartbeat now.
func (w *world) heartbeat(t testing.TB, a *Agent) {
	t.Helper()
	hb := fleetclient.FromOverview(w.mon.Overview(), time.UTC, a.Components(), a.Status())
	if _, err := w.client.SendHeartbeat(tctx(t), hb); err != nil {
		t.Fatalf("heartbeat: %v", err)
	}
}

// waitFor polls cond (real time, at most 30 s).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitState waits until the agent's update is in state s.
func waitState(t testing.TB, a *Agent, s StateID) {
	t.Helper()
	waitFor(t, "state "+string(s), func() bool { return a.currentState() == s })
}

// waitResult waits until the agent's n-th finished update has a result and
// returns it.
func waitResult(t testing.TB, a *Agent, n int) Update {
	t.Helper()
	var u Update
	waitFor(t, "a finished update", func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		if len(a.f.History) < n || a.f.Current != nil {
			return false
		}
		u = a.f.History[n-1].clone()
		return true
	})
	return u
}

// reports returns the site's reports at the fleet, oldest first, as
// "kind:status".
func (w *world) reports(t testing.TB) []fleet.Report {
	t.Helper()
	rs, err := w.env.App.Store.SiteReports(tctx(t), w.siteID, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
		rs[i], rs[j] = rs[j], rs[i]
	}
	return rs
}

// waitReport waits until the fleet has a report with status about a
// command of kind and returns it.
func (w *world) waitReport(t testing.TB, kind, status string) fleet.Report {
	t.Helper()
	var got fleet.Report
	waitFor(t, "report "+kind+" "+status, func() bool {
		for _, r := range w.reports(t) {
			if r.Kind == kind && r.Status == status {
				got = r
				return true
			}
		}
		return false
	})
	return got
}
