package agent

import (
	"context"
	"slices"
	"strconv"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
)

// Command kinds of the fleet protocol.
const (
	commandInstall  = "install"
	commandRollback = "rollback"
	commandCancel   = "cancel"
)

// HandleCommand takes a command from the fleet (it is the site's
// fleetclient.Handler). It stores the command in the state file before it
// returns, so that the fleet's acknowledgement is only sent for a command
// that survives a crash; an error (the file cannot be written) leaves the
// command pending at the fleet, which delivers it again. A command taken
// before is ignored.
//
//   - install: queued; the agent works on one update at a time.
//   - cancel: drops the rollout's install if it has not begun installing
//     (reported as skipped); an install that began goes on.
//   - rollback: the rollout's update in progress is rolled back (or
//     dropped, when not installed yet); a finished update is rolled back
//     when its version is the installed one, else the report says there
//     was nothing to roll back.
func (a *Agent) HandleCommand(_ context.Context, cmd protocol.Command) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if slices.Contains(a.f.Seen, cmd.ID) {
		return nil
	}
	before := a.f.clone()
	a.f.Seen = append(a.f.Seen, cmd.ID)
	if len(a.f.Seen) > maxSeen {
		a.f.Seen = a.f.Seen[len(a.f.Seen)-maxSeen:]
	}
	reason := check.Msg(cmd.Reason, cmd.Reason)
	if cmd.Reason == "" {
		reason = check.Msg("ohne Angabe von Gründen", "no reason given")
	}
	cur := a.f.Current
	sameRollout := func(u *Update) bool {
		return u != nil && u.Kind == KindInstall && (u.Command.RolloutID == cmd.RolloutID && cmd.RolloutID != 0 ||
			u.Component == cmd.Component && u.Version == cmd.Version)
	}
	switch cmd.Kind {
	case commandInstall:
		a.f.Inbox = append(a.f.Inbox, cmd)
		a.queueLocked(cmd.ID, protocol.Report{CommandID: cmd.ID, Status: statusReceived, Message: "angenommen; in der Warteschlange"})
	case commandCancel:
		kept := a.f.Inbox[:0]
		for _, q := range a.f.Inbox {
			if q.Kind == commandInstall && q.RolloutID == cmd.RolloutID {
				a.queueLocked(q.ID, protocol.Report{CommandID: q.ID, Status: statusSkipped, Message: "Vom Hersteller zurückgezogen: " + reason.DE})
				continue
			}
			kept = append(kept, q)
		}
		a.f.Inbox = kept
		if sameRollout(cur) && cur.Command.RolloutID == cmd.RolloutID && beforeInstall(cur.State) {
			cur.Cancel = reason
		} else if sameRollout(cur) {
			a.log.Info("agent: cancel ignored; the install began", "command", cmd.ID, "update", cur.ID, "state", cur.State)
		}
	case commandRollback:
		switch {
		case sameRollout(cur) && beforeInstall(cur.State):
			cur.RollbackCommands = append(cur.RollbackCommands, cmd.ID)
			cur.RollbackRequested = reason
		case sameRollout(cur) && (cur.State == Installing || cur.State == HealthGate || cur.State == RollingBack):
			cur.RollbackCommands = append(cur.RollbackCommands, cmd.ID)
			cur.RollbackRequested = reason
		default:
			// Finished, or finishing: decided in Idle from the installed
			// version.
			a.f.Inbox = append(a.f.Inbox, cmd)
		}
	default:
		a.log.Warn("agent: unknown command kind; ignored", "command", cmd.ID, "kind", cmd.Kind)
		a.queueLocked(cmd.ID, protocol.Report{CommandID: cmd.ID, Status: statusSkipped, Message: "unbekannte Art von Auftrag: " + cmd.Kind})
	}
	if err := a.saveLocked(); err != nil {
		a.f = before
		return err
	}
	a.log.Info("agent: command taken", "command", cmd.ID, "kind", cmd.Kind, "component", cmd.Component, "version", cmd.Version)
	a.Wake()
	return nil
}

// beforeInstall reports whether an update in state s has not begun to
// change the site.
func beforeInstall(s StateID) bool {
	switch s {
	case Scheduled, Downloading, Verifying, WaitingForWindow:
		return true
	}
	return false
}

// idleState takes the next command from the inbox.
type idleState struct{}

// Handle begins the next queued command; with none, it removes the
// artifacts no update needs any more (once after each update) and waits.
func (idleState) Handle(_ context.Context, a *Agent) (StateID, check.Text) {
	a.mu.Lock()
	if len(a.f.Inbox) == 0 {
		clean := !a.cleanedUp
		a.cleanedUp = true
		a.mu.Unlock()
		if clean {
			a.removeUnusedArtifacts()
		}
		return Idle, check.Text{}
	}
	cmd := a.f.Inbox[0]
	a.f.Inbox = a.f.Inbox[1:]
	now := a.clk.Now().UTC()
	comp, known := a.component(cmd.Component)
	u := &Update{ID: "c" + strconv.FormatInt(cmd.ID, 10), Command: cmd, Component: cmd.Component,
		Title: comp.DisplayName(), Version: cmd.Version, Received: now, Entered: now}
	if !known {
		u.Title = cmd.Component
	}
	inst, has := a.f.Installed[cmd.Component]
	if has {
		u.From = inst.Version
	}
	var to StateID
	var note check.Text
	switch cmd.Kind {
	case commandRollback:
		if !has || inst.Version != cmd.Version {
			msg := "Version " + cmd.Version + " ist nicht installiert; nichts zurückzunehmen"
			if has {
				msg += " (installiert: " + inst.Version + ")"
			}
			a.queueLocked(cmd.ID, protocol.Report{CommandID: cmd.ID, Status: statusRolledBack, Message: msg})
			err := a.saveLocked()
			a.mu.Unlock()
			if err != nil {
				a.log.Error("agent: cannot write the state", "err", err)
			}
			return Idle, check.Text{}
		}
		u.Kind, u.Artifact = KindRollback, inst.Artifact
		u.Previous = inst.Previous
		u.RollbackRequested = check.Msg("Rücknahme verlangt: "+cmd.Reason, "rollback requested: "+cmd.Reason)
		to, note = RollingBack, check.Msg("Der Hersteller verlangt die Rücknahme von "+cmd.Version+": "+cmd.Reason,
			"the vendor asks to roll back "+cmd.Version+": "+cmd.Reason)
	default:
		u.Kind = KindInstall
		if has {
			prev := inst
			prev.Previous = nil
			u.Previous = &prev
		}
		to, note = Scheduled, check.Msg("Update "+u.Title+" "+cmd.Version+" angenommen", "update "+u.Title+" "+cmd.Version+" accepted")
	}
	u.State = to
	u.Transitions = []Transition{{At: now, From: Idle, To: to, Note: note}}
	a.f.Current = u
	a.queueReportsLocked(u, to, note)
	a.log.Info("agent: transition", "update", u.ID, "component", u.Component, "version", u.Version, "from", Idle, "to", to, "note", note.EN)
	err := a.saveLocked()
	a.mu.Unlock()
	if err != nil {
		a.log.Error("agent: cannot write the state", "err", err)
	}
	return to, note
}
