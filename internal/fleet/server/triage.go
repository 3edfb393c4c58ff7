package server

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet"
)

type triageData struct {
	L        tr
	CSRF     string
	Items    []triageLine
	CanClaim bool
	Me       string
	Error    string
}

type triageLine struct {
	fleet.TriageItem
	For string // how long, in words
}

func (s *Server) triagePage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	items, err := s.svc.Triage(r.Context())
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	i := info(r)
	now := s.clk.Now()
	d := triageData{L: s.tr(r), CSRF: i.csrf, CanClaim: i.role.Can(fleet.PermTriage), Me: actor(r), Error: msg}
	for _, it := range items {
		d.Items = append(d.Items, triageLine{TriageItem: it, For: durationWords(it.Duration(now), lang(r))})
	}
	s.render(w, r, status, t("tr.title").In(lang(r)), "triage", d)
}

func (s *Server) handleTriage(w http.ResponseWriter, r *http.Request) {
	s.triagePage(w, r, http.StatusOK, "")
}

// durationWords says how long, roughly: "3 Std. 5 Min.", "2 Tage".
func durationWords(d time.Duration, lang string) string {
	d = d.Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	if lang == "en" {
		switch {
		case days > 0:
			return strconv.Itoa(days) + " d " + strconv.Itoa(hours) + " h"
		case hours > 0:
			return strconv.Itoa(hours) + " h " + strconv.Itoa(mins) + " min"
		}
		return strconv.Itoa(mins) + " min"
	}
	switch {
	case days > 0:
		return strconv.Itoa(days) + " Tg. " + strconv.Itoa(hours) + " Std."
	case hours > 0:
		return strconv.Itoa(hours) + " Std. " + strconv.Itoa(mins) + " Min."
	}
	return strconv.Itoa(mins) + " Min."
}

// back returns to the page the form came from (the queue or the site).
func back(r *http.Request, def string) string {
	if n := localPath(r.PostFormValue("next")); n != "/" {
		return n
	}
	return def
}

func (s *Server) handleClaim(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.svc.ClaimSite(r.Context(), actor(r), id, r.PostFormValue("takeover") == "1"); err != nil {
		if fleet.ErrorCode(err) == fleet.EINTERNAL {
			s.renderError(w, r, err)
			return
		}
		s.triagePage(w, r, HTTPStatus(fleet.ErrorCode(err)), fleet.ErrorMessage(err, lang(r)))
		return
	}
	http.Redirect(w, r, back(r, "/sites/"+url.PathEscape(id)), http.StatusSeeOther)
}

func (s *Server) handleRelease(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	force := r.PostFormValue("force") == "1" && info(r).role.Can(fleet.PermSites)
	if err := s.svc.ReleaseSite(r.Context(), actor(r), id, force); err != nil {
		if fleet.ErrorCode(err) == fleet.EINTERNAL {
			s.renderError(w, r, err)
			return
		}
		s.triagePage(w, r, HTTPStatus(fleet.ErrorCode(err)), fleet.ErrorMessage(err, lang(r)))
		return
	}
	http.Redirect(w, r, back(r, "/triage"), http.StatusSeeOther)
}

func (s *Server) handleNote(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.svc.AddNote(r.Context(), actor(r), id, r.PostFormValue("note")); err != nil {
		s.siteResult(w, r, nil, err)
		return
	}
	http.Redirect(w, r, "/sites/"+url.PathEscape(id)+"#timeline", http.StatusSeeOther)
}

type calendarData struct {
	L    tr
	Days []fleet.CalendarDay
	N    int
}

// calendarDays reads ?days= (default 14, at most 90).
func calendarDays(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("days"))
	if err != nil || n <= 0 {
		return 14
	}
	return min(n, 90)
}

func (s *Server) handleCalendar(w http.ResponseWriter, r *http.Request) {
	n := calendarDays(r)
	days, err := s.svc.Calendar(r.Context(), n)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, t("cal.title").In(lang(r)), "calendar", calendarData{L: s.tr(r), Days: days, N: n})
}

func (s *Server) handleCalendarICS(w http.ResponseWriter, r *http.Request) {
	days, err := s.svc.Calendar(r.Context(), calendarDays(r))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	host := r.Host
	if u, err := url.Parse(s.svc.Config().PublicURL); err == nil && u.Host != "" {
		host = u.Hostname()
	}
	var buf bytes.Buffer
	if err := fleet.WriteCalendarICS(&buf, days, host, s.clk.Now()); err != nil {
		s.renderError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="lifeline-updates.ics"`)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) handleCalendarCSV(w http.ResponseWriter, r *http.Request) {
	cmds, err := s.svc.UpcomingInstalls(r.Context(), calendarDays(r))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	perSite := r.URL.Query().Get("sites") == "1"
	sites := map[string]fleet.Site{}
	if perSite {
		all, err := s.svc.Store().AllSites(r.Context())
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		for _, st := range all {
			sites[st.ID] = st
		}
	}
	var buf bytes.Buffer
	buf.WriteString("\ufeff") // spreadsheets read UTF-8 with a byte order mark
	if err := fleet.WriteCalendarCSV(&buf, cmds, sites, s.cfg.Location, perSite); err != nil {
		s.renderError(w, r, err)
		return
	}
	name := "lifeline-updates.csv"
	if perSite {
		name = "lifeline-updates-standorte.csv"
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, _ = w.Write(buf.Bytes())
}

// apiTriage returns the triage queue as JSON.
func (s *Server) apiTriage(w http.ResponseWriter, r *http.Request) {
	items, err := s.svc.Triage(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	type problem struct {
		Kind     string    `json:"kind"`
		Severity int       `json:"severity"`
		Since    time.Time `json:"since"`
		Text     string    `json:"text"`
	}
	type item struct {
		Site      string     `json:"site"`
		Name      string     `json:"name"`
		State     string     `json:"state"`
		Contacts  string     `json:"contacts"`
		OnDuty    bool       `json:"on_duty"`
		DutyUntil *time.Time `json:"duty_until,omitempty"`
		Severity  int        `json:"severity"`
		Since     time.Time  `json:"since"`
		ClaimedBy string     `json:"claimed_by,omitempty"`
		Problems  []problem  `json:"problems"`
	}
	out := struct {
		Items []item `json:"items"`
	}{Items: []item{}}
	l := s.apiLang(r)
	for _, it := range items {
		x := item{Site: it.Site.ID, Name: it.Site.Name, State: it.Site.State, Contacts: it.Site.Contacts, OnDuty: it.OnDuty,
			DutyUntil: timePtr(it.DutyUntil), Severity: it.Severity, Since: it.Since}
		if it.Claim != nil {
			x.ClaimedBy = it.Claim.Agent
		}
		for _, p := range it.Problems {
			x.Problems = append(x.Problems, problem{Kind: p.Kind, Severity: p.Severity, Since: p.Since, Text: p.Text.In(l)})
		}
		out.Items = append(out.Items, x)
	}
	writeJSON(w, http.StatusOK, out)
}

// apiTimeline returns a site's timeline as JSON.
func (s *Server) apiTimeline(w http.ResponseWriter, r *http.Request) {
	tl, err := s.svc.Timeline(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	type entry struct {
		At    time.Time `json:"at"`
		Kind  string    `json:"kind"`
		Actor string    `json:"actor"`
		Text  string    `json:"text"`
		State string    `json:"state,omitempty"`
	}
	type upcoming struct {
		Component string    `json:"component"`
		Version   string    `json:"version"`
		NotBefore time.Time `json:"not_before"`
		NotAfter  time.Time `json:"not_after"`
	}
	out := struct {
		Site     apiSiteJSON `json:"site"`
		OnDuty   bool        `json:"on_duty"`
		Upcoming []upcoming  `json:"upcoming"`
		Entries  []entry     `json:"entries"`
	}{Site: s.apiSiteFrom(tl.Site, tl.Heartbeat), OnDuty: tl.OnDuty, Upcoming: []upcoming{}, Entries: []entry{}}
	l := s.apiLang(r)
	for _, c := range tl.Upcoming {
		out.Upcoming = append(out.Upcoming, upcoming{Component: c.Component, Version: c.Version, NotBefore: c.NotBefore, NotAfter: c.NotAfter})
	}
	for _, e := range tl.Entries {
		out.Entries = append(out.Entries, entry{At: e.At, Kind: e.Kind, Actor: e.Actor, Text: e.Text.In(l), State: e.State})
	}
	writeJSON(w, http.StatusOK, out)
}
