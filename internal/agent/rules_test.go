package agent

import (
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/rollout"
)

func berlin(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func window(t testing.TB, s string) rollout.Window {
	t.Helper()
	w, err := rollout.ParseWindow(s)
	if err != nil {
		t.Fatalf("window %q: %v", s, err)
	}
	return w
}

// at returns the instant of a wall-clock time in Berlin; for a time in the
// autumn fold, second picks the second occurrence (CET).
func at(t testing.TB, y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, berlin(t))
}

func TestMayStartEveryRule(t *testing.T) {
	loc := berlin(t)
	// Sunday 14 June 2026, 02:30: inside "So 02:00-05:00", no holiday.
	now := at(t, 2026, 6, 14, 2, 30)
	base := func() Conditions {
		return Conditions{
			Site:      rollout.Site{ID: "site", Location: loc, State: "NW", Window: window(t, "So 02:00-05:00")},
			NotBefore: at(t, 2026, 6, 14, 2, 0), NotAfter: at(t, 2026, 6, 14, 5, 0),
			Need: 30 * time.Minute,
		}
	}
	duty := func(c *Conditions, d rollout.Duty) {
		c.Calendar = &rollout.Calendar{}
		c.Calendar.AddDuties(d)
	}
	tests := []struct {
		name     string
		edit     func(c *Conditions)
		now      time.Time
		want     bool
		wantKind string
	}{
		{name: "all clear", edit: func(*Conditions) {}, now: now, want: true},
		{name: "paused by the pharmacy", edit: func(c *Conditions) { c.Site.Paused, c.Site.PauseReason = true, "Inventur" }, now: now, wantKind: BlockPaused},
		{name: "emergency mode on", edit: func(c *Conditions) { c.Emergency = true }, now: now, wantKind: BlockEmergency},
		{name: "incident open", edit: func(c *Conditions) { c.IncidentOpen = true }, now: now, wantKind: BlockIncident},
		{name: "postponed", edit: func(c *Conditions) { c.PostponedUntil = now.Add(time.Hour) }, now: now, wantKind: BlockPostponed},
		{name: "postponement over", edit: func(c *Conditions) { c.PostponedUntil = now.Add(-time.Minute) }, now: now, want: true},
		{name: "duty day (24 h duty from 08:30 on Saturday blocks Sunday night)", edit: func(c *Conditions) {
			duty(c, rollout.Duty{SiteID: "site", Date: rollout.Date{Year: 2026, Month: time.June, Day: 13}, Start: 8*60 + 30, End: 8*60 + 30})
		}, now: now, wantKind: string(rollout.BlockDuty)},
		{name: "duty begins on the day", edit: func(c *Conditions) {
			duty(c, rollout.Duty{SiteID: "site", Date: rollout.Date{Year: 2026, Month: time.June, Day: 14}, Start: 20 * 60, End: 6 * 60})
		}, now: now, wantKind: string(rollout.BlockDuty)},
		{name: "another pharmacy's duty does not block", edit: func(c *Conditions) {
			duty(c, rollout.Duty{SiteID: "other", Date: rollout.Date{Year: 2026, Month: time.June, Day: 14}, Start: 0, End: 6 * 60})
		}, now: now, want: true},
		{name: "public holiday of the state (Fronleichnam in NW)", edit: func(c *Conditions) {
			c.Site.Window = window(t, "Do 02:00-05:00")
			c.NotBefore, c.NotAfter = time.Time{}, time.Time{}
		}, now: at(t, 2026, 6, 4, 2, 30), wantKind: string(rollout.BlockHoliday)},
		{name: "Fronleichnam is no holiday in Berlin", edit: func(c *Conditions) {
			c.Site.Window, c.Site.State = window(t, "Do 02:00-05:00"), "BE"
			c.NotBefore, c.NotAfter = time.Time{}, time.Time{}
		}, now: at(t, 2026, 6, 4, 2, 30), want: true},
		{name: "New Year's Eve", edit: func(c *Conditions) {
			c.Site.Window = window(t, "täglich 02:00-05:00")
			c.NotBefore, c.NotAfter = time.Time{}, time.Time{}
		}, now: at(t, 2026, 12, 31, 2, 30), wantKind: string(rollout.BlockNewYearsEve)},
		{name: "before the window", edit: func(*Conditions) {}, now: at(t, 2026, 6, 14, 1, 59), wantKind: BlockWindow},
		{name: "after the window", edit: func(c *Conditions) { c.NotAfter = time.Time{} }, now: at(t, 2026, 6, 14, 5, 0), wantKind: BlockWindow},
		{name: "another weekday", edit: func(*Conditions) {}, now: at(t, 2026, 6, 15, 2, 30), wantKind: BlockWindow},
		{name: "before the fleet's slot", edit: func(c *Conditions) { c.NotBefore = at(t, 2026, 6, 14, 3, 0) }, now: now, wantKind: BlockSlot},
		{name: "fleet's slot over", edit: func(c *Conditions) { c.NotAfter = at(t, 2026, 6, 14, 2, 15) }, now: now, wantKind: BlockSlotOver},
		{name: "hook asked to retry later", edit: func(c *Conditions) { c.RetryAt = now.Add(10 * time.Minute) }, now: now, wantKind: BlockRetry},
		{name: "gate check not ok", edit: func(c *Conditions) { c.Unhealthy = []string{"Konnektor"} }, now: now, wantKind: BlockUnhealthy},
		{name: "too little time left", edit: func(*Conditions) {}, now: at(t, 2026, 6, 14, 4, 45), wantKind: BlockTooLate},
		{name: "slot ends before the window", edit: func(c *Conditions) { c.NotAfter = at(t, 2026, 6, 14, 2, 50) }, now: now, wantKind: BlockTooLate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.edit(&c)
			d := MayStart(c, tt.now)
			if d.Start != tt.want || d.Reason.Kind != tt.wantKind {
				t.Fatalf("got start %v, reason %q (%s); want start %v, reason %q", d.Start, d.Reason.Kind, d.Reason.Text.DE, tt.want, tt.wantKind)
			}
			if !d.Start && (d.Reason.Text.DE == "" || d.Reason.Text.EN == "") {
				t.Errorf("reason without words: %+v", d.Reason)
			}
		})
	}
}

// TestMayStartDSTNights checks the window "So 02:00-05:00" on the two
// nights the clocks change in 2026 (both Sundays): the night of the
// change, the day and the evening before are blocked, and the planned
// start is the next free Sunday.
func TestMayStartDSTNights(t *testing.T) {
	loc := berlin(t)
	site := func(state, w string) rollout.Site {
		return rollout.Site{ID: "site", Location: loc, State: state, Window: window(t, w)}
	}
	spring := time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)  // 03:00 CEST, the end of the gap
	autumn := time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC) // 02:00 CET, the start of the fold's second pass
	tests := []struct {
		name     string
		site     rollout.Site
		cal      *rollout.Calendar
		now      time.Time
		want     bool
		wantKind string
		wantNext time.Time
	}{
		{name: "spring: 01:30 CET before the gap", site: site("NW", "So 01:00-05:00"), now: time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC),
			wantKind: string(rollout.BlockDST), wantNext: at(t, 2026, 4, 5, 1, 0)},
		{name: "spring: 03:30 CEST after the gap", site: site("NW", "So 02:00-05:00"), now: spring.Add(30 * time.Minute),
			wantKind: string(rollout.BlockDST), wantNext: at(t, 2026, 4, 5, 2, 0)},
		{name: "spring: Easter Sunday is a holiday in Brandenburg, so one more week", site: site("BB", "So 02:00-05:00"), now: spring.Add(30 * time.Minute),
			wantKind: string(rollout.BlockDST), wantNext: at(t, 2026, 4, 12, 2, 0)},
		{name: "spring: the evening before from 20:00", site: site("NW", "Sa 21:00-23:00"), now: at(t, 2026, 3, 28, 21, 30),
			wantKind: string(rollout.BlockDST), wantNext: at(t, 2026, 4, 4, 21, 0)},
		{name: "spring: the Saturday evening before 20:00 is free", site: site("NW", "Sa 18:00-19:30"), now: at(t, 2026, 3, 28, 18, 30), want: true,
			wantNext: at(t, 2026, 3, 28, 18, 30)},
		{name: "autumn: 02:30 CEST, first pass of the fold", site: site("HH", "So 02:00-05:00"), now: autumn.Add(-30 * time.Minute),
			wantKind: string(rollout.BlockDST), wantNext: at(t, 2026, 11, 1, 2, 0)},
		{name: "autumn: 02:30 CET, second pass of the fold", site: site("HH", "So 02:00-05:00"), now: autumn.Add(30 * time.Minute),
			wantKind: string(rollout.BlockDST), wantNext: at(t, 2026, 11, 1, 2, 0)},
		{name: "autumn: the evening before from 20:00; the Saturday after is Reformation Day in Hamburg", site: site("HH", "Sa 21:00-23:00"),
			now: at(t, 2026, 10, 24, 21, 30), wantKind: string(rollout.BlockDST), wantNext: at(t, 2026, 11, 7, 21, 0)},
		{name: "autumn: the Sunday after is free in Hamburg", site: site("HH", "So 02:00-05:00"), now: at(t, 2026, 11, 1, 2, 10), want: true,
			wantNext: at(t, 2026, 11, 1, 2, 10)},
		{name: "autumn: the Sunday after is All Saints in NW, so one more week", site: site("NW", "So 02:00-05:00"), now: autumn.Add(30 * time.Minute),
			wantKind: string(rollout.BlockDST), wantNext: at(t, 2026, 11, 8, 2, 0)},
		// With the DST blackout lifted (a test-only calendar), the gap and
		// fold rules of rollout.NextSlot decide.
		{name: "spring gap without blackout: the window opens at 03:00 CEST", site: site("NW", "So 02:00-05:00"),
			cal: &rollout.Calendar{AllowDSTNights: true}, now: spring, want: true, wantNext: spring},
		{name: "spring gap without blackout: 01:59 CET is before the window", site: site("NW", "So 02:00-05:00"),
			cal: &rollout.Calendar{AllowDSTNights: true}, now: spring.Add(-time.Minute), wantKind: BlockWindow, wantNext: spring},
		{name: "autumn fold without blackout: 02:00-03:00 runs both passes", site: site("HH", "So 02:00-03:00"),
			cal: &rollout.Calendar{AllowDSTNights: true}, now: autumn.Add(30 * time.Minute), want: true, wantNext: autumn.Add(30 * time.Minute)},
		{name: "autumn fold without blackout: 03:00 CET ends the window", site: site("HH", "So 02:00-03:00"),
			cal: &rollout.Calendar{AllowDSTNights: true}, now: autumn.Add(time.Hour), wantKind: BlockWindow, wantNext: at(t, 2026, 11, 1, 2, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Conditions{Site: tt.site, Calendar: tt.cal, Need: 15 * time.Minute}
			d := MayStart(c, tt.now)
			if d.Start != tt.want || d.Reason.Kind != tt.wantKind {
				t.Fatalf("got start %v, reason %q (%s); want start %v, reason %q", d.Start, d.Reason.Kind, d.Reason.Text.DE, tt.want, tt.wantKind)
			}
			if !d.Next.Equal(tt.wantNext) {
				t.Errorf("planned start: got %s; want %s", d.Next.In(loc), tt.wantNext.In(loc))
			}
		})
	}
}

func TestNextStart(t *testing.T) {
	loc := berlin(t)
	site := rollout.Site{ID: "site", Location: loc, State: "NW", Window: window(t, "So 02:00-05:00")}
	now := at(t, 2026, 6, 10, 12, 0) // Wednesday
	tests := []struct {
		name string
		c    Conditions
		want time.Time
	}{
		{name: "next window", c: Conditions{Site: site}, want: at(t, 2026, 6, 14, 2, 0)},
		{name: "retry inside the window", c: Conditions{Site: site, RetryAt: at(t, 2026, 6, 14, 2, 40)}, want: at(t, 2026, 6, 14, 2, 40)},
		{name: "retry too late for this window", c: Conditions{Site: site, RetryAt: at(t, 2026, 6, 14, 4, 50), Need: 30 * time.Minute}, want: at(t, 2026, 6, 21, 2, 0)},
		{name: "postponed past the window", c: Conditions{Site: site, PostponedUntil: at(t, 2026, 6, 14, 5, 0)}, want: at(t, 2026, 6, 21, 2, 0)},
		{name: "slot ends first", c: Conditions{Site: site, PostponedUntil: at(t, 2026, 6, 14, 5, 0), NotAfter: at(t, 2026, 6, 14, 5, 0)}},
		{name: "paused", c: Conditions{Site: rollout.Site{ID: "site", Location: loc, Window: site.Window, Paused: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NextStart(tt.c, now); !got.Equal(tt.want) {
				t.Errorf("got %s; want %s", got.In(loc), tt.want.In(loc))
			}
		})
	}
}
