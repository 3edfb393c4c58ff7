package mirror

import (
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

func TestFormatAge(t *testing.T) {
	tests := []struct {
		d      time.Duration
		de, en string
	}{
		{0, "0 Sekunden", "0 seconds"},
		{time.Second, "1 Sekunde", "1 second"},
		{40 * time.Second, "40 Sekunden", "40 seconds"},
		{90 * time.Second, "1 Minute", "1 minute"},
		{12 * time.Minute, "12 Minuten", "12 minutes"},
		{3*time.Hour + 59*time.Minute, "3 Stunden", "3 hours"},
		{47 * time.Hour, "47 Stunden", "47 hours"},
		{72 * time.Hour, "3 Tage", "3 days"},
	}
	for _, tt := range tests {
		if got := check.AgeWords(tt.d); got != check.Msg(tt.de, tt.en) {
			t.Errorf("check.AgeWords(%v) = %v; want %q / %q", tt.d, got, tt.de, tt.en)
		}
	}
}

func TestFormatStand(t *testing.T) {
	berlin := mustLoc("Europe/Berlin")
	now := time.Date(2025, 3, 28, 10, 0, 0, 0, berlin)
	tests := []struct {
		t      time.Time
		de, en string
	}{
		{time.Date(2025, 3, 28, 9, 41, 0, 0, berlin), "heute 09:41", "today 09:41"},
		{time.Date(2025, 3, 27, 23, 10, 0, 0, berlin), "gestern 23:10", "yesterday 23:10"},
		{time.Date(2025, 3, 26, 9, 41, 0, 0, berlin), "26.03.2025 09:41", "2025-03-26 09:41"},
		{time.Time{}, "nie", "never"},
	}
	for _, tt := range tests {
		if got := check.StandWords(tt.t.UTC(), now.UTC(), berlin); got != check.Msg(tt.de, tt.en) {
			t.Errorf("check.StandWords(%v) = %v; want %q / %q", tt.t, got, tt.de, tt.en)
		}
	}
	s := Status{Dataset: Articles, SyncedAt: time.Date(2025, 3, 28, 9, 41, 0, 0, berlin)}
	if got, want := StandLine(s, now, berlin).DE, "Preisdaten Stand: heute 09:41"; got != want {
		t.Errorf("StandLine = %q; want %q", got, want)
	}
}

// TestFullSyncAcrossDST walks minute by minute through days including both
// DST nights of 2025 in Berlin and checks the nightly sync runs exactly
// once per local day, at the configured wall-clock time or (when that time
// is skipped) right after the gap.
func TestFullSyncAcrossDST(t *testing.T) {
	berlin := mustLoc("Europe/Berlin")
	tests := []struct {
		name  string
		at    string
		start time.Time
		days  int
		// wantClock is the local wall-clock time of each run ("" = at).
		wantClock map[string]string
	}{
		{"spring 03:30", "03:30", time.Date(2025, 3, 28, 12, 0, 0, 0, berlin), 4, nil},
		{"spring 02:30 skipped", "02:30", time.Date(2025, 3, 28, 12, 0, 0, 0, berlin), 4, map[string]string{"2025-03-30": "03:30"}},
		{"autumn 02:30 twice", "02:30", time.Date(2025, 10, 24, 12, 0, 0, 0, berlin), 4, nil},
		{"autumn 03:30", "03:30", time.Date(2025, 10, 24, 12, 0, 0, 0, berlin), 4, nil},
		{"midnight", "00:00", time.Date(2025, 10, 24, 12, 0, 0, 0, berlin), 4, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, err := ParseTimeOfDay(tt.at)
			if err != nil {
				t.Fatal(err)
			}
			last := tt.start // as if a full sync just ran
			runs := map[string][]string{}
			end := tt.start.Add(time.Duration(tt.days) * 24 * time.Hour)
			for now := tt.start; now.Before(end); now = now.Add(time.Minute) {
				if FullSyncDue(now, at, berlin, last) {
					l := now.In(berlin)
					runs[l.Format("2006-01-02")] = append(runs[l.Format("2006-01-02")], l.Format("15:04 MST"))
					last = now
				}
			}
			if len(runs) != tt.days {
				t.Errorf("full syncs on %d days %v; want %d days", len(runs), runs, tt.days)
			}
			for day, times := range runs {
				if len(times) != 1 {
					t.Errorf("%s: full syncs at %v; want exactly one", day, times)
					continue
				}
				want := tt.at
				if w, ok := tt.wantClock[day]; ok {
					want = w
				}
				if !strings.HasPrefix(times[0], want) {
					t.Errorf("%s: full sync at %s; want %s", day, times[0], want)
				}
			}
		})
	}
}

func TestNextFullSync(t *testing.T) {
	berlin := mustLoc("Europe/Berlin")
	at := TimeOfDay{3, 30}
	now := time.Date(2025, 3, 29, 12, 0, 0, 0, berlin)
	got := NextFullSync(now, at, berlin)
	if want := time.Date(2025, 3, 30, 3, 30, 0, 0, berlin); !got.Equal(want) {
		t.Errorf("NextFullSync = %v; want %v", got, want)
	}
	if got.Sub(now) != 14*time.Hour+30*time.Minute {
		t.Errorf("time to the next sync across the spring gap = %v; want 14h30m (one hour less)", got.Sub(now))
	}
	if got := NextFullSync(time.Date(2025, 3, 29, 2, 0, 0, 0, berlin), at, berlin); got.In(berlin).Day() != 29 {
		t.Errorf("NextFullSync before today's time = %v; want today", got)
	}
}

func TestFreshnessVerdict(t *testing.T) {
	now := time.Date(2025, 3, 28, 12, 0, 0, 0, time.UTC)
	watched := map[Dataset]time.Duration{Articles: 10 * time.Minute, Contacts: 10 * time.Minute}
	tests := []struct {
		name       string
		states     []Status
		wantStatus check.Status
		wantDE     string
	}{
		{"fresh", []Status{{Dataset: Articles, SyncedAt: now.Add(-40 * time.Second)}, {Dataset: Contacts, SyncedAt: now.Add(-time.Minute)}},
			check.StatusOK, "Preisdaten 40 Sekunden alt"},
		{"stale", []Status{{Dataset: Articles, SyncedAt: now.Add(-3 * time.Hour)}, {Dataset: Contacts, SyncedAt: now}},
			check.StatusDegraded, "Preisdaten 3 Stunden alt (erlaubt 10 Minuten)"},
		{"stale with error", []Status{{Dataset: Articles, SyncedAt: now.Add(-time.Hour), LastError: "Feed nicht erreichbar", LastErrorAt: now.Add(-time.Minute)}},
			check.StatusDegraded, "Preisdaten 1 Stunde alt (erlaubt 10 Minuten); letzter Fehler: Feed nicht erreichbar"},
		{"never", []Status{{Dataset: Articles}},
			check.StatusDegraded, "Noch keine Preisdaten vorhanden"},
		{"unwatched ignored", []Status{{Dataset: Articles, SyncedAt: now}, {Dataset: Handbook, SyncedAt: now.Add(-900 * time.Hour)}},
			check.StatusOK, "Preisdaten 0 Sekunden alt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := freshness(tt.states, watched, now, 0)
			if r.Status != tt.wantStatus {
				t.Errorf("status = %v; want %v (%s)", r.Status, tt.wantStatus, r.Message.DE)
			}
			if !strings.HasPrefix(r.Message.DE, tt.wantDE) {
				t.Errorf("message = %q; want it to start with %q", r.Message.DE, tt.wantDE)
			}
			if r.Message.EN == "" {
				t.Errorf("message has no English text")
			}
		})
	}
}
