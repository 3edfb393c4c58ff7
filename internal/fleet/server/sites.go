package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/holiday"
)

// siteLine is one site in the list.
type siteLine struct {
	fleet.SiteRow
	Live fleet.Liveness
}

type sitesData struct {
	L         tr
	CSRF      string
	Rows      []siteLine
	Total     int
	Filter    fleet.SiteFilter
	States    []holiday.State
	Prev      string
	Next      string
	IsAdmin   bool
	Codes     []fleet.SiteCode
	Error     string
	PublicURL string
}

const pageSize = 100

func (s *Server) sitesData(r *http.Request) (sitesData, error) {
	q := r.URL.Query()
	f := fleet.SiteFilter{Query: q.Get("q"), State: strings.ToUpper(q.Get("state")), Overall: q.Get("overall"), Limit: pageSize}
	f.Offset, _ = strconv.Atoi(q.Get("offset"))
	f.Offset = max(f.Offset, 0)
	rows, total, err := s.svc.Sites(r.Context(), f)
	if err != nil {
		return sitesData{}, err
	}
	i := info(r)
	d := sitesData{L: s.tr(r), CSRF: i.csrf, Total: total, Filter: f, States: holiday.States(),
		IsAdmin: i.role.Can(fleet.PermSites), PublicURL: s.svc.Config().PublicURL}
	for _, row := range rows {
		d.Rows = append(d.Rows, siteLine{SiteRow: row, Live: s.svc.Liveness(row.Heartbeat)})
	}
	page := func(off int) string {
		v := q
		v.Set("offset", strconv.Itoa(off))
		return "/sites?" + v.Encode()
	}
	if f.Offset > 0 {
		d.Prev = page(max(f.Offset-pageSize, 0))
	}
	if f.Offset+pageSize < total {
		d.Next = page(f.Offset + pageSize)
	}
	return d, nil
}

func (s *Server) handleSites(w http.ResponseWriter, r *http.Request) {
	d, err := s.sitesData(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, t("sites.title").In(lang(r)), "sites", d)
}

// sitesResult shows the sites page with new codes or an error.
func (s *Server) sitesResult(w http.ResponseWriter, r *http.Request, codes []fleet.SiteCode, err error) {
	d, lerr := s.sitesData(r)
	if lerr != nil {
		s.renderError(w, r, lerr)
		return
	}
	status := http.StatusOK
	if err != nil {
		if fleet.ErrorCode(err) == fleet.EINTERNAL {
			s.renderError(w, r, err)
			return
		}
		status = HTTPStatus(fleet.ErrorCode(err))
		d.Error = fleet.ErrorMessage(err, lang(r))
	}
	d.Codes = codes
	s.render(w, r, status, t("sites.title").In(lang(r)), "sites", d)
}

func formSite(r *http.Request) fleet.Site {
	f := r.PostFormValue
	return fleet.Site{ID: f("id"), Name: f("name"), Timezone: f("timezone"), State: f("state"),
		Window: f("window"), Contacts: f("contacts"), Ring: f("ring")}
}

func (s *Server) handleAddSite(w http.ResponseWriter, r *http.Request) {
	codes, err := s.svc.AddSites(r.Context(), actor(r), []fleet.Site{formSite(r)})
	s.sitesResult(w, r, codes, err)
}

func (s *Server) handleImport(w http.ResponseWriter, r *http.Request) {
	f, _, err := r.FormFile("file")
	if err != nil {
		s.sitesResult(w, r, nil, fleet.Errorf(fleet.EINVALID, "Bitte eine CSV-Datei auswählen.", "Please choose a CSV file."))
		return
	}
	defer f.Close()
	codes, err := s.svc.ImportSites(r.Context(), actor(r), f)
	s.sitesResult(w, r, codes, err)
}

type siteData struct {
	L         tr
	CSRF      string
	Site      fleet.Site
	HB        fleet.Heartbeat
	HasHB     bool
	Live      fleet.Liveness
	TL        fleet.SiteTimeline
	Code      *fleet.SiteCode
	IsAdmin   bool
	IsStaff   bool
	CanTriage bool
	Me        string
	Error     string
	States    []holiday.State
	PublicURL string
	Here      string
}

func (s *Server) siteData(r *http.Request, id string) (siteData, error) {
	tl, err := s.svc.Timeline(r.Context(), id)
	if err != nil {
		return siteData{}, err
	}
	i := info(r)
	return siteData{L: s.tr(r), CSRF: i.csrf, Site: tl.Site, HB: tl.Heartbeat, HasHB: tl.HasHB, Live: tl.Live, TL: tl,
		IsAdmin: i.role.Can(fleet.PermSites), IsStaff: i.role.Can(fleet.PermEnrol), CanTriage: i.role.Can(fleet.PermTriage),
		Me: actor(r), States: holiday.States(), PublicURL: s.svc.Config().PublicURL, Here: "/sites/" + url.PathEscape(id)}, nil
}

func (s *Server) siteResult(w http.ResponseWriter, r *http.Request, code *fleet.SiteCode, err error) {
	d, lerr := s.siteData(r, r.PathValue("id"))
	if lerr != nil {
		s.renderError(w, r, lerr)
		return
	}
	status := http.StatusOK
	if err != nil {
		if fleet.ErrorCode(err) == fleet.EINTERNAL {
			s.renderError(w, r, err)
			return
		}
		status = HTTPStatus(fleet.ErrorCode(err))
		d.Error = fleet.ErrorMessage(err, lang(r))
	}
	d.Code = code
	s.render(w, r, status, d.Site.Name, "site", d)
}

func (s *Server) handleSite(w http.ResponseWriter, r *http.Request) { s.siteResult(w, r, nil, nil) }

func (s *Server) handleEditSite(w http.ResponseWriter, r *http.Request) {
	st := formSite(r)
	st.ID = r.PathValue("id")
	s.siteResult(w, r, nil, s.svc.UpdateSite(r.Context(), actor(r), st))
}

func (s *Server) handleNewCode(w http.ResponseWriter, r *http.Request) {
	code, err := s.svc.NewEnrolmentCode(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		s.siteResult(w, r, nil, err)
		return
	}
	s.siteResult(w, r, &code, nil)
}

func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	s.siteResult(w, r, nil, s.svc.RevokeToken(r.Context(), actor(r), r.PathValue("id"), r.PostFormValue("reason")))
}

// apiSiteJSON is a site in the hotline API.
type apiSiteJSON struct {
	ID, Name, Timezone, State, Window, Contacts, Ring string
	Enrolled                                          bool
	EnrolledAt                                        *time.Time `json:",omitempty"`
	Liveness                                          fleet.Liveness
	LastSeen                                          *time.Time `json:",omitempty"`
	Overall                                           string
	Sentence                                          string
	RootCauses                                        []string
	Components                                        map[string]string
	History                                           []fleet.VersionEvent `json:",omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *Server) apiSiteFrom(st fleet.Site, hb fleet.Heartbeat) apiSiteJSON {
	return apiSiteJSON{ID: st.ID, Name: st.Name, Timezone: st.Timezone, State: st.State, Window: st.Window,
		Contacts: st.Contacts, Ring: st.Ring, Enrolled: st.HasToken, EnrolledAt: timePtr(st.EnrolledAt),
		Liveness: s.svc.Liveness(hb), LastSeen: timePtr(hb.ReceivedAt), Overall: hb.Overall, Sentence: hb.Sentence,
		RootCauses: hb.RootCauses, Components: hb.Components}
}

func (s *Server) apiSites(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := fleet.SiteFilter{Query: q.Get("q"), State: q.Get("state"), Overall: q.Get("overall")}
	f.Limit, _ = strconv.Atoi(q.Get("limit"))
	f.Offset, _ = strconv.Atoi(q.Get("offset"))
	rows, total, err := s.svc.Sites(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := struct {
		Total int           `json:"total"`
		Sites []apiSiteJSON `json:"sites"`
	}{Total: total, Sites: []apiSiteJSON{}}
	for _, row := range rows {
		out.Sites = append(out.Sites, s.apiSiteFrom(row.Site, row.Heartbeat))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiSite(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	st, err := s.svc.Site(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	hb, _, err := s.svc.LastHeartbeat(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := s.apiSiteFrom(st, hb)
	if out.History, err = s.svc.Store().VersionHistory(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
