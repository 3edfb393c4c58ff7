package agent

import (
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
)

// StateID names a state of the agent's state machine.
type StateID string

// The states. An update runs Scheduled -> Downloading -> Verifying ->
// WaitingForWindow -> Installing -> HealthGate -> Committed, or from
// Installing or HealthGate through RollingBack to RolledBack, or ends in
// Failed; Idle holds no update. An update dropped before Installing (the
// fleet cancelled it, its slot passed) goes back to Idle as skipped.
const (
	Idle             StateID = "idle"
	Scheduled        StateID = "scheduled"
	Downloading      StateID = "downloading"
	Verifying        StateID = "verifying"
	WaitingForWindow StateID = "waiting_for_window"
	Installing       StateID = "installing"
	HealthGate       StateID = "health_gate"
	Committed        StateID = "committed"
	RollingBack      StateID = "rolling_back"
	RolledBack       StateID = "rolled_back"
	Failed           StateID = "failed"
)

// Words returns the state in plain words.
func (s StateID) Words() check.Text {
	switch s {
	case Idle:
		return check.Msg("kein Update", "no update")
	case Scheduled:
		return check.Msg("angenommen", "accepted")
	case Downloading:
		return check.Msg("wird heruntergeladen", "downloading")
	case Verifying:
		return check.Msg("wird geprüft", "verifying")
	case WaitingForWindow:
		return check.Msg("wartet auf das Wartungsfenster", "waiting for the maintenance window")
	case Installing:
		return check.Msg("wird installiert", "installing")
	case HealthGate:
		return check.Msg("Gesundheitsprüfung läuft", "health check running")
	case Committed:
		return check.Msg("installiert", "installed")
	case RollingBack:
		return check.Msg("wird zurückgenommen", "rolling back")
	case RolledBack:
		return check.Msg("zurückgenommen", "rolled back")
	case Failed:
		return check.Msg("fehlgeschlagen", "failed")
	}
	return check.Msg(string(s), string(s))
}

// heartbeatState maps a state to the agent states of the fleet protocol.
func (s StateID) heartbeatState() string {
	switch s {
	case Scheduled, WaitingForWindow:
		return "waiting"
	case Downloading:
		return "downloading"
	case Verifying:
		return "verifying"
	case Installing:
		return "installing"
	case HealthGate:
		return "checking"
	case RollingBack:
		return "rolling_back"
	case Failed:
		return "failed"
	}
	return "idle"
}

// Results of a finished update.
const (
	ResultCommitted  = "committed"
	ResultRolledBack = "rolled_back"
	ResultFailed     = "failed"
	ResultSkipped    = "skipped"
)

// Update kinds.
const (
	// KindInstall installs a release (a fleet install command).
	KindInstall = "install"
	// KindRollback returns a component to its previous version (a fleet
	// rollback command for an update committed earlier).
	KindRollback = "rollback"
)

// SchemaVersion is the version of the state file's format. A file of a
// newer version is refused (an older agent must not misread it).
const SchemaVersion = 1

// File is the agent's persisted state: <data_dir>/agent/state.json,
// written atomically before every step.
type File struct {
	// Schema is the format version (SchemaVersion).
	Schema int `json:"schema"`
	// Rev counts the writes; it increases with every save.
	Rev int64 `json:"rev"`
	// SavedAt is the clock's time of the write.
	SavedAt time.Time `json:"saved_at"`
	// Current is the update in progress; nil when idle.
	Current *Update `json:"current,omitempty"`
	// Inbox holds accepted commands not yet begun, oldest first.
	Inbox []protocol.Command `json:"inbox,omitempty"`
	// Seen lists the ids of the last commands taken, so that a command
	// delivered twice is taken once.
	Seen []int64 `json:"seen,omitempty"`
	// Installed holds the installed version of each component.
	Installed map[string]Installed `json:"installed,omitempty"`
	// Pause is the pharmacy's own pause of all updates.
	Pause Pause `json:"pause,omitzero"`
	// Postponed is the pharmacy's postponement of the next update.
	Postponed Postponement `json:"postponed,omitzero"`
	// Outbox holds the reports not yet delivered to the fleet.
	Outbox []Outgoing `json:"outbox,omitempty"`
	// History holds the finished updates, newest last.
	History []Update `json:"history,omitempty"`
}

// Installed is what the agent installed of a component.
type Installed struct {
	Version string `json:"version"`
	// Artifact is the path of the installed artifact ("" when unknown).
	Artifact string    `json:"artifact,omitempty"`
	SHA256   string    `json:"sha256,omitempty"`
	At       time.Time `json:"at,omitzero"`
	// Previous is the version before, kept for a rollback (with its
	// artifact, when the agent installed it).
	Previous *Installed `json:"previous,omitempty"`
}

// Pause is the pharmacy's pause of every update: no update starts until
// it is lifted. The fleet sees it in the heartbeat and sends no install.
type Pause struct {
	On     bool      `json:"on"`
	Reason string    `json:"reason,omitempty"`
	By     string    `json:"by,omitempty"`
	At     time.Time `json:"at,omitzero"`
}

// Postponement moves the next update past a point in time.
type Postponement struct {
	Until time.Time `json:"until,omitzero"`
	By    string    `json:"by,omitempty"`
	At    time.Time `json:"at,omitzero"`
}

// Outgoing is a report waiting for delivery.
type Outgoing struct {
	Report protocol.Report `json:"report"`
	At     time.Time       `json:"at"`
}

// Target is the signed description of an artifact in the fleet's TUF
// repository: its path, length and hashes (hex, by algorithm).
type Target struct {
	Path   string            `json:"path"`
	Length int64             `json:"length"`
	Hashes map[string]string `json:"hashes"`
}

// Transition is one step of an update, as logged and shown in the history.
type Transition struct {
	At   time.Time  `json:"at"`
	From StateID    `json:"from"`
	To   StateID    `json:"to"`
	Note check.Text `json:"note,omitzero"`
}

// Update is one install or rollback, from the fleet's command to its end.
type Update struct {
	// ID is unique within the site ("c42" for command 42).
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// Command is the fleet's command that began the update.
	Command protocol.Command `json:"command"`
	// RollbackCommands are fleet rollback commands answered by this
	// update's rollback.
	RollbackCommands []int64 `json:"rollback_commands,omitempty"`
	Component        string  `json:"component"`
	Title            string  `json:"title"`
	Version          string  `json:"version"`
	// From is the version before the update ("" when unknown).
	From string `json:"from,omitempty"`
	// State is where the update is; Entered when it got there.
	State   StateID   `json:"state"`
	Entered time.Time `json:"entered"`
	// Received is when the command was taken; Finished when the update
	// ended.
	Received time.Time `json:"received"`
	Finished time.Time `json:"finished,omitzero"`
	// Target is the signed description (after the TUF check).
	Target *Target `json:"target,omitempty"`
	// Artifact is the verified artifact's path (from Verifying on).
	Artifact string `json:"artifact,omitempty"`
	// Previous is the version to return to on rollback.
	Previous *Installed `json:"previous,omitempty"`
	// Attempts counts the install hook's runs; HookStarted is set before a
	// run and cleared when its result is recorded, so that a crash during
	// the run is noticed and the hook is not run twice.
	Attempts    int       `json:"attempts,omitempty"`
	HookStarted bool      `json:"hook_started,omitempty"`
	RetryAt     time.Time `json:"retry_at,omitzero"`
	// RollbackAttempts counts the rollback hook's runs.
	RollbackAttempts int `json:"rollback_attempts,omitempty"`
	// GateStart and GateUntil bound the health gate.
	GateStart time.Time `json:"gate_start,omitzero"`
	GateUntil time.Time `json:"gate_until,omitzero"`
	// NextTry delays the next download attempt after network trouble;
	// Tries counts them.
	NextTry time.Time `json:"next_try,omitzero"`
	Tries   int       `json:"tries,omitempty"`
	// Cancel is set when the fleet withdrew the update; RollbackRequested
	// when it asked for a rollback.
	Cancel            check.Text `json:"cancel,omitzero"`
	RollbackRequested check.Text `json:"rollback_requested,omitzero"`
	// Waiting says why the update does not go on now (window, pause, ...).
	Waiting check.Text `json:"waiting,omitzero"`
	// Result and Reason say how the update ended, and why.
	Result string     `json:"result,omitempty"`
	Reason check.Text `json:"reason,omitzero"`
	// Transitions is the update's log (the last maxTransitions).
	Transitions []Transition `json:"transitions,omitempty"`
}

// Bounds of the state file.
const (
	maxTransitions = 100
	maxHistory     = 50
	maxSeen        = 500
	maxOutbox      = 200
)

// clone returns a deep copy of the file (for readers outside the lock).
func (f File) clone() File {
	out := f
	if f.Current != nil {
		c := f.Current.clone()
		out.Current = &c
	}
	out.Inbox = append([]protocol.Command(nil), f.Inbox...)
	out.Seen = append([]int64(nil), f.Seen...)
	out.Outbox = append([]Outgoing(nil), f.Outbox...)
	out.History = make([]Update, len(f.History))
	for i, u := range f.History {
		out.History[i] = u.clone()
	}
	if f.Installed != nil {
		out.Installed = make(map[string]Installed, len(f.Installed))
		for k, v := range f.Installed {
			out.Installed[k] = v
		}
	}
	return out
}

func (u Update) clone() Update {
	out := u
	out.RollbackCommands = append([]int64(nil), u.RollbackCommands...)
	out.Transitions = append([]Transition(nil), u.Transitions...)
	if u.Target != nil {
		t := *u.Target
		t.Hashes = make(map[string]string, len(u.Target.Hashes))
		for k, v := range u.Target.Hashes {
			t.Hashes[k] = v
		}
		out.Target = &t
	}
	if u.Previous != nil {
		p := *u.Previous
		out.Previous = &p
	}
	return out
}
