package web

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/monitor"
)

// sentenceView fills the "sentence" template: the one sentence on top.
type sentenceView struct {
	State string
	Text  string
}

// tileView fills the "tile" template: one check, everything already in
// the user's language.
type tileView struct {
	ID         string
	Name       string
	State      string
	Symbol     string
	StateWords string
	// Because explains a consequence: "weil Konnektor ausgefallen ist".
	Because string
	Since   string
	Latency string
	Message string
	Affects string
	Spark   template.HTML
}

type groupView struct {
	ID    string
	Title string
	// Span (1 to 4) lets wide screens give a group room for that many
	// tiles side by side (CSS class span-N; no inline styles under the CSP).
	Span  int
	Tiles []tileView
}

type dashboardData struct {
	L        tr
	Overall  string
	Sentence sentenceView
	Groups   []groupView
	Cards    []template.HTML
}

func (s *Server) handleDashboard(w http.ResponseWriter, r *http.Request) {
	o := s.src.Overview()
	lang := Lang(r)
	s.renderTemplate(w, r, http.StatusOK, text("dash.title"), "dashboard", dashboardData{
		L:        tr(lang),
		Overall:  string(overall(o)),
		Sentence: s.sentence(o, lang),
		Groups:   s.groups(o, lang),
		Cards:    s.dashboardCards(r),
	})
}

func overall(o monitor.Overview) check.State {
	if o.Overall == "" {
		return check.StateUnknown
	}
	return o.Overall
}

func (s *Server) sentence(o monitor.Overview, lang string) sentenceView {
	return sentenceView{State: string(overall(o)), Text: o.Sentence(lang, s.cfg.Location)}
}

// groups sorts the checks into the dashboard groups in recovery order
// (check.Groups); a check naming an unknown group goes to "other".
func (s *Server) groups(o monitor.Overview, lang string) []groupView {
	byGroup := map[string][]tileView{}
	for _, c := range o.Checks {
		g := c.Group
		if !slices.Contains(check.Groups, g) {
			g = check.GroupOther
		}
		byGroup[g] = append(byGroup[g], s.tile(o, c, lang))
	}
	var out []groupView
	for _, g := range check.Groups {
		if tiles := byGroup[g]; len(tiles) > 0 {
			out = append(out, groupView{ID: g, Title: check.GroupTitle(g).In(lang), Span: min(len(tiles), 4), Tiles: tiles})
		}
	}
	return out
}

// now is the moment the overview describes, for "today" in times.
func (s *Server) now(o monitor.Overview) time.Time {
	if !o.At.IsZero() {
		return o.At
	}
	return s.clk.Now()
}

func (s *Server) tile(o monitor.Overview, c monitor.CheckStatus, lang string) tileView {
	state := c.State
	if state == "" {
		state = check.StateUnknown
	}
	t := tileView{
		ID: c.ID, Name: c.Name, State: string(state), Symbol: stateSymbol(state),
		StateWords: state.Words().In(lang),
		Message:    c.Message.In(lang),
	}
	if t.Name == "" {
		t.Name = c.ID
	}
	if c.Consequence && len(c.CausedBy) > 0 && c.State != check.StateOK {
		t.Because = because(o, c.CausedBy, lang)
	}
	if !c.Since.IsZero() {
		t.Since = text("tile.since").In(lang) + " " + formatWhen(c.Since, s.now(o), s.cfg.Location)
	}
	if c.LastProbe.IsZero() {
		t.Latency = text("tile.notyet").In(lang)
	} else {
		t.Latency = text("tile.latency").In(lang) + " " + formatMS(c.Latency, lang)
	}
	if len(c.Affects) > 0 {
		t.Affects = text("tile.affects").In(lang) + ": " + strings.Join(c.Affects, ", ")
	}
	t.Spark = sparkline(c.Spark, lang)
	return t
}

// stateSymbol gives each state a shape besides its colour and words.
func stateSymbol(s check.State) string {
	switch s {
	case check.StateOK:
		return "✓"
	case check.StateDegraded:
		return "!"
	case check.StateDown:
		return "✕"
	default:
		return "?"
	}
}

// because explains a consequence: "weil Konnektor ausgefallen ist" or
// "weil Konnektor und Internet ausgefallen sind". Root causes of a
// consequence are down by definition (check.Evaluate).
func because(o monitor.Overview, causedBy []string, lang string) string {
	names := make([]string, 0, len(causedBy))
	for _, id := range causedBy {
		name := id
		if c, ok := o.Check(id); ok && c.Name != "" {
			name = c.Name
		}
		names = append(names, name)
	}
	down := check.StateDown.Words().In(lang)
	if lang == "en" {
		verb := "is"
		if len(names) > 1 {
			verb = "are"
		}
		return fmt.Sprintf("because %s %s %s", joinAnd(names, "and"), verb, down)
	}
	verb := "ist"
	if len(names) > 1 {
		verb = "sind"
	}
	return fmt.Sprintf("weil %s %s %s", joinAnd(names, "und"), down, verb)
}

func joinAnd(names []string, and string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " " + and + " " + names[len(names)-1]
}

// formatWhen shows a time in loc: "09:12" today, "02.01. 09:12" on another
// day of the same year, "02.01.2025 09:12" in another year.
func formatWhen(t, now time.Time, loc *time.Location) string {
	lt, ln := t.In(loc), now.In(loc)
	switch {
	case lt.Year() == ln.Year() && lt.YearDay() == ln.YearDay():
		return lt.Format("15:04")
	case lt.Year() == ln.Year():
		return lt.Format("02.01. 15:04")
	default:
		return lt.Format("02.01.2006 15:04")
	}
}

// formatMS writes a latency in milliseconds: one decimal below 10 ms, in
// the language's decimal separator.
func formatMS(d time.Duration, lang string) string {
	ms := float64(d) / float64(time.Millisecond)
	var s string
	if ms < 10 {
		s = strconv.FormatFloat(ms, 'f', 1, 64)
		if lang != "en" {
			s = strings.Replace(s, ".", ",", 1)
		}
	} else {
		s = strconv.FormatFloat(ms, 'f', 0, 64)
	}
	return s + " ms"
}

// Sparkline geometry in SVG user units.
const (
	sparkW   = 96.0
	sparkH   = 24.0
	sparkPad = 2.0
)

// sparkline draws the latency buckets (oldest first, -1 = no data) as an
// inline SVG line; gaps stay empty. It has a text alternative in lang.
func sparkline(values []float64, lang string) template.HTML {
	if len(values) == 0 {
		return ""
	}
	peak := 0.0
	for _, v := range values {
		peak = max(peak, v)
	}
	label := text("tile.spark").In(lang)
	if !slices.ContainsFunc(values, func(v float64) bool { return v >= 0 }) {
		label += ": " + text("tile.nodata").In(lang)
	} else {
		label += ", " + text("tile.max").In(lang) + " " + formatMS(time.Duration(peak*float64(time.Millisecond)), lang)
	}
	scale := peak
	if scale <= 0 {
		scale = 1
	}
	step := sparkW
	if len(values) > 1 {
		step = sparkW / float64(len(values)-1)
	}
	var path strings.Builder
	inRun := false
	for i, v := range values {
		if v < 0 {
			inRun = false
			continue
		}
		x := float64(i) * step
		y := sparkH - sparkPad - (v/scale)*(sparkH-2*sparkPad)
		if !inRun {
			fmt.Fprintf(&path, "M%s %s", num(x), num(y))
			// A lone point is drawn as a dot: a zero-length segment with
			// round caps.
			if i+1 >= len(values) || values[i+1] < 0 {
				path.WriteString("h0")
			}
			inRun = true
			continue
		}
		fmt.Fprintf(&path, "L%s %s", num(x), num(y))
	}
	esc := template.HTMLEscapeString(label)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="spark" viewBox="0 0 %s %s" preserveAspectRatio="none" role="img" aria-label="%s"><title>%s</title>`,
		num(sparkW), num(sparkH), esc, esc)
	if path.Len() > 0 {
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round" vector-effect="non-scaling-stroke"/>`, path.String())
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers and an escaped label only
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// dashboardCards asks the card sources (AddCard) for the dashboard.
func (s *Server) dashboardCards(r *http.Request) []template.HTML {
	s.mu.RLock()
	cards := append([]func(*http.Request) (template.HTML, bool)(nil), s.cards...)
	s.mu.RUnlock()
	var out []template.HTML
	for _, f := range cards {
		if h, ok := f(r); ok {
			out = append(out, h)
		}
	}
	return out
}
