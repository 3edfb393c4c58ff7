package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/monitor"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "site.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestSamplesRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := NewMonitorStore(openTest(t))
	t0 := time.Date(2026, 3, 29, 0, 59, 50, 0, time.UTC) // across the spring DST change in Berlin
	in := []monitor.Sample{
		{CheckID: "erp", At: t0, Status: check.StatusOK, Latency: 12 * time.Millisecond, Message: "Antwort 200", MessageEN: "answer 200"},
		{CheckID: "erp", At: t0.Add(10 * time.Second), Status: check.StatusFail, Latency: 2 * time.Second, Message: "Verbindung abgelehnt", MessageEN: "refused"},
		{CheckID: "erp", At: t0.Add(20 * time.Second), Status: check.StatusFail, Latency: 2 * time.Second, Message: "Verbindung abgelehnt", MessageEN: "refused"},
		{CheckID: "erp", At: t0.Add(30 * time.Second), Status: check.StatusDegraded, Latency: 900 * time.Millisecond, Message: "Langsam", MessageEN: "slow"},
		{CheckID: "ups", At: t0.Add(5 * time.Second), Status: check.StatusUnknown, Message: "Daten veraltet", MessageEN: "stale"},
	}
	if err := s.SaveSamples(ctx, in); err != nil {
		t.Fatal(err)
	}
	got, err := s.Samples(ctx, "erp", t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("got %d samples; want 4", len(got))
	}
	for i, g := range got {
		w := in[i]
		wantMsg := w.Message
		if w.Status == check.StatusOK {
			wantMsg = "" // messages of OK results are not kept
		}
		if !g.At.Equal(w.At) || g.Status != w.Status || g.Latency != w.Latency || g.Message != wantMsg {
			t.Errorf("sample %d: got %+v; want %+v (message %q)", i, g, w, wantMsg)
		}
	}
	later, _ := s.Samples(ctx, "erp", t0.Add(15*time.Second))
	if len(later) != 2 {
		t.Errorf("since filter: got %d; want 2", len(later))
	}
}

func TestTransitionsAndLastStates(t *testing.T) {
	ctx := context.Background()
	s := NewMonitorStore(openTest(t))
	t0 := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)
	for i, tr := range []check.Transition{
		{CheckID: "erp", From: check.StateUnknown, To: check.StateOK, At: t0},
		{CheckID: "erp", From: check.StateOK, To: check.StateDown, At: t0.Add(time.Hour), Reason: check.Msg("Verbindung abgelehnt", "refused")},
		{CheckID: "ups", From: check.StateUnknown, To: check.StateOK, At: t0.Add(time.Minute)},
	} {
		if err := s.SaveTransition(ctx, tr); err != nil {
			t.Fatalf("transition %d: %v", i, err)
		}
	}
	last, err := s.LastStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := last["erp"]; got.State != check.StateDown || !got.Since.Equal(t0.Add(time.Hour)) {
		t.Errorf("erp: got %+v; want down since %v", got, t0.Add(time.Hour))
	}
	trs, _ := s.Transitions(ctx, "erp", t0)
	if len(trs) != 2 || trs[1].Reason.DE != "Verbindung abgelehnt" {
		t.Errorf("transitions: got %+v", trs)
	}
}

func TestCompactRollsUpAndBoundsHistory(t *testing.T) {
	ctx := context.Background()
	s := NewMonitorStore(openTest(t))
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	old := now.Add(-50 * time.Hour).Truncate(time.Hour)
	var batch []monitor.Sample
	for i := 0; i < 360; i++ { // one hour at 10 s
		st := check.StatusOK
		if i%10 == 0 {
			st = check.StatusFail
		}
		batch = append(batch, monitor.Sample{CheckID: "erp", At: old.Add(time.Duration(i) * 10 * time.Second), Status: st, Latency: time.Duration(i) * time.Millisecond})
	}
	recent := monitor.Sample{CheckID: "erp", At: now.Add(-time.Hour), Status: check.StatusOK, Latency: time.Millisecond}
	if err := s.SaveSamples(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSamples(ctx, []monitor.Sample{recent}); err != nil {
		t.Fatal(err)
	}
	ancient := now.Add(-100 * 24 * time.Hour)
	if err := s.SaveTransition(ctx, check.Transition{CheckID: "erp", From: check.StateOK, To: check.StateDown, At: ancient}); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(ctx, now, 48*time.Hour, 90*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	raw, _ := s.Samples(ctx, "erp", now.Add(-100*time.Hour))
	if len(raw) != 1 {
		t.Errorf("raw results after compaction: got %d; want only the recent one", len(raw))
	}
	ru, err := s.Rollups(ctx, "erp", old)
	if err != nil {
		t.Fatal(err)
	}
	if len(ru) != 1 {
		t.Fatalf("rollups: got %d; want 1", len(ru))
	}
	r := ru[0]
	if r.N != 360 || r.NFail != 36 || r.NOK != 324 || r.LatencyMax != 359*time.Millisecond {
		t.Errorf("rollup: got %+v; want 360 results, 36 failed, max 359ms", r)
	}
	if trs, _ := s.Transitions(ctx, "erp", ancient.Add(-time.Hour)); len(trs) != 0 {
		t.Errorf("transitions older than 90 days: got %d; want 0", len(trs))
	}
}

func FuzzDecodeChunk(f *testing.F) {
	_, _, data := encodeChunk([]monitor.Sample{{At: time.Unix(100, 0), Status: check.StatusFail, Latency: time.Second, Message: "x"}})
	f.Add(data)
	f.Add([]byte{0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeChunk("x", 0, b) // must not panic
	})
}
