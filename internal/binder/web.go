package binder

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"time"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/incident/webkit"
	"github.com/lifeline-project/lifeline/internal/runbook"
	"github.com/lifeline-project/lifeline/internal/web"
)

//go:embed templates/*.html print.css
var assetFS embed.FS

// Web serves the binder pages. The binder holds priority patients, so
// every route needs at least the staff role, and every download and print
// view is logged like a generated binder:
//
//	GET  /binder                    status, folders, log (staff)
//	POST /binder/generate           make the binder now and save it to every folder (staff)
//	GET  /binder/print              print view, a page of its own (staff)
//	GET  /binder/notfallmappe.pdf   the binder as PDF (staff)
//	GET  /binder/print.css          the print view's style sheet (staff)
type Web struct {
	kit  webkit.Kit
	g    *Generator
	tmpl *template.Template
}

// NewWeb returns the binder pages.
func NewWeb(kit webkit.Kit, g *Generator) *Web {
	return &Web{kit: kit, g: g, tmpl: webkit.Parse(assetFS, "templates/*.html")}
}

// Mount registers the routes with their least roles and the navigation
// link.
func (wb *Web) Mount(s *web.Server) {
	s.HandlePage("GET /binder", auth.RoleStaff, http.HandlerFunc(wb.index))
	s.HandlePage("POST /binder/generate", auth.RoleStaff, http.HandlerFunc(wb.generate))
	s.HandlePage("GET /binder/print", auth.RoleStaff, http.HandlerFunc(wb.print))
	s.HandlePage("GET /binder/notfallmappe.pdf", auth.RoleStaff, http.HandlerFunc(wb.pdf))
	s.HandlePage("GET /binder/print.css", auth.RoleStaff, http.HandlerFunc(wb.css))
	s.AddNav("/binder", check.Msg("Notfallmappe", "Binder"), auth.RoleStaff)
}

func (wb *Web) index(w http.ResponseWriter, r *http.Request) {
	log, err := wb.g.o.Log.BinderLog(r.Context(), 20)
	if err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	var problems []string
	if len(log) > 0 && r.URL.Query().Get("ok") != "" {
		problems = log[0].Problems
	}
	wb.kit.Page(w, r, check.Msg("Notfallmappe", "Binder"), wb.tmpl, "binder", struct {
		webkit.Base
		Time     string
		Folders  []string
		Second   bool
		Patients bool
		Log      []LogEntry
		Problems []string
	}{wb.kit.Base(r), wb.g.o.Config.Time, wb.g.Folders(), len(wb.g.o.Config.Folders) > 0, wb.g.o.Patients, log, problems})
}

func (wb *Web) generate(w http.ResponseWriter, r *http.Request) {
	if _, err := wb.g.Generate(r.Context(), webkit.Who(r), ReasonManual); err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	webkit.Done(w, r, "/binder")
}

func (wb *Web) pdf(w http.ResponseWriter, r *http.Request) {
	b, pdf, err := wb.g.Render(r.Context(), webkit.Who(r), ReasonDownload)
	if err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", `attachment; filename="`+FilePrefix+b.Generated.In(wb.g.loc).Format("2006-01-02")+`.pdf"`)
	_, _ = w.Write(pdf)
}

type printArticle struct {
	Article
	AVP, Copay, Extra string
}

type printPhase struct {
	N          int
	Phase      runbook.Phase
	Checklists []runbook.Checklist
}

func (wb *Web) print(w http.ResponseWriter, r *http.Request) {
	b, _, err := wb.g.Render(r.Context(), webkit.Who(r), ReasonPrint)
	if err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	lang := web.Lang(r)
	arts := make([]printArticle, len(b.Articles))
	for i, a := range b.Articles {
		pa := printArticle{Article: a, AVP: a.AVP.German(), Copay: "–"}
		if a.HasCopay {
			pa.Copay = Euro(a.Copay)
			if a.Mehrkosten.IsPositive() {
				pa.Extra = Euro(a.Mehrkosten)
			}
		}
		arts[i] = pa
	}
	var phases []printPhase
	for i, p := range runbook.Phases() {
		pp := printPhase{N: i + 1, Phase: p}
		for _, c := range b.Checklists {
			if c.Phase == p {
				pp.Checklists = append(pp.Checklists, c)
			}
		}
		phases = append(phases, pp)
	}
	t, err := wb.tmpl.Clone()
	if err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	t.Funcs(webkit.Funcs(lang, wb.g.loc, b.Generated))
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "print", struct {
		Lang     string
		Stand    string
		B        Binder
		Articles []printArticle
		Phases   []printPhase
	}{lang, b.StandLabel(lang), b, arts, phases}); err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

func (wb *Web) css(w http.ResponseWriter, r *http.Request) {
	b, err := assetFS.ReadFile("print.css")
	if err != nil {
		wb.kit.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "print.css", time.Time{}, bytes.NewReader(b))
}
