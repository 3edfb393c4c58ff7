package rollout

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// TimeOfDay is a wall-clock time of day in minutes after midnight: 0 is
// 00:00, 1439 is 23:59, and 1440 is 24:00, which is allowed only as the end
// of a window or a duty.
type TimeOfDay int

// Midnight24 is 24:00, the end of a day.
const Midnight24 TimeOfDay = 24 * 60

// ParseTimeOfDay reads "HH:MM" or "H:MM", 00:00 to 24:00.
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 || !digits(h) || !digits(m) {
		return 0, errorf(EINVALID, "%q ist keine Uhrzeit wie 02:00", "%q is not a time like 02:00", s)
	}
	hh, _ := strconv.Atoi(h)
	mm, _ := strconv.Atoi(m)
	if hh > 24 || mm > 59 || (hh == 24 && mm != 0) {
		return 0, errorf(EINVALID, "%q liegt nicht zwischen 00:00 und 24:00", "%q is not between 00:00 and 24:00", s)
	}
	return TimeOfDay(hh*60 + mm), nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// String returns the time as "HH:MM".
func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", int(t)/60, int(t)%60) }

// MarshalText writes the time as "HH:MM".
func (t TimeOfDay) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads "HH:MM".
func (t *TimeOfDay) UnmarshalText(b []byte) error {
	v, err := ParseTimeOfDay(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// Weekdays is a set of days of the week: bit i is time.Weekday(i).
type Weekdays uint8

// EveryDay holds all seven days.
const EveryDay Weekdays = 1<<7 - 1

// Days returns the set of the given days.
func Days(ds ...time.Weekday) Weekdays {
	var w Weekdays
	for _, d := range ds {
		w |= 1 << (d % 7)
	}
	return w
}

// Has reports whether d is in the set.
func (w Weekdays) Has(d time.Weekday) bool { return w&(1<<(d%7)) != 0 }

// mondayFirst is the order of days in German calendars and in String.
var mondayFirst = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// String returns the set in English abbreviations, Monday first, with runs
// as ranges: "Mon-Fri", "Sat,Sun" is "Sat-Sun", all days "daily".
func (w Weekdays) String() string {
	if w&EveryDay == EveryDay {
		return "daily"
	}
	var parts []string
	for i := 0; i < 7; {
		if !w.Has(mondayFirst[i]) {
			i++
			continue
		}
		j := i
		for j+1 < 7 && w.Has(mondayFirst[j+1]) {
			j++
		}
		s := mondayFirst[i].String()[:3]
		if j > i {
			s += "-" + mondayFirst[j].String()[:3]
		}
		parts = append(parts, s)
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// dayName maps German and English names and abbreviations, lower case and
// without dots, to days. Two-letter forms do not collide: German Di Mi Do
// So, English Tu We Th Su, both Mo Fr Sa.
func dayName(s string) (time.Weekday, bool) {
	switch s {
	case "mo", "mon", "monday", "montag":
		return time.Monday, true
	case "di", "die", "tu", "tue", "tues", "tuesday", "dienstag":
		return time.Tuesday, true
	case "mi", "mit", "we", "wed", "wednesday", "mittwoch":
		return time.Wednesday, true
	case "do", "don", "th", "thu", "thur", "thurs", "thursday", "donnerstag":
		return time.Thursday, true
	case "fr", "fri", "fre", "friday", "freitag":
		return time.Friday, true
	case "sa", "sam", "sat", "saturday", "samstag", "sonnabend":
		return time.Saturday, true
	case "so", "son", "su", "sun", "sunday", "sonntag":
		return time.Sunday, true
	}
	return 0, false
}

// parseDays reads "Sun", "Mo-Fr", "Sa,So", "Mon,Wed-Fri", "Fr-Mo" (a range
// wraps over the weekend), "daily" or "täglich".
func parseDays(s string) (Weekdays, error) {
	s = strings.ToLower(strings.Join(strings.Fields(s), ""))
	s = strings.ReplaceAll(s, ".", "")
	switch s {
	case "":
		return 0, errorf(EINVALID, "Wochentage fehlen, etwa „Mo-Fr“ oder „So“", "days missing, like \"Mon-Fri\" or \"Sun\"")
	case "daily", "täglich", "taeglich", "*":
		return EveryDay, nil
	}
	var w Weekdays
	for part := range strings.SplitSeq(s, ",") {
		a, b, isRange := strings.Cut(part, "-")
		from, ok := dayName(a)
		if !ok {
			return 0, errorf(EINVALID, "%q ist kein Wochentag (Mo Di Mi Do Fr Sa So oder Mon Tue Wed Thu Fri Sat Sun)",
				"%q is not a day of the week (Mon Tue Wed Thu Fri Sat Sun or Mo Di Mi Do Fr Sa So)", a)
		}
		to := from
		if isRange {
			if to, ok = dayName(b); !ok {
				return 0, errorf(EINVALID, "%q ist kein Wochentag (Mo Di Mi Do Fr Sa So oder Mon Tue Wed Thu Fri Sat Sun)",
					"%q is not a day of the week (Mon Tue Wed Thu Fri Sat Sun or Mo Di Mi Do Fr Sa So)", b)
			}
		}
		for d := from; ; d = (d + 1) % 7 {
			w |= Days(d)
			if d == to {
				break
			}
		}
	}
	return w, nil
}

// Window is a weekly maintenance window in the site's local wall-clock
// time: on each of Days, from Start to End. A window whose End is not after
// its Start crosses midnight and ends on the next day: "Mon-Fri 22:00-05:00"
// starts on Friday at 22:00 and ends on Saturday at 05:00. How a window maps
// to instants on the nights clocks change is NextSlot's job.
//
// In JSON and YAML a Window is its String form.
type Window struct {
	Days  Weekdays
	Start TimeOfDay
	End   TimeOfDay
}

// ParseWindow reads a window written as days, then a time range:
// "Sun 02:00-04:00", "Mo-Fr 22:00-05:00", "Sa,So 1:00-3:00",
// "täglich 02:00 - 04:00 Uhr". Days are German or English names or
// abbreviations (Mo Di Mi Do Fr Sa So, Mon Tue Wed Thu Fri Sat Sun, full
// names), case-insensitive, as a list and ranges; "daily" and "täglich"
// mean all seven. The range may end at 24:00. The empty string is the zero
// Window, which Validate rejects.
func ParseWindow(s string) (Window, error) {
	if len(s) > 200 || !utf8.ValidString(s) {
		return Window{}, errorf(EINVALID, "Wartungsfenster unlesbar", "maintenance window unreadable")
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return Window{}, nil
	}
	t = strings.NewReplacer("–", "-", "—", "-").Replace(t)
	i := strings.IndexFunc(t, unicode.IsDigit)
	if i < 0 {
		return Window{}, errorf(EINVALID, "%q: Uhrzeiten fehlen; schreiben Sie etwa „So 02:00-04:00“",
			"%q: times missing; write for example \"Sun 02:00-04:00\"", s)
	}
	days, err := parseDays(t[:i])
	if err != nil {
		return Window{}, err
	}
	times := strings.Join(strings.Fields(t[i:]), "")
	if len(times) > 3 && strings.EqualFold(times[len(times)-3:], "uhr") {
		times = times[:len(times)-3]
	}
	a, b, ok := strings.Cut(times, "-")
	if !ok {
		return Window{}, errorf(EINVALID, "%q: Zeitraum wie 02:00-04:00 fehlt", "%q: time range like 02:00-04:00 missing", s)
	}
	start, err := ParseTimeOfDay(a)
	if err != nil {
		return Window{}, err
	}
	end, err := ParseTimeOfDay(b)
	if err != nil {
		return Window{}, err
	}
	w := Window{Days: days, Start: start, End: end}
	if err := w.Validate(); err != nil {
		return Window{}, err
	}
	return w, nil
}

// Validate reports what is wrong with the window: no days, times out of
// range, a start of 24:00, or no length (Start equal to End).
func (w Window) Validate() error {
	switch {
	case w.Days&EveryDay == 0 || w.Days&^EveryDay != 0:
		return errorf(EINVALID, "Wartungsfenster ohne gültige Wochentage", "maintenance window has no valid days")
	case w.Start < 0 || w.Start >= Midnight24:
		return errorf(EINVALID, "Beginn %s liegt nicht zwischen 00:00 und 23:59", "start %s is not between 00:00 and 23:59", w.Start)
	case w.End < 0 || w.End > Midnight24:
		return errorf(EINVALID, "Ende %s liegt nicht zwischen 00:00 und 24:00", "end %s is not between 00:00 and 24:00", w.End)
	case w.Start == w.End:
		return errorf(EINVALID, "Wartungsfenster %s hat keine Dauer", "maintenance window %s has no length", w)
	}
	return nil
}

// IsZero reports whether w is the zero Window.
func (w Window) IsZero() bool { return w == Window{} }

// CrossesMidnight reports whether the window ends on the day after it
// starts.
func (w Window) CrossesMidnight() bool { return w.End < w.Start }

// Length returns the nominal length of the window on an ordinary day. On
// the nights clocks change the real length differs (see NextSlot).
func (w Window) Length() time.Duration {
	n := int(w.End) - int(w.Start)
	if n <= 0 {
		n += int(Midnight24)
	}
	return time.Duration(n) * time.Minute
}

// String returns the window in the canonical English form that
// ParseWindow reads: "Mon-Fri 22:00-05:00"; the zero Window is "".
func (w Window) String() string {
	if w.IsZero() {
		return ""
	}
	return w.Days.String() + " " + w.Start.String() + "-" + w.End.String()
}

// MarshalText writes the window's String form.
func (w Window) MarshalText() ([]byte, error) { return []byte(w.String()), nil }

// UnmarshalText reads a window with ParseWindow.
func (w *Window) UnmarshalText(b []byte) error {
	v, err := ParseWindow(string(b))
	if err != nil {
		return err
	}
	*w = v
	return nil
}
