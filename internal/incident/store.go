package incident

import (
	"context"
	"time"
)

// Query selects incidents.
type Query struct {
	// Limit is the most incidents returned; 0 means all.
	Limit int
	// OpenOnly returns only open incidents.
	OpenOnly bool
	// DrillID, when not 0, returns only the incidents of that drill.
	DrillID int64
	// Since, when not zero, returns only incidents opened at or after it.
	Since time.Time
}

// ImprovementQuery selects improvements.
type ImprovementQuery struct {
	OpenOnly   bool
	IncidentID int64
}

// Store keeps incidents, their hash-chained entries and the improvements.
// Implementations: incident/incidentsql (Store). Every write is one
// transaction; the chain's head is read and written inside it.
type Store interface {
	ChainReader
	// Create stores a new incident (its ID is assigned) with its first
	// entry, whose IncidentID is set to the new ID.
	Create(ctx context.Context, inc Incident, first Draft) (Incident, Entry, error)
	// Append seals d into the chain and stores it. The incident's
	// LastSeq and LastHash follow; when inc is not nil, its other fields
	// are saved too (inc.ID must be d.IncidentID). ENOTFOUND for an unknown
	// incident; ECONFLICT when d.Ref is recorded for the incident already.
	Append(ctx context.Context, d Draft, inc *Incident) (Entry, error)
	// Incident returns one incident; ENOTFOUND when unknown.
	Incident(ctx context.Context, id int64) (Incident, error)
	// Entries returns an incident's entries in chain order.
	Entries(ctx context.Context, incidentID int64) ([]Entry, error)
	// HasRef reports whether the incident has an entry with ref.
	HasRef(ctx context.Context, incidentID int64, ref string) (bool, error)
	// AddImprovement stores a new improvement (its ID is assigned).
	AddImprovement(ctx context.Context, im Improvement) (Improvement, error)
	// Improvements returns improvements: open ones by due date first
	// (no date last), then finished ones, newest first.
	Improvements(ctx context.Context, q ImprovementQuery) ([]Improvement, error)
	// FinishImprovement marks an improvement done; ENOTFOUND when unknown,
	// ECONFLICT when done already.
	FinishImprovement(ctx context.Context, id int64, by string, at time.Time) (Improvement, error)
}
