package runbook

import (
	"embed"
	"fmt"
	"html/template"
	"net/http"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/incident/webkit"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// Web serves the runbook pages:
//
//	GET  /runbook                          checklists in recovery order, handbook pages (viewer)
//	GET  /runbook/handbook/{slug}          one handbook page (viewer)
//	GET  /runbook/run/{incident}           guided run of an incident (viewer; buttons for staff)
//	POST /runbook/run/{incident}/step      record a step: fields checklist, step, status done|skipped (staff)
type Web struct {
	kit  webkit.Kit
	book *Book
	rec  *incident.Recorder
	tmpl *template.Template
}

// NewWeb returns the runbook pages.
func NewWeb(kit webkit.Kit, book *Book, rec *incident.Recorder) *Web {
	return &Web{kit: kit, book: book, rec: rec, tmpl: webkit.Parse(templateFS, "templates/*.html")}
}

// Mount registers the routes with their least roles and the navigation
// link.
func (wb *Web) Mount(s *web.Server) {
	s.HandlePage("GET /runbook", auth.RoleViewer, http.HandlerFunc(wb.index))
	s.HandlePage("GET /runbook/handbook/{slug}", auth.RoleViewer, http.HandlerFunc(wb.page))
	s.HandlePage("GET /runbook/run/{incident}", auth.RoleViewer, http.HandlerFunc(wb.run))
	s.HandlePage("POST /runbook/run/{incident}/step", auth.RoleStaff, http.HandlerFunc(wb.step))
	s.AddNav("/runbook", check.Msg("Notfallhandbuch", "Handbook"), auth.RoleViewer)
}

type phaseList struct {
	Phase      Phase
	Checklists []ChecklistState
}

func (wb *Web) index(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	run := BuildRun(wb.book.Checklists(ctx), nil)
	var pages []mirror.Page
	noPages := check.Msg("Die Downtime-Kopie ist nicht eingerichtet; es gelten die mitgelieferten Checklisten.",
		"The downtime copy is not set up; the shipped checklists apply.")
	if hb := wb.book.Handbook(); hb != nil {
		var err error
		if pages, err = hb.HandbookPages(ctx); err != nil {
			wb.kit.Log.Warn("handbook pages not readable", "err", err)
			noPages = check.Msg("Das Notfallhandbuch ist gerade nicht lesbar; es gelten die mitgelieferten Checklisten.",
				"The emergency handbook cannot be read right now; the shipped checklists apply.")
		} else if len(pages) == 0 {
			noPages = check.Msg("Noch keine eigenen Seiten im Notfallhandbuch.", "No pages of your own in the emergency handbook yet.")
		}
	}
	wb.kit.Page(w, r, check.Msg("Notfallhandbuch", "Emergency handbook"), wb.tmpl, "runbook", struct {
		webkit.Base
		Open    []incident.Incident
		Phases  []PhaseState
		Pages   []mirror.Page
		NoPages string
	}{wb.kit.Base(r), wb.rec.Open(), run.Phases, pages, noPages.In(web.Lang(r))})
}

func (wb *Web) page(w http.ResponseWriter, r *http.Request) {
	hb := wb.book.Handbook()
	if hb == nil {
		wb.kit.Error(w, r, incident.Errorf(incident.ENOTFOUND, "Das Notfallhandbuch ist nicht eingerichtet.", "The emergency handbook is not set up."))
		return
	}
	p, err := hb.HandbookPage(r.Context(), r.PathValue("slug"))
	if err != nil {
		wb.kit.Error(w, r, incident.Errorf(incident.ENOTFOUND, "Diese Seite des Notfallhandbuchs gibt es nicht.", "There is no such page in the emergency handbook."))
		return
	}
	html, err := RenderMarkdown(p.Markdown)
	if err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	wb.kit.Page(w, r, check.Msg(p.Title, p.Title), wb.tmpl, "handbook", struct {
		webkit.Base
		Page mirror.Page
		HTML template.HTML
	}{wb.kit.Base(r), p, html})
}

func (wb *Web) incident(w http.ResponseWriter, r *http.Request) (incident.Incident, bool) {
	id, err := webkit.ID(r, "incident")
	if err == nil {
		var inc incident.Incident
		if inc, err = wb.rec.Store().Incident(r.Context(), id); err == nil {
			return inc, true
		}
	}
	wb.kit.Error(w, r, err)
	return incident.Incident{}, false
}

func (wb *Web) run(w http.ResponseWriter, r *http.Request) {
	inc, ok := wb.incident(w, r)
	if !ok {
		return
	}
	entries, err := wb.rec.Store().Entries(r.Context(), inc.ID)
	if err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	wb.kit.Page(w, r, check.Msg("Checkliste", "Checklist"), wb.tmpl, "run", struct {
		webkit.Base
		Inc incident.Incident
		Run Run
	}{wb.kit.Base(r), inc, BuildRun(wb.book.Checklists(r.Context()), entries)})
}

func (wb *Web) step(w http.ResponseWriter, r *http.Request) {
	inc, ok := wb.incident(w, r)
	if !ok {
		return
	}
	status := r.PostFormValue("status")
	if status != incident.StepDone && status != incident.StepSkipped {
		wb.kit.Error(w, r, incident.Errorf(incident.EINVALID, "Bitte „Erledigt“ oder „Nicht nötig“ wählen.", "Please choose \"Done\" or \"Not needed\"."))
		return
	}
	if _, err := wb.book.Record(r.Context(), wb.rec, inc.ID, r.PostFormValue("checklist"), r.PostFormValue("step"), webkit.Who(r), status == incident.StepSkipped); err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	webkit.Done(w, r, fmt.Sprintf("/runbook/run/%d", inc.ID))
}
