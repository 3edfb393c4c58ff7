package mirror

import (
	"fmt"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// FullSyncDue reports whether the nightly full sync is due at now: today's
// (local date in loc) instant of at has passed and the last full sync came
// before it. Comparing instants of the local date makes it run exactly once
// per day, also on the nights the clocks change.
func FullSyncDue(now time.Time, at TimeOfDay, loc *time.Location, lastFull time.Time) bool {
	y, m, d := now.In(loc).Date()
	due := at.On(y, m, d, loc)
	return !now.Before(due) && lastFull.Before(due)
}

// NextFullSync returns the instant of the next nightly full sync after now.
func NextFullSync(now time.Time, at TimeOfDay, loc *time.Location) time.Time {
	y, m, d := now.In(loc).Date()
	t := at.On(y, m, d, loc)
	if t.After(now) {
		return t
	}
	return at.On(y, m, d+1, loc)
}

// FormatAge returns an age in plain words, rounded down: "40 Sekunden",
// "1 Minute", "3 Stunden", "2 Tage".
func FormatAge(d time.Duration) check.Text {
	if d < 0 {
		d = 0
	}
	unit := func(n int64, deOne, deMany, enOne, enMany string) check.Text {
		if n == 1 {
			return check.Msg("1 "+deOne, "1 "+enOne)
		}
		return check.Msg(fmt.Sprintf("%d %s", n, deMany), fmt.Sprintf("%d %s", n, enMany))
	}
	switch {
	case d < time.Minute:
		return unit(int64(d/time.Second), "Sekunde", "Sekunden", "second", "seconds")
	case d < time.Hour:
		return unit(int64(d/time.Minute), "Minute", "Minuten", "minute", "minutes")
	case d < 48*time.Hour:
		return unit(int64(d/time.Hour), "Stunde", "Stunden", "hour", "hours")
	default:
		return unit(int64(d/(24*time.Hour)), "Tag", "Tage", "day", "days")
	}
}

// FormatStand returns when data was current, as a print-out shows it:
// "heute 09:41", "gestern 23:10", "28.03.2025 09:41" ("today 09:41", ...),
// in the local zone; "nie" ("never") for the zero time.
func FormatStand(t, now time.Time, loc *time.Location) check.Text {
	if t.IsZero() {
		return check.Msg("nie", "never")
	}
	lt, ln := t.In(loc), now.In(loc)
	ty, tm, td := lt.Date()
	ny, nm, nd := ln.Date()
	clock := lt.Format("15:04")
	switch {
	case ty == ny && tm == nm && td == nd:
		return check.Msg("heute "+clock, "today "+clock)
	case sameDate(lt, time.Date(ny, nm, nd-1, 12, 0, 0, 0, loc)):
		return check.Msg("gestern "+clock, "yesterday "+clock)
	default:
		return check.Msg(lt.Format("02.01.2006 15:04"), lt.Format("2006-01-02 15:04"))
	}
}

func sameDate(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// StandLine returns the freshness line of a data set for print-outs and
// the dashboard: "Preisdaten Stand: heute 09:41" ("Price data as of: today
// 09:41").
func StandLine(s Status, now time.Time, loc *time.Location) check.Text {
	title := s.Dataset.Title()
	when := FormatStand(s.SyncedAt, now, loc)
	return check.Msg(title.DE+" Stand: "+when.DE, title.EN+" as of: "+when.EN)
}
