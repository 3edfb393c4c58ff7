package rollout

import (
	"maps"
	"slices"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// CommandKind is what a command tells a site to do.
type CommandKind string

// Command kinds.
const (
	// CommandInstall: install the release inside the slot from NotBefore
	// to NotAfter, and not outside it.
	CommandInstall CommandKind = "install"
	// CommandCancel: drop the site's install command of this rollout if it
	// has not begun (the slot became blocked, the site paused, the rollout
	// paused, halted or was aborted). A site that already began ignores it.
	CommandCancel CommandKind = "cancel"
	// CommandRollback: return to the previous version.
	CommandRollback CommandKind = "rollback"
)

// Command is an instruction for one site that Advance asks the fleet to
// deliver.
type Command struct {
	Kind   CommandKind `json:"kind"`
	SiteID string      `json:"site_id"`
	// Ring is the index of the site's ring.
	Ring int `json:"ring"`
	// NotBefore and NotAfter bound an install: the site's slot.
	NotBefore time.Time `json:"not_before,omitzero"`
	NotAfter  time.Time `json:"not_after,omitzero"`
	// Reason says why, for cancel and rollback.
	Reason check.Text `json:"reason,omitzero"`
}

// Inputs is what the fleet knows now and passes to Advance.
type Inputs struct {
	// Sites holds the current configuration of the rollout's sites by ID.
	// A site missing here gets no slot (and loses the one it had).
	Sites map[string]Site
	// Calendar is the blackout calendar (nil: no duties and no freezes).
	Calendar *Calendar
	// Outcomes holds what each site reported for this rollout, by site ID:
	// install start, final report, last heartbeat. Due is filled in by
	// Advance from the state's slots. A site missing here has not begun.
	Outcomes map[string]Outcome
}

// Advance is the planner's step: given the plan, the last state, what the
// fleet knows now and the time, it returns the new state and the commands
// to deliver. It is pure: the fleet calls it periodically (every minute is
// plenty) and after each transition by hand, persists the state and
// enqueues the commands in one transaction. Calling it again with the
// same inputs emits no command twice. In one step it:
//
//   - evaluates the current ring's gate (EvaluateGate), also while paused;
//   - on Halt: halts, sends a rollback to every site of the ring that began
//     installing, and cancels the slots of the others; later steps roll
//     back sites of the ring that begin installing after all;
//   - while paused, halted, aborted or done: cancels the slots of sites
//     that have not begun, and schedules nothing;
//   - on Inconclusive: pauses, and cancels as above;
//   - on Pass: starts the next ring (or ends the rollout as done) and goes
//     on with it in the same step;
//   - on Wait: gives every site of the ring that has not begun, has no
//     slot and is not paused its NextSlot from the ring's start, and
//     cancels and replaces a slot that a blackout, a pause or a changed
//     window has made invalid since. A slot that passed unused stays (the
//     site counts as without result) until the ring is resumed.
func Advance(plan Plan, st State, in Inputs, now time.Time) (State, []Command) {
	ns := st.clone()
	var cmds []Command
	deadline := plan.deadline()
	for {
		if ns.Ring < 0 || ns.Ring >= len(plan.Rings) || ns.Ring >= len(plan.Sites) {
			if ns.Status == Running || ns.Status == Paused {
				ns.Status = Done
				ns.Reason = check.Msg("Rollout abgeschlossen", "rollout done")
				ns.event(now, EventDone, "", ns.Reason)
			}
			return ns, cmds
		}
		switch ns.Status {
		case Aborted, Done:
			return ns, append(cmds, ns.cancelPending(in, now, ns.Reason)...)
		case Halted:
			cmds = append(cmds, ns.rollBack(plan, in, now)...)
			return ns, append(cmds, ns.cancelPending(in, now, ns.Reason)...)
		}
		if ns.RingStarted.IsZero() {
			ns.RingStarted = now
		}
		ring := plan.Rings[ns.Ring]
		outs := make([]Outcome, len(plan.Sites[ns.Ring]))
		for i, id := range plan.Sites[ns.Ring] {
			outs[i] = ns.outcome(id, in)
		}
		g := EvaluateGate(ring, outs, ns.RingStarted, now, deadline)
		ns.Gate = &g

		if g.Decision == Halt {
			ns.Status, ns.Reason = Halted, g.Reason
			ns.event(now, EventHalted, "", g.Reason)
			cmds = append(cmds, ns.rollBack(plan, in, now)...)
			return ns, append(cmds, ns.cancelPending(in, now, g.Reason)...)
		}
		if ns.Status == Paused {
			return ns, append(cmds, ns.cancelPending(in, now, ns.Reason)...)
		}
		switch g.Decision {
		case Pass:
			ns.event(now, EventRingPassed, "", g.Reason)
			ns.Ring++
			ns.Slots = map[string]Slot{}
			ns.RolledBack = nil
			ns.Gate = nil
			ns.RingStarted, ns.CountFrom = now, now
			if ns.Ring < len(plan.Rings) && ns.Ring < len(plan.Sites) {
				ns.event(now, EventRingStarted, "", ringText(plan, ns.Ring, "gestartet", "started"))
			}
			continue
		case Inconclusive:
			ns.Status, ns.Reason = Paused, g.Reason
			ns.event(now, EventInconclusive, "", g.Reason)
			return ns, append(cmds, ns.cancelPending(in, now, g.Reason)...)
		}
		return ns, append(cmds, ns.schedule(plan, in, now)...)
	}
}

// outcome returns the site's outcome as the current ring counts it: an
// install that began before CountFrom belongs to an earlier attempt and
// does not count; Due is the site's slot end.
func (s *State) outcome(id string, in Inputs) Outcome {
	o := in.Outcomes[id]
	o.SiteID = id
	if o.Installed() && o.InstallStarted.Before(s.CountFrom) {
		o = Outcome{SiteID: id, LastHeartbeat: o.LastHeartbeat}
	}
	o.Due = s.Slots[id].End
	return o
}

// schedule gives slots to the current ring's sites that need one.
func (s *State) schedule(plan Plan, in Inputs, now time.Time) []Command {
	var cmds []Command
	from := now
	if s.RingStarted.After(from) {
		from = s.RingStarted
	}
	for _, id := range plan.Sites[s.Ring] {
		if s.outcome(id, in).Installed() {
			continue
		}
		site, known := in.Sites[id]
		site.ID = id
		if sl, has := s.Slots[id]; has {
			if !sl.End.After(now) {
				continue // passed unused: the gate counts it
			}
			why, ok := slotValid(site, known, in.Calendar, sl, now)
			if ok {
				continue
			}
			delete(s.Slots, id)
			cmds = append(cmds, Command{Kind: CommandCancel, SiteID: id, Ring: s.Ring, Reason: why})
		}
		if !known {
			continue
		}
		start, end, ok := NextSlot(site, in.Calendar, from)
		if !ok {
			continue
		}
		s.Slots[id] = Slot{Start: start, End: end}
		cmds = append(cmds, Command{Kind: CommandInstall, SiteID: id, Ring: s.Ring, NotBefore: start, NotAfter: end})
	}
	return cmds
}

// slotValid reports whether a scheduled slot still holds for the site;
// when it does not, it says why.
func slotValid(site Site, known bool, cal *Calendar, sl Slot, now time.Time) (check.Text, bool) {
	if !known {
		return check.Msg("Standort nicht mehr in der Flotte", "site no longer in the fleet"), false
	}
	if site.Paused {
		return pausedReason(site).Text, false
	}
	from := sl.Start
	if now.After(from) {
		from = now
	}
	s, e, ok := NextSlot(site, cal, from)
	if ok && !s.After(from) && e.Equal(sl.End) {
		return check.Text{}, true
	}
	if b, blocked := cal.conflict(site, from, sl.End); blocked {
		return b.Reason.Text, false
	}
	return check.Msg("Wartungsfenster geändert", "maintenance window changed"), false
}

// cancelPending cancels the slots of sites that have not begun installing.
func (s *State) cancelPending(in Inputs, now time.Time, why check.Text) []Command {
	var cmds []Command
	for _, id := range slices.Sorted(maps.Keys(s.Slots)) {
		if s.outcome(id, in).Installed() {
			continue
		}
		delete(s.Slots, id)
		cmds = append(cmds, Command{Kind: CommandCancel, SiteID: id, Ring: s.Ring, Reason: why})
	}
	return cmds
}

// rollBack sends a rollback to every site of the current ring that began
// installing and has not been sent one.
func (s *State) rollBack(plan Plan, in Inputs, now time.Time) []Command {
	var cmds []Command
	for _, id := range plan.Sites[s.Ring] {
		if !s.outcome(id, in).Installed() {
			continue
		}
		if _, sent := s.RolledBack[id]; sent {
			continue
		}
		if s.RolledBack == nil {
			s.RolledBack = map[string]time.Time{}
		}
		s.RolledBack[id] = now
		cmds = append(cmds, Command{Kind: CommandRollback, SiteID: id, Ring: s.Ring, Reason: s.Reason})
	}
	return cmds
}
