package agent

import (
	"context"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/holiday"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/rollout"
)

// DutyRota is the emergency-duty rota of the downtime copy;
// mirror.Reader (the site's mirrordb.DB) satisfies it.
type DutyRota interface {
	// DutyShifts returns the shifts overlapping [from, to), by start.
	DutyShifts(ctx context.Context, from, to time.Time) ([]mirror.DutyShift, error)
}

// dutySiteID keys the pharmacy's own duties in the agent's calendar.
const dutySiteID = "site"

// OwnDuties returns the shifts of the rota that belong to the pharmacy
// named name (compared without case and surrounding blanks), as duties of
// the rollout calendar. A shift longer than a day becomes several duties of
// at most 24 hours, so that the calendar blocks every day it touches.
func OwnDuties(shifts []mirror.DutyShift, name string, loc *time.Location) []rollout.Duty {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		return nil
	}
	var out []rollout.Duty
	for _, s := range shifts {
		if strings.ToLower(strings.TrimSpace(s.Name)) != name || !s.End.After(s.Start) {
			continue
		}
		for from := s.Start; from.Before(s.End); {
			to := from.Add(24 * time.Hour)
			if to.After(s.End) {
				to = s.End
			}
			out = append(out, duty(from, to, loc, s.Note))
			from = to
		}
	}
	return out
}

// duty converts [from, to) of at most 24 hours to a rollout duty.
func duty(from, to time.Time, loc *time.Location, note string) rollout.Duty {
	f, t := from.In(loc), to.In(loc)
	start := rollout.TimeOfDay(f.Hour()*60 + f.Minute())
	end := rollout.TimeOfDay(t.Hour()*60 + t.Minute())
	if holiday.DateOf(t) != holiday.DateOf(f) && end == 0 {
		end = rollout.Midnight24 // ends at midnight: the whole first day
	}
	if end == start && holiday.DateOf(t) == holiday.DateOf(f) {
		end = start + 1 // a span shorter than a minute still blocks its day
	}
	return rollout.Duty{SiteID: dutySiteID, Date: holiday.DateOf(f), Start: start, End: end, Note: note}
}
