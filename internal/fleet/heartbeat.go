package fleet

import (
	"fmt"
	"maps"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/lifeline-project/lifeline/internal/check"
)

// Heartbeat is the latest health summary of a site, as the fleet received
// it. The site sends one every heartbeat interval (30 s by default).
type Heartbeat struct {
	SiteID string
	// ReceivedAt is the fleet's time of receipt (the site's clock may be
	// wrong; the fleet never trusts it for deadlines).
	ReceivedAt time.Time
	// SentAt is the site's own time of sending, shown to spot a wrong clock.
	SentAt time.Time
	// Overall is the site's overall state: ok, degraded, down or unknown
	// (internal/check).
	Overall string
	// Sentence is the site dashboard's one-sentence summary, in German.
	Sentence string
	// RootCauses are the ids of the checks that explain the site's trouble.
	RootCauses []string
	// Components maps each installed component to its version.
	Components map[string]string
	// AgentVersion is the version of lifeline at the site.
	AgentVersion string
	// AgentState is what the site's update agent does now (idle,
	// downloading, installing, verifying, rolling_back).
	AgentState string
	// UpdatesPaused is set when the pharmacy paused updates at the site;
	// the fleet never overrides that pause (it sends no install).
	UpdatesPaused bool
	// PauseReason is the pharmacy's reason for the pause, shown in the
	// console.
	PauseReason string
	// OverallSince is when Overall last changed (the fleet's time): the
	// start of a problem in the triage queue.
	OverallSince time.Time
}

// HealthEvent is a change of a site's overall state, for its timeline.
type HealthEvent struct {
	SiteID     string
	At         time.Time
	Overall    string
	Sentence   string
	RootCauses []string
}

// Overall states a heartbeat may carry (the values of check.State).
var overallStates = []string{string(check.StateOK), string(check.StateDegraded), string(check.StateDown), string(check.StateUnknown)}

// Agent states a heartbeat may carry.
var agentStates = []string{"", "idle", "downloading", "verifying", "waiting", "installing", "checking", "rolling_back", "failed"}

// Limits of a heartbeat, so that one site cannot fill the database.
const (
	maxComponents = 64
	maxRootCauses = 64
	maxShortText  = 128
	maxSentence   = 1000
)

// Validate reports the first problem of a heartbeat as an EINVALID error.
func (h Heartbeat) Validate() error {
	bad := func(format string, args ...any) error {
		msg := fmt.Sprintf(format, args...)
		return Errorf(EINVALID, "Ungültiger Heartbeat: %s", "Invalid heartbeat: %s", msg)
	}
	if !slices.Contains(overallStates, h.Overall) {
		return bad("overall %q is not one of ok, degraded, down, unknown", h.Overall)
	}
	if utf8.RuneCountInString(h.Sentence) > maxSentence {
		return bad("sentence longer than %d characters", maxSentence)
	}
	if len(h.RootCauses) > maxRootCauses {
		return bad("more than %d root causes", maxRootCauses)
	}
	for _, rc := range h.RootCauses {
		if rc == "" || len(rc) > maxShortText {
			return bad("root cause %q is empty or too long", rc)
		}
	}
	if len(h.Components) > maxComponents {
		return bad("more than %d components", maxComponents)
	}
	for name, v := range h.Components {
		if !ValidComponent(name) {
			return bad("component name %q may only contain a-z, 0-9, - and _", name)
		}
		if v == "" || len(v) > maxShortText || !utf8.ValidString(v) {
			return bad("version of %s is empty or too long", name)
		}
	}
	if len(h.AgentVersion) > maxShortText || len(h.PauseReason) > maxSentence {
		return bad("agent version or pause reason too long")
	}
	if !slices.Contains(agentStates, h.AgentState) {
		return bad("agent state %q is unknown", h.AgentState)
	}
	return nil
}

// sameContent reports whether two heartbeats of one site carry the same
// fields apart from their times, so that the store need only note the
// site as seen.
func (h Heartbeat) sameContent(o Heartbeat) bool {
	return h.Overall == o.Overall && h.Sentence == o.Sentence &&
		slices.Equal(h.RootCauses, o.RootCauses) && maps.Equal(h.Components, o.Components) &&
		h.AgentVersion == o.AgentVersion && h.AgentState == o.AgentState &&
		h.UpdatesPaused == o.UpdatesPaused && h.PauseReason == o.PauseReason
}

// Seen is a site that was heard from at At without a change of content.
type Seen struct {
	SiteID string
	At     time.Time
	// SentAt is the site's own time of its last heartbeat.
	SentAt time.Time
}

// HeartbeatBatch is what the service writes to the store in one go: the
// heartbeats whose content changed (written in full, with version history)
// and the sites only seen again (their last-seen times).
type HeartbeatBatch struct {
	Changed []Heartbeat
	Seen    []Seen
}

// Len returns the number of sites in the batch.
func (b HeartbeatBatch) Len() int { return len(b.Changed) + len(b.Seen) }

// VersionEvent is the moment a site was first seen with a version of a
// component: the console's "which version it got when".
type VersionEvent struct {
	SiteID    string
	Component string
	Version   string
	At        time.Time
}

// Liveness is how recently a site was heard from.
type Liveness string

// Liveness values.
const (
	// LiveOnline: a heartbeat within two intervals.
	LiveOnline Liveness = "online"
	// LiveLate: heartbeats missed, but the dead-man deadline not passed.
	LiveLate Liveness = "late"
	// LiveSilent: nothing heard for the dead-man deadline or longer.
	LiveSilent Liveness = "silent"
	// LiveNever: the site never sent a heartbeat.
	LiveNever Liveness = "never"
)

// LivenessAt returns the liveness of a site last heard at last (zero:
// never), at now, for a heartbeat interval and dead-man deadline.
func LivenessAt(last, now time.Time, interval, deadline time.Duration) Liveness {
	switch {
	case last.IsZero():
		return LiveNever
	case now.Sub(last) <= 2*interval:
		return LiveOnline
	case now.Sub(last) < deadline:
		return LiveLate
	default:
		return LiveSilent
	}
}

// Words returns the liveness in plain words.
func (l Liveness) Words() check.Text {
	switch l {
	case LiveOnline:
		return check.Msg("meldet sich", "reporting")
	case LiveLate:
		return check.Msg("Meldung überfällig", "report overdue")
	case LiveSilent:
		return check.Msg("stumm", "silent")
	default:
		return check.Msg("noch nie gemeldet", "never reported")
	}
}
