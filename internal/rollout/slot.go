package rollout

import (
	"time"
)

// Lookahead is how far NextSlot searches: a site whose windows are all
// blocked for longer (a freeze of more than a year) has no slot.
const Lookahead = 400 * 24 * time.Hour

// occurrence returns the instants of the window's occurrence that begins
// on local day d, by the rules given at NextSlot.
func occurrence(loc *time.Location, w Window, d Date) (start, end time.Time) {
	start = resolve(loc, d, w.Start)
	endDay := d
	if w.End <= w.Start {
		endDay = d.AddDays(1)
	}
	end = resolve(loc, endDay, w.End)
	if !end.After(start) {
		end = start.Add(w.Length())
	}
	return start, end
}

// NextSlot returns the site's next maintenance window, in UTC, that is
// open at or after after and free of blackouts: the occurrence of the
// site's window that is in progress at after (its start clipped to after)
// or the next one to begin, skipping every occurrence that touches a
// blackout of cal (see Calendar: holidays of the site's state, 24 to 26
// and 31 December and 1 January, the DST changes of the site's zone, the
// site's duties, freezes). A window that starts on the evening before a
// blocked day and runs into it is skipped as well.
//
// On the nights clocks change, an occurrence maps to instants like this:
//   - It starts at the first instant the wall clock shows its start: in
//     the autumn fold (02:00-03:00 on 25 Oct 2026 in Germany comes twice)
//     that is the first occurrence, so the window runs once; in the spring
//     gap (02:00-03:00 on 29 Mar 2026 does not exist) it is the end of the
//     gap, 03:00 summer time.
//   - It ends at the first instant after its start at which the wall clock
//     shows its end, or at the end of the gap when the end is in the gap;
//     its real length is its wall-clock length, an hour longer across the
//     fold and an hour shorter across the gap.
//   - A window entirely inside the gap runs for its nominal length from
//     the end of the gap.
//
// Those nights are blackouts of a production calendar; the rules matter
// for calendars with AllowDSTNights and for a change of standard offset.
//
// ok is false when the site has paused itself, when its window or zone is
// missing or invalid, or when no slot is free within Lookahead. A nil cal
// is an empty calendar (the computed blackouts still apply).
func NextSlot(site Site, cal *Calendar, after time.Time) (start, end time.Time, ok bool) {
	if site.Paused || site.Location == nil || site.Window.Validate() != nil {
		return time.Time{}, time.Time{}, false
	}
	loc := site.Location
	limit := after.Add(Lookahead)
	// A window that crosses midnight may have begun on the day before.
	d := localDate(after, loc).AddDays(-1)
	for {
		if !site.Window.Days.Has(d.Weekday()) {
			d = d.AddDays(1)
			continue
		}
		s, e := occurrence(loc, site.Window, d)
		if s.After(limit) {
			return time.Time{}, time.Time{}, false
		}
		if !e.After(after) {
			d = d.AddDays(1)
			continue
		}
		if s.Before(after) {
			s = after
		}
		b, blocked := cal.conflict(site, s, e)
		if !blocked {
			return s.UTC(), e.UTC(), true
		}
		// Go on with the first window that can begin after the blackout.
		next := d.AddDays(1)
		if bd := localDate(b.End, loc).AddDays(-1); bd.After(next) {
			next = bd
		}
		d = next
	}
}
