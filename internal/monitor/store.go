package monitor

import (
	"context"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// Sample is one stored probe result.
type Sample struct {
	CheckID string        `json:"-"`
	At      time.Time     `json:"at"`
	Status  check.Status  `json:"-"`
	Latency time.Duration `json:"-"`
	// Message is the result's message in German; MessageEN in English.
	Message   string `json:"message"`
	MessageEN string `json:"-"`
}

// Rollup is one hour of results of one check.
type Rollup struct {
	CheckID    string
	Hour       time.Time
	N          int
	NOK        int
	NDegraded  int
	NFail      int
	LatencyAvg time.Duration
	LatencyMax time.Duration
}

// LastState is the stored state of a check, used to resume after a restart.
type LastState struct {
	State check.State
	Since time.Time
}

// Store keeps the monitor's history. Implementations: store/sqlite.
type Store interface {
	// SaveSamples appends raw results in one transaction.
	SaveSamples(ctx context.Context, samples []Sample) error
	// SaveTransition records a state change.
	SaveTransition(ctx context.Context, t check.Transition) error
	// LastStates returns the latest recorded state of every check.
	LastStates(ctx context.Context) (map[string]LastState, error)
	// Samples returns the raw results of a check since a time, oldest first.
	Samples(ctx context.Context, checkID string, since time.Time) ([]Sample, error)
	// Rollups returns the hourly roll-ups of a check since a time, oldest first.
	Rollups(ctx context.Context, checkID string, since time.Time) ([]Rollup, error)
	// Transitions returns the state changes of a check since a time, oldest first.
	Transitions(ctx context.Context, checkID string, since time.Time) ([]check.Transition, error)
	// Compact rolls raw results older than rawKeep into hourly roll-ups and
	// deletes roll-ups and transitions older than rollupKeep.
	Compact(ctx context.Context, now time.Time, rawKeep, rollupKeep time.Duration) error
}

// Text returns the sample's message in lang ("de" or "en").
func (s Sample) Text(lang string) string {
	return check.Msg(s.Message, s.MessageEN).In(lang)
}
