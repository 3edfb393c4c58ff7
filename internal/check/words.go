package check

import (
	"fmt"
	"time"
)

// AgeWords returns an age in plain words, rounded down: "40 Sekunden",
// "1 Minute", "3 Stunden", "2 Tage".
func AgeWords(d time.Duration) Text {
	if d < 0 {
		d = 0
	}
	unit := func(n int64, deOne, deMany, enOne, enMany string) Text {
		if n == 1 {
			return Msg("1 "+deOne, "1 "+enOne)
		}
		return Msg(fmt.Sprintf("%d %s", n, deMany), fmt.Sprintf("%d %s", n, enMany))
	}
	switch {
	case d < time.Minute:
		return unit(int64(d/time.Second), "Sekunde", "Sekunden", "second", "seconds")
	case d < time.Hour:
		return unit(int64(d/time.Minute), "Minute", "Minuten", "minute", "minutes")
	case d < 48*time.Hour:
		return unit(int64(d/time.Hour), "Stunde", "Stunden", "hour", "hours")
	default:
		return unit(int64(d/(24*time.Hour)), "Tag", "Tage", "day", "days")
	}
}

// StandWords returns when data was current, as a print-out shows it:
// "heute 09:41", "gestern 23:10", "28.03.2025 09:41" ("today 09:41", ...),
// in the local zone; "nie" ("never") for the zero time.
func StandWords(t, now time.Time, loc *time.Location) Text {
	if t.IsZero() {
		return Msg("nie", "never")
	}
	lt, ln := t.In(loc), now.In(loc)
	ty, tm, td := lt.Date()
	ny, nm, nd := ln.Date()
	clock := lt.Format("15:04")
	switch {
	case ty == ny && tm == nm && td == nd:
		return Msg("heute "+clock, "today "+clock)
	case sameDate(lt, time.Date(ny, nm, nd-1, 12, 0, 0, 0, loc)):
		return Msg("gestern "+clock, "yesterday "+clock)
	default:
		return Msg(lt.Format("02.01.2006 15:04"), lt.Format("2006-01-02 15:04"))
	}
}

func sameDate(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}
