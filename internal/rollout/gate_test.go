package rollout

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestEvaluateGate(t *testing.T) {
	start := utc(2026, 5, 4, 8, 0)
	ring := Ring{Name: "first", Percent: 1, Soak: 24 * time.Hour, MaxFailureRatio: 0.1, MinReportShare: 0.8}
	const deadline = 15 * time.Minute

	// Outcome builders: a site that installed at the given offset after
	// the ring's start and then behaved as named; alive sites have
	// heartbeats up to now.
	type kind int
	const (
		notBegun kind = iota
		installing
		ok
		failed
		bricked    // installed and never heard of again
		okThenDead // reported ok, then silence
	)
	mk := func(n int, k kind, installAt time.Duration, now time.Time) []Outcome {
		var out []Outcome
		for i := range n {
			o := Outcome{SiteID: fmt.Sprintf("s-%d-%d", k, i), Due: start.Add(installAt + time.Hour)}
			inst := start.Add(installAt)
			switch k {
			case installing:
				o.InstallStarted, o.LastHeartbeat = inst, now
			case ok:
				o.InstallStarted, o.Reported, o.ReportedAt, o.LastHeartbeat = inst, ReportOK, inst.Add(10*time.Minute), now
			case failed:
				o.InstallStarted, o.Reported, o.ReportedAt = inst, ReportFailed, inst.Add(5*time.Minute)
			case bricked:
				o.InstallStarted, o.LastHeartbeat = inst, inst.Add(-time.Minute)
			case okThenDead:
				o.InstallStarted, o.Reported, o.ReportedAt, o.LastHeartbeat = inst, ReportOK, inst.Add(10*time.Minute), inst.Add(10*time.Minute)
			}
			out = append(out, o)
		}
		return out
	}
	cat := func(parts ...[]Outcome) []Outcome {
		var out []Outcome
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	afterSoak := start.Add(2*time.Hour + 24*time.Hour) // last Due is start+2h

	tests := []struct {
		name     string
		ring     Ring
		outcomes func(now time.Time) []Outcome
		now      time.Time
		want     Decision
		counts   [5]int // installed, ok, failed, silent, pending
		reason   string // part of the English reason
	}{
		{"pass: all ok after the soak", ring,
			func(now time.Time) []Outcome { return mk(10, ok, time.Hour, now) },
			afterSoak, Pass, [5]int{10, 10, 0, 0, 0}, "passed"},
		{"pass: one failure of ten is within 10 %", ring,
			func(now time.Time) []Outcome { return cat(mk(9, ok, time.Hour, now), mk(1, failed, time.Hour, now)) },
			afterSoak, Pass, [5]int{10, 9, 1, 0, 0}, "passed"},
		{"pass: two not begun of ten, 80 % reported", ring,
			func(now time.Time) []Outcome { return cat(mk(8, ok, time.Hour, now), mk(2, notBegun, time.Hour, now)) },
			afterSoak, Pass, [5]int{8, 8, 0, 0, 2}, "passed"},
		{"wait: soak not over", ring,
			func(now time.Time) []Outcome { return mk(10, ok, time.Hour, now) },
			start.Add(20 * time.Hour), Wait, [5]int{10, 10, 0, 0, 0}, "watched until 2026-05-05 10:00 UTC"},
		{"wait: still installing", ring,
			func(now time.Time) []Outcome {
				return cat(mk(5, ok, time.Hour, now), mk(5, installing, time.Hour, now))
			},
			start.Add(90 * time.Minute), Wait, [5]int{10, 5, 0, 0, 5}, "running"},
		{"wait: soak counts from the last slot", ring,
			func(now time.Time) []Outcome {
				return cat(mk(9, ok, time.Hour, now), mk(1, notBegun, 72*time.Hour, now))
			},
			afterSoak, Wait, [5]int{9, 9, 0, 0, 1}, "running"},
		{"inconclusive: too few reports after the soak", ring,
			func(now time.Time) []Outcome { return cat(mk(7, ok, time.Hour, now), mk(3, notBegun, time.Hour, now)) },
			afterSoak, Inconclusive, [5]int{7, 7, 0, 0, 3}, "only 7 of 10 sites have a result, 8 needed"},
		{"inconclusive: installing without a final report", ring,
			func(now time.Time) []Outcome {
				return cat(mk(5, ok, time.Hour, now), mk(5, installing, time.Hour, now))
			},
			afterSoak, Inconclusive, [5]int{10, 5, 0, 0, 5}, "inconclusive"},
		{"halt on reports, before the soak ends", ring,
			func(now time.Time) []Outcome {
				return cat(mk(2, failed, time.Hour, now), mk(3, ok, time.Hour, now), mk(5, notBegun, 2*time.Hour, now))
			},
			start.Add(70 * time.Minute), Halt, [5]int{5, 3, 2, 0, 5}, "2 of 10 sites failed (2 reported failure, 0 silent"},
		{"halt on silence: no heartbeat within 15 min of the install", ring,
			func(now time.Time) []Outcome {
				return cat(mk(2, bricked, time.Hour, now), mk(8, notBegun, 2*time.Hour, now))
			},
			start.Add(time.Hour + 16*time.Minute), Halt, [5]int{2, 0, 0, 2, 8}, "2 silent for over 15 min"},
		{"no halt yet: silent for less than the deadline", ring,
			func(now time.Time) []Outcome {
				return cat(mk(2, bricked, time.Hour, now), mk(8, notBegun, 2*time.Hour, now))
			},
			start.Add(time.Hour + 14*time.Minute), Wait, [5]int{2, 0, 0, 0, 10}, "running"},
		{"halt on silence after an ok report", ring,
			func(now time.Time) []Outcome {
				return cat(mk(2, okThenDead, time.Hour, now), mk(8, ok, time.Hour, now))
			},
			start.Add(3 * time.Hour), Halt, [5]int{10, 8, 0, 2, 0}, "halted"},
		{"too few results: inconclusive before the final ratio", ring,
			func(now time.Time) []Outcome {
				return cat(mk(1, failed, time.Hour, now), mk(8, ok, time.Hour, now), mk(11, notBegun, time.Hour, now))
			},
			afterSoak, Inconclusive, [5]int{9, 8, 1, 0, 11}, "inconclusive"},
		{"halt at the end with enough results: stricter ratio", Ring{Name: "r", Soak: time.Hour, MaxFailureRatio: 0.1, MinReportShare: 0.5},
			func(now time.Time) []Outcome {
				return cat(mk(1, failed, time.Hour, now), mk(5, ok, time.Hour, now), mk(4, notBegun, time.Hour, now))
			},
			afterSoak, Halt, [5]int{6, 5, 1, 0, 4}, "1 of 6 sites failed"},
		{"ratio 0: the first failure halts", Ring{Name: "test", Soak: time.Hour, MinReportShare: 1},
			func(now time.Time) []Outcome {
				return cat(mk(1, failed, time.Hour, now), mk(99, notBegun, time.Hour, now))
			},
			start.Add(70 * time.Minute), Halt, [5]int{1, 0, 1, 0, 99}, "0 allowed"},
		{"empty ring passes at once", ring,
			func(time.Time) []Outcome { return nil },
			start, Pass, [5]int{}, "no sites"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := EvaluateGate(tt.ring, tt.outcomes(tt.now), start, tt.now, deadline)
			if g.Decision != tt.want {
				t.Errorf("decision = %s; want %s (%s)", g.Decision, tt.want, g.Reason.EN)
			}
			got := [5]int{g.Installed, g.OK, g.Failed, g.Silent, g.Pending}
			if got != tt.counts {
				t.Errorf("installed, ok, failed, silent, pending = %v; want %v", got, tt.counts)
			}
			if g.OK+g.Failed+g.Silent+g.Pending != g.Total {
				t.Errorf("counts %v do not add up to %d", got, g.Total)
			}
			if !strings.Contains(g.Reason.EN, tt.reason) {
				t.Errorf("reason %q; want it to contain %q", g.Reason.EN, tt.reason)
			}
			if g.Reason.DE == "" {
				t.Error("no German reason")
			}
		})
	}
}

func TestEvaluateGateDefaultDeadline(t *testing.T) {
	start := utc(2026, 5, 4, 8, 0)
	o := []Outcome{{SiteID: "a", InstallStarted: start, LastHeartbeat: start}}
	ring := Ring{Name: "r", Soak: time.Hour, MinReportShare: 1}
	if g := EvaluateGate(ring, o, start, start.Add(14*time.Minute), 0); g.Decision != Wait {
		t.Errorf("after 14 min: %s; want wait", g.Decision)
	}
	if g := EvaluateGate(ring, o, start, start.Add(16*time.Minute), 0); g.Decision != Halt || g.Silent != 1 {
		t.Errorf("after 16 min: %s with %d silent; want halt with 1", g.Decision, g.Silent)
	}
}

func TestOutcomeResult(t *testing.T) {
	at := utc(2026, 5, 4, 8, 0)
	tests := []struct {
		name string
		o    Outcome
		now  time.Time
		want Result
	}{
		{"not begun", Outcome{LastHeartbeat: at}, at.Add(time.Hour), ResultPending},
		{"installing, heartbeat fresh", Outcome{InstallStarted: at, LastHeartbeat: at.Add(10 * time.Minute)}, at.Add(20 * time.Minute), ResultInstalling},
		{"installing, heartbeat stale", Outcome{InstallStarted: at, LastHeartbeat: at.Add(time.Minute)}, at.Add(17 * time.Minute), ResultSilent},
		{"heartbeat only before the install", Outcome{InstallStarted: at, LastHeartbeat: at.Add(-time.Minute)}, at.Add(15*time.Minute + time.Second), ResultSilent},
		{"exactly at the deadline is not yet silent", Outcome{InstallStarted: at}, at.Add(15 * time.Minute), ResultInstalling},
		{"ok", Outcome{InstallStarted: at, Reported: ReportOK, ReportedAt: at.Add(5 * time.Minute), LastHeartbeat: at.Add(time.Hour)}, at.Add(time.Hour), ResultOK},
		{"failed stays failed", Outcome{InstallStarted: at, Reported: ReportFailed, ReportedAt: at.Add(5 * time.Minute)}, at.Add(time.Hour), ResultFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.o.Result(tt.now, 15*time.Minute); got != tt.want {
				t.Errorf("Result = %s; want %s", got, tt.want)
			}
		})
	}
}
