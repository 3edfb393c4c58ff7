package monitor_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/monitor"
	"github.com/lifeline-project/lifeline/internal/store/sqlite"
)

// switchProber fails while down is set.
type switchProber struct{ down atomic.Bool }

func (p *switchProber) Probe(ctx context.Context) check.Result {
	if p.down.Load() {
		return check.Fail(time.Millisecond, "Verbindung abgelehnt", "connection refused")
	}
	return check.OK(3*time.Millisecond, "Antwort 200", "answer 200")
}

func spec(id, name string, deps ...string) check.Spec {
	s := check.Spec{ID: id, Name: name, Kind: check.KindTCP, Address: "127.0.0.1:1", DependsOn: deps, Interval: check.Duration(time.Second)}
	s.ApplyDefaults()
	return s
}

func newMonitor(t *testing.T, clk clock.Clock, specs []check.Spec, probers map[string]check.Prober) (*monitor.Monitor, *sqlite.MonitorStore) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "site.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st := sqlite.NewMonitorStore(db)
	m, err := monitor.New(monitor.Config{Specs: specs, Probers: probers, Store: st, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return m, st
}

func TestKonnektorOutageNamesCauseAndConsequence(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	clk := clock.NewFake(time.Date(2026, 11, 23, 8, 12, 0, 0, time.UTC)) // 09:12 in Berlin
	line, konn, erez := &switchProber{}, &switchProber{}, &switchProber{}
	specs := []check.Spec{spec("line1", "Internetleitung 1"), spec("konnektor", "Konnektor", "line1"), spec("erezept", "E-Rezept", "konnektor")}
	m, st := newMonitor(t, clk, specs, map[string]check.Prober{"line1": line, "konnektor": konn, "erezept": erez})
	var mu sync.Mutex
	var seen []check.Transition
	m.OnTransition(func(tr check.Transition, _ monitor.Overview) {
		mu.Lock()
		seen = append(seen, tr)
		mu.Unlock()
	})
	ctx := context.Background()
	round := func() {
		for _, id := range []string{"line1", "konnektor", "erezept"} {
			p := map[string]check.Prober{"line1": line, "konnektor": konn, "erezept": erez}[id]
			m.ProbeOnce(ctx, id, p)
		}
		clk.Advance(10 * time.Second)
	}
	round()
	if got := m.Overview().Sentence("de", berlin); got != "Alles in Ordnung." {
		t.Fatalf("all ok: got %q", got)
	}
	konn.down.Store(true)
	erez.down.Store(true)
	round()
	if ov := m.Overview(); ov.Overall != check.StateOK {
		t.Fatalf("after one failure: got overall %s; want ok (hysteresis)", ov.Overall)
	}
	round()
	ov := m.Overview()
	if ov.Overall != check.StateDown || len(ov.RootCauses) != 1 || ov.RootCauses[0] != "konnektor" {
		t.Fatalf("after two failures: got overall %s, root causes %v; want down, [konnektor]", ov.Overall, ov.RootCauses)
	}
	e, _ := ov.Check("erezept")
	if !e.Consequence || len(e.CausedBy) != 1 || e.CausedBy[0] != "konnektor" {
		t.Errorf("erezept: got consequence=%v caused by %v; want consequence of konnektor", e.Consequence, e.CausedBy)
	}
	want := "E-Rezept gestört seit 09:12. Ursache: Konnektor ausgefallen."
	if got := ov.Sentence("de", berlin); got != want {
		t.Errorf("sentence: got %q; want %q", got, want)
	}
	if got := ov.Sentence("en", berlin); got != "E-Rezept disrupted since 09:12. Cause: Konnektor down." {
		t.Errorf("english sentence: got %q", got)
	}
	trs, err := st.Transitions(ctx, "konnektor", time.Time{})
	if err != nil || len(trs) != 2 || trs[1].To != check.StateDown || trs[1].Reason.DE != "Verbindung abgelehnt" {
		t.Errorf("stored transitions of konnektor: got %+v, %v; want unknown->ok, ok->down with reason", trs, err)
	}
	mu.Lock()
	n := len(seen)
	mu.Unlock()
	if n != 5 { // three to ok, two to down
		t.Errorf("transition listeners called %d times; want 5", n)
	}
	konn.down.Store(false)
	erez.down.Store(false)
	round()
	if ov := m.Overview(); ov.Overall != check.StateDown {
		t.Errorf("after one success: got %s; want still down (recover_after 2)", ov.Overall)
	}
	round()
	if got := m.Overview().Sentence("de", berlin); got != "Alles in Ordnung." {
		t.Errorf("after recovery: got %q", got)
	}
	samples, err := m.Samples(ctx, "konnektor", time.Time{})
	if err != nil || len(samples) != 5 {
		t.Errorf("samples (buffered): got %d, %v; want 5", len(samples), err)
	}
	if err := m.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	stored, _ := st.Samples(ctx, "konnektor", time.Time{})
	if len(stored) != 5 {
		t.Errorf("samples after flush: got %d; want 5", len(stored))
	}
}

func TestRestoreKeepsDownSince(t *testing.T) {
	since := time.Date(2026, 10, 25, 0, 45, 0, 0, time.UTC)
	clk := clock.NewFake(since.Add(time.Hour))
	p := &switchProber{}
	specs := []check.Spec{spec("erp", "Warenwirtschaft")}
	m, st := newMonitor(t, clk, specs, map[string]check.Prober{"erp": p})
	if err := st.SaveTransition(context.Background(), check.Transition{CheckID: "erp", From: check.StateOK, To: check.StateDown, At: since}); err != nil {
		t.Fatal(err)
	}
	if err := m.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, _ := m.Overview().Check("erp")
	if c.State != check.StateDown || !c.Since.Equal(since) {
		t.Errorf("after restore: got %s since %v; want down since %v", c.State, c.Since, since)
	}
}

func TestRunProbesAndPublishes(t *testing.T) {
	p := &switchProber{}
	specs := []check.Spec{spec("line1", "Leitung")}
	m, _ := newMonitor(t, clock.Real{}, specs, map[string]check.Prober{"line1": p})
	ch, cancelSub := m.Subscribe()
	defer cancelSub()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ov := <-ch:
			if c, _ := ov.Check("line1"); c.State == check.StateOK {
				cancel()
				if err := <-done; err != nil {
					t.Fatalf("run: %v", err)
				}
				return
			}
		case <-deadline:
			t.Fatal("no overview with line1 ok within 10 s")
		}
	}
}
