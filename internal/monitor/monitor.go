// Package monitor runs the probes of every check on its interval, turns the
// results into states with hysteresis (check.Tracker), evaluates the
// dependency tree (check.Evaluate), stores results and transitions, and
// publishes the site's Overview to subscribers (the dashboard's server-sent
// events) and transitions to listeners (alerts, incidents).
package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
)

// Retention of the history (issue: raw 48 h, hourly roll-ups 90 days).
const (
	RawKeep    = 48 * time.Hour
	RollupKeep = 90 * 24 * time.Hour
	// flushEvery is how often buffered results are written as chunks.
	flushEvery = 5 * time.Minute
	// sparkBuckets of sparkWidth make the 24 h sparkline.
	sparkBuckets = 48
	sparkWidth   = 30 * time.Minute
	// publishGap is the least time between two published overviews.
	publishGap = 500 * time.Millisecond
)

// Config configures a Monitor.
type Config struct {
	// Specs are the checks, defaults applied and validated.
	Specs []check.Spec
	// Probers holds one prober per check id.
	Probers map[string]check.Prober
	Store   Store
	Clock   clock.Clock
	Log     *slog.Logger
}

// Monitor runs the checks. Its methods are safe for concurrent use.
type Monitor struct {
	cfg   Config
	log   *slog.Logger
	clk   clock.Clock
	specs map[string]check.Spec
	order []string

	mu       sync.Mutex
	trackers map[string]*check.Tracker
	probed   map[string]time.Time
	spark    map[string]*spark
	pending  []Sample // results not yet written
	subs     map[int]chan Overview
	nextSub  int
	dirty    chan struct{}
	onTrans  []func(check.Transition, Overview)
}

// New returns a monitor for the configured checks.
func New(cfg Config) (*Monitor, error) {
	if cfg.Store == nil {
		return nil, errors.New("monitor: no store")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	m := &Monitor{
		cfg: cfg, log: cfg.Log, clk: cfg.Clock,
		specs:    map[string]check.Spec{},
		trackers: map[string]*check.Tracker{},
		probed:   map[string]time.Time{},
		spark:    map[string]*spark{},
		subs:     map[int]chan Overview{},
		dirty:    make(chan struct{}, 1),
	}
	now := m.clk.Now()
	for _, s := range cfg.Specs {
		if _, ok := cfg.Probers[s.ID]; !ok {
			return nil, fmt.Errorf("monitor: no prober for check %q", s.ID)
		}
		m.specs[s.ID] = s
		m.order = append(m.order, s.ID)
		m.trackers[s.ID] = check.NewTracker(s.ID, check.Thresholds{
			FailAfter: s.FailAfter, RecoverAfter: s.RecoverAfter, WarnLatency: s.WarnLatency.D(),
		}, now)
		m.spark[s.ID] = &spark{}
	}
	return m, nil
}

// OnTransition registers f to be called after every state change, with the
// overview that follows it. f runs on the monitor's goroutine: keep it short
// or hand the work off.
func (m *Monitor) OnTransition(f func(check.Transition, Overview)) {
	m.mu.Lock()
	m.onTrans = append(m.onTrans, f)
	m.mu.Unlock()
}

// Restore loads the last stored states and the sparkline history, so that
// a restart neither forgets since when a check is down nor alerts again.
func (m *Monitor) Restore(ctx context.Context) error {
	last, err := m.cfg.Store.LastStates(ctx)
	if err != nil {
		return fmt.Errorf("restore states: %w", err)
	}
	m.mu.Lock()
	for id, ls := range last {
		if t, ok := m.trackers[id]; ok && ls.State != check.StateUnknown {
			t.Restore(ls.State, ls.Since)
		}
	}
	m.mu.Unlock()
	if lb, ok := m.cfg.Store.(interface {
		LatencyBuckets(context.Context, time.Time, time.Duration) (map[string]map[int64]time.Duration, error)
	}); ok {
		buckets, err := lb.LatencyBuckets(ctx, m.clk.Now().Add(-sparkBuckets*sparkWidth), sparkWidth)
		if err != nil {
			return fmt.Errorf("restore sparklines: %w", err)
		}
		m.mu.Lock()
		for id, bs := range buckets {
			if sp, ok := m.spark[id]; ok {
				for b, avg := range bs {
					sp.seed(b, avg)
				}
			}
		}
		m.mu.Unlock()
	}
	return nil
}

// Run probes every check until ctx ends, then writes what is buffered.
func (m *Monitor) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, id := range m.order {
		wg.Add(1)
		go func(spec check.Spec) {
			defer wg.Done()
			m.loop(ctx, spec)
		}(m.specs[id])
	}
	wg.Add(2)
	go func() { defer wg.Done(); m.publisher(ctx) }()
	go func() { defer wg.Done(); m.writer(ctx) }()
	<-ctx.Done()
	wg.Wait()
	flushCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return m.flush(flushCtx)
}

// loop probes one check on its interval. The first probe starts after a
// random delay within the interval (at most 2 s), so that many checks do
// not fire at the same instant.
func (m *Monitor) loop(ctx context.Context, spec check.Spec) {
	interval := spec.Interval.D()
	first := time.Duration(rand.Int64N(int64(min(interval, 2*time.Second)) + 1))
	timer := time.NewTimer(first)
	defer timer.Stop()
	prober := m.cfg.Probers[spec.ID]
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		started := time.Now()
		m.ProbeOnce(ctx, spec.ID, prober)
		next := interval - time.Since(started)
		if next < 0 {
			next = 0
		}
		timer.Reset(next)
	}
}

// ProbeOnce runs one probe of the check now and records it. It is exported
// for tests and for "check now" buttons.
func (m *Monitor) ProbeOnce(ctx context.Context, id string, prober check.Prober) {
	spec := m.specs[id]
	pctx, cancel := context.WithTimeout(ctx, spec.Timeout.D())
	res := safeProbe(pctx, prober)
	cancel()
	if ctx.Err() != nil {
		return // shutting down: the result is meaningless
	}
	m.Record(id, res, m.clk.Now())
}

func safeProbe(ctx context.Context, p check.Prober) (res check.Result) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			res = check.Fail(time.Since(start), fmt.Sprintf("Interner Fehler der Prüfung: %v", r), fmt.Sprintf("internal probe error: %v", r))
		}
	}()
	res = p.Probe(ctx)
	if res.Latency == 0 {
		res.Latency = time.Since(start)
	}
	if res.Status != check.StatusOK && ctx.Err() == context.DeadlineExceeded && res.Message.IsZero() {
		res.Message = check.Msg("Keine Antwort innerhalb der Zeitgrenze", "no answer within the timeout")
	}
	return res
}

// Record feeds one result of check id taken at at.
func (m *Monitor) Record(id string, res check.Result, at time.Time) {
	m.mu.Lock()
	t, ok := m.trackers[id]
	if !ok {
		m.mu.Unlock()
		return
	}
	tr, changed := t.Observe(res, at)
	m.probed[id] = at
	eff, _ := t.Last()
	m.pending = append(m.pending, Sample{CheckID: id, At: at, Status: eff.Status, Latency: res.Latency,
		Message: eff.Message.DE, MessageEN: eff.Message.EN})
	if eff.Status == check.StatusOK || eff.Status == check.StatusDegraded {
		m.spark[id].add(at, res.Latency)
	}
	var listeners []func(check.Transition, Overview)
	if changed {
		listeners = append(listeners, m.onTrans...)
	}
	m.mu.Unlock()
	if changed {
		m.log.Info("check state changed", "check", id, "from", tr.From, "to", tr.To, "reason", tr.Reason.EN)
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := m.cfg.Store.SaveTransition(sctx, tr); err != nil {
			m.log.Error("save transition", "check", id, "err", err)
		}
		cancel()
		if len(listeners) > 0 {
			ov := m.Overview()
			for _, f := range listeners {
				f(tr, ov)
			}
		}
	}
	select {
	case m.dirty <- struct{}{}:
	default:
	}
}

// Overview returns the site's status now.
func (m *Monitor) Overview() Overview {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clk.Now()
	nodes := make([]check.Node, 0, len(m.order))
	for _, id := range m.order {
		nodes = append(nodes, check.Node{ID: id, State: m.trackers[id].State(), DependsOn: m.specs[id].DependsOn})
	}
	tree := check.Evaluate(nodes)
	ov := Overview{At: now, Overall: tree.Overall, RootCauses: tree.RootCauses, Checks: make([]CheckStatus, 0, len(m.order))}
	for _, id := range m.order {
		spec, t := m.specs[id], m.trackers[id]
		last, _ := t.Last()
		v := tree.Verdicts[id]
		ov.Checks = append(ov.Checks, CheckStatus{
			ID: id, Name: spec.Name, Kind: spec.Kind, Group: spec.Group,
			State: t.State(), Since: t.Since(), Latency: last.Latency, Message: last.Message,
			DependsOn: spec.DependsOn, Affects: spec.Affects,
			Consequence: v.Consequence, CausedBy: v.CausedBy,
			LastProbe: m.probed[id], Spark: m.spark[id].values(now),
		})
	}
	return ov
}

// Subscribe returns a channel that receives a fresh Overview after changes,
// at most about twice a second; a slow reader gets the newest one. Call
// cancel to stop.
func (m *Monitor) Subscribe() (<-chan Overview, func()) {
	ch := make(chan Overview, 1)
	m.mu.Lock()
	id := m.nextSub
	m.nextSub++
	m.subs[id] = ch
	m.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			m.mu.Lock()
			delete(m.subs, id)
			m.mu.Unlock()
		})
	}
}

func (m *Monitor) publisher(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.dirty:
		}
		m.mu.Lock()
		n := len(m.subs)
		m.mu.Unlock()
		if n > 0 {
			ov := m.Overview()
			m.mu.Lock()
			for _, ch := range m.subs {
				select { // replace a stale value nobody read
				case <-ch:
				default:
				}
				select {
				case ch <- ov:
				default:
				}
			}
			m.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(publishGap):
		}
	}
}

func (m *Monitor) writer(ctx context.Context) {
	flush := time.NewTicker(flushEvery)
	defer flush.Stop()
	compact := time.NewTicker(time.Hour)
	defer compact.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-flush.C:
			if err := m.flush(ctx); err != nil {
				m.log.Error("write check results", "err", err)
			}
		case <-compact.C:
			if err := m.cfg.Store.Compact(ctx, m.clk.Now(), RawKeep, RollupKeep); err != nil {
				m.log.Error("compact check history", "err", err)
			}
		}
	}
}

// Flush writes buffered results now.
func (m *Monitor) Flush(ctx context.Context) error { return m.flush(ctx) }

func (m *Monitor) flush(ctx context.Context) error {
	m.mu.Lock()
	batch := m.pending
	m.pending = nil
	m.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if err := m.cfg.Store.SaveSamples(ctx, batch); err != nil {
		m.mu.Lock()
		if len(m.pending) < 1_000_000 { // keep them for the next try, bounded
			m.pending = append(batch, m.pending...)
		}
		m.mu.Unlock()
		return err
	}
	return nil
}

// Samples returns the results of a check since a time: stored ones and
// those still buffered.
func (m *Monitor) Samples(ctx context.Context, id string, since time.Time) ([]Sample, error) {
	stored, err := m.cfg.Store.Samples(ctx, id, since)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	for _, s := range m.pending {
		if s.CheckID == id && !s.At.Before(since) {
			stored = append(stored, s)
		}
	}
	m.mu.Unlock()
	sort.SliceStable(stored, func(i, j int) bool { return stored[i].At.Before(stored[j].At) })
	return stored, nil
}

// Transitions returns the state changes of a check since a time.
func (m *Monitor) Transitions(ctx context.Context, id string, since time.Time) ([]check.Transition, error) {
	return m.cfg.Store.Transitions(ctx, id, since)
}

// Spec returns the configuration of a check.
func (m *Monitor) Spec(id string) (check.Spec, bool) {
	s, ok := m.specs[id]
	return s, ok
}

// spark keeps the average latency of half-hour buckets for 24 hours.
type spark struct {
	start [sparkBuckets]int64 // bucket start in ms, 0 = empty
	sum   [sparkBuckets]time.Duration
	n     [sparkBuckets]int64
}

func (s *spark) slot(b int64) int { return int((b / sparkWidth.Milliseconds()) % sparkBuckets) }

func (s *spark) add(at time.Time, lat time.Duration) {
	b := at.UnixMilli() / sparkWidth.Milliseconds() * sparkWidth.Milliseconds()
	i := s.slot(b)
	if s.start[i] != b {
		s.start[i], s.sum[i], s.n[i] = b, 0, 0
	}
	s.sum[i] += lat
	s.n[i]++
}

func (s *spark) seed(b int64, avg time.Duration) {
	i := s.slot(b)
	s.start[i], s.sum[i], s.n[i] = b, avg, 1
}

// values returns the 48 buckets ending now, oldest first; -1 = no data.
func (s *spark) values(now time.Time) []float64 {
	w := sparkWidth.Milliseconds()
	cur := now.UnixMilli() / w * w
	out := make([]float64, sparkBuckets)
	for k := 0; k < sparkBuckets; k++ {
		b := cur - int64(sparkBuckets-1-k)*w
		i := s.slot(b)
		if s.start[i] == b && s.n[i] > 0 {
			out[k] = float64(s.sum[i]/time.Duration(s.n[i])) / float64(time.Millisecond)
		} else {
			out[k] = -1
		}
	}
	return out
}
