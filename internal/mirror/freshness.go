package mirror

import (
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

// StandLine returns the freshness line of a data set for print-outs and
// the dashboard: "Preisdaten Stand: heute 09:41" ("Price data as of: today
// 09:41").
func StandLine(s Status, now time.Time, loc *time.Location) check.Text {
	title := s.Dataset.Title()
	when := check.StandWords(s.SyncedAt, now, loc)
	return check.Msg(title.DE+" Stand: "+when.DE, title.EN+" as of: "+when.EN)
}
