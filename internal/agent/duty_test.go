package agent

import (
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/rollout"
)

func TestOwnDuties(t *testing.T) {
	loc := berlin(t)
	shifts := []mirror.DutyShift{
		{Start: at(t, 2026, 6, 13, 8, 30), End: at(t, 2026, 6, 14, 8, 30), Name: " apotheke am markt "},
		{Start: at(t, 2026, 6, 13, 8, 30), End: at(t, 2026, 6, 14, 8, 30), Name: "Adler-Apotheke"},
		{Start: at(t, 2026, 6, 20, 20, 0), End: at(t, 2026, 6, 21, 6, 0), Name: "Apotheke am Markt"},
		{Start: at(t, 2026, 6, 26, 9, 0), End: at(t, 2026, 6, 28, 9, 0), Name: "Apotheke am Markt", Note: "Wochenende"},
	}
	got := OwnDuties(shifts, "Apotheke am Markt", loc)
	d := func(day int, start, end rollout.TimeOfDay, note string) rollout.Duty {
		return rollout.Duty{SiteID: dutySiteID, Date: rollout.Date{Year: 2026, Month: time.June, Day: day}, Start: start, End: end, Note: note}
	}
	want := []rollout.Duty{
		d(13, 510, 510, ""),
		d(20, 1200, 360, ""),
		d(26, 540, 540, "Wochenende"),
		d(27, 540, 540, "Wochenende"),
	}
	if len(got) != len(want) {
		t.Fatalf("got %d duties %+v; want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("duty %d: got %+v; want %+v", i, got[i], want[i])
		}
	}
	if got := OwnDuties(shifts, "", loc); len(got) != 0 {
		t.Errorf("no name: got %d duties; want none", len(got))
	}
	// The 24-hour duty from Saturday 08:30 blocks the Sunday night window.
	cal := &rollout.Calendar{}
	cal.AddDuties(OwnDuties(shifts, "Apotheke am Markt", loc)...)
	site := rollout.Site{ID: dutySiteID, Location: loc, State: "NW", Window: window(t, "So 02:00-05:00")}
	dec := MayStart(Conditions{Site: site, Calendar: cal}, at(t, 2026, 6, 14, 2, 30))
	if dec.Start || dec.Reason.Kind != string(rollout.BlockDuty) {
		t.Errorf("Sunday after the duty: got %+v; want blocked by duty", dec)
	}
}
