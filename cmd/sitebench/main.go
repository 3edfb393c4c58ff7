// Command sitebench measures the site node under load: N http checks at a
// fixed interval against local targets served by a child process, for a
// given duration. It prints the site process's CPU share and peak memory,
// the detection latency from breaking a target to its state "down" (p50,
// p99) beside the bound interval x fail_after + timeout, and the size of the
// history database after 48 hours of results of all checks, written through
// the real store in the monitor's 5-minute chunks.
//
//	go run ./cmd/sitebench -checks 1000 -interval 10s -duration 5m
//
// It uses getrusage and runs on Linux (the figures in docs/benchmarks.md
// come from this machine).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/config"
	"github.com/lifeline-project/lifeline/internal/monitor"
	"github.com/lifeline-project/lifeline/internal/siteapp"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "targets" {
		serveTargets(os.Args[2:])
		return
	}
	var o options
	flag.IntVar(&o.checks, "checks", 1000, "number of checks")
	flag.DurationVar(&o.interval, "interval", 10*time.Second, "probe interval")
	flag.DurationVar(&o.duration, "duration", 5*time.Minute, "how long to run")
	flag.DurationVar(&o.breakEvery, "break-every", 3*time.Second, "how often to break a target")
	flag.IntVar(&o.servers, "servers", 10, "target HTTP servers in the child process")
	flag.BoolVar(&o.jsonOut, "json", false, "print JSON")
	flag.BoolVar(&o.skipHistory, "skip-history", false, "skip the 48 h history size measurement")
	flag.Parse()
	res, err := run(context.Background(), o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sitebench:", err)
		os.Exit(1)
	}
	if o.jsonOut {
		json.NewEncoder(os.Stdout).Encode(res)
		return
	}
	res.print(os.Stdout)
}

type options struct {
	checks      int
	interval    time.Duration
	duration    time.Duration
	breakEvery  time.Duration
	servers     int
	jsonOut     bool
	skipHistory bool
}

// Result holds the figures of one run.
type Result struct {
	Checks          int     `json:"checks"`
	IntervalS       float64 `json:"interval_s"`
	DurationS       float64 `json:"duration_s"`
	Probes          int64   `json:"probes"`
	CPUPercentCore  float64 `json:"cpu_percent_of_one_core"`
	PeakRSSMB       float64 `json:"peak_rss_mb"`
	Breaks          int     `json:"breaks"`
	Detected        int     `json:"detected"`
	DetectP50S      float64 `json:"detect_p50_s"`
	DetectP99S      float64 `json:"detect_p99_s"`
	DetectMaxS      float64 `json:"detect_max_s"`
	BoundS          float64 `json:"bound_s"`
	History48hMB    float64 `json:"history_48h_mb"`
	History48hRows  int64   `json:"history_48h_results"`
	HistoryWriteSec float64 `json:"history_48h_write_s"`
	LoadAvg         string  `json:"load_average"`
	GoHeapMB        float64 `json:"go_heap_inuse_mb"`
	GoSysMB         float64 `json:"go_sys_mb"`
}

func (r Result) print(w io.Writer) {
	fmt.Fprintf(w, "checks %d, interval %.0fs, ran %.0fs, %d probes\n", r.Checks, r.IntervalS, r.DurationS, r.Probes)
	fmt.Fprintf(w, "site process CPU: %.2f %% of one core; peak RSS %.1f MB (Go heap in use %.1f MB, from the OS %.1f MB; load average at the end %s)\n", r.CPUPercentCore, r.PeakRSSMB, r.GoHeapMB, r.GoSysMB, r.LoadAvg)
	fmt.Fprintf(w, "detection: %d of %d breaks detected; p50 %.1f s, p99 %.1f s, max %.1f s; bound interval x fail_after + timeout = %.1f s\n",
		r.Detected, r.Breaks, r.DetectP50S, r.DetectP99S, r.DetectMaxS, r.BoundS)
	if r.History48hRows > 0 {
		fmt.Fprintf(w, "history database after 48 h of %d results: %.1f MB (written in %.1f s)\n", r.History48hRows, r.History48hMB, r.HistoryWriteSec)
	}
}

func run(ctx context.Context, o options) (Result, error) {
	res := Result{Checks: o.checks, IntervalS: o.interval.Seconds(), DurationS: o.duration.Seconds()}
	dir, err := os.MkdirTemp("", "sitebench-*")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)

	// Targets in a child process, so that their CPU and memory are not
	// counted as the site's.
	exe, err := os.Executable()
	if err != nil {
		return res, err
	}
	child := exec.Command(exe, "targets", strconv.Itoa(o.servers))
	child.Stderr = os.Stderr
	out, err := child.StdoutPipe()
	if err != nil {
		return res, err
	}
	if err := child.Start(); err != nil {
		return res, err
	}
	defer func() { child.Process.Kill(); child.Wait() }()
	var addrs struct {
		Control string   `json:"control"`
		Targets []string `json:"targets"`
	}
	if err := json.NewDecoder(out).Decode(&addrs); err != nil {
		return res, fmt.Errorf("targets did not start: %w", err)
	}

	timeout := 2 * time.Second
	specs := make([]check.Spec, o.checks)
	for i := range specs {
		specs[i] = check.Spec{
			ID: fmt.Sprintf("c%04d", i), Name: fmt.Sprintf("Ziel %d", i), Kind: check.KindHTTP,
			URL:      fmt.Sprintf("http://%s/t/%d", addrs.Targets[i%len(addrs.Targets)], i),
			Interval: check.Duration(o.interval), Timeout: check.Duration(timeout), FailAfter: 2, RecoverAfter: 2,
		}
	}
	cfg, err := config.Build(config.Site{DataDir: filepath.Join(dir, "site"), Listen: "127.0.0.1:0", Checks: specs}, filepath.Join(dir, "bench.yaml"))
	if err != nil {
		return res, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	app, err := siteapp.Open(ctx, siteapp.Options{Config: cfg, Log: log})
	if err != nil {
		return res, err
	}
	defer app.Close()
	if err := app.Listen("127.0.0.1:0"); err != nil {
		return res, err
	}

	var mu sync.Mutex
	broken := map[string]time.Time{}
	var latencies []time.Duration
	app.Monitor.OnTransition(func(tr check.Transition, _ monitor.Overview) {
		if tr.To != check.StateDown {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if at, ok := broken[tr.CheckID]; ok {
			latencies = append(latencies, tr.At.Sub(at))
			delete(broken, tr.CheckID)
		}
	})
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- app.Run(runCtx) }()

	// Warm up: let every check run once and settle, then measure.
	time.Sleep(o.interval + 2*time.Second)
	cpu0 := cpuTime()
	wall0 := time.Now()
	breaks := 0
	ticker := time.NewTicker(o.breakEvery)
	end := time.After(o.duration)
	client := &http.Client{Timeout: 5 * time.Second}
	control := func(action string, i int) error {
		resp, err := client.Post(fmt.Sprintf("http://%s/%s?i=%d", addrs.Control, action, i), "text/plain", nil)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	healAt := map[int]time.Time{}
loop:
	for {
		select {
		case <-end:
			break loop
		case now := <-ticker.C:
			for i, at := range healAt { // heal targets whose outage was detected
				if now.After(at) {
					control("heal", i)
					delete(healAt, i)
				}
			}
			i := rand.IntN(o.checks)
			id := fmt.Sprintf("c%04d", i)
			mu.Lock()
			_, busy := broken[id]
			mu.Unlock()
			if _, healing := healAt[i]; busy || healing {
				continue
			}
			if c, _ := app.Monitor.Overview().Check(id); c.State != check.StateOK {
				continue
			}
			if err := control("break", i); err != nil {
				return res, err
			}
			mu.Lock()
			broken[id] = time.Now()
			mu.Unlock()
			breaks++
			healAt[i] = time.Now().Add(3 * o.interval)
		}
	}
	wall := time.Since(wall0)
	cpu := cpuTime() - cpu0
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		res.LoadAvg = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	// Give the last breaks the time the bound allows before counting.
	bound := time.Duration(2)*o.interval + timeout
	for deadline := time.Now().Add(bound + 2*time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		mu.Lock()
		n := len(broken)
		mu.Unlock()
		if n == 0 {
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		return res, err
	}
	res.Probes = int64(float64(o.checks) * wall.Seconds() / o.interval.Seconds())
	res.CPUPercentCore = 100 * cpu.Seconds() / wall.Seconds()
	res.PeakRSSMB = peakRSSMB() // before the history phase, which is not the site's work
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.GoHeapMB = float64(ms.HeapInuse) / 1e6
	res.GoSysMB = float64(ms.Sys) / 1e6
	if path := os.Getenv("SITEBENCH_MEMPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	res.Breaks = breaks
	mu.Lock()
	res.Detected = len(latencies)
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	if n := len(latencies); n > 0 {
		res.DetectP50S = latencies[n/2].Seconds()
		res.DetectP99S = latencies[min(n-1, n*99/100)].Seconds()
		res.DetectMaxS = latencies[n-1].Seconds()
	}
	mu.Unlock()
	res.BoundS = bound.Seconds()
	if !o.skipHistory {
		if err := historySize(ctx, dir, o, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// historySize writes 48 hours of results of every check through the real
// store, in the monitor's 5-minute chunks with realistic latencies and an
// occasional failure, compacts, and measures the database file.
func historySize(ctx context.Context, dir string, o options, res *Result) error {
	db, err := sqlite.Open(ctx, filepath.Join(dir, "history.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	st := sqlite.NewMonitorStore(db)
	start := time.Now().Add(-48 * time.Hour).Truncate(time.Hour)
	perFlush := int(5 * time.Minute / o.interval)
	flushes := int(48 * time.Hour / (5 * time.Minute))
	began := time.Now()
	r := rand.New(rand.NewPCG(1, 2))
	batch := make([]monitor.Sample, 0, o.checks*perFlush)
	for f := 0; f < flushes; f++ {
		batch = batch[:0]
		for c := 0; c < o.checks; c++ {
			id := fmt.Sprintf("c%04d", c)
			for k := 0; k < perFlush; k++ {
				at := start.Add(time.Duration(f)*5*time.Minute + time.Duration(k)*o.interval + time.Duration(r.IntN(200))*time.Millisecond)
				s := monitor.Sample{CheckID: id, At: at, Status: check.StatusOK, Latency: time.Duration(300+r.IntN(20000)) * time.Microsecond}
				if r.IntN(500) == 0 {
					s.Status, s.Message, s.MessageEN = check.StatusFail, "Verbindung abgelehnt", "connection refused"
				}
				batch = append(batch, s)
				res.History48hRows++
			}
		}
		if err := st.SaveSamples(ctx, batch); err != nil {
			return err
		}
	}
	if err := st.Compact(ctx, time.Now(), monitor.RawKeep, monitor.RollupKeep); err != nil {
		return err
	}
	if _, err := db.W.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return err
	}
	res.HistoryWriteSec = time.Since(began).Seconds()
	var size int64
	matches, _ := filepath.Glob(filepath.Join(dir, "history.db*"))
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil {
			size += fi.Size()
		}
	}
	res.History48hMB = float64(size) / 1e6
	return nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func peakRSSMB() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024 // kilobytes on Linux
}

// serveTargets is the child process: HTTP servers answering /t/{i} with 200
// or, once broken, 503; a control server breaks and heals targets.
func serveTargets(args []string) {
	n := 10
	if len(args) > 0 {
		n, _ = strconv.Atoi(args[0])
	}
	runtime.GOMAXPROCS(1)
	var mu sync.RWMutex
	down := map[string]bool{}
	target := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := strings.TrimPrefix(r.URL.Path, "/t/")
		mu.RLock()
		d := down[i]
		mu.RUnlock()
		if d {
			http.Error(w, "broken", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	})
	var addrs struct {
		Control string   `json:"control"`
		Targets []string `json:"targets"`
	}
	for k := 0; k < n; k++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		addrs.Targets = append(addrs.Targets, ln.Addr().String())
		go http.Serve(ln, target)
	}
	ctl := http.NewServeMux()
	ctl.HandleFunc("POST /break", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		down[r.URL.Query().Get("i")] = true
		mu.Unlock()
	})
	ctl.HandleFunc("POST /heal", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		delete(down, r.URL.Query().Get("i"))
		mu.Unlock()
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.Exit(1)
	}
	addrs.Control = ln.Addr().String()
	json.NewEncoder(os.Stdout).Encode(addrs)
	http.Serve(ln, ctl)
}
