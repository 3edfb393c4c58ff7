package fleet

import (
	"testing"
	"time"
)

// TestQueueState: a queue read empty is trusted until a notice for the
// site, a resync or the recheck time; a read that raced with a notice
// does not mark it empty; priming at start marks all but the pending.
func TestQueueState(t *testing.T) {
	now := time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)
	q := newQueueState()
	empty := func(id string, at time.Time) bool { _, e := q.state(id, at); return e }
	if empty("apo-1", now) {
		t.Fatal("unknown queue: got empty; want read")
	}
	g, _ := q.state("apo-1", now)
	q.markEmpty("apo-1", g, now)
	if !empty("apo-1", now.Add(time.Minute)) {
		t.Error("queue read empty: got not empty")
	}
	if empty("apo-1", now.Add(queueRecheck)) {
		t.Error("queue read empty an hour ago: got empty; want read again")
	}
	q.enqueued("apo-1")
	if empty("apo-1", now) {
		t.Error("after a notice: got empty")
	}
	// A read that began before a notice and ended after it.
	g, _ = q.state("apo-1", now)
	q.enqueued("apo-1")
	q.markEmpty("apo-1", g, now)
	if empty("apo-1", now) {
		t.Error("read racing with a notice: got empty")
	}
	// Priming: every queue empty but the pending ones and those noticed.
	q.enqueued("apo-3")
	q.prime([]string{"apo-2"}, now)
	for id, want := range map[string]bool{"apo-2": false, "apo-3": false, "apo-9": true} {
		if got := empty(id, now); got != want {
			t.Errorf("primed %s: got empty %v; want %v", id, got, want)
		}
	}
	q.forget()
	if empty("apo-9", now) {
		t.Error("after a resync: got empty; want read again")
	}
}
