package rollout

import (
	"testing"
	"time"
	_ "time/tzdata" // the same zones on every machine, Windows included

	"github.com/lifeline-project/lifeline/internal/holiday"
)

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

var (
	berlin  = mustLoad("Europe/Berlin")
	newYork = mustLoad("America/New_York")
)

// utc returns an instant given in UTC.
func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

// local returns an instant given as wall clock in loc (not in a gap or
// fold: tests of those use utc).
func local(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, loc)
}

func date(y int, m time.Month, d int) Date { return holiday.Date{Year: y, Month: m, Day: d} }

func mustWindow(t testing.TB, s string) Window {
	t.Helper()
	w, err := ParseWindow(s)
	if err != nil {
		t.Fatalf("ParseWindow(%q): %v", s, err)
	}
	return w
}

func site(t testing.TB, id, state, window string, loc *time.Location) Site {
	t.Helper()
	return Site{ID: id, Location: loc, State: state, Window: mustWindow(t, window)}
}

func fmtT(t time.Time) string {
	if t.IsZero() {
		return "zero"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}
