package incident

import (
	"fmt"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// FormatDuration returns a duration in plain words, rounded down to the
// minute (seconds below one minute): "1 Stunde 12 Minuten", "2 Tage 3
// Stunden", "40 Sekunden".
func FormatDuration(d time.Duration) check.Text {
	if d < 0 {
		d = 0
	}
	unit := func(n int64, deOne, deMany, enOne, enMany string) check.Text {
		if n == 1 {
			return check.Msg("1 "+deOne, "1 "+enOne)
		}
		return check.Msg(fmt.Sprintf("%d %s", n, deMany), fmt.Sprintf("%d %s", n, enMany))
	}
	join := func(a, b check.Text) check.Text { return check.Msg(a.DE+" "+b.DE, a.EN+" "+b.EN) }
	days := int64(d / (24 * time.Hour))
	hours := int64(d % (24 * time.Hour) / time.Hour)
	mins := int64(d % time.Hour / time.Minute)
	switch {
	case d < time.Minute:
		return unit(int64(d/time.Second), "Sekunde", "Sekunden", "second", "seconds")
	case days > 0:
		t := unit(days, "Tag", "Tage", "day", "days")
		if hours > 0 {
			t = join(t, unit(hours, "Stunde", "Stunden", "hour", "hours"))
		}
		return t
	case hours > 0:
		t := unit(hours, "Stunde", "Stunden", "hour", "hours")
		if mins > 0 {
			t = join(t, unit(mins, "Minute", "Minuten", "minute", "minutes"))
		}
		return t
	default:
		return unit(mins, "Minute", "Minuten", "minute", "minutes")
	}
}

// FormatTime returns a moment as the site's people read it: "29.03.2026
// 02:13" in German, "2026-03-29 02:13" in English, in loc.
func FormatTime(t time.Time, loc *time.Location, lang string) string {
	if t.IsZero() {
		return ""
	}
	l := t.In(loc)
	if lang == "en" {
		return l.Format("2006-01-02 15:04")
	}
	return l.Format("02.01.2006 15:04")
}

// FormatTimeSec is FormatTime with seconds and the zone abbreviation, for
// evidence: "29.03.2026 03:13:05 CEST".
func FormatTimeSec(t time.Time, loc *time.Location, lang string) string {
	if t.IsZero() {
		return ""
	}
	l := t.In(loc)
	if lang == "en" {
		return l.Format("2006-01-02 15:04:05 MST")
	}
	return l.Format("02.01.2006 15:04:05 MST")
}

// FormatEuro returns an amount of cents as German or English write it:
// "1.234,50 €" or "EUR 1,234.50".
func FormatEuro(cents int64, lang string) string {
	neg := cents < 0
	if neg {
		cents = -cents
	}
	whole, frac := cents/100, cents%100
	s := fmt.Sprintf("%d", whole)
	sep, dec := ".", ","
	if lang == "en" {
		sep, dec = ",", "."
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	out := fmt.Sprintf("%s%s%02d", b.String(), dec, frac)
	if neg {
		out = "-" + out
	}
	if lang == "en" {
		return "EUR " + out
	}
	return out + " €"
}

// ParseEuro reads an amount typed by a person: "120", "120,50", "1.234,50",
// "120.50" (a point followed by exactly two digits at the end is a decimal
// point). It returns cents.
func ParseEuro(s string) (int64, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "EUR")), "€"))
	s = strings.TrimSpace(strings.TrimSuffix(s, "EUR"))
	if s == "" {
		return 0, fmt.Errorf("empty amount")
	}
	if i := strings.LastIndex(s, "."); i >= 0 && !strings.Contains(s, ",") && len(s)-i-1 == 2 {
		s = s[:i] + "," + s[i+1:]
	}
	s = strings.ReplaceAll(s, ".", "")
	whole, frac, hasFrac := strings.Cut(s, ",")
	if whole == "" || len(whole) > 10 || (hasFrac && (len(frac) == 0 || len(frac) > 2)) {
		return 0, fmt.Errorf("%q is not an amount", s)
	}
	var cents int64
	for _, r := range whole {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%q is not an amount", s)
		}
		cents = cents*10 + int64(r-'0')
	}
	cents *= 100
	if hasFrac {
		if len(frac) == 1 {
			frac += "0"
		}
		for i, r := range frac {
			if r < '0' || r > '9' {
				return 0, fmt.Errorf("%q is not an amount", s)
			}
			if i == 0 {
				cents += int64(r-'0') * 10
			} else {
				cents += int64(r - '0')
			}
		}
	}
	return cents, nil
}

func joinWords(names []string, lang string) string {
	and := " und "
	if lang == "en" {
		and = " and "
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	default:
		return strings.Join(names[:len(names)-1], ", ") + and + names[len(names)-1]
	}
}

// alertKindWords names the kind of an alert message (notify.Kind values).
func alertKindWords(kind string) check.Text {
	switch kind {
	case "firing":
		return check.Msg("erste Meldung", "first alert")
	case "escalation":
		return check.Msg("Eskalation", "escalation")
	case "update":
		return check.Msg("neue Lage", "update")
	case "reminder":
		return check.Msg("Erinnerung", "reminder")
	case "ack_expired":
		return check.Msg("erneut, Bestätigung abgelaufen", "again, acknowledgement expired")
	case "resolved":
		return check.Msg("Entwarnung", "all clear")
	default:
		return check.Msg(kind, kind)
	}
}
