package alert

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Recurring times (shifts, maintenance windows) are wall-clock times in the
// site's zone, compared as wall clock: on the night clocks go forward (29
// Mar 2026 in Germany) a shift from 02:30 begins at 03:00 summer time, when
// the wall clock first shows a time past 02:30, and the shift before it
// ends then, so nobody's duty has a gap; on the night clocks go back (25 Oct
// 2026) the hour from 02:00 to 03:00 is inside whichever shift covers 02:xx,
// twice. Single moments (overrides, silences) are instants resolved in the
// site's zone.

// civil is a calendar date without a zone.
type civil struct {
	Y int
	M time.Month
	D int
}

func civilOf(t time.Time) civil {
	y, m, d := t.Date()
	return civil{y, m, d}
}

func (c civil) addDays(n int) civil {
	return civilOf(time.Date(c.Y, c.M, c.D+n, 12, 0, 0, 0, time.UTC))
}

func (c civil) weekday() time.Weekday {
	return time.Date(c.Y, c.M, c.D, 12, 0, 0, 0, time.UTC).Weekday()
}

// daysSince returns the number of calendar days from o to c.
func (c civil) daysSince(o civil) int {
	a := time.Date(c.Y, c.M, c.D, 12, 0, 0, 0, time.UTC)
	b := time.Date(o.Y, o.M, o.D, 12, 0, 0, 0, time.UTC)
	return int(a.Sub(b).Round(24*time.Hour) / (24 * time.Hour))
}

func (c civil) String() string { return fmt.Sprintf("%04d-%02d-%02d", c.Y, c.M, c.D) }

func parseDate(s string) (civil, error) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return civil{}, fmt.Errorf("%q is not a date; write it like 2026-03-29", s)
	}
	return civilOf(t), nil
}

// parseClock parses HH:MM (00:00 to 24:00) into minutes after midnight.
func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("%q is not a time of day; write it like 08:30 (24-hour clock)", s)
	}
	return hh*60 + mm, nil
}

// localLayouts are the accepted forms of a local date and time.
var localLayouts = []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"}

// parseLocal parses a local date and time ("2026-12-24 08:00", or a date
// meaning its midnight) in loc.
func parseLocal(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date and time; write it like 2026-12-24 08:00 (local time)", s)
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
	"so": time.Sunday, "mo": time.Monday, "di": time.Tuesday, "mi": time.Wednesday,
	"do": time.Thursday, "fr": time.Friday, "sa": time.Saturday,
}

// parseDays turns weekday names into a bit mask (bit = time.Weekday). An
// empty list gives 0, meaning every day.
func parseDays(ds []string) (uint8, error) {
	var mask uint8
	for _, d := range ds {
		key := strings.ToLower(strings.TrimSpace(d))
		if len(key) > 3 {
			key = key[:3]
		}
		wd, ok := weekdays[key]
		if !ok {
			if key2 := strings.ToLower(strings.TrimSpace(d)); len(key2) >= 2 {
				wd, ok = weekdays[key2[:2]]
			}
		}
		if !ok {
			return 0, fmt.Errorf("%q is not a weekday; use mon, tue, wed, thu, fri, sat, sun", d)
		}
		mask |= 1 << wd
	}
	return mask, nil
}

// window is a recurring span of wall-clock time on some days.
type window struct {
	days  uint8 // 0 with no dates: every day
	dates map[civil]bool
	start int // minutes after midnight
	end   int // at or before start: the next day
}

func newWindow(days []string, dates []string, start, end string) (window, error) {
	var w window
	var err error
	if w.days, err = parseDays(days); err != nil {
		return w, err
	}
	for _, d := range dates {
		c, err := parseDate(d)
		if err != nil {
			return w, err
		}
		if w.dates == nil {
			w.dates = map[civil]bool{}
		}
		w.dates[c] = true
	}
	if w.start, err = parseClock(start); err != nil {
		return w, fmt.Errorf("start: %w", err)
	}
	if w.end, err = parseClock(end); err != nil {
		return w, fmt.Errorf("end: %w", err)
	}
	return w, nil
}

// onDay reports whether a span of the window starts on day c.
func (w window) onDay(c civil) bool {
	if w.dates != nil {
		if w.dates[c] {
			return true
		}
		return w.days != 0 && w.days&(1<<c.weekday()) != 0
	}
	return w.days == 0 || w.days&(1<<c.weekday()) != 0
}

// activeAt reports whether t falls inside the window in loc, and the date
// on which the span containing t started.
func (w window) activeAt(t time.Time, loc *time.Location) (bool, civil) {
	l := t.In(loc)
	min := l.Hour()*60 + l.Minute()
	today := civilOf(l)
	if w.start < w.end {
		if w.onDay(today) && min >= w.start && min < w.end {
			return true, today
		}
		return false, civil{}
	}
	// The span crosses midnight (or lasts 24 h when start == end).
	if w.onDay(today) && min >= w.start {
		return true, today
	}
	if yesterday := today.addDays(-1); w.onDay(yesterday) && min < w.end {
		return true, yesterday
	}
	return false, civil{}
}
