package certcal

import (
	"embed"
	"html/template"
	"net/http"
	"strings"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/incident"
	"github.com/lifeline-project/lifeline/internal/incident/webkit"
	"github.com/lifeline-project/lifeline/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// Web serves the calendar's page:
//
//	GET  /certificates                 the calendar (viewer)
//	POST /certificates                 add an entry: kind, name, expires, note (admin)
//	POST /certificates/{id}/delete     delete an entry made on the dashboard (admin)
//	POST /certificates/ack             take note of the current warning: key (staff)
type Web struct {
	kit  webkit.Kit
	cal  *Calendar
	tmpl *template.Template
}

// NewWeb returns the calendar's page.
func NewWeb(kit webkit.Kit, cal *Calendar) *Web {
	return &Web{kit: kit, cal: cal, tmpl: webkit.Parse(templateFS, "templates/*.html")}
}

// Mount registers the routes with their least roles and the navigation
// link.
func (wb *Web) Mount(s *web.Server) {
	s.HandlePage("GET /certificates", auth.RoleViewer, http.HandlerFunc(wb.page))
	s.HandlePage("POST /certificates", auth.RoleAdmin, http.HandlerFunc(wb.add))
	s.HandlePage("POST /certificates/{id}/delete", auth.RoleAdmin, http.HandlerFunc(wb.remove))
	s.HandlePage("POST /certificates/ack", auth.RoleStaff, http.HandlerFunc(wb.ack))
	s.AddNav("/certificates", check.Msg("Zertifikate", "Certificates"), auth.RoleViewer)
}

type statusView struct {
	Status
	KindTitle, LevelWords, SourceWords check.Text
	Badge                              string
}

type kindView struct {
	ID    string
	Title check.Text
}

func (wb *Web) page(w http.ResponseWriter, r *http.Request) {
	var entries []statusView
	for _, s := range wb.cal.Statuses() {
		v := statusView{Status: s, KindTitle: KindTitle(s.Kind)}
		switch s.Level {
		case LevelExpired:
			v.Badge, v.LevelWords = "down", check.Msg("abgelaufen", "expired")
		case LevelCritical:
			v.Badge, v.LevelWords = "down", check.Msg("dringend", "urgent")
		case LevelWarn:
			v.Badge, v.LevelWords = "warn", check.Msg("bald erneuern", "renew soon")
		default:
			v.Badge, v.LevelWords = "ok", check.Msg("in Ordnung", "fine")
		}
		switch s.Source {
		case SourceTLS:
			v.SourceWords = check.Msg("gefunden von der Prüfung", "found by the check")
		case SourceConfig:
			v.SourceWords = check.Msg("Konfiguration", "configuration")
		default:
			v.SourceWords = check.Msg("eingetragen", "entered")
		}
		entries = append(entries, v)
	}
	var kinds []kindView
	for _, k := range incident.CertKinds {
		kinds = append(kinds, kindView{k, KindTitle(k)})
	}
	wb.kit.Page(w, r, check.Msg("Zertifikate", "Certificates"), wb.tmpl, "certificates", struct {
		webkit.Base
		Entries  []statusView
		Kinds    []kindView
		WarnDays []int
	}{wb.kit.Base(r), entries, kinds, wb.cal.WarnDays()})
}

func (wb *Web) add(w http.ResponseWriter, r *http.Request) {
	_, err := wb.cal.Add(r.Context(), Manual{Kind: r.PostFormValue("kind"), Name: r.PostFormValue("name"),
		Expires: strings.TrimSpace(r.PostFormValue("expires")), Note: r.PostFormValue("note"), CreatedBy: webkit.Who(r)})
	if err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	webkit.Done(w, r, "/certificates")
}

func (wb *Web) remove(w http.ResponseWriter, r *http.Request) {
	id, err := webkit.ID(r, "id")
	if err == nil {
		err = wb.cal.Delete(r.Context(), id)
	}
	if err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	webkit.Done(w, r, "/certificates")
}

func (wb *Web) ack(w http.ResponseWriter, r *http.Request) {
	if _, err := wb.cal.Acknowledge(r.Context(), r.PostFormValue("key"), webkit.Who(r)); err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	webkit.Done(w, r, "/certificates")
}
