//go:build !windows

package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/fleetclient"
	"github.com/lifeline-project/lifeline/internal/monitor"
	"github.com/lifeline-project/lifeline/internal/probe"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
)

// childEnv switches the test binary into the agent child process.
const childEnv = "LIFELINE_AGENT_CHILD"

func TestMain(m *testing.M) {
	if cfg := os.Getenv(childEnv); cfg != "" {
		os.Exit(childMain(cfg))
	}
	os.Exit(m.Run())
}

// childConfig is what the parent test tells the child agent.
type childConfig struct {
	FleetURL  string
	SiteDir   string
	ERPURL    string
	ClockFile string
	// CrashAt names the point after whose state write the child kills
	// itself with SIGKILL: a state, or "installing+hook" (the hook's mark
	// is on disk, the hook has not run) or "rolling_back+hook".
	CrashAt string
	Config  Config
}

// fileClock reads the time from a file the parent writes, so that the
// parent's fake clock reaches into the child.
type fileClock struct{ path string }

func (c fileClock) Now() time.Time {
	b, err := os.ReadFile(c.path)
	if err != nil {
		panic(err)
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
	if err != nil {
		panic(err)
	}
	return t
}

// crashPoint reports whether f is the state to die at.
func crashPoint(at string, f File) bool {
	u := f.Current
	if u == nil {
		return false
	}
	switch at {
	case "installing":
		return u.State == Installing && !u.HookStarted
	case "installing+hook":
		return u.State == Installing && u.HookStarted
	case "rolling_back":
		return u.State == RollingBack && u.RollbackAttempts == 0
	case "rolling_back+hook":
		return u.State == RollingBack && u.RollbackAttempts == 1
	}
	return string(u.State) == at
}

// childMain runs a real site agent in this process: the fleet client's
// command loop, the monitor probing the ERP every 20 ms, and the agent.
func childMain(cfgFile string) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	b, err := os.ReadFile(cfgFile)
	if err != nil {
		return fail(err)
	}
	var cc childConfig
	if err := json.Unmarshal(b, &cc); err != nil {
		return fail(err)
	}
	clk := fileClock{cc.ClockFile}
	ctx := context.Background()
	client, err := fleetclient.New(fleetclient.Options{Config: fleetclient.Config{URL: cc.FleetURL}, Dir: filepath.Join(cc.SiteDir, "fleet"), Clock: clk})
	if err != nil {
		return fail(err)
	}
	spec := check.Spec{ID: "erp", Name: "Warenwirtschaft", Kind: check.KindHTTP, URL: cc.ERPURL + "/health",
		Interval: check.Duration(10 * time.Second), Timeout: check.Duration(2 * time.Second), FailAfter: 1, RecoverAfter: 1}
	spec.ApplyDefaults()
	probers, err := probe.All([]check.Spec{spec}, testLog())
	if err != nil {
		return fail(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(cc.SiteDir, fmt.Sprintf("child-%d.db", os.Getpid())))
	if err != nil {
		return fail(err)
	}
	mon, err := monitor.New(monitor.Config{Specs: []check.Spec{spec}, Probers: probers, Store: sqlite.NewMonitorStore(db), Clock: clk, Log: testLog()})
	if err != nil {
		return fail(err)
	}
	mon.ProbeOnce(ctx, "erp", probers["erp"])
	go func() {
		for {
			time.Sleep(20 * time.Millisecond)
			mon.ProbeOnce(ctx, "erp", probers["erp"])
		}
	}()
	repo, err := NewTUFRepository(TUFOptions{BaseURL: cc.FleetURL, Clock: clk, Dir: filepath.Join(cc.SiteDir, "agent", "tuf"),
		Token: func() (string, error) {
			b, err := os.ReadFile(filepath.Join(cc.SiteDir, "fleet", fleetclient.TokenFile))
			return strings.TrimSpace(string(b)), err
		},
		TrustedRoot: func() ([]byte, error) { return os.ReadFile(filepath.Join(cc.SiteDir, "fleet", fleetclient.RootFile)) }})
	if err != nil {
		return fail(err)
	}
	o := Options{Config: cc.Config, Dir: filepath.Join(cc.SiteDir, "agent"), Fleet: client, Repo: repo, Health: mon.Overview,
		Clock: clk, Log: testLog(), Poll: 5 * time.Millisecond}
	if cc.CrashAt != "" {
		o.AfterSave = func(f File) {
			if crashPoint(cc.CrashAt, f) {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {}
			}
		}
	}
	a, err := New(o)
	if err != nil {
		return fail(err)
	}
	go func() {
		for {
			cmds, err := client.Poll(ctx, time.Second)
			if err != nil {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			for _, c := range cmds {
				if a.HandleCommand(ctx, c) == nil {
					client.Ack(ctx, c.ID)
				}
			}
		}
	}()
	a.Run(ctx)
	return 0
}

// child is a started child agent.
type child struct {
	cmd *exec.Cmd
	// done is closed when the child ended, with its Wait error in err.
	done chan struct{}
	err  error
	out  *strings.Builder
}

// startChild starts the test binary as a child agent.
func (w *world) startChild(t *testing.T, erpURL, clockFile, crashAt string, cfg Config) *child {
	t.Helper()
	cc := childConfig{FleetURL: w.url, SiteDir: w.siteDir, ERPURL: erpURL, ClockFile: clockFile, CrashAt: crashAt, Config: cfg}
	b, err := json.Marshal(cc)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(w.siteDir, fmt.Sprintf("child-%d.json", time.Now().UnixNano()))
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+p)
	out := &strings.Builder{}
	lw := &lockedWriter{w: out}
	cmd.Stdout, cmd.Stderr = lw, lw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, done: make(chan struct{}), out: out}
	go func() { c.err = cmd.Wait(); close(c.done) }()
	t.Cleanup(func() { c.kill() })
	return c
}

type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// kill sends SIGKILL and waits for the child.
func (c *child) kill() {
	if c.cmd.Process != nil {
		c.cmd.Process.Signal(syscall.SIGKILL)
	}
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
	}
}

// waitKilled waits for the child to die by SIGKILL.
func (c *child) waitKilled(t *testing.T) {
	t.Helper()
	select {
	case <-c.done:
		err := c.err
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("child ended with %v; want killed", err)
		}
		if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("child ended with %v; want SIGKILL\n%s", err, c.out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the child did not reach its crash point")
	}
}

// setClock sets the fleet's clock and the child's clock file.
func (w *world) setClock(t *testing.T, file string, tm time.Time) {
	t.Helper()
	w.env.Clock.Set(tm)
	if err := writeAtomic(file, []byte(tm.UTC().Format(time.RFC3339Nano)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// diskState reads the child's state file.
func (w *world) diskState(t *testing.T) File {
	t.Helper()
	f, err := loadState(filepath.Join(w.siteDir, "agent"))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestCrashResumes kills the agent process with SIGKILL right after it
// wrote each state (and at the install and rollback hook's marks), starts
// it again and checks that the update ends as it should, with the install
// hook run once at most.
func TestCrashResumes(t *testing.T) {
	tests := []struct {
		crashAt      string
		breaks       bool // the install breaks the ERP: the gate fails
		wantResult   string
		wantInstall  int
		wantRollback int
	}{
		{"scheduled", false, ResultCommitted, 1, 0},
		{"downloading", false, ResultCommitted, 1, 0},
		{"verifying", false, ResultCommitted, 1, 0},
		{"waiting_for_window", false, ResultCommitted, 1, 0},
		{"installing", false, ResultCommitted, 1, 0},
		// The mark is on disk: the hook may have run. It is not run again;
		// the update is rolled back.
		{"installing+hook", false, ResultRolledBack, 0, 1},
		{"health_gate", false, ResultCommitted, 1, 0},
		{"committed", false, ResultCommitted, 1, 0},
		{"rolling_back", true, ResultRolledBack, 1, 1},
		{"rolling_back+hook", true, ResultRolledBack, 1, 1},
		{"rolled_back", true, ResultRolledBack, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.crashAt, func(t *testing.T) {
			w := newWorld(t)
			install := ""
			if tt.breaks {
				install = "touch broken"
			}
			w.hooksWith(t, install, "rm -f broken")
			erp := erpServer(t, w.hooks)
			clockFile := filepath.Join(w.siteDir, "clock.txt")
			w.setClock(t, clockFile, slotStart.Add(time.Minute))
			w.start(t, w.publish(t, "24.3", []byte("WinApo 24.3")))
			cfg := w.config()

			c := w.startChild(t, erp.URL, clockFile, tt.crashAt, cfg)
			if !tt.breaks {
				w.overGate(t, clockFile, c)
			}
			c.waitKilled(t)
			if f := w.diskState(t); !crashPoint(tt.crashAt, f) {
				t.Fatalf("state on disk after the crash: %+v; want %s", f.Current, tt.crashAt)
			}
			c = w.startChild(t, erp.URL, clockFile, "", cfg)
			w.finish(t, clockFile)
			c.kill()

			f := w.diskState(t)
			if len(f.History) != 1 || f.Current != nil {
				t.Fatalf("history: got %d updates, current %v; want 1 finished", len(f.History), f.Current)
			}
			u := f.History[0]
			if u.Result != tt.wantResult || w.count("install") != tt.wantInstall || w.count("rollback") != tt.wantRollback {
				t.Errorf("got %s with %d install and %d rollback runs (%s); want %s, %d, %d", u.Result,
					w.count("install"), w.count("rollback"), u.Reason.DE, tt.wantResult, tt.wantInstall, tt.wantRollback)
			}
			final := map[string]string{ResultCommitted: "installed", ResultRolledBack: "rolled_back"}[tt.wantResult]
			w.waitReport(t, "install", final)
		})
	}
}

// overGate moves the clocks over the health gate when the child gets
// there before it dies.
func (w *world) overGate(t *testing.T, clockFile string, c *child) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-c.done:
			return
		default:
		}
		if f, err := loadState(filepath.Join(w.siteDir, "agent")); err == nil && f.Current != nil && f.Current.State == HealthGate {
			w.setClock(t, clockFile, w.env.Clock.Now().Add(DefaultGateDuration))
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// finish drives the child's update to its end: it moves the clocks over
// the health gate once the child is in it, and waits until the update is
// finished and its reports are delivered.
func (w *world) finish(t *testing.T, clockFile string) {
	t.Helper()
	moved := false
	waitFor(t, "the update to finish", func() bool {
		f, err := loadState(filepath.Join(w.siteDir, "agent"))
		if err != nil {
			return false
		}
		if f.Current != nil && f.Current.State == HealthGate && !moved {
			w.setClock(t, clockFile, w.env.Clock.Now().Add(DefaultGateDuration))
			moved = true
		}
		return f.Current == nil && len(f.History) > 0 && len(f.Outbox) == 0
	})
}

// TestKillDuringInstallHook kills the agent while its install hook runs:
// the hook dies with it, and the next start rolls back instead of running
// the install again.
func TestKillDuringInstallHook(t *testing.T) {
	w := newWorld(t)
	w.hooksWith(t, `touch started
i=0; while [ ! -f go ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
touch finished`, "rm -f broken")
	erp := erpServer(t, w.hooks)
	clockFile := filepath.Join(w.siteDir, "clock.txt")
	w.setClock(t, clockFile, slotStart.Add(time.Minute))
	w.start(t, w.publish(t, "24.3", []byte("WinApo 24.3")))
	c := w.startChild(t, erp.URL, clockFile, "", w.config())
	waitFor(t, "the install hook", func() bool { _, err := os.Stat(filepath.Join(w.hooks, "started")); return err == nil })
	c.cmd.Process.Signal(syscall.SIGKILL)
	c.waitKilled(t)
	// The hook died with the agent: releasing it now changes nothing.
	if err := os.WriteFile(filepath.Join(w.hooks, "go"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := os.Stat(filepath.Join(w.hooks, "finished")); err == nil {
		t.Fatal("the install hook outlived the killed agent")
	}
	c = w.startChild(t, erp.URL, clockFile, "", w.config())
	w.finish(t, clockFile)
	c.kill()
	u := w.diskState(t).History[0]
	interrupted := false
	for _, tr := range u.Transitions {
		interrupted = interrupted || tr.From == Installing && tr.To == RollingBack && strings.Contains(tr.Note.DE, "unterbrochen")
	}
	if u.Result != ResultRolledBack || w.count("install") != 1 || w.count("rollback") != 1 || !interrupted {
		t.Errorf("got %s, %d install and %d rollback runs, %+v; want rolled back after one install run", u.Result, w.count("install"), w.count("rollback"), u.Transitions)
	}
}
