package fleetsim

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
	"github.com/lifeline-project/lifeline/internal/fleetclient"
)

// fate is what the release does to a site.
type fate int

const (
	fateOK    fate = iota // installs and stays healthy
	fateFail              // the install or its health check fails; the site rolls back by itself
	fateBrick             // the server does not come back after the install's reboot
)

// Timing of an emulated install.
const (
	installTime = 10 * time.Minute // download, verify, install, reboot, health check
	maxJitter   = 5 * time.Minute  // sites do not all start on the slot's first second
)

// agent emulates the update agent of one site: it enrols, heartbeats,
// long-polls for commands, verifies the artifact with TUF, installs and
// reports, all over HTTP through the real site client.
type agent struct {
	id     string
	c      *fleetclient.Client
	fate   fate
	jitter time.Duration
	oldVer string

	mu       sync.Mutex
	alive    bool
	version  string
	lastHB   time.Time
	received map[int64]bool
	installs map[int64]protocol.Command // not begun
	job      *job
	rollback *protocol.Command
	begunAt  time.Time
}

// job is an install under way.
type job struct {
	cmd    protocol.Command
	doneAt time.Time
}

// handle stores a command delivered by the long-poll (the real agent
// persists it); the acknowledgement follows.
func (a *agent) handle(cmd protocol.Command) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.received[cmd.ID] {
		return
	}
	a.received[cmd.ID] = true
	switch cmd.Kind {
	case fleet.CommandInstall:
		a.installs[cmd.ID] = cmd
	case fleet.CommandCancel:
		for id, c := range a.installs {
			if c.RolloutID == cmd.RolloutID {
				delete(a.installs, id)
			}
		}
	case fleet.CommandRollback:
		c := cmd
		a.rollback = &c
	}
}

// receivedCount returns the number of distinct commands delivered.
func (a *agent) receivedCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.received)
}

func (a *agent) isAlive() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.alive
}

// poll long-polls until ctx ends or the site dies.
func (a *agent) poll(ctx context.Context, errs chan<- error) {
	for ctx.Err() == nil && a.isAlive() {
		cmds, err := a.c.Poll(ctx, 30*time.Second)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			select {
			case errs <- fmt.Errorf("site %s: poll: %w", a.id, err):
			default:
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		for _, c := range cmds {
			a.handle(c)
			if err := a.c.Ack(ctx, c.ID); err != nil && ctx.Err() == nil {
				select {
				case errs <- fmt.Errorf("site %s: ack: %w", a.id, err):
				default:
				}
			}
		}
	}
}

// nextAction returns when the agent next has something to do (zero:
// at once), and false when nothing.
func (a *agent) nextAction(hb time.Duration) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.alive {
		return time.Time{}, false
	}
	if a.job != nil {
		// An installing site heartbeats until its reboot.
		if hbAt := a.lastHB.Add(hb); hbAt.Before(a.job.doneAt) {
			return hbAt, true
		}
		return a.job.doneAt, true
	}
	if a.rollback != nil {
		return time.Time{}, true
	}
	var first time.Time
	for _, c := range a.installs {
		at := c.NotBefore.Add(a.jitter)
		if first.IsZero() || at.Before(first) {
			first = at
		}
	}
	return first, !first.IsZero()
}

// step does what the agent does at now: begin or finish an install, roll
// back, heartbeat. It returns how many requests it made and whether it
// began, finished or rolled back anything.
func (a *agent) step(ctx context.Context, now time.Time, hbEvery time.Duration) (n int, acted bool, err error) {
	n, err = a.act(ctx, now, hbEvery, &acted)
	return n, acted, err
}

func (a *agent) act(ctx context.Context, now time.Time, hbEvery time.Duration, acted *bool) (int, error) {
	a.mu.Lock()
	if !a.alive {
		a.mu.Unlock()
		return 0, nil
	}
	var begin *protocol.Command
	for id, c := range a.installs {
		if !now.Before(c.NotBefore.Add(a.jitter)) && now.Before(c.NotAfter) && a.job == nil {
			cc := c
			begin = &cc
			delete(a.installs, id)
			break
		}
	}
	finish := a.job != nil && !now.Before(a.job.doneAt)
	rb := a.rollback
	a.rollback = nil
	a.mu.Unlock()
	*acted = begin != nil || finish || rb != nil

	n := 0
	if begin != nil {
		// The real thing: TUF verification and download of the artifact.
		if _, err := a.c.Fetch(ctx, begin.TargetPath, begin.SHA256); err != nil {
			return n, fmt.Errorf("site %s: verify %s: %w", a.id, begin.TargetPath, err)
		}
		n += 5
		for _, st := range []string{fleet.ReportDownloading, fleet.ReportInstalling} {
			if err := a.c.Report(ctx, protocol.Report{CommandID: begin.ID, Status: st}); err != nil {
				return n, fmt.Errorf("site %s: report: %w", a.id, err)
			}
			n++
		}
		a.mu.Lock()
		a.job = &job{cmd: *begin, doneAt: now.Add(installTime)}
		a.begunAt = now
		a.mu.Unlock()
	}
	if finish {
		a.mu.Lock()
		j := a.job
		a.job = nil
		a.mu.Unlock()
		switch a.fate {
		case fateBrick:
			a.mu.Lock()
			a.alive = false // rebooted into a blue screen: never heard of again
			a.mu.Unlock()
			return n, nil
		case fateFail:
			if err := a.c.Report(ctx, protocol.Report{CommandID: j.cmd.ID, Status: fleet.ReportFailed,
				Message: "Gesundheitsprüfung nach der Installation fehlgeschlagen; selbst zurückgesetzt"}); err != nil {
				return n, fmt.Errorf("site %s: report: %w", a.id, err)
			}
		default:
			if err := a.c.Report(ctx, protocol.Report{CommandID: j.cmd.ID, Status: fleet.ReportInstalled}); err != nil {
				return n, fmt.Errorf("site %s: report: %w", a.id, err)
			}
			a.mu.Lock()
			a.version = j.cmd.Version
			a.mu.Unlock()
		}
		n++
	}
	if rb != nil {
		if err := a.c.Report(ctx, protocol.Report{CommandID: rb.ID, Status: fleet.ReportRolledBack}); err != nil {
			return n, fmt.Errorf("site %s: report rollback: %w", a.id, err)
		}
		n++
		a.mu.Lock()
		a.version = a.oldVer
		a.mu.Unlock()
	}
	a.mu.Lock()
	due := a.lastHB.IsZero() || now.Sub(a.lastHB) >= hbEvery || begin != nil || finish || rb != nil
	state := "idle"
	if a.job != nil {
		state = "installing"
	}
	ver := a.version
	a.mu.Unlock()
	if due {
		if _, err := a.c.SendHeartbeat(ctx, protocol.Heartbeat{Overall: "ok", Components: map[string]string{component: ver},
			Agent: protocol.Agent{Version: "sim", State: state}}); err != nil {
			var ce *fleetclient.Error
			if errors.As(err, &ce) {
				return n, fmt.Errorf("site %s: heartbeat: %w", a.id, err)
			}
			return n, err
		}
		n++
		a.mu.Lock()
		a.lastHB = now
		a.mu.Unlock()
	}
	return n, nil
}
