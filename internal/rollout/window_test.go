package rollout

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseWindow(t *testing.T) {
	mon, tue, wed, thu, fri, sat, sun := time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday
	hm := func(h, m int) TimeOfDay { return TimeOfDay(h*60 + m) }
	tests := []struct {
		in      string
		want    Window
		wantStr string
		wantErr bool
	}{
		{in: "Sun 02:00-04:00", want: Window{Days(sun), hm(2, 0), hm(4, 0)}, wantStr: "Sun 02:00-04:00"},
		{in: "Mo-Fr 22:00-05:00", want: Window{Days(mon, tue, wed, thu, fri), hm(22, 0), hm(5, 0)}, wantStr: "Mon-Fri 22:00-05:00"},
		{in: "mon-fri 22:00-05:00", want: Window{Days(mon, tue, wed, thu, fri), hm(22, 0), hm(5, 0)}, wantStr: "Mon-Fri 22:00-05:00"},
		{in: "So 2:00-4:00", want: Window{Days(sun), hm(2, 0), hm(4, 0)}, wantStr: "Sun 02:00-04:00"},
		{in: "Sa,So 01:30-03:45", want: Window{Days(sat, sun), hm(1, 30), hm(3, 45)}, wantStr: "Sat-Sun 01:30-03:45"},
		{in: "Mo, Mi - Fr 03:00-04:00", want: Window{Days(mon, wed, thu, fri), hm(3, 0), hm(4, 0)}, wantStr: "Mon,Wed-Fri 03:00-04:00"},
		{in: "Fr-Mo 23:00-01:00", want: Window{Days(fri, sat, sun, mon), hm(23, 0), hm(1, 0)}, wantStr: "Mon,Fri-Sun 23:00-01:00"},
		{in: "Di,Do 02:00-03:00", want: Window{Days(tue, thu), hm(2, 0), hm(3, 0)}, wantStr: "Tue,Thu 02:00-03:00"},
		{in: "Tu,Th 02:00-03:00", want: Window{Days(tue, thu), hm(2, 0), hm(3, 0)}, wantStr: "Tue,Thu 02:00-03:00"},
		{in: "Sonntag 02:00-04:00", want: Window{Days(sun), hm(2, 0), hm(4, 0)}, wantStr: "Sun 02:00-04:00"},
		{in: "Sonnabend 02:00-04:00", want: Window{Days(sat), hm(2, 0), hm(4, 0)}, wantStr: "Sat 02:00-04:00"},
		{in: "Mo.-Fr. 22:00 – 05:00 Uhr", want: Window{Days(mon, tue, wed, thu, fri), hm(22, 0), hm(5, 0)}, wantStr: "Mon-Fri 22:00-05:00"},
		{in: "täglich 02:00 - 04:00", want: Window{EveryDay, hm(2, 0), hm(4, 0)}, wantStr: "daily 02:00-04:00"},
		{in: "daily 22:00-24:00", want: Window{EveryDay, hm(22, 0), Midnight24}, wantStr: "daily 22:00-24:00"},
		{in: "Mo-So 00:00-24:00", want: Window{EveryDay, 0, Midnight24}, wantStr: "daily 00:00-24:00"},
		{in: "  Sat  03:00-06:00  ", want: Window{Days(sat), hm(3, 0), hm(6, 0)}, wantStr: "Sat 03:00-06:00"},
		{in: "", want: Window{}, wantStr: ""},

		{in: "Sun", wantErr: true},
		{in: "02:00-04:00", wantErr: true},
		{in: "Xy 02:00-04:00", wantErr: true},
		{in: "Mo-Xy 02:00-04:00", wantErr: true},
		{in: "Sun 02:00", wantErr: true},
		{in: "Sun 02:00-02:00", wantErr: true},
		{in: "Sun 25:00-02:00", wantErr: true},
		{in: "Sun 24:00-02:00", wantErr: true},
		{in: "Sun 02:60-03:00", wantErr: true},
		{in: "Sun 2-4", wantErr: true},
		{in: "Sun 02:00-04:00-05:00", wantErr: true},
		{in: "Sun 002:00-04:00", wantErr: true},
		{in: "Sun,, 02:00-04:00", wantErr: true},
		{in: "Sun 02:00-04:00 extra", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseWindow(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseWindow(%q) = %v; want an error", tt.in, got)
				}
				if ErrorCode(err) != EINVALID {
					t.Errorf("code = %q; want %q", ErrorCode(err), EINVALID)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseWindow(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseWindow(%q) = %+v; want %+v", tt.in, got, tt.want)
			}
			if s := got.String(); s != tt.wantStr {
				t.Errorf("String() = %q; want %q", s, tt.wantStr)
			}
		})
	}
}

func TestWindowValidateAndLength(t *testing.T) {
	tests := []struct {
		name    string
		w       Window
		wantErr bool
		length  time.Duration
	}{
		{"plain", Window{Days(time.Sunday), 120, 240}, false, 2 * time.Hour},
		{"crosses midnight", Window{EveryDay, 22 * 60, 5 * 60}, false, 7 * time.Hour},
		{"to 24:00", Window{EveryDay, 22 * 60, Midnight24}, false, 2 * time.Hour},
		{"whole day", Window{EveryDay, 0, Midnight24}, false, 24 * time.Hour},
		{"zero", Window{}, true, 0},
		{"no days", Window{0, 120, 240}, true, 0},
		{"bad day bits", Window{1 << 7, 120, 240}, true, 0},
		{"start 24:00", Window{EveryDay, Midnight24, 60}, true, 0},
		{"negative", Window{EveryDay, -1, 60}, true, 0},
		{"end beyond 24:00", Window{EveryDay, 60, Midnight24 + 1}, true, 0},
		{"no length", Window{EveryDay, 60, 60}, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.w.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate() = %v; want error %v", err, tt.wantErr)
			}
			if err == nil && tt.w.Length() != tt.length {
				t.Errorf("Length() = %s; want %s", tt.w.Length(), tt.length)
			}
		})
	}
}

func TestWindowJSON(t *testing.T) {
	type doc struct {
		W Window `json:"window"`
	}
	w, err := ParseWindow("Mo-Fr 22:00-05:00")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(doc{w})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"window":"Mon-Fri 22:00-05:00"}` {
		t.Errorf("got %s; want {\"window\":\"Mon-Fri 22:00-05:00\"}", b)
	}
	var back doc
	if err := json.Unmarshal(b, &back); err != nil || back.W != w {
		t.Errorf("got %+v, %v; want %+v", back.W, err, w)
	}
	if err := json.Unmarshal([]byte(`{"window":"Sun 99:00-01:00"}`), &back); err == nil {
		t.Error("bad window unmarshalled without an error")
	}
}

func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{"Sun 02:00-04:00", "Mo-Fr 22:00-05:00", "täglich 0:00-24:00", "Fr-Mo 23:00-01:00 Uhr", "Sa,So 1:00–3:00", "", "x", "Mo 24:00-01:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWindow(s)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("ParseWindow(%q): error code %q; want %q", s, ErrorCode(err), EINVALID)
			}
			return
		}
		if w.IsZero() {
			return
		}
		if err := w.Validate(); err != nil {
			t.Fatalf("ParseWindow(%q) = %+v, which does not validate: %v", s, w, err)
		}
		back, err := ParseWindow(w.String())
		if err != nil || back != w {
			t.Fatalf("round trip of %q via %q = %+v, %v; want %+v", s, w.String(), back, err, w)
		}
		if l := w.Length(); l <= 0 || l > 24*time.Hour {
			t.Fatalf("Length() = %s; want within (0, 24h]", l)
		}
	})
}
