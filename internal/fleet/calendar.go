package fleet

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// CalendarDay is one day of the calendar of upcoming updates: how many
// sites install what, so that the hotline staffs up.
type CalendarDay struct {
	// Date is the day in the console's time zone (midnight).
	Date  time.Time
	Items []CalendarItem
	Sites int
}

// CalendarItem is one release on one day.
type CalendarItem struct {
	RolloutID          int64
	Component, Version string
	Sites              int
	// First and Last are the earliest and latest slot starts.
	First, Last time.Time
}

// UpcomingInstalls returns the scheduled installs from now for days days
// (at most 90), ordered by slot.
func (s *Service) UpcomingInstalls(ctx context.Context, days int) ([]Command, error) {
	days = min(max(days, 1), 90)
	now := s.clk.Now().UTC()
	return s.store.UpcomingInstalls(ctx, now.Add(-time.Hour), now.Add(time.Duration(days)*24*time.Hour), "")
}

// Calendar returns the upcoming updates per day, from today for days days
// (at most 90), in the console's time zone.
func (s *Service) Calendar(ctx context.Context, days int) ([]CalendarDay, error) {
	cmds, err := s.UpcomingInstalls(ctx, days)
	if err != nil {
		return nil, err
	}
	return GroupCalendar(cmds, s.cfg.Location()), nil
}

// GroupCalendar groups installs by day (in loc) and rollout.
func GroupCalendar(cmds []Command, loc *time.Location) []CalendarDay {
	type key struct {
		day     string
		rollout int64
	}
	days := map[string]*CalendarDay{}
	items := map[key]*CalendarItem{}
	for _, c := range cmds {
		local := c.NotBefore.In(loc)
		d := local.Format("2006-01-02")
		day := days[d]
		if day == nil {
			y, m, dd := local.Date()
			day = &CalendarDay{Date: time.Date(y, m, dd, 0, 0, 0, 0, loc)}
			days[d] = day
		}
		day.Sites++
		k := key{d, c.RolloutID}
		it := items[k]
		if it == nil {
			it = &CalendarItem{RolloutID: c.RolloutID, Component: c.Component, Version: c.Version, First: c.NotBefore, Last: c.NotBefore}
			items[k] = it
		}
		it.Sites++
		if c.NotBefore.Before(it.First) {
			it.First = c.NotBefore
		}
		if c.NotBefore.After(it.Last) {
			it.Last = c.NotBefore
		}
	}
	for k, it := range items {
		days[k.day].Items = append(days[k.day].Items, *it)
	}
	var out []CalendarDay
	for _, d := range days {
		sort.Slice(d.Items, func(i, j int) bool { return d.Items[i].RolloutID < d.Items[j].RolloutID })
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}

// WriteCalendarCSV writes the calendar as CSV (semicolons, the German
// spreadsheet default): one line per day and release; with sites, one
// line per site and slot instead.
func WriteCalendarCSV(w io.Writer, cmds []Command, sites map[string]Site, loc *time.Location, perSite bool) error {
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	if perSite {
		_ = cw.Write([]string{"datum", "beginn", "ende", "standort", "name", "bundesland", "komponente", "version", "verteilung"})
		for _, c := range cmds {
			st := sites[c.SiteID]
			_ = cw.Write([]string{c.NotBefore.In(loc).Format("2006-01-02"), c.NotBefore.In(loc).Format("15:04"), c.NotAfter.In(loc).Format("15:04"),
				c.SiteID, csvSafe(st.Name), st.State, c.Component, c.Version, fmt.Sprint(c.RolloutID)})
		}
	} else {
		_ = cw.Write([]string{"datum", "komponente", "version", "verteilung", "standorte", "erster_beginn", "letzter_beginn"})
		for _, d := range GroupCalendar(cmds, loc) {
			for _, it := range d.Items {
				_ = cw.Write([]string{d.Date.Format("2006-01-02"), it.Component, it.Version, fmt.Sprint(it.RolloutID), fmt.Sprint(it.Sites),
					it.First.In(loc).Format("15:04"), it.Last.In(loc).Format("15:04")})
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteCalendarICS writes the calendar as iCalendar (RFC 5545): one
// all-day event per day and release ("Updates: erp 2026.2 an 120
// Standorten"), so that the hotline sees in its calendar on which days
// to staff up.
func WriteCalendarICS(w io.Writer, days []CalendarDay, host string, stamp time.Time) error {
	var b strings.Builder
	line := func(s string) { b.WriteString(foldICS(s)) }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//lifeline//fleet//DE")
	line("CALSCALE:GREGORIAN")
	line("METHOD:PUBLISH")
	line("X-WR-CALNAME:" + escICS("lifeline: anstehende Updates"))
	for _, d := range days {
		for _, it := range d.Items {
			uid := fmt.Sprintf("%s-r%d-%s@%s", d.Date.Format("20060102"), it.RolloutID, it.Component, host)
			line("BEGIN:VEVENT")
			line("UID:" + uid)
			line("DTSTAMP:" + stamp.UTC().Format("20060102T150405Z"))
			line("DTSTART;VALUE=DATE:" + d.Date.Format("20060102"))
			line("DTEND;VALUE=DATE:" + d.Date.AddDate(0, 0, 1).Format("20060102"))
			line("SUMMARY:" + escICS(fmt.Sprintf("Updates: %s %s an %d Standorten", it.Component, it.Version, it.Sites)))
			line("DESCRIPTION:" + escICS(fmt.Sprintf("Verteilung %d: %d Standorte, Beginn der Zeitfenster %s bis %s (UTC). Hotline einplanen.",
				it.RolloutID, it.Sites, it.First.UTC().Format("15:04"), it.Last.UTC().Format("15:04"))))
			line("TRANSP:TRANSPARENT")
			line("END:VEVENT")
		}
	}
	line("END:VCALENDAR")
	_, err := io.WriteString(w, b.String())
	return err
}

// escICS escapes a text value (RFC 5545 3.3.11).
func escICS(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`).Replace(s)
}

// foldICS ends a content line with CRLF, folded at 75 octets without
// splitting a UTF-8 character.
func foldICS(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		l := len(string(r))
		if n+l > 75 {
			b.WriteString("\r\n ")
			n = 1
		}
		b.WriteRune(r)
		n += l
	}
	b.WriteString("\r\n")
	return b.String()
}
