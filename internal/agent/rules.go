package agent

import (
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/holiday"
	"github.com/lifeline-project/lifeline/internal/rollout"
)

// Kinds of reasons why an update does not start now. The blackout kinds of
// the calendar (holiday, duty, dst, christmas-eve, new-years-eve, freeze)
// are rollout.BlockKind values.
const (
	BlockPaused    = "paused"
	BlockEmergency = "emergency"
	BlockIncident  = "incident"
	BlockPostponed = "postponed"
	BlockWindow    = "window"
	BlockSlot      = "slot"
	BlockSlotOver  = "slot-over"
	BlockRetry     = "retry"
	BlockUnhealthy = "unhealthy"
	BlockTooLate   = "too-late"
)

// Reason says why an update does not start now, for people.
type Reason struct {
	Kind string     `json:"kind"`
	Text check.Text `json:"text"`
}

// Conditions is everything the start rules look at.
type Conditions struct {
	// Site carries the window, zone, federal state and the pharmacy's own
	// pause (Paused, PauseReason).
	Site rollout.Site
	// Calendar holds the blackouts: public holidays of Site.State, the
	// fixed days, the DST nights, and the pharmacy's duties (Duties under
	// Site.ID). nil: the computed blackouts only.
	Calendar *rollout.Calendar
	// Emergency is set while the emergency mode (Notbetrieb) is on.
	Emergency bool
	// IncidentOpen is set while an incident is open.
	IncidentOpen bool
	// PostponedUntil is the pharmacy's postponement.
	PostponedUntil time.Time
	// NotBefore and NotAfter are the fleet's slot (zero: unbounded).
	NotBefore, NotAfter time.Time
	// RetryAt is when a hook that asked to try again later may run again.
	RetryAt time.Time
	// Unhealthy names the gate checks that are not ok now.
	Unhealthy []string
	// Need is the time the install needs: an occurrence of the window (and
	// the slot) must have at least this much left.
	Need time.Duration
}

// Decision is the verdict of MayStart.
type Decision struct {
	// Start is true when the update may start now.
	Start bool
	// Reason says why not (zero when Start).
	Reason Reason
	// Next is the planned start: the earliest time the calendar, the
	// window, the slot, a retry and a postponement allow (zero when there
	// is none, for example while paused or when the slot cannot be met).
	// Emergency mode, open incidents and the health of the gate checks
	// cannot be foreseen and are not part of it.
	Next time.Time
}

// MayStart decides whether an update may start at now. It is pure: the
// same conditions give the same answer. The rules, in the order their
// reasons are given: the pharmacy paused updates; the emergency mode is
// on; an incident is open; the pharmacy postponed the update; the day is
// blocked (public holiday, 24/31 December, emergency duty, the DST change
// and the evening before it, a freeze); now is outside the maintenance
// window; now is outside the fleet's slot; a hook asked to try again
// later; a gate check is not ok; too little of the window is left.
func MayStart(c Conditions, now time.Time) Decision {
	d := Decision{Next: NextStart(c, now)}
	no := func(kind string, t check.Text) Decision {
		d.Reason = Reason{Kind: kind, Text: t}
		return d
	}
	loc := c.Site.Location
	if loc == nil {
		loc = time.UTC
	}
	if c.Site.Paused {
		if c.Site.PauseReason != "" {
			return no(BlockPaused, check.Msg("Updates von der Apotheke pausiert: "+c.Site.PauseReason, "updates paused by the pharmacy: "+c.Site.PauseReason))
		}
		return no(BlockPaused, check.Msg("Updates von der Apotheke pausiert", "updates paused by the pharmacy"))
	}
	if c.Emergency {
		return no(BlockEmergency, check.Msg("Notbetrieb ist eingeschaltet", "emergency mode is on"))
	}
	if c.IncidentOpen {
		return no(BlockIncident, check.Msg("Eine Störung ist offen", "an incident is open"))
	}
	if now.Before(c.PostponedUntil) {
		return no(BlockPostponed, check.Msg("Von der Apotheke verschoben bis "+clockText(c.PostponedUntil, loc, "de"),
			"postponed by the pharmacy until "+clockText(c.PostponedUntil, loc, "en")))
	}
	if blocked, r := c.Calendar.Blocked(c.Site, holiday.DateOf(now.In(loc))); blocked {
		return no(string(r.Kind), r.Text)
	}
	if bs := c.Calendar.Blackouts(c.Site, now, now.Add(time.Nanosecond)); len(bs) > 0 {
		return no(string(bs[0].Reason.Kind), bs[0].Reason.Text)
	}
	start, end, ok := rollout.NextSlot(c.Site, c.Calendar, now)
	if !ok || start.After(now) {
		return no(BlockWindow, check.Msg("Außerhalb des Wartungsfensters ("+c.Site.Window.String()+")",
			"outside the maintenance window ("+c.Site.Window.String()+")"))
	}
	if !c.NotAfter.IsZero() && !now.Before(c.NotAfter) {
		return no(BlockSlotOver, check.Msg("Der vom Hersteller geplante Zeitraum ist vorbei ("+clockText(c.NotAfter, loc, "de")+")",
			"the vendor's planned slot is over ("+clockText(c.NotAfter, loc, "en")+")"))
	}
	if now.Before(c.NotBefore) {
		return no(BlockSlot, check.Msg("Der Hersteller hat das Update ab "+clockText(c.NotBefore, loc, "de")+" eingeplant",
			"the vendor planned the update from "+clockText(c.NotBefore, loc, "en")))
	}
	if now.Before(c.RetryAt) {
		return no(BlockRetry, check.Msg("Das Installationsprogramm bat, es später noch einmal zu versuchen (ab "+clockText(c.RetryAt, loc, "de")+")",
			"the installer asked to try again later (from "+clockText(c.RetryAt, loc, "en")+")"))
	}
	if len(c.Unhealthy) > 0 {
		list := strings.Join(c.Unhealthy, ", ")
		return no(BlockUnhealthy, check.Msg("Nicht in Ordnung: "+list+"; ein Update würde die Gesundheitsprüfung nicht bestehen",
			"not ok: "+list+"; an update would fail the health check"))
	}
	left := end.Sub(now)
	if !c.NotAfter.IsZero() && c.NotAfter.Sub(now) < left {
		left = c.NotAfter.Sub(now)
	}
	if left < c.Need {
		return no(BlockTooLate, check.Msg("Zu wenig Zeit im Wartungsfenster übrig", "too little time left in the maintenance window"))
	}
	d.Start = true
	return d
}

// NextStart returns the earliest time at or after now at which the
// calendar, the window, the slot, a retry and a postponement allow the
// update to start with Need time left; zero when there is none (paused,
// no window, or the slot ends before).
func NextStart(c Conditions, now time.Time) time.Time {
	if c.Site.Paused {
		return time.Time{}
	}
	from := now
	for _, t := range []time.Time{c.NotBefore, c.RetryAt, c.PostponedUntil} {
		if t.After(from) {
			from = t
		}
	}
	for range 400 {
		start, end, ok := rollout.NextSlot(c.Site, c.Calendar, from)
		if !ok {
			return time.Time{}
		}
		if !c.NotAfter.IsZero() {
			if !start.Before(c.NotAfter) {
				return time.Time{}
			}
			if c.NotAfter.Before(end) {
				end = c.NotAfter
			}
		}
		if end.Sub(start) >= c.Need {
			return start
		}
		from = end
	}
	return time.Time{}
}

// weekdays are the German and English short day names.
var weekdays = map[string][7]string{
	"de": {"So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"},
	"en": {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
}

// clockText shows t in loc for people: "So 29.03. 03:00" or "Sun 29 Mar 03:00".
func clockText(t time.Time, loc *time.Location, lang string) string {
	if t.IsZero() {
		return ""
	}
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	if lang == "en" {
		return weekdays["en"][t.Weekday()] + " " + t.Format("2 Jan 15:04")
	}
	return weekdays["de"][t.Weekday()] + " " + t.Format("02.01. 15:04")
}

// ClockText shows t in loc for people, like "So 29.03. 03:00"; the web
// pages use it.
func ClockText(t time.Time, loc *time.Location, lang string) string { return clockText(t, loc, lang) }
