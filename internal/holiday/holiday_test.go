package holiday

import (
	"encoding/json"
	"testing"
	"time"
)

func d(y int, m time.Month, day int) Date { return Date{y, m, day} }

func TestEaster(t *testing.T) {
	tests := []struct {
		year int
		want Date
	}{
		{1961, d(1961, time.April, 2)},
		{2000, d(2000, time.April, 23)},
		{2008, d(2008, time.March, 23)},
		{2011, d(2011, time.April, 24)}, // latest date of the decade
		{2019, d(2019, time.April, 21)},
		{2024, d(2024, time.March, 31)},
		{2025, d(2025, time.April, 20)},
		{2026, d(2026, time.April, 5)},
		{2027, d(2027, time.March, 28)},
		{2038, d(2038, time.April, 25)}, // latest possible date
		{2285, d(2285, time.March, 22)}, // earliest possible date
	}
	for _, tt := range tests {
		t.Run(tt.want.String(), func(t *testing.T) {
			if got := Easter(tt.year); got != tt.want {
				t.Errorf("Easter(%d) = %s; want %s", tt.year, got, tt.want)
			}
		})
	}
}

func TestOn(t *testing.T) {
	tests := []struct {
		name   string
		state  State
		date   Date
		wantID string // "" means: no statewide holiday
	}{
		// nationwide, 2026 and 2027
		{"Neujahr 2026", HH, d(2026, 1, 1), "neujahr"},
		{"Karfreitag 2026", BY, d(2026, 4, 3), "karfreitag"},
		{"Ostermontag 2026", SN, d(2026, 4, 6), "ostermontag"},
		{"Ostermontag 2027", TH, d(2027, 3, 29), "ostermontag"},
		{"Karfreitag 2027", NW, d(2027, 3, 26), "karfreitag"},
		{"Tag der Arbeit", BE, d(2026, 5, 1), "tag-der-arbeit"},
		{"Himmelfahrt 2026", BE, d(2026, 5, 14), "christi-himmelfahrt"},
		{"Himmelfahrt 2027", HH, d(2027, 5, 6), "christi-himmelfahrt"},
		{"Pfingstmontag 2026", NW, d(2026, 5, 25), "pfingstmontag"},
		{"Pfingstmontag 2027", SN, d(2027, 5, 17), "pfingstmontag"},
		{"Einheit", TH, d(2026, 10, 3), "tag-der-deutschen-einheit"},
		{"1. Weihnachtstag", BE, d(2027, 12, 25), "weihnachtstag-1"},
		{"2. Weihnachtstag", BY, d(2026, 12, 26), "weihnachtstag-2"},
		{"no state: nationwide", "", d(2026, 4, 6), "ostermontag"},
		{"no state: not Fronleichnam", "", d(2026, 6, 4), ""},
		{"unknown state: not Reformationstag", "XX", d(2026, 10, 31), ""},
		{"Easter Sunday is no holiday in BY", BY, d(2026, 4, 5), ""},
		{"ordinary Tuesday", BY, d(2026, 4, 7), ""},
		{"Heiligabend is no public holiday", BY, d(2026, 12, 24), ""},

		// Heilige Drei Könige: BW, BY, ST
		{"HDK BY", BY, d(2026, 1, 6), "heilige-drei-koenige"},
		{"HDK ST 2027", ST, d(2027, 1, 6), "heilige-drei-koenige"},
		{"HDK not NW", NW, d(2026, 1, 6), ""},

		// Frauentag: BE since 2019, MV since 2023
		{"Frauentag BE 2026 (Sunday)", BE, d(2026, 3, 8), "frauentag"},
		{"Frauentag BE 2027", BE, d(2027, 3, 8), "frauentag"},
		{"Frauentag BE 2018 not yet", BE, d(2018, 3, 8), ""},
		{"Frauentag MV 2026", MV, d(2026, 3, 8), "frauentag"},
		{"Frauentag MV 2022 not yet", MV, d(2022, 3, 8), ""},
		{"Frauentag not BB", BB, d(2026, 3, 8), ""},

		// Easter and Whit Sunday in BB
		{"Ostersonntag BB 2026", BB, d(2026, 4, 5), "ostersonntag"},
		{"Pfingstsonntag BB 2027", BB, d(2027, 5, 16), "pfingstsonntag"},
		{"Pfingstsonntag not BE", BE, d(2027, 5, 16), ""},

		// Fronleichnam: BW BY HE NW RP SL; only partly in SN, TH
		{"Fronleichnam BY 2026", BY, d(2026, 6, 4), "fronleichnam"},
		{"Fronleichnam NW 2026", NW, d(2026, 6, 4), "fronleichnam"},
		{"Fronleichnam NW 2027", NW, d(2027, 5, 27), "fronleichnam"},
		{"Fronleichnam HE 2027", HE, d(2027, 5, 27), "fronleichnam"},
		{"Fronleichnam not statewide in SN", SN, d(2026, 6, 4), ""},
		{"Fronleichnam not statewide in TH", TH, d(2026, 6, 4), ""},
		{"Fronleichnam not in BE", BE, d(2026, 6, 4), ""},

		// Mariä Himmelfahrt: SL; only partly in BY
		{"Mariä Himmelfahrt SL", SL, d(2026, 8, 15), "mariae-himmelfahrt"},
		{"Mariä Himmelfahrt not statewide in BY", BY, d(2026, 8, 15), ""},
		{"Augsburger Friedensfest not statewide in BY", BY, d(2026, 8, 8), ""},

		// Weltkindertag: TH since 2019
		{"Weltkindertag TH 2026 (Sunday)", TH, d(2026, 9, 20), "weltkindertag"},
		{"Weltkindertag TH 2027", TH, d(2027, 9, 20), "weltkindertag"},
		{"Weltkindertag TH 2018 not yet", TH, d(2018, 9, 20), ""},
		{"Weltkindertag not SN", SN, d(2026, 9, 20), ""},

		// Reformationstag
		{"Reformationstag HH 2026", HH, d(2026, 10, 31), "reformationstag"},
		{"Reformationstag HH 2027", HH, d(2027, 10, 31), "reformationstag"},
		{"Reformationstag SN 2026", SN, d(2026, 10, 31), "reformationstag"},
		{"Reformationstag TH 2026", TH, d(2026, 10, 31), "reformationstag"},
		{"Reformationstag NI 2017 (nationwide once)", NI, d(2017, 10, 31), "reformationstag"},
		{"Reformationstag BY 2017 (nationwide once)", BY, d(2017, 10, 31), "reformationstag"},
		{"Reformationstag HH 2016 not yet", HH, d(2016, 10, 31), ""},
		{"Reformationstag not BY 2026", BY, d(2026, 10, 31), ""},
		{"Reformationstag not NW 2027", NW, d(2027, 10, 31), ""},

		// Allerheiligen: BW BY NW RP SL
		{"Allerheiligen BY 2026", BY, d(2026, 11, 1), "allerheiligen"},
		{"Allerheiligen NW 2027", NW, d(2027, 11, 1), "allerheiligen"},
		{"Allerheiligen not SN", SN, d(2026, 11, 1), ""},

		// Buß- und Bettag: SN, Wednesday before 23 November
		{"Buß- und Bettag SN 2026", SN, d(2026, 11, 18), "buss-und-bettag"},
		{"Buß- und Bettag SN 2027", SN, d(2027, 11, 17), "buss-und-bettag"},
		{"Buß- und Bettag SN 2025", SN, d(2025, 11, 19), "buss-und-bettag"},
		{"Buß- und Bettag not BY 2026", BY, d(2026, 11, 18), ""},
		{"Buß- und Bettag nationwide 1994", BY, d(1994, 11, 16), "buss-und-bettag"},

		// Berlin's one-off 8 May
		{"Tag der Befreiung BE 2025", BE, d(2025, 5, 8), "tag-der-befreiung"},
		{"Tag der Befreiung BE 2026 not", BE, d(2026, 5, 8), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, ok := On(tt.date, tt.state)
			if tt.wantID == "" {
				if ok {
					t.Errorf("On(%s, %q) = %s; want no holiday", tt.date, tt.state, h.ID)
				}
				return
			}
			if !ok || h.ID != tt.wantID {
				t.Errorf("On(%s, %q) = %q, %v; want %q", tt.date, tt.state, h.ID, ok, tt.wantID)
			}
			if h.Date != tt.date {
				t.Errorf("date = %s; want %s", h.Date, tt.date)
			}
			if h.Name.DE == "" || h.Name.EN == "" {
				t.Errorf("name = %+v; want German and English", h.Name)
			}
		})
	}
}

func TestInYearCounts(t *testing.T) {
	// Statewide holidays per state (nine nationwide plus the state's own).
	want := map[State]int{
		BW: 12, BY: 12, BE: 10, BB: 12, HB: 10, HH: 10, HE: 10, MV: 11,
		NI: 10, NW: 11, RP: 11, SL: 12, SN: 11, ST: 11, SH: 10, TH: 11,
	}
	for _, year := range []int{2026, 2027} {
		for _, s := range States() {
			t.Run(s.Name(), func(t *testing.T) {
				hs := InYear(year, s)
				if len(hs) != want[s] {
					t.Errorf("%d %s: got %d holidays %v; want %d", year, s, len(hs), hs, want[s])
				}
				for i := 1; i < len(hs); i++ {
					if !hs[i-1].Date.Before(hs[i].Date) {
						t.Errorf("not sorted: %s before %s", hs[i-1].Date, hs[i].Date)
					}
				}
				nationwide := 0
				for _, h := range hs {
					if h.Nationwide {
						nationwide++
					}
				}
				if nationwide != 9 {
					t.Errorf("got %d nationwide; want 9", nationwide)
				}
			})
		}
	}
	if got := len(InYear(2026, "")); got != 9 {
		t.Errorf("no state: got %d holidays; want the 9 nationwide", got)
	}
}

func TestPartial(t *testing.T) {
	tests := []struct {
		state State
		want  []string
	}{
		{BY, []string{"augsburger-friedensfest", "mariae-himmelfahrt"}},
		{SN, []string{"fronleichnam"}},
		{TH, []string{"fronleichnam"}},
		{SL, nil},
		{BE, nil},
	}
	for _, tt := range tests {
		t.Run(string(tt.state), func(t *testing.T) {
			var got []string
			for _, h := range PartialInYear(2026, tt.state) {
				if !h.Partial {
					t.Errorf("%s: Partial = false; want true", h.ID)
				}
				got = append(got, h.ID)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v; want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("got %v; want %v", got, tt.want)
				}
			}
		})
	}
	if h, ok := PartialOn(d(2026, 8, 15), BY); !ok || h.ID != "mariae-himmelfahrt" {
		t.Errorf("PartialOn(2026-08-15, BY) = %q, %v; want mariae-himmelfahrt", h.ID, ok)
	}
	if _, ok := PartialOn(d(2026, 8, 15), SL); ok {
		t.Error("PartialOn(2026-08-15, SL) found a partial holiday; want none (statewide there)")
	}
}

func TestParseState(t *testing.T) {
	tests := []struct {
		in      string
		want    State
		wantErr bool
	}{
		{"BY", BY, false},
		{"by", BY, false},
		{" DE-SN ", SN, false},
		{"de-th", TH, false},
		{"", "", true},
		{"XX", "", true},
		{"Bayern", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseState(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseState(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
	if n := len(States()); n != 16 {
		t.Errorf("got %d states; want 16", n)
	}
	for _, s := range States() {
		if s.Name() == "" {
			t.Errorf("%s has no name", s)
		}
	}
}

func TestDate(t *testing.T) {
	if got := d(2026, 12, 31).AddDays(1); got != d(2027, 1, 1) {
		t.Errorf("AddDays over the year: got %s; want 2027-01-01", got)
	}
	if got := d(2026, 3, 1).AddDays(-1); got != d(2026, 2, 28) {
		t.Errorf("AddDays back: got %s; want 2026-02-28", got)
	}
	if got := d(2026, 3, 29).Weekday(); got != time.Sunday {
		t.Errorf("weekday of 2026-03-29: got %s; want Sunday", got)
	}
	if got := d(2027, 3, 28).DaysSince(d(2026, 3, 29)); got != 364 {
		t.Errorf("DaysSince: got %d; want 364", got)
	}
	if got := NewDate(2026, time.April, 31); got != d(2026, 5, 1) {
		t.Errorf("NewDate(2026, 4, 31) = %s; want 2026-05-01", got)
	}
	b, err := json.Marshal(d(2026, 4, 5))
	if err != nil || string(b) != `"2026-04-05"` {
		t.Errorf("json = %s, %v; want \"2026-04-05\"", b, err)
	}
	var back Date
	if err := json.Unmarshal(b, &back); err != nil || back != d(2026, 4, 5) {
		t.Errorf("json back = %s, %v; want 2026-04-05", back, err)
	}
	if _, err := ParseDate("05.04.2026"); err == nil {
		t.Error("ParseDate(05.04.2026) succeeded; want an error")
	}
	if !(Date{}).IsZero() || d(2026, 1, 1).IsZero() {
		t.Error("IsZero wrong")
	}
}
