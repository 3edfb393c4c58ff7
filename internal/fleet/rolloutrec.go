package fleet

import "time"

// Rollout statuses, as the console lists them.
const (
	RolloutRunning = "running"
	RolloutPaused  = "paused"
	RolloutHalted  = "halted"
	RolloutAborted = "aborted"
	RolloutDone    = "done"
)

// RolloutRecord is a rollout as stored: the planner's plan and state
// (internal/rollout, as JSON) with the columns the console lists by.
type RolloutRecord struct {
	ID        int64
	ReleaseID int64
	// Status is running, paused, halted, aborted or done.
	Status string
	// Reason is the last pause, halt or abort reason.
	Reason string
	// Plan and State are the planner's JSON.
	Plan  []byte
	State []byte
	// Rev increases with every update; UpdateRollout refuses a stale Rev
	// (ECONFLICT), so two writers never overwrite each other.
	Rev int64
	// ReportCursor is the id of the last report fed to the planner.
	ReportCursor int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
	CreatedBy    string
}

// Active reports whether the planner still works on the rollout: running,
// paused by hand or halted by a gate (a halted rollout still rolls back and
// still listens to reports, and may be resumed by hand).
func (r RolloutRecord) Active() bool {
	return r.Status == RolloutRunning || r.Status == RolloutPaused || r.Status == RolloutHalted
}
