package agent

import (
	"context"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/monitor"
	"github.com/lifeline-project/lifeline/internal/rollout"
)

// dutyRefresh is how often the duty rota is read again.
const dutyRefresh = time.Minute

// site returns the pharmacy as the rollout rules see it, with its pause.
func (a *Agent) site() rollout.Site {
	a.mu.Lock()
	p := a.f.Pause
	a.mu.Unlock()
	return rollout.Site{ID: dutySiteID, Location: a.cfg.Location(), State: a.cfg.State,
		Window: a.cfg.ParsedWindow(), Paused: p.On, PauseReason: p.Reason}
}

// calendar returns the blackout calendar with the pharmacy's duties.
func (a *Agent) calendar(ctx context.Context) *rollout.Calendar {
	cal := &rollout.Calendar{}
	if ds := a.ownDuties(ctx); len(ds) > 0 {
		cal.AddDuties(ds...)
	}
	return cal
}

// ownDuties returns the pharmacy's duties from the rota from two days ago
// to five weeks ahead, read at most once a minute. A rota that cannot be
// read keeps the last duties read.
func (a *Agent) ownDuties(ctx context.Context) []rollout.Duty {
	if a.o.Duties == nil {
		return nil
	}
	now := a.clk.Now()
	a.dutyMu.Lock()
	defer a.dutyMu.Unlock()
	if !a.dutyAt.IsZero() && now.Sub(a.dutyAt) < dutyRefresh && now.After(a.dutyAt) {
		return a.dutyList
	}
	shifts, err := a.o.Duties.DutyShifts(ctx, now.Add(-48*time.Hour), now.Add(35*24*time.Hour))
	if err != nil {
		a.log.Warn("agent: duty rota not readable; using the duties read before", "err", err)
		return a.dutyList
	}
	a.dutyList, a.dutyAt = OwnDuties(shifts, a.cfg.DutyName, a.cfg.Location()), now
	return a.dutyList
}

// need is the time an install of c needs in the window: its hook timeout,
// at most the window's length.
func (a *Agent) need(c Component) time.Duration {
	n := c.HookTimeout.D()
	if l := a.cfg.ParsedWindow().Length(); l > 0 && l < n {
		n = l
	}
	return n
}

// conditions gathers what MayStart looks at for update u.
func (a *Agent) conditions(ctx context.Context, u *Update, c Component) Conditions {
	a.mu.Lock()
	postponed := a.f.Postponed.Until
	a.mu.Unlock()
	return Conditions{
		Site: a.site(), Calendar: a.calendar(ctx),
		Emergency: a.o.Emergency(), IncidentOpen: a.o.IncidentOpen(),
		PostponedUntil: postponed,
		NotBefore:      u.Command.NotBefore, NotAfter: u.Command.NotAfter,
		RetryAt:   u.RetryAt,
		Unhealthy: unhealthy(a.o.Health(), c.GateChecks),
		Need:      a.need(c),
	}
}

// unhealthy returns the names of the gate checks that are not ok.
func unhealthy(ov monitor.Overview, ids []string) []string {
	var out []string
	for _, id := range ids {
		c, ok := ov.Check(id)
		switch {
		case !ok:
			out = append(out, id+" (unbekannt)")
		case c.State != check.StateOK:
			name := c.Name
			if name == "" {
				name = id
			}
			out = append(out, name)
		}
	}
	return out
}

// GateVerdict is the health gate's view at one moment.
type GateVerdict struct {
	// Failed is set when a gate check is down or degraded, or missing.
	Failed bool
	// Pending lists checks without a result yet (unknown).
	Pending []string
	// Reason names what failed.
	Reason check.Text
}

// EvaluateGate looks at the gate checks in ov: a check that is down or
// degraded, or not configured at all, fails the gate at once; a check
// without a result yet (unknown, for example right after a restart) is
// pending; the gate passes when its time is over and every check is ok.
func EvaluateGate(ov monitor.Overview, ids []string) GateVerdict {
	var v GateVerdict
	for _, id := range ids {
		c, ok := ov.Check(id)
		if !ok {
			v.Failed = true
			v.Reason = check.Msg("Prüfung „"+id+"“ gibt es nicht", "check \""+id+"\" does not exist")
			return v
		}
		name := c.Name
		if name == "" {
			name = id
		}
		switch c.State {
		case check.StateOK:
		case check.StateUnknown:
			v.Pending = append(v.Pending, name)
		default:
			v.Failed = true
			msg := check.Msg(name+" ist "+stateDE(c.State), name+" is "+string(c.State))
			if !c.Message.IsZero() {
				msg = check.Msg(msg.DE+" ("+c.Message.DE+")", msg.EN+" ("+c.Message.In("en")+")")
			}
			v.Reason = msg
			return v
		}
	}
	return v
}

func stateDE(s check.State) string {
	switch s {
	case check.StateDown:
		return "ausgefallen"
	case check.StateDegraded:
		return "eingeschränkt"
	}
	return string(s)
}
