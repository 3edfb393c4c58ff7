package alert

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// pharmacyRota: early and late shifts on weekdays, two night shifts split
// at 02:30 (so that the spring DST night has a shift starting in the hour
// that does not exist), a weekly night rotation, an emergency-duty night on
// top, and overrides for a holiday and a sickness.
func pharmacyRota() Rota {
	return Rota{ID: "dienst", Layers: []Layer{
		{Name: "Frühdienst", Days: []string{"mon", "tue", "wed", "thu", "fri", "sat"}, Start: "08:00", End: "14:00", People: []string{"anna"}},
		{Name: "Spätdienst", Days: []string{"mon", "tue", "wed", "thu", "fri", "sat"}, Start: "14:00", End: "20:00", People: []string{"ben"}},
		{Name: "Nacht 1", Start: "20:00", End: "02:30", People: []string{"anna", "ben"}, Rotate: RotateWeekly, RotationStart: "2026-03-23"},
		{Name: "Nacht 2", Start: "02:30", End: "08:00", People: []string{"ben", "anna"}, Rotate: RotateWeekly, RotationStart: "2026-03-23"},
		{Name: "Notdienst", Dates: []string{"2026-10-24"}, Start: "08:30", End: "08:30", People: []string{"chef"}},
	}, Overrides: []Override{
		{From: "2026-12-24 12:00", To: "2026-12-27 08:00", Person: "chef", Comment: "Weihnachten"},
		{From: "2026-04-07 00:00", To: "2026-04-09 00:00", Person: "ben", InsteadOf: "anna", Comment: "Anna krank"},
	}}
}

func TestRotaOnCall(t *testing.T) {
	rp, err := compileRota(pharmacyRota(), berlin)
	if err != nil {
		t.Fatal(err)
	}
	utc := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, time.UTC) }
	local := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, berlin) }
	tests := []struct {
		name string
		at   time.Time
		want []string
	}{
		{"Monday early shift", local(2026, 3, 23, 9, 0), []string{"anna"}},
		{"Monday late shift", local(2026, 3, 23, 14, 0), []string{"ben"}},
		{"Monday night, first week: anna", local(2026, 3, 23, 23, 0), []string{"anna"}},
		{"Sunday daytime: no day layer, nobody", local(2026, 3, 29, 12, 0), nil},
		// Spring: 02:00 CET jumps to 03:00 CEST on 29 Mar 2026.
		{"29 Mar 01:59 CET: night 1 (anna, week of 23 Mar)", utc(2026, 3, 29, 0, 59), []string{"anna"}},
		{"29 Mar 03:00 CEST, first minute after the jump: night 2 started (its 02:30 never showed)", utc(2026, 3, 29, 1, 0), []string{"ben"}},
		{"29 Mar 03:29 CEST: night 2", utc(2026, 3, 29, 1, 29), []string{"ben"}},
		{"30 Mar 01:00: night 1 began Sunday, still the first week", local(2026, 3, 30, 1, 0), []string{"anna"}},
		{"31 Mar 01:00: night 1 began Monday, second week: ben", local(2026, 3, 31, 1, 0), []string{"ben"}},
		// Autumn: 03:00 CEST falls back to 02:00 CET on 25 Oct 2026; the
		// emergency duty of 24 Oct runs 08:30 to 08:30 and covers the night.
		{"24 Oct 07:59: night 2", local(2026, 10, 24, 7, 59), []string{"ben"}},
		{"24 Oct 08:29: Saturday early shift, before the duty", local(2026, 10, 24, 8, 29), []string{"anna"}},
		{"24 Oct 08:30: emergency duty", local(2026, 10, 24, 8, 30), []string{"chef"}},
		{"25 Oct first 02:30 CEST: emergency duty", utc(2026, 10, 25, 0, 30), []string{"chef"}},
		{"25 Oct second 02:30 CET: emergency duty", utc(2026, 10, 25, 1, 30), []string{"chef"}},
		{"25 Oct 08:29: still the duty", local(2026, 10, 25, 8, 29), []string{"chef"}},
		{"25 Oct 08:30: duty over, Sunday daytime", local(2026, 10, 25, 8, 30), nil},
		{"holiday override replaces everyone", local(2026, 12, 24, 15, 0), []string{"chef"}},
		{"holiday override ends", local(2026, 12, 28, 9, 0), []string{"anna"}},
		{"sickness: ben instead of anna", local(2026, 4, 7, 9, 0), []string{"ben"}},
		{"sickness over", local(2026, 4, 9, 9, 0), []string{"anna"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rp.onCall(tt.at, berlin)
			if !slices.Equal(got, tt.want) {
				t.Errorf("on call at %s: got %v; want %v", tt.at.In(berlin).Format("2006-01-02 15:04 MST"), got, tt.want)
			}
		})
	}
}

// TestRotaNoGapAcrossDSTNights sweeps both DST nights minute by minute: a
// night rota must have somebody on call at every instant.
func TestRotaNoGapAcrossDSTNights(t *testing.T) {
	rota := Rota{ID: "nacht", Layers: []Layer{
		{Start: "20:00", End: "02:30", People: []string{"anna"}},
		{Start: "02:30", End: "08:00", People: []string{"ben"}},
	}}
	rp, err := compileRota(rota, berlin)
	if err != nil {
		t.Fatal(err)
	}
	for _, night := range []time.Time{time.Date(2026, 3, 28, 20, 0, 0, 0, berlin), time.Date(2026, 10, 24, 20, 0, 0, 0, berlin)} {
		end := time.Date(night.Year(), night.Month(), night.Day()+1, 8, 0, 0, 0, berlin)
		var hours = map[string]bool{}
		for at := night; at.Before(end); at = at.Add(time.Minute) {
			who := rp.onCall(at, berlin)
			if len(who) != 1 {
				t.Fatalf("%s: got %v on call; want exactly one person", at.In(berlin).Format("2006-01-02 15:04 MST"), who)
			}
			if at.In(berlin).Hour() < 8 {
				hours[who[0]] = true
			}
		}
		if !hours["anna"] || !hours["ben"] {
			t.Errorf("night of %s: got %v on call; want both shifts to occur", night.Format("2 Jan"), hours)
		}
	}
}

func TestWindow(t *testing.T) {
	tests := []struct {
		name       string
		days       []string
		start, end string
		at         time.Time
		want       bool
	}{
		{"inside a day window", []string{"mon"}, "08:00", "12:00", time.Date(2026, 3, 23, 11, 59, 0, 0, berlin), true},
		{"end is exclusive", []string{"mon"}, "08:00", "12:00", time.Date(2026, 3, 23, 12, 0, 0, 0, berlin), false},
		{"overnight window continues into the next day", []string{"sat"}, "22:00", "06:00", time.Date(2026, 3, 29, 5, 0, 0, 0, berlin), true},
		{"overnight window does not start on other days", []string{"sat"}, "22:00", "06:00", time.Date(2026, 3, 30, 5, 0, 0, 0, berlin), false},
		{"24:00 end", nil, "00:00", "24:00", time.Date(2026, 3, 30, 23, 59, 0, 0, berlin), true},
		{"German day names", []string{"Mo", "Di"}, "00:00", "24:00", time.Date(2026, 3, 24, 9, 0, 0, 0, berlin), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := newWindow(tt.days, nil, tt.start, tt.end)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := w.activeAt(tt.at, berlin); got != tt.want {
				t.Errorf("active at %s: got %v; want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestParseClock(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"08:30", 510, false}, {"00:00", 0, false}, {"24:00", 1440, false},
		{"24:01", 0, true}, {"8:3", 0, true}, {"25:00", 0, true}, {"abc", 0, true}, {"12:60", 0, true},
	}
	for _, tt := range tests {
		got, err := parseClock(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseClock(%q): got %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "08:30") {
			t.Errorf("parseClock(%q) error %q does not show an example", tt.in, err)
		}
	}
}
