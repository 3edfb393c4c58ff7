package fleetapp_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/fleetapp"
	"github.com/lifeline-project/lifeline/internal/fleet/postgres"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
	"github.com/lifeline-project/lifeline/internal/fleet/tufrepo"
	"github.com/lifeline-project/lifeline/internal/fleetclient"
	"github.com/lifeline-project/lifeline/internal/rollout"
)

// EnvDSN names the environment variable with the test database's DSN.
const EnvDSN = "LIFELINE_TEST_POSTGRES"

func baseDSN() string {
	if v := os.Getenv(EnvDSN); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// schemaDSN creates a random schema and returns a DSN whose connections
// use it, named app (application_name, to find a process's connections).
func schemaDSN(t *testing.T) func(app string) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "fleetscale_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, baseDSN())
	if err != nil {
		t.Fatalf("PostgreSQL for the replica test is not reachable at %s (set %s to its DSN): %v", baseDSN(), EnvDSN, err)
	}
	_, err = c.Exec(ctx, "CREATE SCHEMA "+schema)
	c.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := postgres.DropSchema(ctx, baseDSN(), schema); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	return func(app string) string {
		u, err := url.Parse(baseDSN())
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		q.Set("application_name", app)
		u.RawQuery = q.Encode()
		return u.String()
	}
}

// process is one fleet process: its own store (connection pool), service
// and HTTP server.
type process struct {
	name  string
	app   *fleetapp.App
	srv   *httptest.Server
	stop  context.CancelFunc
	alive atomic.Bool
}

// lb is the load balancer in front of the processes: each site (by its
// token) sticks to one process, assigned round-robin, while that one
// lives, else the next live one.
type lb struct {
	ps  []*process
	srv *httptest.Server

	mu     sync.Mutex
	sticky map[string]int
}

func newLB(ps []*process) *lb {
	l := &lb{ps: ps, sticky: map[string]int{}}
	quiet := stdlog.New(io.Discard, "", 0)
	l.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Authorization")
		l.mu.Lock()
		start, ok := l.sticky[key]
		if !ok {
			start = len(l.sticky) % len(ps)
			if key != "" {
				l.sticky[key] = start
			}
		}
		l.mu.Unlock()
		for i := range ps {
			p := ps[(start+i)%len(ps)]
			if !p.alive.Load() {
				continue
			}
			target, _ := url.Parse(p.srv.URL)
			rp := httputil.NewSingleHostReverseProxy(target)
			rp.FlushInterval = -1
			rp.ErrorLog = quiet
			rp.ServeHTTP(w, r)
			return
		}
		http.Error(w, "no fleet process alive", http.StatusBadGateway)
	}))
	return l
}

func startProcesses(t *testing.T, n int, clk *clock.Fake) []*process {
	t.Helper()
	dsn := schemaDSN(t)
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	cfgFor := func(name string) *fleet.Config {
		cfg, err := fleet.BuildConfig(fleet.Config{DataDir: filepath.Join(dir, "data"), DSN: dsn(name), Listen: "127.0.0.1:0",
			PublicURL: "http://127.0.0.1:1", HeartbeatInterval: check.Duration(30 * time.Second)}, filepath.Join(dir, "fleet.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	ctx := context.Background()
	if err := fleetapp.InitKeys(ctx, cfgFor("fleet-init"), clk, log); err != nil {
		t.Fatal(err)
	}
	var ps []*process
	for i := range n {
		name := fmt.Sprintf("fleet-%c", 'a'+i)
		app, err := fleetapp.Open(ctx, fleetapp.Options{Config: cfgFor(name), Log: log, Clock: clk,
			AuthOptions: []auth.Option{auth.WithHashParams(auth.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})}})
		if err != nil {
			t.Fatalf("open %s: %v", name, err)
		}
		pctx, stop := context.WithCancel(ctx)
		if err := app.Start(pctx); err != nil {
			t.Fatal(err)
		}
		p := &process{name: name, app: app, srv: httptest.NewServer(app.Server.Handler()), stop: stop}
		p.alive.Store(true)
		t.Cleanup(func() { p.kill(t) })
		ps = append(ps, p)
	}
	return ps
}

// kill ends a process the hard way: its HTTP connections drop, and the
// database ends every session it held (as when its machine dies), which
// frees its advisory locks.
func (p *process) kill(t *testing.T) {
	if !p.alive.Swap(false) {
		return
	}
	p.srv.Listener.Close() // no new connections between dropping and closing
	p.srv.CloseClientConnections()
	p.srv.Close()
	p.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, baseDSN())
	if err != nil {
		t.Errorf("kill %s: %v", p.name, err)
		return
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, p.name); err != nil {
		t.Errorf("kill %s: %v", p.name, err)
	}
	p.app.Close()
}

// site is an emulated site: the real client with its inbox, through the
// load balancer.
type site struct {
	id   string
	c    *fleetclient.Client
	in   *fleetclient.Inbox
	stop func()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 40 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waiting(ps []*process) (n int, per []int) {
	for _, p := range ps {
		w := 0
		if p.alive.Load() {
			w = p.app.Service.Waiting()
		}
		per = append(per, w)
		n += w
	}
	return n, per
}

// TestThreeProcesses runs three fleet processes on one PostgreSQL behind
// a load balancer with nine sites:
//   - a broadcast sent through one process reaches the sites whose
//     long-polls are held by the others (LISTEN/NOTIFY);
//   - the planner's process dies while it holds the planner lock: another
//     process takes over planning, and no site gets a duplicate command;
//   - the sites of the dead process reconnect to the others and lose
//     nothing: a broadcast sent after the death reaches all nine.
func TestThreeProcesses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Second)
	defer cancel()
	clk := clock.NewFake(time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC))
	ps := startProcesses(t, 3, clk)
	a, b, c := ps[0], ps[1], ps[2]
	balancer := newLB(ps)
	defer balancer.srv.Close()

	var ns []fleet.Site
	for i := range 9 {
		ns = append(ns, fleet.Site{ID: fmt.Sprintf("apo-%d", i), Name: fmt.Sprintf("Apotheke %d", i), Timezone: "Europe/Berlin",
			State: "BY", Window: "täglich 01:00-05:00"})
	}
	codes, err := a.app.Service.AddSites(ctx, "admin", ns)
	if err != nil {
		t.Fatal(err)
	}
	var sites []*site
	var wg sync.WaitGroup
	for i, code := range codes {
		cl, err := fleetclient.New(fleetclient.Options{Config: fleetclient.Config{URL: balancer.srv.URL, EnrolmentCode: code.Code},
			Dir: filepath.Join(t.TempDir(), fmt.Sprint(i)), Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		in, err := fleetclient.OpenInbox(cl)
		if err != nil {
			t.Fatal(err)
		}
		rctx, stop := context.WithCancel(ctx)
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl.Run(rctx, func() protocol.Heartbeat { return protocol.Heartbeat{Overall: "ok"} },
				func(context.Context, protocol.Command) error { return nil })
		}()
		sites = append(sites, &site{id: code.SiteID, c: cl, in: in, stop: stop})
	}
	defer func() {
		for _, s := range sites {
			s.stop()
		}
		wg.Wait()
	}()
	waitFor(t, "nine long-polls spread over the processes", func() bool {
		n, per := waiting(ps)
		return n == 9 && per[0] > 0 && per[1] > 0 && per[2] > 0
	})
	_, per := waiting(ps)
	t.Logf("long-polls per process: %v", per)

	// 1. A broadcast sent through a reaches the sites held by b and c.
	bc, err := a.app.Service.SendBroadcast(ctx, "anna", fleet.Broadcast{Title: "Kasse startet nicht", Text: "Cache löschen.",
		Selector: fleet.Selector{All: true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the broadcast at all nine sites", func() bool {
		for _, s := range sites {
			if _, ok := s.in.Message(bc.ID); !ok {
				return false
			}
		}
		return true
	})
	waitFor(t, "nine receipts, counted through c", func() bool {
		n, _ := c.app.Service.BroadcastCounts(ctx, bc.ID)
		return n.Delivered == 9
	})

	// 2. The planner's process dies while it holds the planner lock.
	sum, n, _ := tufrepo.StoreArtifact(a.app.Config.TargetsDir(), strings.NewReader("MSI"), 10)
	rel, err := a.app.Service.PublishRelease(ctx, "rita", fleet.Release{Component: "erp", Version: "2026.2", Artifact: "erp.msi",
		Length: n, SHA256: sum, InstallHook: "install", RollbackHook: "rollback"})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := a.app.Service.StartRollout(ctx, "rita", rel.ID, fleet.StartOptions{
		Rings: []rollout.Ring{{Name: "eins", Sites: []string{"apo-0", "apo-1", "apo-2"}, Soak: time.Hour, MaxFailureRatio: 1},
			{Name: "alle", Percent: 100, MaxFailureRatio: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	unlock, ok, err := a.app.Store.TryPlannerLock(ctx)
	if err != nil || !ok {
		t.Fatalf("a takes the planner lock: %v %v", ok, err)
	}
	_ = unlock // never called: a dies holding it
	if res, err := b.app.Service.Tick(ctx); err != nil || res.Planned {
		t.Fatalf("b plans while a holds the lock: planned %v, %v; want skipped", res.Planned, err)
	}
	killed := time.Now()
	a.kill(t)
	clk.Advance(24 * time.Hour) // ring one's slot tonight passed and soaked: the next round sends the rest
	// b and c race for every round, until the database has ended a's
	// session (and its lock) and one of them plans; then a few rounds more.
	var planned atomic.Int32
	deadline := time.Now().Add(20 * time.Second)
	for rounds := 0; rounds < 3; {
		var tickWG sync.WaitGroup
		for _, p := range []*process{b, c} {
			tickWG.Add(1)
			go func() {
				defer tickWG.Done()
				res, err := p.app.Service.Tick(ctx)
				if err != nil {
					t.Errorf("tick on %s: %v", p.name, err)
				}
				if res.Planned {
					planned.Add(1)
				}
			}()
		}
		tickWG.Wait()
		if planned.Load() > 0 {
			if rounds == 0 {
				t.Logf("planning taken over %s after the kill", time.Since(killed).Round(time.Millisecond))
			}
			rounds++
		} else if time.Now().After(deadline) {
			t.Fatal("after a died, neither b nor c planned within 20 s")
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
	cmds, err := c.app.Store.Commands(ctx, rec.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	installs := map[string]int{}
	for _, cmd := range cmds {
		if cmd.Kind == fleet.CommandInstall {
			installs[cmd.SiteID]++
		}
	}
	if len(installs) != 9 {
		t.Errorf("installs: got %d sites; want all nine (the rings continued after a died)", len(installs))
	}
	for id, k := range installs {
		if k != 1 {
			t.Errorf("site %s: got %d install commands; want exactly 1", id, k)
		}
	}

	// 3. The sites of a moved to b and c and lose nothing.
	waitFor(t, "nine long-polls on b and c", func() bool { n, _ := waiting(ps); return n == 9 })
	bc2, err := c.app.Service.SendBroadcast(ctx, "anna", fleet.Broadcast{Title: "Kasse wieder in Ordnung", Text: "Update 2026.2 behebt es.",
		Selector: fleet.Selector{All: true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the second broadcast at all nine sites", func() bool {
		for _, s := range sites {
			if _, ok := s.in.Message(bc2.ID); !ok {
				return false
			}
		}
		return true
	})
	waitFor(t, "every install command delivered", func() bool {
		cmds, _ := b.app.Store.Commands(ctx, rec.ID, "")
		for _, cmd := range cmds {
			if cmd.AckedAt.IsZero() {
				return false
			}
		}
		return len(cmds) >= 9
	})
}
