package fleetsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// LoadOptions adjust `lifeline sim load`.
type LoadOptions struct {
	// Sites is the number of emulated sites (each holds its push
	// connection open and heartbeats).
	Sites int
	// Heartbeat is every site's heartbeat interval (default 30s).
	Heartbeat time.Duration
	// Duration of the run (default 5m).
	Duration time.Duration
	// Store is sqlite (default) or postgres; DSN the PostgreSQL server
	// (a schema is created for the run and dropped after it).
	Store string
	DSN   string
	// Fleets is the number of fleet processes (more than one needs
	// PostgreSQL); sites are spread over them as by a load balancer.
	Fleets int
	// PerConn is how many sites share one HTTP/2 connection, as behind a
	// load balancer that multiplexes (1: every site its own connection,
	// heartbeat and long-poll multiplexed on it).
	PerConn int
	// MemoryLimit is the fleet processes' memory_limit ("": none).
	MemoryLimit string
	// BroadcastAt is when the broadcast is sent (default: half-way).
	BroadcastAt time.Duration
	// Exe and Args start a fleet process (the program's serving mode,
	// given the configuration file as the last argument); Exe "" runs
	// the fleets in this process (then CPU and memory include the
	// emulated sites).
	Exe  string
	Args []string
	// Dir keeps the run's files; empty: a temporary folder, removed.
	Dir string
	Log *slog.Logger
	// Progress, when set, receives a line now and then.
	Progress io.Writer
}

// SlowSecond is one second of a run with slow heartbeats.
type SlowSecond struct {
	At         int     `json:"at_s"`
	Heartbeats int     `json:"heartbeats"`
	Slow       int     `json:"over_100ms"`
	MaxMs      float64 `json:"max_ms"`
}

// LoadReport is what a load run measured.
type LoadReport struct {
	Sites   int    `json:"sites"`
	Fleets  int    `json:"fleets"`
	Store   string `json:"store"`
	PerConn int    `json:"sites_per_connection"`
	// MemoryLimit is the fleet's memory_limit in the run ("": none).
	MemoryLimit string `json:"fleet_memory_limit,omitempty"`
	Conns       int    `json:"connections"`
	Heartbeat   string `json:"heartbeat"`
	Duration    string `json:"duration"`
	InProcess   bool   `json:"in_process"`
	// Heartbeats sent and answered; latency from the site's side.
	Heartbeats     int64   `json:"heartbeats"`
	HeartbeatP50ms float64 `json:"heartbeat_p50_ms"`
	HeartbeatP99ms float64 `json:"heartbeat_p99_ms"`
	HeartbeatMaxms float64 `json:"heartbeat_max_ms"`
	Polls          int64   `json:"polls"`
	// Errors counts failed heartbeats, polls and receipts.
	Errors       int64            `json:"errors"`
	ErrorKinds   map[string]int64 `json:"error_kinds,omitempty"`
	ErrorSamples []string         `json:"error_samples,omitempty"`
	// Connected is the number of sites holding their push connection
	// when the broadcast was sent; Reached how many got it in the run.
	Connected int `json:"connected"`
	Reached   int `json:"reached"`
	// Broadcast50/99/100ms: time from sending until the broadcast was on
	// 50 %, 99 % and 100 % of the connected sites (-1: not reached).
	Broadcast50ms  float64 `json:"broadcast_50_ms"`
	Broadcast99ms  float64 `json:"broadcast_99_ms"`
	Broadcast100ms float64 `json:"broadcast_100_ms"`
	// Delivered is the fleet's own count of receipts at the end.
	Delivered int `json:"delivered_counted_by_fleet"`
	// FleetCPU is the fleet processes' CPU time during the run, also as
	// a share of one core; FleetPeakMB their peak resident memory (the
	// largest process's).
	FleetCPUSeconds float64 `json:"fleet_cpu_seconds"`
	FleetCPUCores   float64 `json:"fleet_cpu_cores"`
	FleetPeakMB     float64 `json:"fleet_peak_mb"`
	SimCPUSeconds   float64 `json:"sim_cpu_seconds"`
	SimPeakMB       float64 `json:"sim_peak_mb"`
	FileLimit       uint64  `json:"file_limit"`
	// SimNice is set when the emulator ran at lower CPU priority than the
	// fleet processes.
	SimNice      bool    `json:"sim_lower_priority"`
	SetupSeconds float64 `json:"setup_seconds"`
	// SlowSeconds are the seconds of the run (from its start) in which a
	// heartbeat took longer than 100 ms: where the latency comes from.
	SlowSeconds []SlowSecond `json:"slow_seconds,omitempty"`
	CPUs        int          `json:"cpus"`
}

func (o *LoadOptions) defaults() error {
	if o.Sites < 1 {
		return errors.New("--sites must be at least 1")
	}
	if o.Heartbeat == 0 {
		o.Heartbeat = 30 * time.Second
	}
	if o.Heartbeat < time.Second {
		return errors.New("--heartbeat must be at least 1s")
	}
	if o.Duration == 0 {
		o.Duration = 5 * time.Minute
	}
	if o.Duration < 2*time.Second {
		return errors.New("--duration must be at least 2s")
	}
	switch o.Store {
	case "", "sqlite":
		o.Store = "sqlite"
	case "postgres":
		if o.DSN == "" {
			o.DSN = os.Getenv("LIFELINE_TEST_POSTGRES")
		}
		if o.DSN == "" {
			o.DSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		}
	default:
		return fmt.Errorf("--store %q: use sqlite or postgres", o.Store)
	}
	if o.Fleets < 1 {
		o.Fleets = 1
	}
	if o.Fleets > 1 && o.Store != "postgres" {
		return errors.New("several fleet processes need --store postgres")
	}
	if o.PerConn < 1 {
		o.PerConn = 1
	}
	if o.BroadcastAt <= 0 || o.BroadcastAt >= o.Duration {
		o.BroadcastAt = o.Duration / 2
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// RunLoad runs `lifeline sim load`: a fleet of Fleets processes on the
// chosen store, Sites emulated sites that each hold their long-poll open
// and heartbeat every Heartbeat for Duration over real HTTP, and one
// broadcast to all sites at BroadcastAt. It measures heartbeat latency,
// errors, the fleet's CPU and peak memory, and how fast the broadcast
// reached the connected sites.
func RunLoad(ctx context.Context, o LoadOptions) (LoadReport, error) {
	if err := o.defaults(); err != nil {
		return LoadReport{}, err
	}
	rep := LoadReport{Sites: o.Sites, Fleets: o.Fleets, Store: o.Store, PerConn: o.PerConn, MemoryLimit: o.MemoryLimit, Heartbeat: o.Heartbeat.String(),
		Duration: o.Duration.String(), InProcess: o.Exe == "", CPUs: runtime.NumCPU(), FileLimit: RaiseFileLimit()}
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "lifeline-sim-load-*")
		if err != nil {
			return rep, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	progress := func(format string, args ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, time.Now().Format("15:04:05 ")+format+"\n", args...)
		}
	}
	setup := time.Now()
	progress("preparing %d sites on %s", o.Sites, o.Store)
	lf, sites, err := prepareFleet(ctx, o, dir, o.Log)
	if err != nil {
		return rep, err
	}
	if err := lf.startFleets(ctx, o.Fleets, o.Exe, o.Args, dir, o.Log); err != nil {
		_ = lf.stop(o)
		return rep, err
	}
	defer func() { _ = lf.stop(o) }()
	rep.SetupSeconds = time.Since(setup).Seconds()
	if !rep.InProcess {
		// The emulator is not under test: it yields the CPU to the fleet
		// processes (started already, at normal priority) and collects
		// its garbage less often.
		rep.SimNice = lowerPriority()
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}

	// One HTTP/2 (h2c) transport per connection group; the groups are
	// spread over the fleet processes as by a load balancer.
	rec := newRecorder()
	ls := make([]*loadSite, len(sites))
	var transports []*http.Transport
	for i := range sites {
		g := i / o.PerConn
		if g == len(transports) {
			transports = append(transports, h2cTransport())
		}
		ls[i] = &loadSite{id: sites[i].id, token: sites[i].token, base: lf.procs[g%len(lf.procs)].url,
			hc: &http.Client{Transport: transports[g], Timeout: 2 * time.Minute}}
	}
	rep.Conns = len(transports)
	defer func() {
		for _, t := range transports {
			t.CloseIdleConnections()
		}
	}()
	var pids []int
	for _, p := range lf.procs {
		if p.pid > 0 {
			pids = append(pids, p.pid)
		}
	}
	before := map[int]procStats{}
	for _, pid := range append([]int{0}, pids...) {
		before[pid], _ = readProc(pid)
	}
	runCtx, stopRun := context.WithTimeout(ctx, o.Duration)
	defer stopRun()
	var smp sampler
	smpCtx, stopSmp := context.WithCancel(ctx)
	defer stopSmp()
	smpDone := make(chan struct{})
	go func() { defer close(smpDone); smp.run(smpCtx, append([]int{0}, pids...)) }()
	progress("running %s: %d sites, %d connections, %d fleet process(es)", o.Duration, o.Sites, rep.Conns, len(lf.procs))
	var wg sync.WaitGroup
	start := time.Now()
	for _, s := range ls {
		wg.Add(1)
		offset := time.Duration(rand.Int64N(int64(min(o.Heartbeat, o.BroadcastAt/2))))
		go func() {
			defer wg.Done()
			s.run(runCtx, offset, o.Heartbeat, rec)
		}()
	}

	// The broadcast, half-way.
	var sentAt time.Time
	var bcID int64
	bcErr := make(chan error, 1)
	go func() {
		sleepCtx(runCtx, time.Until(start.Add(o.BroadcastAt)))
		if runCtx.Err() != nil {
			bcErr <- nil
			return
		}
		for _, s := range ls {
			if s.connected.Load() {
				rep.Connected++
			}
		}
		sentAt = time.Now()
		id, err := sendBroadcast(runCtx, lf.procs[0].url, lf.apiToken)
		bcID = id
		progress("broadcast %d sent to %d connected sites", id, rep.Connected)
		bcErr <- err
	}()
	tick := time.NewTicker(30 * time.Second)
loop:
	for {
		select {
		case <-runCtx.Done():
			break loop
		case <-tick.C:
			progress("%s: %d heartbeats, %d errors", time.Since(start).Round(time.Second), rec.hbs.Load(), rec.errors)
		}
	}
	tick.Stop()
	wg.Wait()
	if err := <-bcErr; err != nil {
		return rep, fmt.Errorf("send the broadcast: %w", err)
	}
	after := map[int]procStats{}
	for _, pid := range append([]int{0}, pids...) {
		after[pid], _ = readProc(pid)
	}
	stopSmp()
	<-smpDone
	elapsed := time.Since(start)

	rep.SlowSeconds = rec.slowSeconds(start, 100*time.Millisecond)
	lat := rec.sorted()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	rep.Heartbeats, rep.Polls = rec.hbs.Load(), rec.polls.Load()
	rep.HeartbeatP50ms, rep.HeartbeatP99ms = ms(percentile(lat, 0.50)), ms(percentile(lat, 0.99))
	if len(lat) > 0 {
		rep.HeartbeatMaxms = ms(lat[len(lat)-1])
	}
	rec.mu.Lock()
	rep.Errors, rep.ErrorSamples = rec.errors, rec.samples
	if len(rec.kinds) > 0 {
		rep.ErrorKinds = rec.kinds
	}
	rec.mu.Unlock()
	var got []time.Duration
	for _, s := range ls {
		if t := s.got.Load(); t != 0 {
			got = append(got, time.Unix(0, t).Sub(sentAt))
		}
	}
	slices.Sort(got)
	rep.Reached = len(got)
	reach := func(p float64) float64 {
		need := int(float64(rep.Connected)*p + 0.999999)
		if need == 0 || len(got) < need {
			return -1
		}
		return ms(got[need-1])
	}
	rep.Broadcast50ms, rep.Broadcast99ms, rep.Broadcast100ms = reach(0.5), reach(0.99), reach(1)
	if bcID != 0 {
		if c, err := broadcastCounted(ctx, lf.procs[len(lf.procs)-1].url, lf.apiToken, bcID); err == nil {
			rep.Delivered = c
		}
	}
	var cpu time.Duration
	for _, pid := range pids {
		cpu += after[pid].cpu - before[pid].cpu
		rep.FleetPeakMB = max(rep.FleetPeakMB, float64(smp.peak[pid])/(1<<20))
	}
	rep.SimCPUSeconds = (after[0].cpu - before[0].cpu).Seconds()
	rep.SimPeakMB = float64(smp.peak[0]) / (1 << 20)
	if rep.InProcess { // the fleet shares this process
		rep.FleetPeakMB = rep.SimPeakMB
		cpu = after[0].cpu - before[0].cpu
	}
	rep.FleetCPUSeconds = cpu.Seconds()
	rep.FleetCPUCores = cpu.Seconds() / elapsed.Seconds()
	return rep, nil
}

// h2cTransport is one HTTP/2 connection without TLS (prior knowledge),
// on which its sites multiplex heartbeats and long-polls.
func h2cTransport() *http.Transport {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &http.Transport{Protocols: &p, DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 1, IdleConnTimeout: 5 * time.Minute,
		HTTP2: &http.HTTP2Config{MaxConcurrentStreams: 1000, PingTimeout: 30 * time.Second}}
}

// sendBroadcast sends the run's broadcast through the hotline API.
func sendBroadcast(ctx context.Context, base, token string) (int64, error) {
	body, _ := json.Marshal(map[string]any{"title": "Lasttest: Hinweis an alle Standorte", "text": "Bitte ignorieren: Dies ist ein Lasttest.",
		"steps": []string{"Nichts tun."}, "severity": "info", "selector": map[string]any{"all": true}, "hours": 1})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/broadcasts", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var out struct {
		ID    int64  `json:"id"`
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != http.StatusCreated {
		return 0, fmt.Errorf("status %d: %s", resp.StatusCode, out.Error)
	}
	return out.ID, nil
}

// broadcastCounted returns the fleet's count of sites that received it.
func broadcastCounted(ctx context.Context, base, token string, id int64) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/v1/broadcasts/%d", base, id), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var out struct {
		Counts struct {
			Delivered int `json:"delivered"`
		} `json:"counts"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return 0, err
	}
	return out.Counts.Delivered, nil
}

// Words summarises a report in plain lines (German first).
func (r LoadReport) Words() string {
	var b strings.Builder
	where := "eigener Prozess"
	if r.InProcess {
		where = "im selben Prozess wie die Standorte"
	}
	fmt.Fprintf(&b, "%d Standorte, Heartbeat alle %s, %s, %s, %d Fleet-Prozess(e) (%s), %d Verbindungen (%d Standorte je Verbindung), %d CPUs\n",
		r.Sites, r.Heartbeat, r.Duration, r.Store, r.Fleets, where, r.Conns, r.PerConn, r.CPUs)
	fmt.Fprintf(&b, "Heartbeats: %d, Latenz p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", r.Heartbeats, r.HeartbeatP50ms, r.HeartbeatP99ms, r.HeartbeatMaxms)
	fmt.Fprintf(&b, "Fehler: %d", r.Errors)
	if len(r.ErrorKinds) > 0 {
		keys := make([]string, 0, len(r.ErrorKinds))
		for k := range r.ErrorKinds {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%d", k, r.ErrorKinds[k])
		}
	}
	b.WriteString("\n")
	for _, s := range r.ErrorSamples {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	pct := func(v float64) string {
		if v < 0 {
			return "nicht erreicht"
		}
		return fmt.Sprintf("%.0f ms", v)
	}
	fmt.Fprintf(&b, "Nachricht: %d verbundene Standorte; 50 %% nach %s, 99 %% nach %s, 100 %% nach %s; erreicht %d, von der Fleet gezählt %d\n",
		r.Connected, pct(r.Broadcast50ms), pct(r.Broadcast99ms), pct(r.Broadcast100ms), r.Reached, r.Delivered)
	limit := "keins"
	if r.MemoryLimit != "" {
		limit = r.MemoryLimit
	}
	fmt.Fprintf(&b, "Fleet: CPU %.1f s (%.2f Kerne), Spitze Speicher %.0f MB (memory_limit %s); Simulation: CPU %.1f s, Spitze %.0f MB; Dateilimit %d\n",
		r.FleetCPUSeconds, r.FleetCPUCores, r.FleetPeakMB, limit, r.SimCPUSeconds, r.SimPeakMB, r.FileLimit)
	for _, x := range r.SlowSeconds {
		fmt.Fprintf(&b, "  Sekunde %d: %d von %d Heartbeats über 100 ms, max %.0f ms\n", x.At, x.Slow, x.Heartbeats, x.MaxMs)
	}
	return b.String()
}
