// Package incidentweb serves the incident pages of the site dashboard:
//
//	GET  /incidents                          list, pending retrospectives (viewer)
//	POST /incidents/open                     open an incident by hand (staff)
//	GET  /incidents/{id}                     facts, timeline, forms (viewer; forms for staff)
//	POST /incidents/{id}/note                note: observation or measure (staff)
//	POST /incidents/{id}/hotline             hotline call with waiting time (staff)
//	POST /incidents/{id}/cost                cost (staff)
//	POST /incidents/{id}/emergency           emergency mode on/off (staff)
//	POST /incidents/{id}/retro               the three questions, or "not needed" (staff)
//	POST /incidents/{id}/close               end an incident opened by hand (staff)
//	GET  /incidents/{id}/export/{format}     report as pdf, csv or json (viewer)
//	GET  /incidents/improvements             improvements list (viewer)
//	POST /incidents/improvements/{id}/done   mark done (staff)
//	GET  /incidents/verify                   verify the hash chain (viewer)
//	GET  /incidents/assets/incident.css      style sheet of the incident features (viewer)
//	GET  /api/v1/incidents                   incidents as JSON (viewer)
//	GET  /api/v1/incidents/{id}              one report as JSON (viewer)
//
// Exports hold no patient data; every export is logged with who made it.
package incidentweb

import (
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/incident/webkit"
	"github.com/lifeline-project/lifeline/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// RetroWithin is how long after its end an incident asks for its
// retrospective on the dashboard.
const RetroWithin = 30 * 24 * time.Hour

// Web serves the incident pages.
type Web struct {
	kit  webkit.Kit
	rec  *incident.Recorder
	tmpl *template.Template
}

// New returns the incident pages.
func New(kit webkit.Kit, rec *incident.Recorder) *Web {
	return &Web{kit: kit, rec: rec, tmpl: webkit.Parse(templateFS, "templates/*.html")}
}

// Mount registers the routes with their least roles, the navigation link
// and the retrospective banner.
func (wb *Web) Mount(s *web.Server) {
	s.HandlePage("GET /incidents", auth.RoleViewer, http.HandlerFunc(wb.list))
	s.HandlePage("POST /incidents/open", auth.RoleStaff, http.HandlerFunc(wb.open))
	s.HandlePage("GET /incidents/{id}", auth.RoleViewer, http.HandlerFunc(wb.detail))
	s.HandlePage("POST /incidents/{id}/note", auth.RoleStaff, http.HandlerFunc(wb.note))
	s.HandlePage("POST /incidents/{id}/hotline", auth.RoleStaff, http.HandlerFunc(wb.hotline))
	s.HandlePage("POST /incidents/{id}/cost", auth.RoleStaff, http.HandlerFunc(wb.cost))
	s.HandlePage("POST /incidents/{id}/emergency", auth.RoleStaff, http.HandlerFunc(wb.emergency))
	s.HandlePage("POST /incidents/{id}/retro", auth.RoleStaff, http.HandlerFunc(wb.retro))
	s.HandlePage("POST /incidents/{id}/close", auth.RoleStaff, http.HandlerFunc(wb.close))
	s.HandlePage("GET /incidents/{id}/export/{format}", auth.RoleViewer, http.HandlerFunc(wb.export))
	s.HandlePage("GET /incidents/improvements", auth.RoleViewer, http.HandlerFunc(wb.improvements))
	s.HandlePage("POST /incidents/improvements/{id}/done", auth.RoleStaff, http.HandlerFunc(wb.improvementDone))
	s.HandlePage("GET /incidents/verify", auth.RoleViewer, http.HandlerFunc(wb.verify))
	s.HandlePage("GET "+webkit.CSSPath, auth.RoleViewer, webkit.CSS())
	s.HandleAPI("GET /api/v1/incidents", auth.RoleViewer, http.HandlerFunc(wb.apiList))
	s.HandleAPI("GET /api/v1/incidents/{id}", auth.RoleViewer, http.HandlerFunc(wb.apiReport))
	s.AddNav("/incidents", check.Msg("Störungen", "Incidents"), auth.RoleViewer)
	s.AddBanner(wb.Banner)
}

// Banner asks for the retrospective of incidents that ended recently.
func (wb *Web) Banner(r *http.Request) (check.Text, bool) {
	if _, ok := web.User(r); !ok {
		return check.Text{}, false
	}
	p, err := wb.rec.PendingRetros(r.Context(), RetroWithin)
	if err != nil || len(p) == 0 {
		return check.Text{}, false
	}
	return check.Msg(
		fmt.Sprintf("Störung %d ist vorbei – bitte unter „Störungen“ drei kurze Fragen zur Nachbesprechung beantworten.", p[0].ID),
		fmt.Sprintf("Incident %d is over – please answer three short questions for the retrospective under \"Incidents\".", p[0].ID)), true
}

type incView struct {
	incident.Incident
	Dur time.Duration
}

func (wb *Web) view(incs []incident.Incident) []incView {
	now := wb.kit.Clock.Now()
	out := make([]incView, len(incs))
	for i, inc := range incs {
		out[i] = incView{Incident: inc, Dur: inc.Duration(now)}
	}
	return out
}

func (wb *Web) list(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	all, err := wb.rec.Store().Incidents(ctx, incident.Query{Limit: 200})
	if err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	var open, closed []incident.Incident
	for _, inc := range all {
		if inc.Open() {
			open = append(open, inc)
		} else {
			closed = append(closed, inc)
		}
	}
	pending, err := wb.rec.PendingRetros(ctx, RetroWithin)
	if err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	ims, err := wb.rec.Store().Improvements(ctx, incident.ImprovementQuery{OpenOnly: true})
	if err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	overdue := 0
	for _, im := range ims {
		if im.Overdue(wb.kit.Clock.Now(), wb.kit.Location) {
			overdue++
		}
	}
	wb.kit.Page(w, r, check.Msg("Störungen", "Incidents"), wb.tmpl, "incidents", struct {
		webkit.Base
		Open, Closed, PendingRetro []incView
		OpenImprovements, Overdue  int
	}{wb.kit.Base(r), wb.view(open), wb.view(closed), wb.view(pending), len(ims), overdue})
}

func (wb *Web) incidentOf(w http.ResponseWriter, r *http.Request) (incident.Incident, bool) {
	id, err := webkit.ID(r, "id")
	if err == nil {
		var inc incident.Incident
		if inc, err = wb.rec.Store().Incident(r.Context(), id); err == nil {
			return inc, true
		}
	}
	wb.kit.Error(w, r, err)
	return incident.Incident{}, false
}

func (wb *Web) detail(w http.ResponseWriter, r *http.Request) {
	inc, ok := wb.incidentOf(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	entries, err := wb.rec.Store().Entries(ctx, inc.ID)
	if err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	rep := incident.Report{Incident: inc, Entries: entries}
	base := wb.kit.Base(r)
	var retro *incident.Retro
	if rt, ok := rep.Retrospective(); ok {
		retro = &rt
	}
	wb.kit.Page(w, r, check.Msg(fmt.Sprintf("Störung %d", inc.ID), fmt.Sprintf("Incident %d", inc.ID)), wb.tmpl, "incident", struct {
		webkit.Base
		Inc         incident.Incident
		Dur         time.Duration
		Entries     []incident.Entry
		RetroNeeded bool
		Retro       *incident.Retro
		Manual      bool
	}{base, inc, inc.Duration(wb.kit.Clock.Now()), entries, base.CanAct && !inc.Open() && !inc.Retro, retro, inc.Source == incident.SourceManual})
}

func (wb *Web) act(w http.ResponseWriter, r *http.Request, f func(inc incident.Incident, who string) error) {
	inc, ok := wb.incidentOf(w, r)
	if !ok {
		return
	}
	if err := f(inc, webkit.Who(r)); err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	webkit.Done(w, r, fmt.Sprintf("/incidents/%d", inc.ID))
}

func (wb *Web) note(w http.ResponseWriter, r *http.Request) {
	wb.act(w, r, func(inc incident.Incident, who string) error {
		_, err := wb.rec.Note(r.Context(), inc.ID, who, incident.NoteKind(r.PostFormValue("kind")), r.PostFormValue("text"))
		return err
	})
}

func (wb *Web) hotline(w http.ResponseWriter, r *http.Request) {
	wb.act(w, r, func(inc incident.Incident, who string) error {
		mins, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("waited")))
		if err != nil || mins < 0 {
			return incident.Errorf(incident.EINVALID, "Bitte die Wartezeit in ganzen Minuten angeben.", "Please give the waiting time in whole minutes.")
		}
		_, err = wb.rec.HotlineCall(r.Context(), inc.ID, who, incident.HotlineCall{Whom: r.PostFormValue("whom"),
			Waited: time.Duration(mins) * time.Minute, Outcome: r.PostFormValue("outcome")})
		return err
	})
}

func (wb *Web) cost(w http.ResponseWriter, r *http.Request) {
	wb.act(w, r, func(inc incident.Incident, who string) error {
		cents, err := incident.ParseEuro(r.PostFormValue("amount"))
		if err != nil {
			return incident.Errorf(incident.EINVALID, "Den Betrag bitte wie 120,50 schreiben.", "Please write the amount like 120.50.")
		}
		_, err = wb.rec.Cost(r.Context(), inc.ID, who, r.PostFormValue("label"), cents)
		return err
	})
}

func (wb *Web) emergency(w http.ResponseWriter, r *http.Request) {
	wb.act(w, r, func(inc incident.Incident, who string) error {
		if !inc.Open() {
			return incident.Errorf(incident.ECONFLICT, "Die Störung ist schon beendet.", "The incident is over already.")
		}
		_, err := wb.rec.EmergencyMode(r.Context(), r.PostFormValue("on") == "1", who, r.PostFormValue("reason"))
		return err
	})
}

func (wb *Web) retro(w http.ResponseWriter, r *http.Request) {
	wb.act(w, r, func(inc incident.Incident, who string) error {
		_, err := wb.rec.Retrospective(r.Context(), inc.ID, who, incident.Retro{
			WhatHappened: r.PostFormValue("what_happened"), WhatHelped: r.PostFormValue("what_helped"),
			Improvement: r.PostFormValue("improvement"), Owner: r.PostFormValue("owner"), Due: r.PostFormValue("due"),
			Skipped: r.PostFormValue("skip") == "1"})
		return err
	})
}

func (wb *Web) close(w http.ResponseWriter, r *http.Request) {
	wb.act(w, r, func(inc incident.Incident, who string) error {
		_, err := wb.rec.CloseManual(r.Context(), inc.ID, who, r.PostFormValue("note"))
		return err
	})
}

func (wb *Web) open(w http.ResponseWriter, r *http.Request) {
	title := strings.TrimSpace(r.PostFormValue("title"))
	inc, err := wb.rec.OpenManual(r.Context(), webkit.Who(r), check.Msg(title, title), r.PostFormValue("note"))
	if err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	webkit.Done(w, r, fmt.Sprintf("/incidents/%d", inc.ID))
}

func (wb *Web) report(r *http.Request, id int64) (incident.Report, error) {
	return incident.LoadReport(r.Context(), wb.rec.Store(), id, wb.rec.Site(), wb.kit.Location, web.Lang(r), wb.kit.Clock.Now())
}

func (wb *Web) export(w http.ResponseWriter, r *http.Request) {
	inc, ok := wb.incidentOf(w, r)
	if !ok {
		return
	}
	rep, err := wb.report(r, inc.ID)
	if err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	format := r.PathValue("format")
	w.Header().Set("Cache-Control", "no-store")
	switch format {
	case "pdf":
		pdf, err := rep.PDF()
		if err != nil {
			wb.kit.Error(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `attachment; filename="`+rep.FileName("pdf")+`"`)
		_, _ = w.Write(pdf)
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+rep.FileName("csv")+`"`)
		if err := rep.WriteCSV(w); err != nil {
			wb.kit.Log.Error("write CSV export", "incident", inc.ID, "err", err)
		}
	case "json":
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+rep.FileName("json")+`"`)
		if err := rep.WriteJSON(w); err != nil {
			wb.kit.Log.Error("write JSON export", "incident", inc.ID, "err", err)
		}
	default:
		wb.kit.Error(w, r, incident.Errorf(incident.ENOTFOUND, "Dieses Format gibt es nicht; pdf, csv oder json.", "No such format; pdf, csv or json."))
		return
	}
	seq, hash := rep.ChainHash()
	wb.kit.Log.Info("incident exported", "incident", inc.ID, "format", format, "by", webkit.Who(r), "chain_seq", seq, "chain_hash", hash)
}

type improvementView struct {
	incident.Improvement
	Overdue bool
}

func (wb *Web) improvements(w http.ResponseWriter, r *http.Request) {
	ims, err := wb.rec.Store().Improvements(r.Context(), incident.ImprovementQuery{})
	if err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	items := make([]improvementView, len(ims))
	for i, im := range ims {
		items[i] = improvementView{im, im.Overdue(wb.kit.Clock.Now(), wb.kit.Location)}
	}
	wb.kit.Page(w, r, check.Msg("Verbesserungen", "Improvements"), wb.tmpl, "improvements", struct {
		webkit.Base
		Items []improvementView
	}{wb.kit.Base(r), items})
}

func (wb *Web) improvementDone(w http.ResponseWriter, r *http.Request) {
	id, err := webkit.ID(r, "id")
	if err == nil {
		_, err = wb.rec.FinishImprovement(r.Context(), id, webkit.Who(r))
	}
	if err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	webkit.Done(w, r, "/incidents/improvements")
}

func (wb *Web) verify(w http.ResponseWriter, r *http.Request) {
	rep, err := incident.Verify(r.Context(), wb.rec.Store())
	if err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	if !rep.OK() {
		wb.kit.Log.Error("incident chain broken", "problems", len(rep.Problems))
	}
	wb.kit.Page(w, r, check.Msg("Nachweis-Kette", "Evidence chain"), wb.tmpl, "verify", struct {
		webkit.Base
		Report incident.VerifyReport
	}{wb.kit.Base(r), rep})
}

type apiIncident struct {
	ID        int64            `json:"id"`
	Title     check.Text       `json:"title"`
	Open      bool             `json:"open"`
	Drill     bool             `json:"drill"`
	OpenedAt  time.Time        `json:"opened_at"`
	ClosedAt  *time.Time       `json:"closed_at"`
	Seconds   int64            `json:"duration_seconds"`
	Causes    []incident.Cause `json:"root_causes"`
	Affected  []string         `json:"affected"`
	CostCents int64            `json:"cost_cents"`
	LastHash  string           `json:"last_hash"`
}

func (wb *Web) apiList(w http.ResponseWriter, r *http.Request) {
	incs, err := wb.rec.Store().Incidents(r.Context(), incident.Query{Limit: 200})
	if err != nil {
		wb.kit.Server.WriteError(w, r, err)
		return
	}
	out := make([]apiIncident, 0, len(incs))
	now := wb.kit.Clock.Now()
	for _, inc := range incs {
		a := apiIncident{ID: inc.ID, Title: inc.Title, Open: inc.Open(), Drill: inc.Drill(), OpenedAt: inc.OpenedAt,
			Seconds: int64(inc.Duration(now) / time.Second), Causes: inc.RootCauses, Affected: inc.Affected, CostCents: inc.CostCents, LastHash: inc.LastHash}
		if !inc.Open() {
			c := inc.ClosedAt
			a.ClosedAt = &c
		}
		out = append(out, a)
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"incidents": out})
}

func (wb *Web) apiReport(w http.ResponseWriter, r *http.Request) {
	id, err := webkit.ID(r, "id")
	var rep incident.Report
	if err == nil {
		rep, err = wb.report(r, id)
	}
	if err != nil {
		wb.kit.Server.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if err := rep.WriteJSON(w); err != nil {
		wb.kit.Log.Error("write JSON report", "incident", id, "err", err)
	}
}
