package drill

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/incident"
)

// Options configure a Controller.
type Options struct {
	Store  Store
	Config incident.DrillConfig
	// Specs are the site's checks, for the scenarios.
	Specs []check.Spec
	Clock clock.Clock
	Log   *slog.Logger
}

// Controller starts and ends drills, makes the drill's checks fail, and
// routes the drill's alerts. Its methods are safe for concurrent use.
type Controller struct {
	o         Options
	st        Store
	clk       clock.Clock
	log       *slog.Logger
	scenarios []Scenario

	mu       sync.Mutex
	active   *Drill
	alertInc map[string]int64 // alert incident -> drill
	drills   map[int64]Drill  // drills with marked alert incidents
	claimed  map[string]time.Time
	rec      *incident.Recorder
}

var _ incident.DrillState = (*Controller)(nil)

// New returns a controller; a drill still running (the site restarted
// during it) goes on.
func New(ctx context.Context, o Options) (*Controller, error) {
	if o.Store == nil {
		return nil, errors.New("drill: no store")
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	c := &Controller{o: o, st: o.Store, clk: o.Clock, log: o.Log, scenarios: Scenarios(o.Config, o.Specs),
		drills: map[int64]Drill{}, claimed: map[string]time.Time{}}
	last, err := o.Store.Drills(ctx, 1)
	if err != nil {
		return nil, fmt.Errorf("load drills: %w", err)
	}
	if len(last) == 1 && last[0].Running() {
		d := last[0]
		c.active = &d
		c.drills[d.ID] = d
		o.Log.Warn("a drill is still running from before the restart", "drill", d.ID, "scenario", d.Scenario)
	}
	if c.alertInc, err = o.Store.AlertIncidentDrills(ctx); err != nil {
		return nil, fmt.Errorf("load drill alert incidents: %w", err)
	}
	for _, id := range c.alertInc {
		if _, ok := c.drills[id]; !ok {
			d, err := o.Store.Drill(ctx, id)
			if err != nil {
				return nil, err
			}
			c.drills[id] = d
		}
	}
	return c, nil
}

// SetRecorder connects the incident recorder (drill events are written
// into the drill's incidents). The recorder is built with the controller
// as its DrillState, so it comes in afterwards.
func (c *Controller) SetRecorder(r *incident.Recorder) {
	c.mu.Lock()
	c.rec = r
	c.mu.Unlock()
}

// Scenarios returns the scenarios that can be drilled.
func (c *Controller) Scenarios() []Scenario { return slices.Clone(c.scenarios) }

// Receivers returns the drill receivers.
func (c *Controller) Receivers() []string { return slices.Clone(c.o.Config.Receivers) }

// Active returns the running drill.
func (c *Controller) Active() (Drill, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active == nil {
		return Drill{}, false
	}
	return *c.active, true
}

// DrillFor returns the running drill that makes the check fail.
func (c *Controller) DrillFor(checkID string) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active != nil && c.active.Simulates(checkID) {
		return c.active.ID, true
	}
	return 0, false
}

// Start begins a drill of a scenario. ECONFLICT while another drill runs,
// ENOTFOUND for an unknown scenario.
func (c *Controller) Start(ctx context.Context, scenarioID, who string) (Drill, error) {
	i := slices.IndexFunc(c.scenarios, func(s Scenario) bool { return s.ID == scenarioID })
	if i < 0 {
		return Drill{}, incident.Errorf(incident.ENOTFOUND, "Dieses Übungsszenario gibt es nicht.", "There is no such drill scenario.")
	}
	s := c.scenarios[i]
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active != nil {
		return Drill{}, &incident.Error{Code: incident.ECONFLICT, Message: check.Msg("Es läuft schon eine Übung ("+c.active.Title.DE+"). Bitte erst beenden.", "A drill is running already ("+c.active.Title.EN+"). Please end it first.")}
	}
	d, err := c.st.CreateDrill(ctx, Drill{Scenario: s.ID, Title: s.Title, Checks: slices.Clone(s.Checks),
		StartedAt: c.clk.Now().UTC(), StartedBy: who})
	if err != nil {
		return Drill{}, err
	}
	c.active = &d
	c.drills[d.ID] = d
	c.log.Info("drill started", "drill", d.ID, "scenario", s.ID, "checks", s.Checks, "by", who)
	return d, nil
}

// Stop ends the running drill: its checks are probed for real again, and
// its incident closes once they are fine. ECONFLICT when none runs.
func (c *Controller) Stop(ctx context.Context, who string) (Drill, error) {
	c.mu.Lock()
	if c.active == nil {
		c.mu.Unlock()
		return Drill{}, incident.Errorf(incident.ECONFLICT, "Es läuft keine Übung.", "No drill is running.")
	}
	d, err := c.st.EndDrill(ctx, c.active.ID, c.clk.Now().UTC(), who)
	if err != nil {
		c.mu.Unlock()
		return Drill{}, err
	}
	c.active = nil
	c.drills[d.ID] = d
	rec := c.rec
	c.mu.Unlock()
	c.log.Info("drill ended", "drill", d.ID, "by", who)
	if rec != nil {
		by := who
		if by == incident.ActorDrill {
			by = "lifeline"
		}
		if err := rec.DrillEvent(ctx, d.ID, who, check.Msg(
			fmt.Sprintf("Übung beendet (%s). Die Prüfungen laufen wieder echt; die Störung endet, sobald sie in Ordnung sind.", by),
			fmt.Sprintf("Drill ended (%s). The checks run for real again; the incident ends once they are fine.", by))); err != nil {
			c.log.Error("record the end of the drill", "drill", d.ID, "err", err)
		}
	}
	return d, nil
}

// Tick ends a drill that has run longer than MaxDuration. Call it now and
// then (the site does every 30 seconds).
func (c *Controller) Tick(ctx context.Context) {
	d, ok := c.Active()
	if !ok || c.clk.Now().Sub(d.StartedAt) < MaxDuration {
		return
	}
	c.log.Warn("drill ran too long; ending it", "drill", d.ID)
	if _, err := c.Stop(ctx, incident.ActorDrill); err != nil && incident.ErrorCode(err) != incident.ECONFLICT {
		c.log.Error("end the drill", "drill", d.ID, "err", err)
	}
}

// WrapProber returns a prober for the check that reports a simulated
// outage while a drill makes the check fail, and runs p otherwise.
func (c *Controller) WrapProber(checkID string, p check.Prober) check.Prober {
	return check.ProberFunc(func(ctx context.Context) check.Result {
		c.mu.Lock()
		var title check.Text
		faulted := c.active != nil && c.active.Simulates(checkID)
		if faulted {
			title = c.active.Title
		}
		c.mu.Unlock()
		if faulted {
			return check.Fail(time.Millisecond,
				fmt.Sprintf("ÜBUNG: simulierter Ausfall (%s)", title.DE),
				fmt.Sprintf("DRILL: simulated outage (%s)", title.EN))
		}
		return p.Probe(ctx)
	})
}
