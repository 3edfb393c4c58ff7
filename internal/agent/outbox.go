package agent

import (
	"context"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
	"github.com/lifeline-project/lifeline/internal/fleetclient"
)

// Report statuses of the fleet protocol.
const (
	statusReceived   = "received"
	statusInstalling = "installing"
	statusInstalled  = "installed"
	statusFailed     = "failed"
	statusRolledBack = "rolled_back"
	statusSkipped    = "skipped"
)

// queueReportsLocked queues the reports of a transition of u to to. Steps
// before the install are reported as "received" with the step in the
// message: the fleet counts a site as having begun (and no longer cancels
// its slot) from the first "downloading" on, and an agent that downloads
// ahead of its window has not begun to change the site.
func (a *Agent) queueReportsLocked(u *Update, to StateID, note check.Text) {
	msg := to.Words().DE
	if !note.IsZero() {
		msg += ": " + note.DE
	}
	if (to == RolledBack || to == Failed) && !u.Reason.IsZero() && u.Reason.DE != note.DE {
		msg += ". Grund: " + u.Reason.DE
	}
	id := u.Command.ID
	if u.Kind == KindRollback {
		switch to {
		case RolledBack:
			a.queueLocked(id, protocol.Report{CommandID: id, Status: statusRolledBack, Message: msg})
		case Failed:
			a.queueLocked(id, protocol.Report{CommandID: id, Status: statusFailed, Message: msg})
		default:
			a.queueLocked(id, protocol.Report{CommandID: id, Status: statusReceived, Message: msg})
		}
		return
	}
	var status string
	switch to {
	case Scheduled, Downloading, Verifying, WaitingForWindow:
		status = statusReceived
	case Installing, HealthGate, RollingBack:
		status = statusInstalling
	case Committed:
		status = statusInstalled
	case RolledBack:
		status = statusRolledBack
	case Failed:
		status = statusFailed
	default:
		return
	}
	a.queueLocked(id, protocol.Report{CommandID: id, Status: status, Message: msg})
	if to == RolledBack || to == Failed {
		for _, rid := range u.RollbackCommands {
			a.queueLocked(rid, protocol.Report{CommandID: rid, Status: status, Message: msg})
		}
	}
}

// queueLocked appends a report to the outbox (a.mu held). A full outbox
// drops its oldest progress report first, never a final one.
func (a *Agent) queueLocked(_ int64, r protocol.Report) {
	if r.CommandID == 0 {
		return
	}
	if len(r.Message) > 900 {
		r.Message = r.Message[:900]
	}
	a.f.Outbox = append(a.f.Outbox, Outgoing{Report: r, At: a.clk.Now().UTC()})
	if len(a.f.Outbox) > maxOutbox {
		for i, o := range a.f.Outbox {
			if o.Report.Status == statusReceived || o.Report.Status == statusInstalling {
				a.f.Outbox = append(a.f.Outbox[:i], a.f.Outbox[i+1:]...)
				break
			}
		}
		if len(a.f.Outbox) > maxOutbox {
			a.f.Outbox = a.f.Outbox[1:]
		}
	}
	select {
	case a.sent <- struct{}{}:
	default:
	}
}

// sendReports delivers the outbox to the fleet, oldest first, until ctx
// ends: a report stays until the fleet took it; network trouble is retried
// with back-off; a report the fleet refuses for good (an unknown command)
// is dropped.
func (a *Agent) sendReports(ctx context.Context) {
	fails := 0
	for ctx.Err() == nil {
		a.mu.Lock()
		var next *Outgoing
		if len(a.f.Outbox) > 0 {
			o := a.f.Outbox[0]
			next = &o
		}
		a.mu.Unlock()
		if next == nil {
			select {
			case <-ctx.Done():
				return
			case <-a.sent:
			case <-time.After(a.o.Poll * 10):
			}
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := a.o.Fleet.Report(rctx, next.Report)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil && fleetclient.Retryable(err) {
			a.log.Warn("agent: report not delivered; retrying", "command", next.Report.CommandID, "status", next.Report.Status, "err", err)
			d := time.Second << min(fails, 6)
			fails++
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
			continue
		}
		fails = 0
		if err != nil {
			a.log.Error("agent: the fleet refused a report; dropped", "command", next.Report.CommandID, "status", next.Report.Status, "err", err)
		}
		a.mu.Lock()
		if len(a.f.Outbox) > 0 && a.f.Outbox[0] == *next {
			a.f.Outbox = a.f.Outbox[1:]
			if err := a.saveLocked(); err != nil {
				a.log.Error("agent: cannot write the state", "err", err)
			}
		}
		a.mu.Unlock()
	}
}
