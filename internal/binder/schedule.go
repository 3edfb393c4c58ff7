package binder

import (
	"context"
	"time"

	"github.com/lifeline-project/lifeline/internal/incident"
)

// DailyAt returns the instant of the daily binder on the local date of
// now. On the night the clocks go forward a time in the missing hour moves
// on by the gap (02:30 becomes 03:30 summer time); on the night they go
// back the first of the two instants counts. Either way each local date
// has exactly one instant.
func DailyAt(now time.Time, hour, minute int, loc *time.Location) time.Time {
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, hour, minute, 0, 0, loc)
}

// Due reports whether the daily binder is due at now: today's instant has
// passed and the last daily binder was made before it.
func Due(now, last time.Time, hour, minute int, loc *time.Location) bool {
	at := DailyAt(now, hour, minute, loc)
	return !now.Before(at) && last.Before(at)
}

// Next returns the next instant of the daily binder after now.
func Next(now time.Time, hour, minute int, loc *time.Location) time.Time {
	at := DailyAt(now, hour, minute, loc)
	if at.After(now) {
		return at
	}
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d+1, hour, minute, 0, 0, loc)
}

// lastDaily returns when the last daily binder was made.
func (g *Generator) lastDaily(ctx context.Context) time.Time {
	es, err := g.o.Log.BinderLog(ctx, 100)
	if err != nil {
		g.log.Warn("binder log not readable", "err", err)
		return time.Time{}
	}
	for _, e := range es {
		if e.Reason == ReasonDaily {
			return e.At
		}
	}
	return time.Time{}
}

// Tick makes the daily binder when it is due and returns when the last
// daily binder was made. last is what the previous call returned (zero at
// the start: then the log is asked).
func (g *Generator) Tick(ctx context.Context, last time.Time) time.Time {
	h, m, err := incident.ParseClock(g.o.Config.Time)
	if err != nil {
		h, m, _ = incident.ParseClock(incident.DefaultBinderTime)
	}
	if last.IsZero() {
		last = g.lastDaily(ctx)
	}
	now := g.clk.Now()
	if !Due(now, last, h, m, g.loc) {
		return last
	}
	if _, err := g.Generate(ctx, incident.ActorSystem, ReasonDaily); err != nil {
		g.log.Error("daily binder failed; trying again in a minute", "err", err)
		return last
	}
	return now
}

// Run makes the daily binder at the configured local time until ctx ends.
// It looks once a minute, so a sleeping or busy PC catches up at once.
func (g *Generator) Run(ctx context.Context) {
	var last time.Time
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		last = g.Tick(ctx, last)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
