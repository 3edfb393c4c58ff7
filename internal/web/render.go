package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
)

//go:embed templates/*.html static/*
var assets embed.FS

func parseTemplates() (*template.Template, error) {
	t, err := template.New("").ParseFS(assets, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse templates: %w", err)
	}
	return t, nil
}

// layoutData fills templates/layout.html.
type layoutData struct {
	Lang       string
	L          tr
	Title      string
	SiteName   string
	Version    string
	Asset      string
	Nav        []navView
	User       *auth.Principal
	CSRF       string
	Here       string
	OtherLang  string
	OtherLabel string
	Banners    []string
	Body       template.HTML
}

type navView struct {
	Path    string
	Title   string
	Current bool
}

// Render writes body inside the common layout (header with site name,
// navigation, language switch and user, banners) with status 200. title
// is the page title in both languages.
func (s *Server) Render(w http.ResponseWriter, r *http.Request, title check.Text, body template.HTML) {
	s.RenderStatus(w, r, http.StatusOK, title, body)
}

// RenderStatus is Render with another status code.
func (s *Server) RenderStatus(w http.ResponseWriter, r *http.Request, status int, title check.Text, body template.HTML) {
	lang := Lang(r)
	i := info(r)
	other, label := otherLang(lang)
	d := layoutData{
		Lang: lang, L: tr(lang), Title: title.In(lang), SiteName: s.cfg.SiteName,
		Version: s.cfg.Version, Asset: s.asset, CSRF: i.csrf, Here: localPath(r.URL.RequestURI()),
		OtherLang: other, OtherLabel: label, Body: body,
	}
	if i.authed && !i.principal.ViaToken {
		p := i.principal
		d.User = &p
	}
	s.mu.RLock()
	navs := append([]navItem(nil), s.nav...)
	banners := append([]func(*http.Request) (check.Text, bool)(nil), s.banners...)
	s.mu.RUnlock()
	if d.User != nil && !d.User.MustChangePassword {
		for _, n := range navs {
			if !d.User.Role.AtLeast(n.minRole) {
				continue
			}
			cur := r.URL.Path == n.path || (n.path != "/" && strings.HasPrefix(r.URL.Path, n.path+"/"))
			d.Nav = append(d.Nav, navView{Path: n.path, Title: n.title.In(lang), Current: cur})
		}
	}
	for _, b := range banners {
		if t, ok := b(r); ok {
			d.Banners = append(d.Banners, t.In(lang))
		}
	}
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, "layout", d); err != nil {
		s.log.Error("render layout", "path", r.URL.Path, "err", err)
		http.Error(w, text("err.internal").In(lang), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderTemplate executes the body template name with data and writes it
// inside the layout.
func (s *Server) renderTemplate(w http.ResponseWriter, r *http.Request, status int, title check.Text, name string, data any) {
	body, err := s.fragment(name, data)
	if err != nil {
		s.log.Error("render page", "template", name, "path", r.URL.Path, "err", err)
		http.Error(w, text("err.internal").In(Lang(r)), http.StatusInternalServerError)
		return
	}
	s.RenderStatus(w, r, status, title, body)
}

// fragment executes one named template into HTML.
func (s *Server) fragment(name string, data any) (template.HTML, error) {
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		return "", fmt.Errorf("execute template %s: %w", name, err)
	}
	return template.HTML(buf.String()), nil //nolint:gosec // produced by html/template
}
