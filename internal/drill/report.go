package drill

import (
	"context"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/incident"
)

// Measure is one measured moment of a drill, counted from its start.
type Measure struct {
	// OK is false when it did not happen (yet).
	OK    bool
	After time.Duration
	By    string
}

// StepTime is one checklist step done during the drill.
type StepTime struct {
	Text    check.Text
	By      string
	After   time.Duration
	Skipped bool
}

// Report is what a drill showed: how fast the site and the staff reacted.
type Report struct {
	Drill     Drill
	Incidents []incident.Incident
	// Detected: the monitor opened the drill's incident.
	Detected Measure
	// FirstAlert: the first drill message reached a drill receiver.
	FirstAlert Measure
	// Acked: somebody acknowledged the alert.
	Acked Measure
	// Emergency: emergency mode was switched on.
	Emergency Measure
	Steps     []StepTime
	StepsDone int
	// Over: the drill's incidents were all closed.
	Over Measure
	// RealAlerts counts messages that reached a real receiver during the
	// drill's incidents (it must stay 0).
	RealAlerts int
}

// IncidentReader is what a report reads from the incidents.
type IncidentReader interface {
	Incidents(ctx context.Context, q incident.Query) ([]incident.Incident, error)
	Entries(ctx context.Context, incidentID int64) ([]incident.Entry, error)
}

// BuildReport measures a drill from its incidents' timelines.
func BuildReport(ctx context.Context, d Drill, st IncidentReader) (Report, error) {
	rep := Report{Drill: d}
	incs, err := st.Incidents(ctx, incident.Query{DrillID: d.ID})
	if err != nil {
		return rep, err
	}
	// Oldest first.
	for i, j := 0, len(incs)-1; i < j; i, j = i+1, j-1 {
		incs[i], incs[j] = incs[j], incs[i]
	}
	rep.Incidents = incs
	since := func(t time.Time) time.Duration {
		if t.Before(d.StartedAt) {
			return 0
		}
		return t.Sub(d.StartedAt)
	}
	first := func(m *Measure, e incident.Entry) {
		if !m.OK || since(e.At) < m.After {
			*m = Measure{OK: true, After: since(e.At), By: e.Actor}
		}
	}
	allClosed := len(incs) > 0
	var lastClose time.Time
	for _, inc := range incs {
		if !rep.Detected.OK || since(inc.OpenedAt) < rep.Detected.After {
			rep.Detected = Measure{OK: true, After: since(inc.OpenedAt), By: incident.ActorMonitor}
		}
		if inc.Open() {
			allClosed = false
		} else if inc.ClosedAt.After(lastClose) {
			lastClose = inc.ClosedAt
		}
		entries, err := st.Entries(ctx, inc.ID)
		if err != nil {
			return rep, err
		}
		for _, e := range entries {
			switch e.Kind {
			case incident.KindAlertSent:
				if e.Data["drill"] == "true" {
					first(&rep.FirstAlert, e)
				} else {
					rep.RealAlerts++
				}
			case incident.KindAlertAcked:
				first(&rep.Acked, e)
			case incident.KindEmergencyOn:
				first(&rep.Emergency, e)
			case incident.KindChecklistStep:
				skipped := e.Data["status"] == incident.StepSkipped
				rep.Steps = append(rep.Steps, StepTime{Text: e.Text, By: e.Actor, After: since(e.At), Skipped: skipped})
				if !skipped {
					rep.StepsDone++
				}
			}
		}
	}
	if allClosed {
		rep.Over = Measure{OK: true, After: since(lastClose)}
	}
	return rep, nil
}

// Report returns the report of a drill.
func (c *Controller) Report(ctx context.Context, id int64, st IncidentReader) (Report, error) {
	d, err := c.st.Drill(ctx, id)
	if err != nil {
		return Report{}, err
	}
	return BuildReport(ctx, d, st)
}

// Drills returns the newest drills, at most limit.
func (c *Controller) Drills(ctx context.Context, limit int) ([]Drill, error) {
	return c.st.Drills(ctx, limit)
}
