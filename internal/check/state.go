package check

import (
	"fmt"
	"time"
)

// State is the state of a check as the dashboard shows it.
type State string

// The four states of a check.
const (
	StateUnknown  State = "unknown"
	StateOK       State = "ok"
	StateDegraded State = "degraded"
	StateDown     State = "down"
)

// Words returns the state in plain words.
func (s State) Words() Text {
	switch s {
	case StateOK:
		return Msg("in Ordnung", "OK")
	case StateDegraded:
		return Msg("eingeschränkt", "degraded")
	case StateDown:
		return Msg("ausgefallen", "down")
	default:
		return Msg("unbekannt", "unknown")
	}
}

// Severity orders states for the overall status: down > degraded > unknown > ok.
func (s State) Severity() int {
	switch s {
	case StateDown:
		return 3
	case StateDegraded:
		return 2
	case StateUnknown:
		return 1
	default:
		return 0
	}
}

// Transition is a change of a check's state.
type Transition struct {
	CheckID string
	From    State
	To      State
	At      time.Time
	Reason  Text
}

// Thresholds are the hysteresis settings of one check.
type Thresholds struct {
	FailAfter    int
	RecoverAfter int
	WarnLatency  time.Duration
}

// Tracker turns a stream of probe results into a state with hysteresis:
// down only after FailAfter consecutive failures, out of down only after
// RecoverAfter consecutive successes. Degraded when the prober says so or the
// latency exceeds WarnLatency. It is not safe for concurrent use.
type Tracker struct {
	id         string
	th         Thresholds
	state      State
	since      time.Time
	failStreak int
	okStreak   int
	last       Result
	lastAt     time.Time
}

// NewTracker returns a tracker in state unknown since start.
func NewTracker(id string, th Thresholds, start time.Time) *Tracker {
	if th.FailAfter < 1 {
		th.FailAfter = 1
	}
	if th.RecoverAfter < 1 {
		th.RecoverAfter = 1
	}
	return &Tracker{id: id, th: th, state: StateUnknown, since: start}
}

// Restore sets the state and its start, for example from the database after
// a restart.
func (t *Tracker) Restore(s State, since time.Time) {
	t.state, t.since = s, since
}

// State returns the current state.
func (t *Tracker) State() State { return t.state }

// Since returns when the current state began.
func (t *Tracker) Since() time.Time { return t.since }

// Last returns the last result (after the latency rule) and its time.
func (t *Tracker) Last() (Result, time.Time) { return t.last, t.lastAt }

// Observe feeds one result taken at at. It returns the transition and true
// when the state changed.
func (t *Tracker) Observe(r Result, at time.Time) (Transition, bool) {
	if r.Status == StatusOK && t.th.WarnLatency > 0 && r.Latency > t.th.WarnLatency {
		r.Status = StatusDegraded
		r.Message = Msg(
			fmt.Sprintf("Langsam: %d ms (Grenze %d ms)", r.Latency.Milliseconds(), t.th.WarnLatency.Milliseconds()),
			fmt.Sprintf("Slow: %d ms (limit %d ms)", r.Latency.Milliseconds(), t.th.WarnLatency.Milliseconds()))
	}
	t.last, t.lastAt = r, at
	next := t.state
	switch r.Status {
	case StatusFail:
		t.failStreak++
		t.okStreak = 0
		if t.failStreak >= t.th.FailAfter {
			next = StateDown
		}
	case StatusUnknown:
		t.failStreak, t.okStreak = 0, 0
		next = StateUnknown
	default: // ok or degraded
		t.failStreak = 0
		t.okStreak++
		want := StateOK
		if r.Status == StatusDegraded {
			want = StateDegraded
		}
		if t.state != StateDown || t.okStreak >= t.th.RecoverAfter {
			next = want
		}
	}
	if next == t.state {
		return Transition{}, false
	}
	tr := Transition{CheckID: t.id, From: t.state, To: next, At: at, Reason: r.Message}
	t.state, t.since = next, at
	return tr, true
}
