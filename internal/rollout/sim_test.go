package rollout

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/holiday"
)

// This file simulates the fleet server and its sites around Advance.

// behaviour is how a simulated site reacts to an install.
type behaviour int

const (
	healthy behaviour = iota // installs in its slot, reports ok after 10 min
	fails                    // installs, reports failure after 5 min
	bricks                   // installs and is never heard of again
	offline                  // never installs (and never heartbeats)
)

// fleet simulates the fleet server and its sites around Advance: it calls
// Advance, delivers the commands, lets the sites install in their slots,
// report and send heartbeats, and records everything.
type fleet struct {
	t     *testing.T
	plan  Plan
	st    State
	in    Inputs
	now   time.Time
	tick  time.Duration
	act   map[string]behaviour
	slot  map[string]Slot // install commands a site holds and has not used
	dead  map[string]bool
	deaf  map[string]bool // sites that miss cancel commands
	due   []report        // reports that arrive later
	cmds  []Command       // every command, in order
	cmdAt []time.Time
}

// report is a site's report that reaches the fleet at a later time.
type report struct {
	id    string
	at    time.Time
	apply func(*Outcome)
}

func newFleet(t *testing.T, n int, testSites []string, start time.Time, cal *Calendar) *fleet {
	return newFleetRings(t, n, DefaultRings(testSites), start, cal)
}

func newFleetRings(t *testing.T, n int, rings []Ring, start time.Time, cal *Calendar) *fleet {
	t.Helper()
	windows := []string{"daily 01:00-05:00", "Mo-Fr 22:00-05:00", "Sun 02:00-04:00", "Sa,So 03:00-06:00"}
	states := holiday.States()
	f := &fleet{
		t:    t,
		now:  start,
		tick: time.Hour,
		act:  map[string]behaviour{},
		slot: map[string]Slot{},
		dead: map[string]bool{},
		deaf: map[string]bool{},
		in:   Inputs{Sites: map[string]Site{}, Outcomes: map[string]Outcome{}, Calendar: cal},
	}
	ids := siteIDs(n)
	for i, id := range ids {
		f.in.Sites[id] = site(t, id, string(states[i%len(states)]), windows[i%len(windows)], berlin)
	}
	plan, err := NewPlan("r-1", "erp 2026.2", rings, ids, "r-1")
	if err != nil {
		t.Fatal(err)
	}
	f.plan = plan
	if f.st, err = Begin(plan, start, "anna"); err != nil {
		t.Fatal(err)
	}
	return f
}

// step runs one round: Advance, deliver, let sites act, advance the clock.
func (f *fleet) step() []Command {
	f.t.Helper()
	st, cmds := Advance(f.plan, f.st, f.in, f.now)
	f.st = st
	for _, c := range cmds {
		f.cmds = append(f.cmds, c)
		f.cmdAt = append(f.cmdAt, f.now)
		switch c.Kind {
		case CommandInstall:
			f.slot[c.SiteID] = Slot{Start: c.NotBefore, End: c.NotAfter}
		case CommandCancel:
			if !f.deaf[c.SiteID] {
				delete(f.slot, c.SiteID)
			}
		}
	}
	f.now = f.now.Add(f.tick)
	f.sitesAct()
	return cmds
}

// sitesAct lets every site do what it would have done up to f.now.
func (f *fleet) sitesAct() {
	for _, id := range slices.Sorted(maps.Keys(f.slot)) {
		sl := f.slot[id]
		at := sl.Start.Add(time.Minute)
		if at.After(f.now) || !at.Before(sl.End) {
			if !sl.End.After(f.now) {
				delete(f.slot, id) // missed
			}
			continue
		}
		delete(f.slot, id)
		b := f.act[id]
		if b == offline {
			continue
		}
		o := f.in.Outcomes[id]
		o = Outcome{SiteID: id, InstallStarted: at, LastHeartbeat: o.LastHeartbeat}
		f.in.Outcomes[id] = o
		switch b {
		case healthy:
			f.later(id, at.Add(10*time.Minute), func(o *Outcome) { o.Reported, o.ReportedAt = ReportOK, at.Add(10*time.Minute) })
		case fails:
			f.later(id, at.Add(5*time.Minute), func(o *Outcome) { o.Reported, o.ReportedAt = ReportFailed, at.Add(5*time.Minute) })
		case bricks:
			f.dead[id] = true
		}
	}
	f.due = slices.DeleteFunc(f.due, func(r report) bool {
		if r.at.After(f.now) {
			return false
		}
		o := f.in.Outcomes[r.id]
		r.apply(&o)
		f.in.Outcomes[r.id] = o
		return true
	})
	for id := range f.in.Sites {
		if f.dead[id] || f.act[id] == offline {
			continue
		}
		o := f.in.Outcomes[id]
		o.SiteID, o.LastHeartbeat = id, f.now
		f.in.Outcomes[id] = o
	}
}

// later applies fn to the site's outcome once f.now reaches at.
func (f *fleet) later(id string, at time.Time, fn func(*Outcome)) {
	f.due = append(f.due, report{id: id, at: at, apply: fn})
}

// runUntil steps until cond holds or the time limit passes.
func (f *fleet) runUntil(limit time.Time, cond func() bool) {
	f.t.Helper()
	for !cond() {
		if f.now.After(limit) {
			f.t.Fatalf("at %s: condition not reached; status %s, ring %d, gate %+v", fmtT(f.now), f.st.Status, f.st.Ring, f.st.Gate)
		}
		f.step()
	}
}

func (f *fleet) commands(kind CommandKind) []Command {
	var out []Command
	for _, c := range f.cmds {
		if c.Kind == kind {
			out = append(out, c)
		}
	}
	return out
}

func (f *fleet) installed(ring int) []string {
	var out []string
	for _, id := range f.plan.Sites[ring] {
		if f.in.Outcomes[id].Installed() {
			out = append(out, id)
		}
	}
	return out
}

func ids(cmds []Command) []string {
	var out []string
	for _, c := range cmds {
		out = append(out, c.SiteID)
	}
	slices.Sort(out)
	return out
}

func testSites() []string {
	return []string{"apo-0003", "apo-0100", "apo-0201", "apo-0302", "apo-0404"}
}
