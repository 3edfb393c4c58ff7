package rollout

import (
	"slices"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/holiday"
)

// BlockKind names why time is blocked for updates.
type BlockKind string

// Kinds of blackout, in the order Blocked reports them when several apply.
const (
	// BlockPaused: the site paused updates for itself.
	BlockPaused BlockKind = "paused"
	// BlockChristmasEve: 24 December.
	BlockChristmasEve BlockKind = "christmas-eve"
	// BlockNewYearsEve: 31 December.
	BlockNewYearsEve BlockKind = "new-years-eve"
	// BlockHoliday: a public holiday of the site's state, 25 and 26
	// December and 1 January included.
	BlockHoliday BlockKind = "holiday"
	// BlockDuty: the site is on emergency duty (Notdienst).
	BlockDuty BlockKind = "duty"
	// BlockDST: the night and day the site's clocks change.
	BlockDST BlockKind = "dst"
	// BlockFreeze: a manual freeze, fleet-wide or for the site.
	BlockFreeze BlockKind = "freeze"
)

// Reason says why a site is blocked, for people in German and English.
type Reason struct {
	Kind BlockKind  `json:"kind"`
	Text check.Text `json:"text"`
}

// Blackout is a span of time in which a site takes no update.
type Blackout struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Reason Reason    `json:"reason"`
}

// Duty is one emergency duty (Notdienst) of a site, from the chamber's
// rota or entered by hand. A duty begins on Date at Start, local time, and
// ends at End, on the same day when End is after Start and on the next day
// otherwise: the usual 24-hour duty is 08:30 to 08:30 (or 09:00 to 09:00),
// a full night 20:00 to 06:00.
//
// For updates a duty blocks its whole first day and the next day until it
// ends: a duty from Saturday 08:30 blocks all of Saturday and Sunday until
// 08:30, so the window in the night in between is never used.
type Duty struct {
	SiteID string    `json:"site_id"`
	Date   Date      `json:"date"`
	Start  TimeOfDay `json:"start"`
	End    TimeOfDay `json:"end"`
	Note   string    `json:"note,omitempty"`
}

// Validate reports what is wrong with the duty.
func (d Duty) Validate() error {
	switch {
	case !validSiteID(d.SiteID):
		return errorf(EINVALID, "Standort-ID %q ungültig", "site id %q invalid", d.SiteID)
	case d.Date.IsZero() || holiday.NewDate(d.Date.Year, d.Date.Month, d.Date.Day) != d.Date:
		return errorf(EINVALID, "Datum %s ungültig", "date %s invalid", d.Date)
	case d.Start < 0 || d.Start >= Midnight24:
		return errorf(EINVALID, "Beginn %s ungültig", "start %s invalid", d.Start)
	case d.End < 0 || d.End > Midnight24:
		return errorf(EINVALID, "Ende %s ungültig", "end %s invalid", d.End)
	}
	return nil
}

// Span returns the duty's own hours as instants in loc.
func (d Duty) Span(loc *time.Location) (start, end time.Time) {
	endDay := d.Date
	if d.End <= d.Start {
		endDay = d.Date.AddDays(1)
	}
	return resolve(loc, d.Date, d.Start), resolve(loc, endDay, d.End)
}

// blackout returns the span the duty blocks: from the start of its first
// day to its end.
func (d Duty) blackout(loc *time.Location) Blackout {
	_, end := d.Span(loc)
	return Blackout{Start: resolve(loc, d.Date, 0), End: end, Reason: Reason{BlockDuty, check.Msg(
		"Notdienst ab "+d.Date.String()+" "+d.Start.String(),
		"emergency duty from "+d.Date.String()+" "+d.Start.String())}}
}

// Freeze is a manual blackout from From until Until (exclusive), for one
// site or, with an empty SiteID, for the whole fleet.
type Freeze struct {
	SiteID string    `json:"site_id,omitempty"`
	From   time.Time `json:"from"`
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
}

// Validate reports what is wrong with the freeze.
func (f Freeze) Validate() error {
	switch {
	case f.SiteID != "" && !validSiteID(f.SiteID):
		return errorf(EINVALID, "Standort-ID %q ungültig", "site id %q invalid", f.SiteID)
	case f.From.IsZero() || !f.Until.After(f.From):
		return errorf(EINVALID, "Sperre: Ende liegt nicht nach dem Beginn", "freeze: until is not after from")
	case strings.TrimSpace(f.Reason) == "":
		return errorf(EINVALID, "Sperre ohne Begründung", "freeze without a reason")
	}
	return nil
}

func (f Freeze) blackout() Blackout {
	return Blackout{Start: f.From, End: f.Until, Reason: Reason{BlockFreeze, check.Msg("Update-Sperre: "+f.Reason, "update freeze: "+f.Reason)}}
}

// Calendar is the blackout calendar: the times no site takes an update.
// The planner never overrides it. It holds the data that differ between
// fleets (duties, freezes); the rest is computed for each site:
//
//   - public holidays of the site's federal state (package holiday);
//   - 24 to 26 December and 31 December to 1 January;
//   - the site's emergency duties (Duty: the day and the night after);
//   - the DST changes of the site's zone: the whole day of the change and
//     the evening before from 20:00, so the night of the change is covered
//     (for a change at or after 20:00 the block runs to 06:00 next day);
//   - manual freezes, fleet-wide or per site;
//   - the site's own pause.
//
// The zero Calendar (and a nil *Calendar) blocks all the computed days and
// has no duties or freezes. A Calendar is plain data: build it, then share
// it read-only between goroutines.
type Calendar struct {
	// Duties holds each site's duties, keyed by site ID; AddDuties fills it.
	Duties map[string][]Duty `json:"duties,omitempty"`
	// Freezes are the manual freezes.
	Freezes []Freeze `json:"freezes,omitempty"`
	// AllowDSTNights lifts the blackout of the DST changes. It exists so
	// that the gap and fold arithmetic of NextSlot can be tested; a
	// production calendar leaves it false.
	AllowDSTNights bool `json:"allow_dst_nights,omitempty"`
	// PartialHolidays also blocks the holidays that hold only in parts of
	// the site's state (Mariä Himmelfahrt in Bavaria, Fronleichnam in
	// parts of Saxony and Thuringia, the Augsburg Peace Festival), for
	// fleets that do not know the site's municipality.
	PartialHolidays bool `json:"partial_holidays,omitempty"`
}

// AddDuties adds duties under their site IDs. It does not validate them;
// ImportDutyCSV does.
func (c *Calendar) AddDuties(ds ...Duty) {
	if c.Duties == nil {
		c.Duties = make(map[string][]Duty)
	}
	for _, d := range ds {
		c.Duties[d.SiteID] = append(c.Duties[d.SiteID], d)
	}
}

// AddFreeze validates f and adds it.
func (c *Calendar) AddFreeze(f Freeze) error {
	if err := f.Validate(); err != nil {
		return err
	}
	c.Freezes = append(c.Freezes, f)
	return nil
}

func (c *Calendar) duties(siteID string) []Duty {
	if c == nil {
		return nil
	}
	return c.Duties[siteID]
}

func (c *Calendar) freezes(siteID string) []Freeze {
	if c == nil {
		return nil
	}
	var out []Freeze
	for _, f := range c.Freezes {
		if f.SiteID == "" || f.SiteID == siteID {
			out = append(out, f)
		}
	}
	return out
}

func (c *Calendar) dstBlocked() bool { return c == nil || !c.AllowDSTNights }

// wholeDay returns the reason why the site's local day d is blocked in
// full by a rule of dates: the fixed days and the holidays.
func (c *Calendar) wholeDay(site Site, d Date) (Reason, bool) {
	switch {
	case d.Month == time.December && d.Day == 24:
		return Reason{BlockChristmasEve, check.Msg("Heiligabend", "Christmas Eve")}, true
	case d.Month == time.December && d.Day == 31:
		return Reason{BlockNewYearsEve, check.Msg("Silvester", "New Year's Eve")}, true
	}
	st := site.state()
	h, ok := holiday.On(d, st)
	if !ok && c != nil && c.PartialHolidays {
		h, ok = holiday.PartialOn(d, st)
	}
	if !ok {
		return Reason{}, false
	}
	where, whereEN := "bundesweit", "nationwide"
	if !h.Nationwide {
		where, whereEN = "in "+st.Name(), "in "+st.Name()
		if h.Partial {
			where, whereEN = "in Teilen von "+st.Name(), "in parts of "+st.Name()
		}
	}
	return Reason{BlockHoliday, check.Msg("Feiertag "+where+": "+h.Name.DE, "public holiday "+whereEN+": "+h.Name.EN)}, true
}

// dstBlackouts returns the blackouts of the DST changes of loc that come
// near [from, to).
func dstBlackouts(loc *time.Location, from, to time.Time) []Blackout {
	var out []Blackout
	for _, tr := range transitions(loc, from.Add(-48*time.Hour), to.Add(48*time.Hour)) {
		lt := tr.In(loc)
		day := holiday.DateOf(lt)
		end := resolve(loc, day.AddDays(1), 0)
		if lt.Hour() >= 20 {
			end = resolve(loc, day.AddDays(1), 6*60)
		}
		out = append(out, Blackout{
			Start: resolve(loc, day.AddDays(-1), 20*60),
			End:   end,
			Reason: Reason{BlockDST, check.Msg(
				"Zeitumstellung am "+day.String(), "clock change on "+day.String())},
		})
	}
	return out
}

// Blocked reports whether the site's local day is a blackout day, and
// why: the site has paused itself; the day is 24, 25, 26 or 31 December or
// 1 January or a public holiday of the site's state; a duty of the site
// begins on it; the site's clocks change on it; or a freeze covers all of
// it. Parts of days are blocked too, and NextSlot keeps windows out of
// them, but they do not make the day a blackout day: the morning after a
// duty until its end, the evening before a DST change, a freeze over part
// of the day. Blackouts lists those spans.
func (c *Calendar) Blocked(site Site, day Date) (bool, Reason) {
	if site.Paused {
		return true, pausedReason(site)
	}
	if r, ok := c.wholeDay(site, day); ok {
		return true, r
	}
	loc := site.Location
	if loc == nil {
		loc = time.UTC
	}
	for _, d := range c.duties(site.ID) {
		if d.Date == day {
			return true, d.blackout(loc).Reason
		}
	}
	dayStart, dayEnd := resolve(loc, day, 0), resolve(loc, day.AddDays(1), 0)
	if c.dstBlocked() && len(transitions(loc, dayStart, dayEnd)) > 0 {
		return true, Reason{BlockDST, check.Msg("Zeitumstellung am "+day.String(), "clock change on "+day.String())}
	}
	for _, f := range c.freezes(site.ID) {
		if !f.From.After(dayStart) && !f.Until.Before(dayEnd) {
			return true, f.blackout().Reason
		}
	}
	return false, Reason{}
}

func pausedReason(site Site) Reason {
	if site.PauseReason == "" {
		return Reason{BlockPaused, check.Msg("Vom Standort pausiert", "paused by the site")}
	}
	return Reason{BlockPaused, check.Msg("Vom Standort pausiert: "+site.PauseReason, "paused by the site: "+site.PauseReason)}
}

// Blackouts returns the spans in which the site takes no update that
// overlap [from, to), sorted by start: whole blocked days (holidays, fixed
// days) from midnight to midnight in the site's zone, each duty from the
// start of its day to its end, each DST change from 20:00 the evening
// before to the end of its day, and the freezes. The site's own pause is
// not a span; Blocked and NextSlot report it.
func (c *Calendar) Blackouts(site Site, from, to time.Time) []Blackout {
	loc := site.Location
	if loc == nil {
		loc = time.UTC
	}
	var out []Blackout
	add := func(b Blackout) {
		if b.Start.Before(to) && b.End.After(from) {
			out = append(out, b)
		}
	}
	last := localDate(to.Add(-time.Nanosecond), loc)
	for d := localDate(from, loc); !d.After(last); d = d.AddDays(1) {
		if r, ok := c.wholeDay(site, d); ok {
			add(Blackout{Start: resolve(loc, d, 0), End: resolve(loc, d.AddDays(1), 0), Reason: r})
		}
	}
	for _, d := range c.duties(site.ID) {
		add(d.blackout(loc))
	}
	if c.dstBlocked() {
		for _, b := range dstBlackouts(loc, from, to) {
			add(b)
		}
	}
	for _, f := range c.freezes(site.ID) {
		add(f.blackout())
	}
	slices.SortStableFunc(out, func(a, b Blackout) int { return a.Start.Compare(b.Start) })
	return out
}

// conflict returns a blackout that overlaps [start, end), the one that
// ends last when several do, so that a search can continue after it.
func (c *Calendar) conflict(site Site, start, end time.Time) (Blackout, bool) {
	bs := c.Blackouts(site, start, end)
	if len(bs) == 0 {
		return Blackout{}, false
	}
	last := bs[0]
	for _, b := range bs[1:] {
		if b.End.After(last.End) {
			last = b
		}
	}
	return last, true
}
