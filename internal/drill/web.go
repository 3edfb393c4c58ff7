package drill

import (
	"embed"
	"html/template"
	"net/http"
	"strconv"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/incident/webkit"
	"github.com/lifeline-project/lifeline/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// Web serves the drill pages:
//
//	GET  /drills          scenarios, the running drill, past drills (viewer)
//	POST /drills/start    start a drill: field scenario (admin)
//	POST /drills/stop     end the running drill (staff: anybody may end it)
//	GET  /drills/{id}     the report of a drill (viewer)
type Web struct {
	kit  webkit.Kit
	c    *Controller
	st   IncidentReader
	tmpl *template.Template
}

// NewWeb returns the drill pages; st reads the drills' incidents.
func NewWeb(kit webkit.Kit, c *Controller, st IncidentReader) *Web {
	return &Web{kit: kit, c: c, st: st, tmpl: webkit.Parse(templateFS, "templates/*.html")}
}

// Mount registers the routes with their least roles, the navigation link
// and the banner shown on every page while a drill runs.
func (wb *Web) Mount(s *web.Server) {
	s.HandlePage("GET /drills", auth.RoleViewer, http.HandlerFunc(wb.index))
	s.HandlePage("POST /drills/start", auth.RoleAdmin, http.HandlerFunc(wb.start))
	s.HandlePage("POST /drills/stop", auth.RoleStaff, http.HandlerFunc(wb.stop))
	s.HandlePage("GET /drills/{id}", auth.RoleViewer, http.HandlerFunc(wb.report))
	s.AddNav("/drills", check.Msg("Übungen", "Drills"), auth.RoleViewer)
	s.AddBanner(wb.Banner)
}

// Banner marks every page while a drill runs.
func (wb *Web) Banner(*http.Request) (check.Text, bool) {
	d, ok := wb.c.Active()
	if !ok {
		return check.Text{}, false
	}
	return check.Msg("ÜBUNG läuft: "+d.Title.DE+" – kein echter Ausfall. Meldungen gehen nur an die Übungsempfänger. Beenden unter „Übungen“.",
		"DRILL running: "+d.Title.EN+" – not a real outage. Alerts go only to the drill receivers. End it under \"Drills\"."), true
}

func (wb *Web) index(w http.ResponseWriter, r *http.Request) {
	past, err := wb.c.Drills(r.Context(), 50)
	if err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	var active *Drill
	if d, ok := wb.c.Active(); ok {
		active = &d
	}
	wb.kit.Page(w, r, check.Msg("Übungen", "Drills"), wb.tmpl, "drills", struct {
		webkit.Base
		Active    *Drill
		Scenarios []Scenario
		Receivers []string
		Past      []Drill
	}{wb.kit.Base(r), active, wb.c.Scenarios(), wb.c.Receivers(), past})
}

func (wb *Web) start(w http.ResponseWriter, r *http.Request) {
	if _, err := wb.c.Start(r.Context(), r.PostFormValue("scenario"), webkit.Who(r)); err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	webkit.Done(w, r, "/drills")
}

func (wb *Web) stop(w http.ResponseWriter, r *http.Request) {
	d, err := wb.c.Stop(r.Context(), webkit.Who(r))
	if err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/drills/"+strconv.FormatInt(d.ID, 10), http.StatusSeeOther)
}

func (wb *Web) report(w http.ResponseWriter, r *http.Request) {
	id, err := webkit.ID(r, "id")
	var rep Report
	if err == nil {
		rep, err = wb.c.Report(r.Context(), id, wb.st)
	}
	if err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	wb.kit.Page(w, r, check.Msg("Übungsbericht", "Drill report"), wb.tmpl, "drill", struct {
		webkit.Base
		R Report
	}{wb.kit.Base(r), rep})
}
