package rollout

import (
	"testing"
	"time"
)

func TestResolve(t *testing.T) {
	tests := []struct {
		name string
		loc  *time.Location
		day  Date
		at   TimeOfDay
		want time.Time
	}{
		{"Berlin ordinary winter", berlin, date(2026, 1, 10), 2 * 60, utc(2026, 1, 10, 1, 0)},
		{"Berlin ordinary summer", berlin, date(2026, 7, 10), 2 * 60, utc(2026, 7, 10, 0, 0)},
		{"Berlin before the gap", berlin, date(2026, 3, 29), 1*60 + 59, utc(2026, 3, 29, 0, 59)},
		{"Berlin gap 02:00 is end of gap", berlin, date(2026, 3, 29), 2 * 60, utc(2026, 3, 29, 1, 0)},
		{"Berlin gap 02:30 is end of gap", berlin, date(2026, 3, 29), 2*60 + 30, utc(2026, 3, 29, 1, 0)},
		{"Berlin after the gap 03:00", berlin, date(2026, 3, 29), 3 * 60, utc(2026, 3, 29, 1, 0)},
		{"Berlin fold 02:00 first occurrence", berlin, date(2026, 10, 25), 2 * 60, utc(2026, 10, 25, 0, 0)},
		{"Berlin fold 02:30 first occurrence", berlin, date(2026, 10, 25), 2*60 + 30, utc(2026, 10, 25, 0, 30)},
		{"Berlin after the fold 03:00", berlin, date(2026, 10, 25), 3 * 60, utc(2026, 10, 25, 2, 0)},
		{"Berlin 24:00 is next midnight", berlin, date(2026, 10, 24), Midnight24, utc(2026, 10, 24, 22, 0)},
		{"New York gap 02:30", newYork, date(2026, 3, 8), 2*60 + 30, utc(2026, 3, 8, 7, 0)},
		{"New York fold 01:30 first occurrence", newYork, date(2026, 11, 1), 1*60 + 30, utc(2026, 11, 1, 5, 30)},
		{"UTC", time.UTC, date(2026, 3, 29), 2*60 + 30, utc(2026, 3, 29, 2, 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resolve(tt.loc, tt.day, tt.at); !got.Equal(tt.want) {
				t.Errorf("resolve(%s, %s %s) = %s; want %s", tt.loc, tt.day, tt.at, fmtT(got), fmtT(tt.want))
			}
		})
	}
}

// TestNextSlotDSTArithmetic checks how windows map to instants on the
// nights clocks change, with the DST blackout lifted.
func TestNextSlotDSTArithmetic(t *testing.T) {
	open := &Calendar{AllowDSTNights: true}
	tests := []struct {
		name      string
		window    string
		loc       *time.Location
		after     time.Time
		wantStart time.Time
		wantEnd   time.Time
	}{
		// Spring, Europe/Berlin, 29 Mar 2026: 02:00 CET -> 03:00 CEST (01:00Z).
		{"spring: window over the gap starts at the end of the gap", "Sun 02:00-04:00", berlin,
			utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 2, 0)},
		{"spring: start inside the gap", "Sun 02:30-05:00", berlin,
			utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 3, 0)},
		{"spring: window entirely in the gap keeps its length", "Sun 02:15-02:45", berlin,
			utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 1, 30)},
		{"spring: window around the gap is an hour shorter", "Sun 01:00-04:00", berlin,
			utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 2, 0)},
		{"spring: window ending in the gap ends at the end of the gap", "Sun 01:00-02:30", berlin,
			utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 1, 0)},
		{"spring: crossing midnight into the change", "Sat 22:00-05:00", berlin,
			utc(2026, 3, 28, 12, 0), utc(2026, 3, 28, 21, 0), utc(2026, 3, 29, 3, 0)},
		{"spring: ordinary day after", "Mon 02:00-04:00", berlin,
			utc(2026, 3, 29, 12, 0), utc(2026, 3, 30, 0, 0), utc(2026, 3, 30, 2, 0)},

		// Autumn, Europe/Berlin, 25 Oct 2026: 03:00 CEST -> 02:00 CET (01:00Z).
		{"autumn: window in the fold starts at the first occurrence", "Sun 02:00-03:00", berlin,
			utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 2, 0)},
		{"autumn: short window in the fold runs once, first pass", "Sun 02:15-02:45", berlin,
			utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 0, 15), utc(2026, 10, 25, 0, 45)},
		{"autumn: window into the fold", "Sun 01:30-02:30", berlin,
			utc(2026, 10, 24, 12, 0), utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 0, 30)},
		{"autumn: window around the fold is an hour longer", "Sun 01:00-04:00", berlin,
			utc(2026, 10, 24, 12, 0), utc(2026, 10, 24, 23, 0), utc(2026, 10, 25, 3, 0)},
		{"autumn: crossing midnight into the change", "Sat 22:00-05:00", berlin,
			utc(2026, 10, 24, 12, 0), utc(2026, 10, 24, 20, 0), utc(2026, 10, 25, 4, 0)},

		// America/New_York changes on other days: 8 Mar and 1 Nov 2026.
		{"New York spring gap", "Sun 02:00-04:00", newYork,
			utc(2026, 3, 7, 12, 0), utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 8, 0)},
		{"New York autumn fold", "Sun 01:00-02:00", newYork,
			utc(2026, 10, 31, 12, 0), utc(2026, 11, 1, 5, 0), utc(2026, 11, 1, 7, 0)},
		{"New York 29 Mar is an ordinary night", "Sun 02:00-04:00", newYork,
			utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 6, 0), utc(2026, 3, 29, 8, 0)},

		// Ordinary weeks.
		{"weekday window crossing midnight", "Mo-Fr 22:00-05:00", berlin,
			local(berlin, 2026, 5, 4, 12, 0), utc(2026, 5, 4, 20, 0), utc(2026, 5, 5, 3, 0)},
		{"in progress: starts now", "Mo-Fr 22:00-05:00", berlin,
			local(berlin, 2026, 5, 4, 23, 0), utc(2026, 5, 4, 21, 0), utc(2026, 5, 5, 3, 0)},
		{"in progress after midnight, begun the day before", "Mo-Fr 22:00-05:00", berlin,
			local(berlin, 2026, 5, 5, 4, 0), utc(2026, 5, 5, 2, 0), utc(2026, 5, 5, 3, 0)},
		{"window just over: next day", "Mo-Fr 22:00-05:00", berlin,
			local(berlin, 2026, 5, 5, 5, 0), utc(2026, 5, 5, 20, 0), utc(2026, 5, 6, 3, 0)},
		{"Friday's window runs into Saturday, then Monday", "Mo-Fr 22:00-05:00", berlin,
			local(berlin, 2026, 5, 9, 6, 0), utc(2026, 5, 11, 20, 0), utc(2026, 5, 12, 3, 0)},
		{"to 24:00", "Sun 22:00-24:00", berlin,
			local(berlin, 2026, 5, 4, 0, 0), utc(2026, 5, 10, 20, 0), utc(2026, 5, 10, 22, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := site(t, "apo-1", "HH", tt.window, tt.loc)
			start, end, ok := NextSlot(s, open, tt.after)
			if !ok {
				t.Fatalf("NextSlot: no slot; want %s to %s", fmtT(tt.wantStart), fmtT(tt.wantEnd))
			}
			if !start.Equal(tt.wantStart) || !end.Equal(tt.wantEnd) {
				t.Errorf("NextSlot = %s to %s; want %s to %s", fmtT(start), fmtT(end), fmtT(tt.wantStart), fmtT(tt.wantEnd))
			}
			if start.Location() != time.UTC || end.Location() != time.UTC {
				t.Errorf("got zones %s, %s; want UTC", start.Location(), end.Location())
			}
		})
	}
}

// TestNextSlotFoldRunsOnce checks that a window in the autumn fold does
// not come back on the second pass of the same wall-clock hour.
func TestNextSlotFoldRunsOnce(t *testing.T) {
	open := &Calendar{AllowDSTNights: true}
	for _, w := range []string{"Sun 02:15-02:45", "Sun 02:00-03:00", "daily 02:10-02:20"} {
		t.Run(w, func(t *testing.T) {
			s := site(t, "apo-1", "HH", w, berlin)
			start, end, ok := NextSlot(s, open, utc(2026, 10, 24, 12, 0))
			if !ok {
				t.Fatal("no first slot")
			}
			next, _, ok := NextSlot(s, open, end)
			if !ok {
				t.Fatal("no second slot")
			}
			if next.Sub(start) < 23*time.Hour {
				t.Errorf("second slot %s only %s after the first %s; want the window to run once on the night of the fold",
					fmtT(next), next.Sub(start), fmtT(start))
			}
		})
	}
}

// TestNextSlotBlackouts checks that NextSlot skips every kind of blackout.
func TestNextSlotBlackouts(t *testing.T) {
	duties := &Calendar{}
	duties.AddDuties(
		Duty{SiteID: "apo-duty", Date: date(2026, 5, 9), Start: 8*60 + 30, End: 8*60 + 30, Note: "Notdienst 24 h"},
		Duty{SiteID: "apo-night", Date: date(2026, 5, 19), Start: 20 * 60, End: 6 * 60},
	)
	freezes := &Calendar{}
	for _, f := range []Freeze{
		{From: local(berlin, 2026, 5, 4, 0, 0), Until: local(berlin, 2026, 5, 8, 0, 0), Reason: "Release-Prüfung"},
		{SiteID: "apo-frozen", From: local(berlin, 2026, 5, 8, 0, 0), Until: local(berlin, 2026, 5, 10, 0, 0), Reason: "Umbau"},
		{SiteID: "apo-forever", From: local(berlin, 2026, 5, 1, 0, 0), Until: local(berlin, 2028, 1, 1, 0, 0), Reason: "stillgelegt"},
	} {
		if err := freezes.AddFreeze(f); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		id     string
		state  string
		window string
		loc    *time.Location
		cal    *Calendar
		paused bool
		after  time.Time
		want   time.Time // zero: no slot
	}{
		// DST nights (production calendar).
		{"DST spring: Berlin Sunday window skipped", "apo-1", "BY", "Sun 02:00-04:00", berlin, nil, false,
			local(berlin, 2026, 3, 28, 12, 0), local(berlin, 2026, 4, 5, 2, 0)},
		{"DST spring: evening before the change blocked", "apo-1", "BY", "Sat 22:00-23:00", berlin, nil, false,
			local(berlin, 2026, 3, 28, 12, 0), local(berlin, 2026, 4, 4, 22, 0)},
		{"DST spring: window crossing into the change blocked", "apo-1", "BY", "Sat 22:00-05:00", berlin, nil, false,
			local(berlin, 2026, 3, 28, 12, 0), local(berlin, 2026, 4, 4, 22, 0)},
		{"DST spring: the whole change day blocked", "apo-1", "BY", "Sun 20:00-22:00", berlin, nil, false,
			local(berlin, 2026, 3, 28, 12, 0), local(berlin, 2026, 4, 5, 20, 0)},
		{"DST spring: Monday after is free", "apo-1", "BY", "Mon 02:00-04:00", berlin, nil, false,
			local(berlin, 2026, 3, 28, 12, 0), local(berlin, 2026, 3, 30, 2, 0)},
		{"DST spring: Saturday afternoon before is free", "apo-1", "BY", "Sat 14:00-16:00", berlin, nil, false,
			local(berlin, 2026, 3, 28, 12, 0), local(berlin, 2026, 3, 28, 14, 0)},
		{"DST spring: Easter Sunday after is a holiday in BB", "apo-1", "BB", "Sun 02:00-04:00", berlin, nil, false,
			local(berlin, 2026, 3, 28, 12, 0), local(berlin, 2026, 4, 12, 2, 0)},
		{"DST autumn: Berlin, then Allerheiligen in BY", "apo-1", "BY", "Sun 02:00-04:00", berlin, nil, false,
			local(berlin, 2026, 10, 24, 12, 0), local(berlin, 2026, 11, 8, 2, 0)},
		{"DST autumn: Berlin, HH has no Allerheiligen", "apo-1", "HH", "Sun 02:00-04:00", berlin, nil, false,
			local(berlin, 2026, 10, 24, 12, 0), local(berlin, 2026, 11, 1, 2, 0)},
		{"DST: New York's own change on 8 Mar", "apo-1", "HH", "Sun 02:00-04:00", newYork, nil, false,
			local(newYork, 2026, 3, 7, 12, 0), local(newYork, 2026, 3, 15, 2, 0)},
		{"DST: 29 Mar is free in New York", "apo-1", "HH", "Sun 02:00-04:00", newYork, nil, false,
			local(newYork, 2026, 3, 28, 12, 0), local(newYork, 2026, 3, 29, 2, 0)},
		{"DST: 8 Mar is free in Berlin", "apo-1", "HH", "Sun 02:00-04:00", berlin, nil, false,
			local(berlin, 2026, 3, 7, 12, 0), local(berlin, 2026, 3, 8, 2, 0)},

		// Holidays of several states, 2026 and 2027.
		{"BY Fronleichnam 2026-06-04", "apo-1", "BY", "Thu 02:00-04:00", berlin, nil, false,
			local(berlin, 2026, 6, 1, 12, 0), local(berlin, 2026, 6, 11, 2, 0)},
		{"BE has no Fronleichnam", "apo-1", "BE", "Thu 02:00-04:00", berlin, nil, false,
			local(berlin, 2026, 6, 1, 12, 0), local(berlin, 2026, 6, 4, 2, 0)},
		{"BY window the evening before Fronleichnam runs into it", "apo-1", "BY", "Wed 22:00-02:00", berlin, nil, false,
			local(berlin, 2026, 6, 1, 12, 0), local(berlin, 2026, 6, 10, 22, 0)},
		{"SN Buß- und Bettag 2026-11-18", "apo-1", "SN", "Wed 02:00-04:00", berlin, nil, false,
			local(berlin, 2026, 11, 16, 12, 0), local(berlin, 2026, 11, 25, 2, 0)},
		{"BY has no Buß- und Bettag", "apo-1", "BY", "Wed 02:00-04:00", berlin, nil, false,
			local(berlin, 2026, 11, 16, 12, 0), local(berlin, 2026, 11, 18, 2, 0)},
		{"SN Buß- und Bettag 2027-11-17", "apo-1", "SN", "Wed 02:00-04:00", berlin, nil, false,
			local(berlin, 2027, 11, 15, 12, 0), local(berlin, 2027, 11, 24, 2, 0)},
		{"BE Frauentag 2026-03-08, a Sunday", "apo-1", "BE", "Sun 02:00-04:00", berlin, nil, false,
			local(berlin, 2026, 3, 2, 12, 0), local(berlin, 2026, 3, 15, 2, 0)},
		{"HH has no Frauentag", "apo-1", "HH", "Sun 02:00-04:00", berlin, nil, false,
			local(berlin, 2026, 3, 2, 12, 0), local(berlin, 2026, 3, 8, 2, 0)},
		{"BE Frauentag 2027-03-08, a Monday", "apo-1", "BE", "Mon 02:00-04:00", berlin, nil, false,
			local(berlin, 2027, 3, 2, 12, 0), local(berlin, 2027, 3, 15, 2, 0)},
		{"TH Weltkindertag 2026-09-20", "apo-1", "TH", "Sun 02:00-04:00", berlin, nil, false,
			local(berlin, 2026, 9, 14, 12, 0), local(berlin, 2026, 9, 27, 2, 0)},
		{"NW has no Weltkindertag", "apo-1", "NW", "Sun 02:00-04:00", berlin, nil, false,
			local(berlin, 2026, 9, 14, 12, 0), local(berlin, 2026, 9, 20, 2, 0)},
		{"HH Reformationstag 2026-10-31", "apo-1", "HH", "Sat 02:00-04:00", berlin, nil, false,
			local(berlin, 2026, 10, 26, 12, 0), local(berlin, 2026, 11, 7, 2, 0)},
		{"NW has no Reformationstag", "apo-1", "NW", "Sat 02:00-04:00", berlin, nil, false,
			local(berlin, 2026, 10, 26, 12, 0), local(berlin, 2026, 10, 31, 2, 0)},
		{"NW Allerheiligen 2027-11-01", "apo-1", "NW", "Mon 02:00-04:00", berlin, nil, false,
			local(berlin, 2027, 10, 26, 12, 0), local(berlin, 2027, 11, 8, 2, 0)},
		{"NW Fronleichnam 2027-05-27", "apo-1", "NW", "Thu 02:00-04:00", berlin, nil, false,
			local(berlin, 2027, 5, 24, 12, 0), local(berlin, 2027, 6, 3, 2, 0)},
		{"Easter Monday 2027-03-29 everywhere", "apo-1", "HH", "Mon 02:00-04:00", berlin, nil, false,
			local(berlin, 2027, 3, 23, 12, 0), local(berlin, 2027, 4, 5, 2, 0)},
		{"Good Friday 2027-03-26", "apo-1", "TH", "Fri 02:00-04:00", berlin, nil, false,
			local(berlin, 2027, 3, 23, 12, 0), local(berlin, 2027, 4, 2, 2, 0)},
		{"Christmas: 24 to 26 Dec blocked", "apo-1", "HH", "daily 02:00-04:00", berlin, nil, false,
			local(berlin, 2026, 12, 23, 12, 0), local(berlin, 2026, 12, 27, 2, 0)},
		{"New Year: 31 Dec and 1 Jan blocked", "apo-1", "HH", "daily 02:00-04:00", berlin, nil, false,
			local(berlin, 2026, 12, 30, 12, 0), local(berlin, 2027, 1, 2, 2, 0)},
		{"New Year's Eve evening window blocked", "apo-1", "HH", "daily 21:00-23:00", berlin, nil, false,
			local(berlin, 2026, 12, 30, 23, 30), local(berlin, 2027, 1, 2, 21, 0)},
		{"window in progress is used from now", "apo-1", "HH", "daily 21:00-23:00", berlin, nil, false,
			local(berlin, 2026, 12, 30, 22, 0), local(berlin, 2026, 12, 30, 22, 0)},
		{"window before Christmas Eve that ends before midnight is free", "apo-1", "HH", "daily 20:00-23:00", berlin, nil, false,
			local(berlin, 2026, 12, 23, 12, 0), local(berlin, 2026, 12, 23, 20, 0)},

		// Duties.
		{"duty day blocks the night before the change", "apo-duty", "HH", "daily 02:00-04:00", berlin, duties, false,
			local(berlin, 2026, 5, 8, 12, 0), local(berlin, 2026, 5, 11, 2, 0)},
		{"a duty from 08:30 blocks the window that night", "apo-duty", "HH", "Sat 22:00-05:00", berlin, duties, false,
			local(berlin, 2026, 5, 8, 12, 0), local(berlin, 2026, 5, 16, 22, 0)},
		{"evening before the duty day is free", "apo-duty", "HH", "daily 20:00-23:00", berlin, duties, false,
			local(berlin, 2026, 5, 8, 12, 0), local(berlin, 2026, 5, 8, 20, 0)},
		{"evening after the duty ended is free", "apo-duty", "HH", "daily 20:00-23:00", berlin, duties, false,
			local(berlin, 2026, 5, 9, 0, 0), local(berlin, 2026, 5, 10, 20, 0)},
		{"night duty blocks its day and the next morning", "apo-night", "HH", "daily 02:00-07:00", berlin, duties, false,
			local(berlin, 2026, 5, 19, 0, 0), local(berlin, 2026, 5, 21, 2, 0)},
		{"another site's duty does not block", "apo-other", "HH", "daily 02:00-04:00", berlin, duties, false,
			local(berlin, 2026, 5, 8, 12, 0), local(berlin, 2026, 5, 9, 2, 0)},

		// Freezes and the customer's pause.
		{"fleet-wide freeze", "apo-1", "HH", "daily 02:00-04:00", berlin, freezes, false,
			local(berlin, 2026, 5, 3, 12, 0), local(berlin, 2026, 5, 8, 2, 0)},
		{"per-site freeze on top", "apo-frozen", "HH", "daily 02:00-04:00", berlin, freezes, false,
			local(berlin, 2026, 5, 3, 12, 0), local(berlin, 2026, 5, 10, 2, 0)},
		{"freeze longer than the lookahead: no slot", "apo-forever", "HH", "daily 02:00-04:00", berlin, freezes, false,
			local(berlin, 2026, 5, 3, 12, 0), time.Time{}},
		{"customer pause: no slot", "apo-1", "HH", "daily 02:00-04:00", berlin, nil, true,
			local(berlin, 2026, 5, 3, 12, 0), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := site(t, tt.id, tt.state, tt.window, tt.loc)
			s.Paused = tt.paused
			start, end, ok := NextSlot(s, tt.cal, tt.after)
			if tt.want.IsZero() {
				if ok {
					t.Errorf("NextSlot = %s; want no slot", fmtT(start))
				}
				return
			}
			if !ok {
				t.Fatalf("NextSlot: no slot; want %s", fmtT(tt.want))
			}
			if !start.Equal(tt.want) {
				t.Errorf("NextSlot start = %s; want %s", fmtT(start), fmtT(tt.want))
			}
			if b, blocked := tt.cal.conflict(s, start, end); blocked {
				t.Errorf("slot %s to %s overlaps blackout %+v", fmtT(start), fmtT(end), b)
			}
		})
	}
}

func TestNextSlotInvalidSite(t *testing.T) {
	after := utc(2026, 5, 4, 0, 0)
	for name, s := range map[string]Site{
		"no zone":   {ID: "a", State: "BY", Window: Window{EveryDay, 60, 120}},
		"no window": {ID: "a", State: "BY", Location: berlin},
	} {
		t.Run(name, func(t *testing.T) {
			if start, _, ok := NextSlot(s, nil, after); ok {
				t.Errorf("NextSlot = %s; want no slot", fmtT(start))
			}
		})
	}
}
