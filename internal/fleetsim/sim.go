// Package fleetsim is `lifeline sim fleet`: it starts a real fleet server
// (SQLite, TUF, HTTP on 127.0.0.1) and N emulated site agents that talk
// to it over HTTP with the real site client (enrolment, heartbeats,
// long-poll, TUF verification, reports), rolls a release out on a
// simulated clock that jumps over quiet hours, and measures what the
// rollout did: installs, failures, silent sites, rollbacks, whether and
// when it halted, and the blast radius. The same release is then rolled
// out all at once to an identical fresh fleet, as the baseline.
//
// Scenarios: good-update (every site fine), failing-update (a share of
// the sites reports failure and rolls back by itself), bricking-update (a
// share of the sites reboots into a dead server and is never heard of
// again: the CrowdStrike case).
//
// It is also `lifeline sim load` (RunLoad): thousands of emulated sites
// that hold their push connection open and heartbeat, against one or more
// fleet processes (started as copies of the program, so that their CPU
// and memory are measured apart), with one broadcast to all of them.
package fleetsim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/fleetapp"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
	"github.com/lifeline-project/lifeline/internal/fleet/tufrepo"
	"github.com/lifeline-project/lifeline/internal/fleetclient"
	"github.com/lifeline-project/lifeline/internal/rollout"
)

// Scenario names what the release does to the sites.
type Scenario string

// Scenarios.
const (
	GoodUpdate     Scenario = "good-update"
	FailingUpdate  Scenario = "failing-update"
	BrickingUpdate Scenario = "bricking-update"
)

// Scenarios lists the scenarios.
var Scenarios = []Scenario{GoodUpdate, FailingUpdate, BrickingUpdate}

// component is the emulated sites' updated component.
const component = "erp"

// Options adjust a simulation.
type Options struct {
	Sites    int
	Scenario Scenario
	// Share of the sites the release breaks (default 0.2 failing, 0.5
	// bricking, 0 good).
	Share float64
	// TestSites pinned to the test ring (default 0.5 % of the sites, at
	// least 3).
	TestSites int
	// Seed makes the choice of broken sites and of the ring order
	// repeatable.
	Seed string
	// Rings of the staged rollout (default rollout.DefaultRings).
	Rings []rollout.Ring
	// HeartbeatInterval and DeadManDeadline of the fleet (default 5 min
	// and 15 min: fewer heartbeats than the 30 s of production keep the
	// simulation fast; the deadline is production's).
	HeartbeatInterval, DeadManDeadline time.Duration
	// MaxDays bounds the simulated time (default 30).
	MaxDays int
	// Workers run the agents' steps in parallel (default 32).
	Workers int
	// Dir holds the fleets' data; empty: a temporary folder, removed after.
	Dir string
	Log *slog.Logger
}

// Result is what one rollout did.
type Result struct {
	Sites int `json:"sites"`
	// RingsCompleted counts the rings that passed their gate.
	RingsCompleted int `json:"rings_completed"`
	// Installed counts the sites that began installing the release.
	Installed int `json:"installed"`
	// Failed, Silent and RolledBack count the sites the fleet saw fail,
	// fall silent after their install, and report a finished rollback.
	Failed     int  `json:"failed"`
	Silent     int  `json:"silent"`
	RolledBack int  `json:"rolled_back"`
	Halted     bool `json:"halted"`
	// BlastRadius is the share of all sites, in percent, that installed
	// the release.
	BlastRadius float64 `json:"blast_radius"`
	// MinutesToHalt is from the first install anywhere to the halt;
	// null when the rollout did not halt.
	MinutesToHalt *float64 `json:"minutes_to_halt"`
	// Status is the rollout's final status; Reason its last reason.
	Status string `json:"status"`
	Reason string `json:"reason"`
	// SimulatedHours is the simulated time the rollout took.
	SimulatedHours float64 `json:"simulated_hours"`
	// Requests counts the HTTP calls of the agents (heartbeats, reports,
	// TUF downloads; long-polls not counted).
	Requests int64 `json:"requests"`
}

// Report is the outcome of a simulation: the staged rollout and the
// all-at-once baseline of the same release.
type Report struct {
	Scenario Scenario `json:"scenario"`
	Share    float64  `json:"share"`
	Result
	Baseline    Result  `json:"baseline"`
	WallSeconds float64 `json:"wall_seconds"`
}

// AllAtOnce is the baseline plan: one ring with every site, gated like the
// default broad ring.
var AllAtOnce = []rollout.Ring{{Name: "all", Percent: 100, Soak: 24 * time.Hour, MaxFailureRatio: 0.05, MinReportShare: 0.8}}

func (o *Options) defaults() error {
	if o.Sites < 1 {
		return errors.New("--sites must be at least 1")
	}
	switch o.Scenario {
	case GoodUpdate, FailingUpdate, BrickingUpdate:
	default:
		return fmt.Errorf("unknown scenario %q; use good-update, failing-update or bricking-update", o.Scenario)
	}
	if o.Share == 0 {
		switch o.Scenario {
		case FailingUpdate:
			o.Share = 0.2
		case BrickingUpdate:
			o.Share = 0.5
		}
	}
	if o.Share < 0 || o.Share > 1 {
		return errors.New("--share must be between 0 and 1")
	}
	if o.TestSites == 0 {
		o.TestSites = max(3, o.Sites/200)
	}
	o.TestSites = min(o.TestSites, o.Sites)
	if o.Seed == "" {
		o.Seed = "lifeline"
	}
	if o.HeartbeatInterval == 0 {
		o.HeartbeatInterval = 5 * time.Minute
	}
	if o.DeadManDeadline == 0 {
		o.DeadManDeadline = 15 * time.Minute
	}
	if o.MaxDays == 0 {
		o.MaxDays = 30
	}
	if o.Workers == 0 {
		o.Workers = 32
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Run simulates the staged rollout and the all-at-once baseline.
func Run(ctx context.Context, o Options) (Report, error) {
	if err := o.defaults(); err != nil {
		return Report{}, err
	}
	start := time.Now()
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "lifeline-sim-fleet-")
		if err != nil {
			return Report{}, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	rings := o.Rings
	if rings == nil {
		rings = rollout.DefaultRings(nil)
	}
	staged, err := runOne(ctx, o, filepath.Join(dir, "staged"), rings)
	if err != nil {
		return Report{}, fmt.Errorf("staged rollout: %w", err)
	}
	base, err := runOne(ctx, o, filepath.Join(dir, "all-at-once"), AllAtOnce)
	if err != nil {
		return Report{}, fmt.Errorf("all-at-once rollout: %w", err)
	}
	return Report{Scenario: o.Scenario, Share: o.Share, Result: staged, Baseline: base, WallSeconds: time.Since(start).Seconds()}, nil
}

// Start is the simulated clock's start: Monday 15 June 2026, 12:00 in
// Berlin, a week without public holidays in any German state.
var Start = time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)

// fateOf decides, from the seed and the site id, what the release does to
// the site: the same sites break in the staged and the baseline rollout.
func fateOf(o Options, id string) fate {
	h := fnv.New64a()
	h.Write([]byte(o.Seed + "\x00" + id))
	if float64(h.Sum64()%1_000_000)/1_000_000 >= o.Share {
		return fateOK
	}
	if o.Scenario == BrickingUpdate {
		return fateBrick
	}
	if o.Scenario == FailingUpdate {
		return fateFail
	}
	return fateOK
}

// runOne starts a fresh fleet with the sites and rolls the release out in
// rings.
func runOne(ctx context.Context, o Options, dir string, rings []rollout.Ring) (Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	clk := clock.NewFake(Start)
	cfg, err := fleet.BuildConfig(fleet.Config{Listen: "127.0.0.1:0", DataDir: filepath.Join(dir, "fleet"),
		HeartbeatInterval: check.Duration(o.HeartbeatInterval), DeadManDeadline: check.Duration(o.DeadManDeadline),
		FlushInterval: check.Duration(time.Second), PlannerInterval: check.Duration(time.Second)}, filepath.Join(dir, "fleet.yaml"))
	if err != nil {
		return Result{}, err
	}
	if err := fleetapp.InitKeys(ctx, cfg, clk, o.Log); err != nil {
		return Result{}, err
	}
	app, err := fleetapp.Open(ctx, fleetapp.Options{Config: cfg, Log: o.Log, Clock: clk, Version: "sim"})
	if err != nil {
		return Result{}, err
	}
	defer app.Close()
	if err := app.Listen("127.0.0.1:0"); err != nil {
		return Result{}, err
	}
	if err := app.Start(ctx); err != nil {
		return Result{}, err
	}
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx) }()
	defer func() { cancel(); <-served }()
	svc := app.Service

	// The sites, created as an administrator would import them.
	sites := make([]fleet.Site, o.Sites)
	states := []string{"BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP", "SL", "SN", "ST", "SH", "TH"}
	for i := range sites {
		sites[i] = fleet.Site{ID: fmt.Sprintf("apo-%05d", i), Name: fmt.Sprintf("Apotheke %d", i), Timezone: "Europe/Berlin",
			State: states[i%len(states)], Window: "täglich 01:00-05:00"}
		if i < o.TestSites {
			sites[i].Ring = "test"
		}
	}
	codes, err := svc.AddSites(ctx, "sim", sites)
	if err != nil {
		return Result{}, err
	}
	tr := &http.Transport{MaxIdleConns: 2*o.Sites + 64, MaxIdleConnsPerHost: 2*o.Sites + 64, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	agents := make([]*agent, len(codes))
	byID := map[string]*agent{}
	var requests atomic.Int64
	err = parallel(ctx, o.Workers, len(codes), func(i int) error {
		c, err := fleetclient.New(fleetclient.Options{Config: fleetclient.Config{URL: app.URL(), EnrolmentCode: codes[i].Code},
			Dir: filepath.Join(dir, "sites", codes[i].SiteID), HTTPClient: hc, Clock: clk, AgentVersion: "sim"})
		if err != nil {
			return err
		}
		if _, err := c.Enrol(ctx); err != nil {
			return fmt.Errorf("enrol %s: %w", codes[i].SiteID, err)
		}
		requests.Add(1)
		h := fnv.New32a()
		h.Write([]byte(codes[i].SiteID))
		agents[i] = &agent{id: codes[i].SiteID, c: c, fate: fateOf(o, codes[i].SiteID), alive: true, version: "2026.1", oldVer: "2026.1",
			jitter:   time.Duration(h.Sum32()%uint32(maxJitter/time.Second)) * time.Second,
			received: map[int64]bool{}, installs: map[int64]protocol.Command{}}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	for _, a := range agents {
		byID[a.id] = a
	}
	pollErrs := make(chan error, 16)
	var wg sync.WaitGroup
	for _, a := range agents {
		wg.Add(1)
		go func() { defer wg.Done(); a.poll(ctx, pollErrs) }()
	}
	defer wg.Wait()
	defer cancel()

	rel, err := publish(ctx, app)
	if err != nil {
		return Result{}, err
	}
	// Every site reports in once before the rollout starts.
	if _, err := stepAgents(ctx, o, agents, clk.Now(), &requests); err != nil {
		return Result{}, err
	}
	if err := svc.Flush(ctx); err != nil {
		return Result{}, err
	}
	expected := map[string]int{}
	rec, err := svc.StartRollout(ctx, "sim", rel.ID, fleet.StartOptions{Rings: rings, Seed: o.Seed})
	if err != nil {
		return Result{}, err
	}
	cmds, err := app.Store.Commands(ctx, rec.ID, "")
	if err != nil {
		return Result{}, err
	}
	for _, c := range cmds {
		expected[c.SiteID]++
	}
	if err := awaitDelivery(ctx, byID, expected, pollErrs); err != nil {
		return Result{}, err
	}

	end := Start.Add(time.Duration(o.MaxDays) * 24 * time.Hour)
	var stoppedAt time.Time
	lastAction := clk.Now()
	for clk.Now().Before(end) {
		now := clk.Now()
		acted, err := stepAgents(ctx, o, agents, now, &requests)
		if err != nil {
			return Result{}, err
		}
		if acted {
			lastAction = now
		}
		if err := svc.Flush(ctx); err != nil {
			return Result{}, err
		}
		res, err := svc.Tick(ctx)
		if err != nil {
			return Result{}, err
		}
		for id, n := range res.Commands {
			expected[id] += n
		}
		if err := awaitDelivery(ctx, byID, expected, pollErrs); err != nil {
			return Result{}, err
		}
		cur, err := app.Store.Rollout(ctx, rec.ID)
		if err != nil {
			return Result{}, err
		}
		if !cur.Active() || cur.Status == fleet.RolloutHalted {
			if stoppedAt.IsZero() {
				stoppedAt = now
			}
			// Let the rollbacks play out for an hour, then stop.
			if cur.Status == fleet.RolloutDone || now.Sub(stoppedAt) >= time.Hour {
				break
			}
		}
		next := nextStep(agents, now, o.HeartbeatInterval)
		// After an install began or ended, keep minute steps until the
		// dead-man deadline has surely passed, so that a silence is seen
		// within a minute of when the fleet can see it.
		if now.Sub(lastAction) < o.DeadManDeadline+o.HeartbeatInterval+2*time.Minute || !stoppedAt.IsZero() {
			next = now.Add(time.Minute)
		}
		clk.Set(next)
	}
	return measure(ctx, svc, rec.ID, o.Sites, clk.Now(), requests.Load())
}

// nextStep returns when the simulation next needs to look: in a minute
// while installs are due or under way, else at the next install's start,
// at most four hours on (all living sites heartbeat at every step, so the
// fleet never sees a false silence).
func nextStep(agents []*agent, now time.Time, hb time.Duration) time.Time {
	next := now.Add(4 * time.Hour)
	for _, a := range agents {
		at, ok := a.nextAction(hb)
		if !ok {
			continue
		}
		if !at.After(now.Add(time.Minute)) {
			return now.Add(time.Minute)
		}
		if at.Before(next) {
			next = at
		}
	}
	return next
}

// stepAgents lets every agent act at now, in parallel; it reports
// whether any began, finished or rolled back an install.
func stepAgents(ctx context.Context, o Options, agents []*agent, now time.Time, requests *atomic.Int64) (bool, error) {
	var acted atomic.Bool
	err := parallel(ctx, o.Workers, len(agents), func(i int) error {
		n, did, err := agents[i].step(ctx, now, o.HeartbeatInterval)
		requests.Add(int64(n))
		if did {
			acted.Store(true)
		}
		return err
	})
	return acted.Load(), err
}

// awaitDelivery waits (real time, at most a minute) until every living
// site has received its expected commands through its long-poll.
func awaitDelivery(ctx context.Context, agents map[string]*agent, expected map[string]int, errs <-chan error) error {
	deadline := time.Now().Add(time.Minute)
	for {
		missing := ""
		for id, n := range expected {
			a := agents[id]
			if a == nil || !a.isAlive() {
				continue
			}
			if a.receivedCount() < n {
				missing = id
				break
			}
		}
		if missing == "" {
			return nil
		}
		select {
		case err := <-errs:
			return err
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("site %s did not receive its commands within a minute", missing)
		}
	}
}

// parallel runs fn(0..n-1) on workers goroutines and returns the first
// error.
func parallel(ctx context.Context, workers, n int, fn func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// measure reads the rollout's outcome from the fleet's own view.
func measure(ctx context.Context, svc *fleet.Service, id int64, sites int, now time.Time, requests int64) (Result, error) {
	v, err := svc.RolloutView(ctx, id)
	if err != nil {
		return Result{}, err
	}
	r := Result{Sites: sites, Installed: v.Installed, Status: v.Record.Status, Reason: v.State.Reason.In("en"),
		SimulatedHours: now.Sub(v.Record.CreatedAt).Hours(), Requests: requests}
	var firstInstall time.Time
	for _, rv := range v.Rings {
		r.RolledBack += rv.Counts[fleet.StatusRolledBack]
		for _, s := range rv.Sites {
			switch s.Result {
			case rollout.ResultFailed:
				r.Failed++
			case rollout.ResultSilent:
				r.Silent++
			}
			if !s.Started.IsZero() && (firstInstall.IsZero() || s.Started.Before(firstInstall)) {
				firstInstall = s.Started
			}
		}
	}
	for _, e := range v.State.Events {
		switch e.Kind {
		case rollout.EventRingPassed:
			r.RingsCompleted++
		case rollout.EventHalted:
			r.Halted = true
			if !firstInstall.IsZero() {
				m := e.At.Sub(firstInstall).Minutes()
				r.MinutesToHalt = &m
			}
		}
	}
	r.BlastRadius = 100 * float64(r.Installed) / float64(max(sites, 1))
	return r, nil
}

// publish stores the release's artifact and signs it into the repository.
func publish(ctx context.Context, app *fleetapp.App) (fleet.Release, error) {
	artifact := []byte("erp 2026.2 installer (simulated)\n")
	sum, n, err := tufrepo.StoreArtifact(app.Config.TargetsDir(), bytes.NewReader(artifact), 1<<20)
	if err != nil {
		return fleet.Release{}, err
	}
	return app.Service.PublishRelease(ctx, "sim", fleet.Release{Component: component, Version: "2026.2", Artifact: "erp-setup.msi",
		Length: n, SHA256: sum, InstallHook: "install", RollbackHook: "rollback", Notes: "simulated release"})
}
