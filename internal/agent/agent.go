package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
	"github.com/lifeline-project/lifeline/internal/monitor"
	"github.com/lifeline-project/lifeline/internal/rollout"
)

// Fleet receives the agent's reports; *fleetclient.Client satisfies it.
type Fleet interface {
	// Report sends a result or progress of a command. Errors for which
	// fleetclient.Retryable is false (an unknown command) are not retried.
	Report(ctx context.Context, r protocol.Report) error
}

// Options are the inputs of New.
type Options struct {
	Config Config
	// Dir is the agent's folder (<data_dir>/agent): state.json, the
	// artifacts, the TUF metadata and the hooks' logs.
	Dir string
	// Fleet receives reports; Repo verifies and downloads artifacts.
	Fleet Fleet
	Repo  Repository
	// Health returns the monitor's current Overview (the health gate and
	// the rule that the gate checks must be ok before an install).
	Health func() monitor.Overview
	// Emergency reports whether the emergency mode (Notbetrieb) is on;
	// IncidentOpen whether an incident is open. nil: never.
	Emergency    func() bool
	IncidentOpen func() bool
	// Duties is the downtime copy's duty rota; the shifts of
	// Config.DutyName block updates. nil: no duties.
	Duties DutyRota
	Clock  clock.Clock
	Log    *slog.Logger
	// Version is lifeline's version, sent in the heartbeat.
	Version string
	// Poll is how often the agent looks again while it waits (default 2s).
	Poll time.Duration
	// AfterSave, when set, is called after every write of the state file
	// with a copy of it (tests stop the process at chosen points).
	AfterSave func(File)
}

// Agent is the site's update agent: a state machine after the mender
// client that takes the fleet's commands, downloads and verifies
// artifacts, installs them through hooks inside the maintenance window,
// checks the site's health afterwards and rolls back by itself. Its state
// is written to disk before every step, so a crash or reboot resumes where
// it stopped. Its methods are safe for concurrent use.
type Agent struct {
	o     Options
	cfg   Config
	clk   clock.Clock
	log   *slog.Logger
	repo  Repository
	hooks *Hooks

	mu   sync.Mutex
	f    File
	wake chan struct{}
	sent chan struct{}

	// duties caches the pharmacy's duties from the rota (read at most
	// once a minute); cleanedUp is set once unused artifacts were removed
	// after the last update.
	dutyMu    sync.Mutex
	dutyAt    time.Time
	dutyList  []rollout.Duty
	cleanedUp bool
}

// New loads the agent's state (resuming an update in progress) and
// returns the agent. Call Run to work.
func New(o Options) (*Agent, error) {
	if ps := o.Config.Validate(); len(ps) > 0 {
		return nil, fmt.Errorf("agent configuration: %v", ps[0])
	}
	if o.Dir == "" || o.Fleet == nil || o.Repo == nil || o.Health == nil {
		return nil, errors.New("agent: folder, fleet, repository and health source are required")
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.Emergency == nil {
		o.Emergency = func() bool { return false }
	}
	if o.IncidentOpen == nil {
		o.IncidentOpen = func() bool { return false }
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the agent folder %s: %w", o.Dir, err)
	}
	f, err := loadState(o.Dir)
	if err != nil {
		return nil, err
	}
	if f.Installed == nil {
		f.Installed = map[string]Installed{}
	}
	for _, c := range o.Config.Components {
		if _, ok := f.Installed[c.Name]; !ok && c.Version != "" {
			f.Installed[c.Name] = Installed{Version: c.Version}
		}
	}
	a := &Agent{o: o, cfg: o.Config, clk: o.Clock, log: o.Log, repo: o.Repo, f: f,
		hooks: &Hooks{LogDir: filepath.Join(o.Dir, "hooks")},
		wake:  make(chan struct{}, 1), sent: make(chan struct{}, 1)}
	if f.Current != nil {
		a.log.Info("agent: resuming an update", "update", f.Current.ID, "component", f.Current.Component,
			"version", f.Current.Version, "state", f.Current.State)
	}
	return a, nil
}

func (a *Agent) artifactsDir() string { return filepath.Join(a.o.Dir, "artifacts") }

// Run works on updates and delivers reports until ctx ends. It returns nil
// then; the state on disk lets the next Run resume.
func (a *Agent) Run(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.sendReports(ctx)
	}()
	defer func() { <-done }()
	for ctx.Err() == nil {
		cur := a.currentState()
		st := stateFor(cur)
		next, note := st.Handle(ctx, a)
		if ctx.Err() != nil {
			return nil
		}
		if now := a.currentState(); now != cur {
			continue // the handler wrote the next state itself (with a hook's result)
		}
		if next == cur {
			a.sleep(ctx, a.o.Poll)
			continue
		}
		if err := a.transition(next, note, nil); err != nil {
			a.log.Error("agent: cannot write the state; retrying", "err", err)
			a.sleep(ctx, a.o.Poll)
		}
	}
	return nil
}

// currentState returns the state of the update in progress, or Idle.
func (a *Agent) currentState() StateID {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f.Current == nil {
		return Idle
	}
	return a.f.Current.State
}

// current returns a copy of the update in progress (nil when idle).
func (a *Agent) current() *Update {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f.Current == nil {
		return nil
	}
	u := a.f.Current.clone()
	return &u
}

// sleep waits d, or until woken, or until ctx ends.
func (a *Agent) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-a.wake:
	}
}

// Wake makes a waiting agent look again at once (after a change of the
// emergency mode, an incident, a pause).
func (a *Agent) Wake() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// saveLocked writes the state; a.mu must be held.
func (a *Agent) saveLocked() error {
	a.f.Schema = SchemaVersion
	a.f.Rev++
	a.f.SavedAt = a.clk.Now().UTC()
	if err := saveState(a.o.Dir, a.f); err != nil {
		a.f.Rev--
		return err
	}
	if a.o.AfterSave != nil {
		a.o.AfterSave(a.f.clone())
	}
	return nil
}

// update changes the update in progress with fn and writes the state.
func (a *Agent) update(fn func(u *Update)) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f.Current == nil {
		return nil
	}
	fn(a.f.Current)
	return a.saveLocked()
}

// transition moves the update in progress to state to, applying fn to it
// first, logs the step, queues its report and writes the state, all in one
// write.
func (a *Agent) transition(to StateID, note check.Text, fn func(u *Update)) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.f.Current
	if u == nil {
		return nil
	}
	if fn != nil {
		fn(u)
	}
	from := u.State
	now := a.clk.Now().UTC()
	u.State, u.Entered, u.Waiting = to, now, check.Text{}
	u.Transitions = append(u.Transitions, Transition{At: now, From: from, To: to, Note: note})
	if len(u.Transitions) > maxTransitions {
		u.Transitions = u.Transitions[len(u.Transitions)-maxTransitions:]
	}
	a.queueReportsLocked(u, to, note)
	a.log.Info("agent: transition", "update", u.ID, "component", u.Component, "version", u.Version,
		"from", from, "to", to, "note", note.EN)
	err := a.saveLocked()
	a.Wake()
	return err
}

// finish ends the update in progress with result and reason: it moves it
// to the history, applies fn to the file (installed versions), queues the
// final reports for a skipped update, and writes the state.
func (a *Agent) finish(result string, reason check.Text, fn func(f *File, u *Update)) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.f.Current
	if u == nil {
		return nil
	}
	now := a.clk.Now().UTC()
	u.Result, u.Finished = result, now
	if !reason.IsZero() {
		u.Reason = reason
	}
	if result == ResultSkipped {
		u.Transitions = append(u.Transitions, Transition{At: now, From: u.State, To: Idle, Note: reason})
		a.queueLocked(u.Command.ID, protocol.Report{CommandID: u.Command.ID, Status: "skipped", Message: reason.DE})
		for _, id := range u.RollbackCommands {
			a.queueLocked(id, protocol.Report{CommandID: id, Status: "rolled_back", Message: "Update war noch nicht installiert; nichts zurückzunehmen"})
		}
	}
	if fn != nil {
		fn(&a.f, u)
	}
	a.f.History = append(a.f.History, *u)
	if len(a.f.History) > maxHistory {
		a.f.History = a.f.History[len(a.f.History)-maxHistory:]
	}
	a.f.Current = nil
	a.cleanedUp = false
	a.log.Info("agent: update ended", "update", u.ID, "component", u.Component, "version", u.Version,
		"result", result, "reason", u.Reason.EN)
	err := a.saveLocked()
	a.Wake()
	return err
}

// component returns the configured component of the update.
func (a *Agent) component(name string) (Component, bool) { return a.cfg.Component(name) }
