package agent

import (
	"context"
	"strings"

	"github.com/lifeline-project/lifeline/internal/check"
)

// healthGateState watches the component's gate checks after the install.
type healthGateState struct{}

// Handle rolls back at once when a gate check is down or degraded (or the
// fleet asks for a rollback), and commits when the gate's time is over
// with every check ok. A check still without a result at the end fails
// the gate. After a crash the gate goes on with the time it had left.
func (healthGateState) Handle(_ context.Context, a *Agent) (StateID, check.Text) {
	u := a.current()
	comp, ok := a.component(u.Component)
	if !ok {
		return RollingBack, check.Msg("Die Komponente ist nicht mehr eingerichtet", "the component is no longer configured")
	}
	if !u.RollbackRequested.IsZero() {
		return RollingBack, check.Msg("Der Hersteller verlangt die Rücknahme: "+u.RollbackRequested.DE, "the vendor asks for a rollback: "+u.RollbackRequested.EN)
	}
	v := EvaluateGate(a.o.Health(), comp.GateChecks)
	if v.Failed {
		reason := check.Msg("Gesundheitsprüfung nicht bestanden: "+v.Reason.DE, "health check failed: "+v.Reason.EN)
		a.transitionOrLog(RollingBack, reason, func(x *Update) { x.Reason = reason })
		return RollingBack, check.Text{}
	}
	if a.clk.Now().Before(u.GateUntil) {
		if len(v.Pending) > 0 {
			a.setWaiting(check.Msg("Warte auf Ergebnisse: "+strings.Join(v.Pending, ", "), "waiting for results: "+strings.Join(v.Pending, ", ")))
		}
		return HealthGate, check.Text{}
	}
	if len(v.Pending) > 0 {
		reason := check.Msg("Gesundheitsprüfung nicht bestanden: kein Ergebnis von "+strings.Join(v.Pending, ", "),
			"health check failed: no result from "+strings.Join(v.Pending, ", "))
		a.transitionOrLog(RollingBack, reason, func(x *Update) { x.Reason = reason })
		return RollingBack, check.Text{}
	}
	mins := int(comp.GateDuration.D().Minutes())
	return Committed, check.Msg("Gesundheitsprüfung bestanden ("+itoa(mins)+" Min. alles in Ordnung)", "health check passed ("+itoa(mins)+" min all ok)")
}
