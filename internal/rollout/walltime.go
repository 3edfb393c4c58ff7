package rollout

import (
	"time"

	"github.com/lifeline-project/lifeline/internal/holiday"
)

// Date is a civil date; see holiday.Date.
type Date = holiday.Date

// naive returns t's wall clock in loc as the same fields in UTC, so that
// wall clocks can be compared as plain times.
func naive(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	y, m, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, m, d, h, mi, s, t.Nanosecond(), time.UTC)
}

// resolve returns the instant at which the wall clock of loc shows minute
// m (0 to 1440) of day d:
//   - a time that exists once is that instant;
//   - a time in the autumn fold (it exists twice) is its first occurrence;
//   - a time in the spring gap (it does not exist) is the end of the gap,
//     the transition instant, when the clock first shows a later time.
//
// time.Date leaves both cases unspecified (it picks the second occurrence
// and shifts gap times forward by the gap's length), so resolve decides
// them itself.
func resolve(loc *time.Location, d Date, m TimeOfDay) time.Time {
	w := time.Date(d.Year, d.Month, d.Day, 0, int(m), 0, 0, time.UTC)
	g := time.Date(d.Year, d.Month, d.Day, 0, int(m), 0, 0, loc)
	zs, ze := g.ZoneBounds()
	var best time.Time
	try := func(probe time.Time) {
		_, off := probe.In(loc).Zone()
		u := w.Add(-time.Duration(off) * time.Second)
		if naive(u, loc).Equal(w) && (best.IsZero() || u.Before(best)) {
			best = u
		}
	}
	try(g)
	if !zs.IsZero() {
		try(zs.Add(-time.Nanosecond))
	}
	if !ze.IsZero() {
		try(ze)
	}
	if !best.IsZero() {
		return best
	}
	for _, tr := range []time.Time{zs, ze} {
		if !tr.IsZero() && naive(tr.Add(-time.Nanosecond), loc).Before(w) && w.Before(naive(tr, loc)) {
			return tr
		}
	}
	return g
}

// localDate returns the civil day of t in loc.
func localDate(t time.Time, loc *time.Location) Date { return holiday.DateOf(t.In(loc)) }

// transitions returns the instants in [from, to) at which loc's UTC offset
// changes (the DST changes; also a change of standard offset).
func transitions(loc *time.Location, from, to time.Time) []time.Time {
	var out []time.Time
	t := from
	for range 64 {
		_, end := t.In(loc).ZoneBounds()
		if end.IsZero() || !end.Before(to) {
			break
		}
		_, before := end.Add(-time.Nanosecond).In(loc).Zone()
		_, after := end.In(loc).Zone()
		if before != after {
			out = append(out, end)
		}
		t = end
	}
	return out
}
