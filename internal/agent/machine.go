package agent

import (
	"context"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// state is one state of the machine, as in the mender client: Handle does
// the state's work for the update in progress and returns the next state
// with a note for the log. Returning the state itself means "not yet":
// the loop waits a poll interval (or a wake-up) and asks again. The state
// is on disk before Handle runs, so Handle must be safe to run again after
// a crash: each handler says what it does when it finds its work half done.
type state interface {
	Handle(ctx context.Context, a *Agent) (StateID, check.Text)
}

// stateFor returns the handler of a state; an unknown one (a damaged
// file) is handled as Failed.
func stateFor(id StateID) state {
	switch id {
	case Idle:
		return idleState{}
	case Scheduled:
		return scheduledState{}
	case Downloading:
		return downloadingState{}
	case Verifying:
		return verifyingState{}
	case WaitingForWindow:
		return waitingState{}
	case Installing:
		return installingState{}
	case HealthGate:
		return healthGateState{}
	case Committed:
		return committedState{}
	case RollingBack:
		return rollingBackState{}
	case RolledBack:
		return rolledBackState{}
	}
	return failedState{}
}

// Compile-time checks: every state implements state.
var (
	_ state = idleState{}
	_ state = scheduledState{}
	_ state = downloadingState{}
	_ state = verifyingState{}
	_ state = waitingState{}
	_ state = installingState{}
	_ state = healthGateState{}
	_ state = committedState{}
	_ state = rollingBackState{}
	_ state = rolledBackState{}
	_ state = failedState{}
)

// fail returns Failed with the reason, recording it on the update.
func fail(a *Agent, reason check.Text) (StateID, check.Text) {
	if err := a.update(func(u *Update) { u.Reason = reason }); err != nil {
		a.log.Error("agent: cannot write the state", "err", err)
	}
	return Failed, reason
}

// setWaiting records why the update does not go on now (for the
// dashboard); the file is written only when the reason changed.
func (a *Agent) setWaiting(t check.Text) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f.Current == nil || a.f.Current.Waiting == t {
		return
	}
	a.f.Current.Waiting = t
	if err := a.saveLocked(); err != nil {
		a.log.Error("agent: cannot write the state", "err", err)
	}
}

// dropped checks the conditions that end an update before its install
// began: the fleet cancelled it or asked for a rollback, or its slot is
// over. It ends the update as skipped and returns true.
func (a *Agent) dropped(u *Update, now time.Time) bool {
	var why check.Text
	switch {
	case !u.Cancel.IsZero():
		why = check.Msg("Vom Hersteller zurückgezogen: "+u.Cancel.DE, "withdrawn by the vendor: "+u.Cancel.EN)
	case !u.RollbackRequested.IsZero():
		why = check.Msg("Vom Hersteller zurückgezogen: "+u.RollbackRequested.DE, "withdrawn by the vendor: "+u.RollbackRequested.EN)
	case !u.Command.NotAfter.IsZero() && !now.Before(u.Command.NotAfter):
		loc := a.cfg.Location()
		why = check.Msg("Der geplante Zeitraum (bis "+clockText(u.Command.NotAfter, loc, "de")+") ist vorbei, ohne dass das Update beginnen durfte",
			"the planned slot (until "+clockText(u.Command.NotAfter, loc, "en")+") passed without the update being allowed to start")
		if !u.Waiting.IsZero() {
			why = check.Msg(why.DE+"; zuletzt: "+u.Waiting.DE, why.EN+"; last: "+u.Waiting.EN)
		}
	default:
		return false
	}
	if err := a.finish(ResultSkipped, why, nil); err != nil {
		a.log.Error("agent: cannot write the state", "err", err)
	}
	return true
}
