package agent

import (
	"context"

	"github.com/lifeline-project/lifeline/internal/check"
)

// waitingState holds a verified update until MayStart allows it: inside
// the window and the fleet's slot, not paused or postponed, no emergency
// mode, no open incident, no blocked day, the gate checks ok.
type waitingState struct{}

// Handle starts the install when allowed; it ends the update as skipped
// when the slot passes (or failed, when the hook had asked to try again
// later and the slot ran out), and shows why it waits.
func (waitingState) Handle(ctx context.Context, a *Agent) (StateID, check.Text) {
	u := a.current()
	comp, ok := a.component(u.Component)
	if !ok {
		return fail(a, check.Msg("Die Komponente „"+u.Component+"“ ist nicht mehr eingerichtet", "component \""+u.Component+"\" is no longer configured"))
	}
	now := a.clk.Now() // one reading for every rule of this step
	if u.Attempts > 0 && !u.Command.NotAfter.IsZero() && !now.Before(u.Command.NotAfter) {
		return fail(a, check.Msg("Das Installationsprogramm bat bis zum Ende des geplanten Zeitraums um einen späteren Versuch; nichts wurde verändert",
			"the installer asked to try again later until the planned slot ended; nothing was changed"))
	}
	if a.dropped(u, now) {
		return Idle, check.Text{}
	}
	d := MayStart(a.conditions(ctx, u, comp), now)
	if d.Start {
		return Installing, check.Msg("Wartungsfenster offen; Installation beginnt", "maintenance window open; install begins")
	}
	a.setWaiting(d.Reason.Text)
	return WaitingForWindow, check.Text{}
}
