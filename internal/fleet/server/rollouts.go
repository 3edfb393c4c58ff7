package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/tufrepo"
)

type overviewData struct {
	L                                     tr
	Total, Online, Trouble, Silent, Never int
	Active                                []rolloutLine
	TUF                                   tufrepo.Status
	TUFErr                                string
	TargetsSoon                           bool
}

type rolloutLine struct {
	Rec     fleet.RolloutRecord
	Release fleet.Release
}

func (s *Server) handleOverview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d := overviewData{L: s.tr(r)}
	// Counting pages through all sites keeps memory flat at 20,000 sites.
	for off := 0; ; off += 1000 {
		rows, total, err := s.svc.Sites(ctx, fleet.SiteFilter{Limit: 1000, Offset: off})
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		d.Total = total
		for _, row := range rows {
			switch s.svc.Liveness(row.Heartbeat) {
			case fleet.LiveNever:
				d.Never++
			case fleet.LiveSilent:
				d.Silent++
			default:
				d.Online++
				if row.Heartbeat.Overall == "down" || row.Heartbeat.Overall == "degraded" {
					d.Trouble++
				}
			}
		}
		if len(rows) < 1000 {
			break
		}
	}
	recs, err := s.svc.Rollouts(ctx)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	for _, rec := range recs {
		if !rec.Active() {
			continue
		}
		rel, err := s.svc.Release(ctx, rec.ReleaseID)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		d.Active = append(d.Active, rolloutLine{Rec: rec, Release: rel})
	}
	if st, err := s.repo.Status(ctx); err != nil {
		d.TUFErr = fleet.ErrorMessage(err, lang(r))
	} else {
		d.TUF = st
		d.TargetsSoon = st.TargetsExpires.Sub(s.clk.Now()) < 30*24*time.Hour
	}
	s.render(w, r, http.StatusOK, t("ov.title").In(lang(r)), "overview", d)
}

type releasesData struct {
	L        tr
	CSRF     string
	Releases []fleet.Release
	IsStaff  bool
	Error    string
	Added    *fleet.Release
}

func (s *Server) releasesPage(w http.ResponseWriter, r *http.Request, status int, added *fleet.Release, msg string) {
	rels, err := s.svc.Releases(r.Context())
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	i := info(r)
	s.render(w, r, status, t("rel.title").In(lang(r)), "releases", releasesData{L: s.tr(r), CSRF: i.csrf, Releases: rels,
		IsStaff: i.role.Can(fleet.PermRelease), Error: msg, Added: added})
}

func (s *Server) handleReleases(w http.ResponseWriter, r *http.Request) {
	s.releasesPage(w, r, http.StatusOK, nil, "")
}

func (s *Server) handleAddRelease(w http.ResponseWriter, r *http.Request) {
	fail := func(err error) {
		if fleet.ErrorCode(err) == fleet.EINTERNAL {
			s.renderError(w, r, err)
			return
		}
		s.releasesPage(w, r, HTTPStatus(fleet.ErrorCode(err)), nil, fleet.ErrorMessage(err, lang(r)))
	}
	f, hdr, err := r.FormFile("artifact")
	if err != nil {
		fail(fleet.Errorf(fleet.EINVALID, "Bitte die Datei der Freigabe auswählen.", "Please choose the release's file."))
		return
	}
	defer f.Close()
	rel := fleet.Release{Component: r.PostFormValue("component"), Version: r.PostFormValue("version"), Artifact: hdr.Filename,
		InstallHook: r.PostFormValue("install_hook"), RollbackHook: r.PostFormValue("rollback_hook"), Notes: r.PostFormValue("notes")}
	rel.Normalize()
	if ps := rel.Validate(); len(ps) > 0 {
		fail(fleet.Errorf(fleet.EINVALID, "Bitte korrigieren: %s", "Please correct: %s", ps[0].Error()))
		return
	}
	sum, n, err := tufrepo.StoreArtifact(s.cfg.TargetsDir, f, s.cfg.MaxUpload)
	if err != nil {
		fail(err)
		return
	}
	rel.SHA256, rel.Length = sum, n
	out, err := s.svc.PublishRelease(r.Context(), actor(r), rel)
	if err != nil {
		fail(err)
		return
	}
	s.releasesPage(w, r, http.StatusOK, &out, "")
}

type rolloutsData struct {
	L        tr
	CSRF     string
	Lines    []rolloutLine
	Releases []fleet.Release
	IsStaff  bool
	Error    string
}

func (s *Server) rolloutsPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	ctx := r.Context()
	recs, err := s.svc.Rollouts(ctx)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	rels, err := s.svc.Releases(ctx)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	byID := map[int64]fleet.Release{}
	for _, rel := range rels {
		byID[rel.ID] = rel
	}
	i := info(r)
	d := rolloutsData{L: s.tr(r), CSRF: i.csrf, Releases: rels, IsStaff: i.role.Can(fleet.PermRelease), Error: msg}
	for _, rec := range recs {
		d.Lines = append(d.Lines, rolloutLine{Rec: rec, Release: byID[rec.ReleaseID]})
	}
	s.render(w, r, status, t("ro.title").In(lang(r)), "rollouts", d)
}

func (s *Server) handleRollouts(w http.ResponseWriter, r *http.Request) {
	s.rolloutsPage(w, r, http.StatusOK, "")
}

func (s *Server) handleStartRollout(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PostFormValue("release"), 10, 64)
	rec, err := s.svc.StartRollout(r.Context(), actor(r), id, fleet.StartOptions{})
	if err != nil {
		if fleet.ErrorCode(err) == fleet.EINTERNAL {
			s.renderError(w, r, err)
			return
		}
		s.rolloutsPage(w, r, HTTPStatus(fleet.ErrorCode(err)), fleet.ErrorMessage(err, lang(r)))
		return
	}
	http.Redirect(w, r, "/rollouts/"+strconv.FormatInt(rec.ID, 10), http.StatusSeeOther)
}

type rolloutData struct {
	L       tr
	CSRF    string
	V       fleet.RolloutView
	IsStaff bool
	Error   string
	// Open is the ring whose sites are listed (the current one).
	Open     int
	Statuses []fleet.SiteStatus
}

func (s *Server) rolloutData(r *http.Request) (rolloutData, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return rolloutData{}, fleet.NotFound("Die Verteilung", "rollout", r.PathValue("id"))
	}
	v, err := s.svc.RolloutView(r.Context(), id)
	if err != nil {
		return rolloutData{}, err
	}
	i := info(r)
	open := min(v.State.Ring, len(v.Rings)-1)
	if o, err := strconv.Atoi(r.URL.Query().Get("ring")); err == nil && o >= 0 && o < len(v.Rings) {
		open = o
	}
	return rolloutData{L: s.tr(r), CSRF: i.csrf, V: v, IsStaff: i.role.Can(fleet.PermRelease), Open: open,
		Statuses: fleet.SiteStatuses}, nil
}

func (s *Server) handleRollout(w http.ResponseWriter, r *http.Request) {
	d, err := s.rolloutData(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, d.V.Release.Component+" "+d.V.Release.Version, "rollout", d)
}

// handleRolloutLive returns the ring table alone, which the page's script
// swaps in every few seconds.
func (s *Server) handleRolloutLive(w http.ResponseWriter, r *http.Request) {
	d, err := s.rolloutData(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.tmpl.ExecuteTemplate(w, "rings", d); err != nil {
		s.log.Error("fleet console: render rings", "err", err)
	}
}

func (s *Server) handleRolloutAction(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.renderError(w, r, fleet.NotFound("Die Verteilung", "rollout", r.PathValue("id")))
		return
	}
	tr := fleet.Transition(r.PathValue("action"))
	switch tr {
	case fleet.Pause, fleet.Resume, fleet.Abort:
	default:
		s.renderError(w, r, fleet.Errorf(fleet.ENOTFOUND, "Unbekannte Aktion.", "Unknown action."))
		return
	}
	if err := s.svc.ChangeRollout(r.Context(), actor(r), id, tr, r.PostFormValue("reason")); err != nil {
		if fleet.ErrorCode(err) == fleet.EINTERNAL {
			s.renderError(w, r, err)
			return
		}
		d, lerr := s.rolloutData(r)
		if lerr != nil {
			s.renderError(w, r, lerr)
			return
		}
		d.Error = fleet.ErrorMessage(err, lang(r))
		s.render(w, r, HTTPStatus(fleet.ErrorCode(err)), d.V.Release.Component+" "+d.V.Release.Version, "rollout", d)
		return
	}
	http.Redirect(w, r, "/rollouts/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

func (s *Server) apiRollout(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.writeError(w, r, fleet.NotFound("Die Verteilung", "rollout", r.PathValue("id")))
		return
	}
	v, err := s.svc.RolloutView(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	type ring struct {
		Name   string                   `json:"name"`
		Phase  string                   `json:"phase"`
		Counts map[fleet.SiteStatus]int `json:"counts"`
	}
	out := struct {
		ID        int64  `json:"id"`
		Component string `json:"component"`
		Version   string `json:"version"`
		Status    string `json:"status"`
		Reason    string `json:"reason"`
		Installed int    `json:"installed"`
		Total     int    `json:"total"`
		Rings     []ring `json:"rings"`
	}{ID: v.Record.ID, Component: v.Release.Component, Version: v.Release.Version, Status: v.Record.Status,
		Reason: v.State.Reason.In(s.apiLang(r)), Installed: v.Installed, Total: v.Total}
	for _, rv := range v.Rings {
		out.Rings = append(out.Rings, ring{Name: rv.Ring.Name, Phase: rv.Phase, Counts: rv.Counts})
	}
	writeJSON(w, http.StatusOK, out)
}

type auditData struct {
	L       tr
	Entries []fleet.AuditEntry
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	es, err := s.svc.Audit(r.Context(), r.URL.Query().Get("target"), 500)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, t("audit.title").In(lang(r)), "audit", auditData{L: s.tr(r), Entries: es})
}
