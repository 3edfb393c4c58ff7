package rollout

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lifeline-project/lifeline/internal/check"
)

// Plan is what a rollout does: a release in rings, with the ring of every
// site fixed when the plan is made. It is plain data; the fleet stores it
// as JSON and never changes it.
type Plan struct {
	// ID identifies the rollout in the fleet.
	ID string `json:"id"`
	// Release names what is rolled out ("erp 2026.2.1"), for reasons.
	Release string `json:"release"`
	// Rings are the stages in order.
	Rings []Ring `json:"rings"`
	// Sites holds each ring's site IDs, sorted, as AssignRings made them.
	Sites [][]string `json:"sites"`
	// HeartbeatDeadline is the dead-man's switch (0: 15 minutes).
	HeartbeatDeadline time.Duration `json:"heartbeat_deadline,omitempty"`
}

// NewPlan makes a plan: it assigns siteIDs to rings with AssignRings and
// seed (the plan's ID is a good seed: each rollout then tries a different
// 1 %; a fixed seed keeps the same sites first every time).
func NewPlan(id, release string, rings []Ring, siteIDs []string, seed string) (Plan, error) {
	sites, err := AssignRings(siteIDs, rings, seed)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{ID: id, Release: release, Rings: slices.Clone(rings), Sites: sites}
	return p, p.Validate()
}

// Validate reports what is wrong with the plan.
func (p Plan) Validate() error {
	if strings.TrimSpace(p.ID) == "" {
		return errorf(EINVALID, "Rollout ohne ID", "rollout without an id")
	}
	if err := ValidateRings(p.Rings); err != nil {
		return err
	}
	if len(p.Sites) != len(p.Rings) {
		return errorf(EINVALID, "Plan hat %d Standortlisten für %d Ringe", "plan has %d site lists for %d rings", len(p.Sites), len(p.Rings))
	}
	seen := map[string]bool{}
	for i, ids := range p.Sites {
		if !slices.IsSorted(ids) {
			return errorf(EINVALID, "Standorte von Ring %d nicht sortiert", "sites of ring %d not sorted", i)
		}
		for _, id := range ids {
			if seen[id] {
				return errorf(EINVALID, "Standort %q ist in mehr als einem Ring (Ring %d)", "site %q is in more than one ring (ring %d)", id, i)
			}
			seen[id] = true
		}
	}
	if p.HeartbeatDeadline < 0 {
		return errorf(EINVALID, "Frist für Lebenszeichen negativ", "heartbeat deadline negative")
	}
	return nil
}

// RingOf returns the index of the ring that holds the site.
func (p Plan) RingOf(siteID string) (int, bool) {
	for i, ids := range p.Sites {
		if _, found := slices.BinarySearch(ids, siteID); found {
			return i, true
		}
	}
	return 0, false
}

func (p Plan) deadline() time.Duration {
	if p.HeartbeatDeadline > 0 {
		return p.HeartbeatDeadline
	}
	return DefaultHeartbeatDeadline
}

// Status is where a rollout stands. The strings are the fleet's.
type Status string

// Statuses and the transitions between them:
//
//	running -> paused    Pause by hand, or an inconclusive gate
//	running -> halted    a gate halts (too many failures)
//	running -> done      the last ring passed
//	paused  -> running   Resume by hand
//	paused  -> halted    a gate halts (gates are watched while paused)
//	halted  -> running   Resume by hand: the halted ring starts over
//	running, paused, halted -> aborted   Abort by hand
//
// aborted and done are final.
const (
	Running Status = "running"
	Paused  Status = "paused"
	Halted  Status = "halted"
	Aborted Status = "aborted"
	Done    Status = "done"
)

// Slot is when one site is to install: within its maintenance window, from
// Start to End.
type Slot struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// EventKind names a step in a rollout's history.
type EventKind string

// Event kinds.
const (
	EventStarted      EventKind = "started"
	EventRingStarted  EventKind = "ring-started"
	EventRingPassed   EventKind = "ring-passed"
	EventInconclusive EventKind = "inconclusive"
	EventHalted       EventKind = "halted"
	EventPaused       EventKind = "paused"
	EventResumed      EventKind = "resumed"
	EventAborted      EventKind = "aborted"
	EventDone         EventKind = "done"
)

// Event is one step in a rollout's history, kept as evidence.
type Event struct {
	At   time.Time `json:"at"`
	Kind EventKind `json:"kind"`
	// Ring is the index of the ring the rollout was in.
	Ring int `json:"ring"`
	// Actor is the person for steps by hand, "" for the planner.
	Actor  string     `json:"actor,omitempty"`
	Reason check.Text `json:"reason"`
}

// State is a rollout's progress. It is plain data: the fleet stores it as
// JSON between calls of Advance and the transitions, which return a new
// State and never change the one they are given.
type State struct {
	PlanID string `json:"plan_id"`
	Status Status `json:"status"`
	// Ring is the index of the current ring (len(plan.Rings) when done).
	Ring int `json:"ring"`
	// RingStarted is when the current ring started, or was last resumed.
	RingStarted time.Time `json:"ring_started"`
	// CountFrom: installs that began before it belong to an earlier
	// attempt of the ring (before a halt and resume) and are ignored.
	CountFrom time.Time `json:"count_from"`
	// Slots holds the scheduled slots of the current ring's sites.
	Slots map[string]Slot `json:"slots"`
	// RolledBack holds when a rollback was sent to each site of the
	// current ring.
	RolledBack map[string]time.Time `json:"rolled_back,omitempty"`
	// Gate is the last evaluation of the current ring.
	Gate *Gate `json:"gate,omitempty"`
	// Reason says why the rollout is paused, halted, aborted or done.
	Reason check.Text `json:"reason"`
	// Events is the history, oldest first.
	Events []Event `json:"events"`
}

// Begin starts a rollout of plan at now: running, first ring. Call Advance
// next for the first commands.
func Begin(plan Plan, now time.Time, actor string) (State, error) {
	if err := plan.Validate(); err != nil {
		return State{}, err
	}
	s := State{PlanID: plan.ID, Status: Running, RingStarted: now, CountFrom: now, Slots: map[string]Slot{}}
	s.event(now, EventStarted, actor, check.Msg("Rollout von "+plan.Release+" gestartet", "rollout of "+plan.Release+" started"))
	if len(plan.Rings) > 0 {
		s.event(now, EventRingStarted, "", ringText(plan, 0, "gestartet", "started"))
	}
	return s, nil
}

func ringText(p Plan, i int, de, en string) check.Text {
	return check.Msg(fmt.Sprintf("Ring „%s“ (%d Standorte) %s", p.Rings[i].Name, len(p.Sites[i]), de),
		fmt.Sprintf("ring %q (%d sites) %s", p.Rings[i].Name, len(p.Sites[i]), en))
}

// clone returns a deep copy, so that a transition never changes its input.
func (s State) clone() State {
	s.Slots = maps.Clone(s.Slots)
	if s.Slots == nil {
		s.Slots = map[string]Slot{}
	}
	s.RolledBack = maps.Clone(s.RolledBack)
	s.Events = slices.Clone(s.Events)
	if s.Gate != nil {
		g := *s.Gate
		s.Gate = &g
	}
	return s
}

func (s *State) event(at time.Time, kind EventKind, actor string, reason check.Text) {
	s.Events = append(s.Events, Event{At: at, Kind: kind, Ring: s.Ring, Actor: actor, Reason: reason})
}

// maxReasonRunes bounds a reason given by hand.
const maxReasonRunes = 1000

// manual checks a transition by hand: a reason is required, and the
// current status must be one of from.
func (s State) manual(actionDE, actionEN, actor, reason string, from ...Status) (check.Text, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return check.Text{}, errorf(EINVALID, "Bitte einen Grund angeben", "please give a reason")
	case utf8.RuneCountInString(reason) > maxReasonRunes:
		return check.Text{}, errorf(EINVALID, "Grund zu lang (höchstens %d Zeichen)", "reason too long (at most %d characters)", maxReasonRunes)
	case !slices.Contains(from, s.Status):
		return check.Text{}, &Error{Code: ECONFLICT, Message: check.Msg(
			fmt.Sprintf("Ein Rollout im Zustand „%s“ kann nicht %s werden", s.Status, actionDE),
			fmt.Sprintf("a rollout that is %s cannot be %s", s.Status, actionEN))}
	}
	who := actor
	if who == "" {
		who = "?"
	}
	return check.Msg(fmt.Sprintf("%s (von %s)", reason, who), fmt.Sprintf("%s (by %s)", reason, who)), nil
}

// Pause stops a running rollout by hand: no new slots, and the slots of
// sites that have not begun are cancelled by the next Advance. Gates are
// still watched: a paused rollout still halts and rolls back. ECONFLICT
// unless running; EINVALID without a reason.
func (s State) Pause(now time.Time, actor, reason string) (State, error) {
	why, err := s.manual("pausiert", "paused", actor, reason, Running)
	if err != nil {
		return s, err
	}
	n := s.clone()
	n.Status, n.Reason = Paused, why
	n.event(now, EventPaused, actor, why)
	return n, nil
}

// Resume continues a paused or halted rollout by hand. The current ring's
// soak starts again at now, and sites whose slot has passed unused are
// scheduled again. Resuming a halted rollout starts the halted ring over:
// its earlier installs no longer count and all its sites are scheduled
// again, the rolled-back ones included; do so only when the cause of the
// halt is understood. ECONFLICT unless paused or halted; EINVALID without
// a reason.
func (s State) Resume(now time.Time, actor, reason string) (State, error) {
	why, err := s.manual("fortgesetzt", "resumed", actor, reason, Paused, Halted)
	if err != nil {
		return s, err
	}
	n := s.clone()
	if n.Status == Halted {
		n.CountFrom = now
		n.Slots = map[string]Slot{}
		n.RolledBack = nil
	}
	for id, sl := range n.Slots {
		if !sl.End.After(now) {
			delete(n.Slots, id)
		}
	}
	n.Status, n.Reason, n.RingStarted = Running, why, now
	n.Gate = nil
	n.event(now, EventResumed, actor, why)
	return n, nil
}

// Abort ends a rollout by hand for good: the next Advance cancels the
// slots of sites that have not begun. Sites already updated keep the
// release; to take it back, roll out the previous release. ECONFLICT when aborted or done already; EINVALID
// without a reason.
func (s State) Abort(now time.Time, actor, reason string) (State, error) {
	why, err := s.manual("abgebrochen", "aborted", actor, reason, Running, Paused, Halted)
	if err != nil {
		return s, err
	}
	n := s.clone()
	n.Status, n.Reason = Aborted, why
	n.event(now, EventAborted, actor, why)
	return n, nil
}
