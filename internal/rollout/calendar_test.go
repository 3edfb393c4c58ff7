package rollout

import (
	"strings"
	"testing"
	"time"
)

func TestBlocked(t *testing.T) {
	cal := &Calendar{}
	cal.AddDuties(Duty{SiteID: "apo-1", Date: date(2026, 5, 9), Start: 8*60 + 30, End: 8*60 + 30})
	if err := cal.AddFreeze(Freeze{SiteID: "apo-1", From: local(berlin, 2026, 7, 1, 0, 0), Until: local(berlin, 2026, 7, 3, 12, 0), Reason: "Umbau"}); err != nil {
		t.Fatal(err)
	}
	by := Site{ID: "apo-1", Location: berlin, State: "BY", Window: Window{EveryDay, 120, 240}}
	paused := by
	paused.Paused, paused.PauseReason = true, "Inventur"
	ny := by
	ny.Location = newYork

	tests := []struct {
		name     string
		cal      *Calendar
		site     Site
		day      Date
		want     BlockKind // "" means not blocked
		wantText string    // part of the German reason
	}{
		{"ordinary day", cal, by, date(2026, 5, 5), "", ""},
		{"holiday of the state", cal, by, date(2026, 6, 4), BlockHoliday, "Fronleichnam"},
		{"nationwide holiday", cal, by, date(2027, 3, 29), BlockHoliday, "bundesweit: Ostermontag"},
		{"Christmas Eve", cal, by, date(2026, 12, 24), BlockChristmasEve, "Heiligabend"},
		{"Christmas Day", cal, by, date(2026, 12, 25), BlockHoliday, "1. Weihnachtstag"},
		{"Boxing Day", cal, by, date(2026, 12, 26), BlockHoliday, "2. Weihnachtstag"},
		{"New Year's Eve", cal, by, date(2026, 12, 31), BlockNewYearsEve, "Silvester"},
		{"New Year", cal, by, date(2027, 1, 1), BlockHoliday, "Neujahr"},
		{"duty day", cal, by, date(2026, 5, 9), BlockDuty, "Notdienst ab 2026-05-09 08:30"},
		{"morning after a duty is only partly blocked", cal, by, date(2026, 5, 10), "", ""},
		{"DST spring Berlin", cal, by, date(2026, 3, 29), BlockDST, "Zeitumstellung"},
		{"DST autumn Berlin", cal, by, date(2026, 10, 25), BlockDST, "Zeitumstellung"},
		{"day before DST is only partly blocked", cal, by, date(2026, 3, 28), "", ""},
		{"DST lifted", &Calendar{AllowDSTNights: true}, by, date(2026, 3, 29), "", ""},
		{"DST New York on its own date", cal, ny, date(2026, 3, 8), BlockDST, "Zeitumstellung"},
		{"no DST in New York on 29 Mar", cal, ny, date(2026, 3, 29), "", ""},
		{"freeze over the whole day", cal, by, date(2026, 7, 2), BlockFreeze, "Umbau"},
		{"freeze over part of the day", cal, by, date(2026, 7, 3), "", ""},
		{"partial holiday not blocked by default", cal, by, date(2026, 8, 15), "", ""},
		{"partial holiday blocked on request", &Calendar{PartialHolidays: true}, by, date(2026, 8, 15), BlockHoliday, "in Teilen von Bayern"},
		{"customer pause", cal, paused, date(2026, 5, 5), BlockPaused, "Inventur"},
		{"nil calendar still blocks holidays", nil, by, date(2026, 11, 1), BlockHoliday, "Allerheiligen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, r := tt.cal.Blocked(tt.site, tt.day)
			if got != (tt.want != "") || r.Kind != tt.want {
				t.Fatalf("Blocked(%s) = %v, %q; want %v, %q", tt.day, got, r.Kind, tt.want != "", tt.want)
			}
			if !strings.Contains(r.Text.DE, tt.wantText) {
				t.Errorf("reason %q; want it to contain %q", r.Text.DE, tt.wantText)
			}
			if got && r.Text.EN == "" {
				t.Error("reason has no English text")
			}
		})
	}
}

func TestBlackouts(t *testing.T) {
	cal := &Calendar{}
	cal.AddDuties(Duty{SiteID: "apo-1", Date: date(2026, 3, 25), Start: 9 * 60, End: 9 * 60})
	s := Site{ID: "apo-1", Location: berlin, State: "BY", Window: Window{EveryDay, 120, 240}}
	got := cal.Blackouts(s, local(berlin, 2026, 3, 23, 0, 0), local(berlin, 2026, 4, 7, 0, 0))
	want := []struct {
		kind       BlockKind
		start, end time.Time
	}{
		{BlockDuty, utc(2026, 3, 24, 23, 0), utc(2026, 3, 26, 8, 0)},
		{BlockDST, utc(2026, 3, 28, 19, 0), utc(2026, 3, 29, 22, 0)},
		{BlockHoliday, utc(2026, 4, 2, 22, 0), utc(2026, 4, 3, 22, 0)}, // Karfreitag
		{BlockHoliday, utc(2026, 4, 5, 22, 0), utc(2026, 4, 6, 22, 0)}, // Ostermontag
	}
	if len(got) != len(want) {
		t.Fatalf("got %d blackouts %+v; want %d", len(got), got, len(want))
	}
	for i, w := range want {
		if got[i].Reason.Kind != w.kind || !got[i].Start.Equal(w.start) || !got[i].End.Equal(w.end) {
			t.Errorf("blackout %d = %s %s to %s; want %s %s to %s", i, got[i].Reason.Kind, fmtT(got[i].Start), fmtT(got[i].End),
				w.kind, fmtT(w.start), fmtT(w.end))
		}
	}
}

func TestFreezeAndDutyValidate(t *testing.T) {
	from := utc(2026, 5, 1, 0, 0)
	freezes := []struct {
		name    string
		f       Freeze
		wantErr bool
	}{
		{"fleet-wide", Freeze{From: from, Until: from.Add(time.Hour), Reason: "x"}, false},
		{"per site", Freeze{SiteID: "apo-1", From: from, Until: from.Add(time.Hour), Reason: "x"}, false},
		{"bad site", Freeze{SiteID: "Apo 1", From: from, Until: from.Add(time.Hour), Reason: "x"}, true},
		{"until before from", Freeze{From: from, Until: from, Reason: "x"}, true},
		{"no reason", Freeze{From: from, Until: from.Add(time.Hour), Reason: " "}, true},
	}
	for _, tt := range freezes {
		t.Run(tt.name, func(t *testing.T) {
			if err := (&Calendar{}).AddFreeze(tt.f); (err != nil) != tt.wantErr {
				t.Errorf("AddFreeze: %v; want error %v", err, tt.wantErr)
			}
		})
	}
	duties := []struct {
		name    string
		d       Duty
		wantErr bool
	}{
		{"24 h", Duty{SiteID: "apo-1", Date: date(2026, 5, 9), Start: 510, End: 510}, false},
		{"bad date", Duty{SiteID: "apo-1", Date: date(2026, 2, 30), Start: 510, End: 510}, true},
		{"no site", Duty{Date: date(2026, 5, 9), Start: 510, End: 510}, true},
		{"start 24:00", Duty{SiteID: "apo-1", Date: date(2026, 5, 9), Start: Midnight24, End: 510}, true},
	}
	for _, tt := range duties {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.d.Validate(); (err != nil) != tt.wantErr {
				t.Errorf("Validate: %v; want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestSiteValidate(t *testing.T) {
	good := Site{ID: "apo-1", Location: berlin, State: "BY", Window: Window{EveryDay, 120, 240}}
	if err := good.Validate(); err != nil {
		t.Errorf("good site: %v", err)
	}
	bad := Site{State: "Bayern"}
	err := bad.Validate()
	if err == nil {
		t.Fatal("bad site validated")
	}
	for _, key := range []string{"id:", "location:", "state:", "window:"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error %q does not name %s", err, key)
		}
	}
}
