package server

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/fleet"
)

type navItem struct {
	Path, Key string
}

var nav = []navItem{
	{"/", "nav.overview"}, {"/triage", "nav.triage"}, {"/sites", "nav.sites"}, {"/broadcasts", "nav.broadcasts"},
	{"/calendar", "nav.calendar"}, {"/releases", "nav.releases"}, {"/rollouts", "nav.rollouts"}, {"/audit", "nav.audit"},
}

type navView struct {
	Path, Title string
	Current     bool
}

// layoutData fills the layout template.
type layoutData struct {
	Lang, Title, Version, Asset, CSRF, Here, OtherLang, OtherLabel string
	L                                                              tr
	Nav                                                            []navView
	User                                                           *auth.Principal
	Role                                                           fleet.Role
	Body                                                           template.HTML
}

func (s *Server) tr(r *http.Request) tr { return tr{lang: lang(r), loc: s.cfg.Location} }

// render executes the body template name with data inside the layout.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, title, name string, data any) {
	var body bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&body, name, data); err != nil {
		s.log.Error("fleet console: render", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	i := info(r)
	l := s.tr(r)
	other, label := "en", "English"
	if l.lang == "en" {
		other, label = "de", "Deutsch"
	}
	d := layoutData{Lang: l.lang, Title: title, Version: s.cfg.Version, Asset: s.asset, CSRF: i.csrf,
		Here: localPath(r.URL.RequestURI()), OtherLang: other, OtherLabel: label, L: l,
		Body: template.HTML(body.String())} //nolint:gosec // produced by html/template
	if i.authed {
		u := i.user
		d.User = &u
		d.Role = i.role
		if !u.MustChangePassword {
			for _, n := range nav {
				cur := r.URL.Path == n.Path || (n.Path != "/" && strings.HasPrefix(r.URL.Path, n.Path+"/"))
				d.Nav = append(d.Nav, navView{Path: n.Path, Title: t(n.Key).In(l.lang), Current: cur})
			}
		}
	}
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, "layout", d); err != nil {
		s.log.Error("fleet console: render layout", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderMessage renders a short message page.
func (s *Server) renderMessage(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	s.render(w, r, status, title, "message", struct {
		L              tr
		Title, Message string
	}{s.tr(r), title, msg})
}

// localPath returns p when it is a path on this server, else "/".
func localPath(p string) string {
	if p == "" || p[0] != '/' || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return p
}
