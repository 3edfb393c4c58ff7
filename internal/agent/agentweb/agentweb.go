// Package agentweb shows the update agent on the site's dashboard: the
// card "Nächstes Update" ("Update WinApo 24.3 geplant für So 03:00") with
// a button to postpone it, the pharmacy's pause of all updates, the
// installed versions and the update history. German first, English
// switchable; templates embedded; no script.
//
// Routes (Routes lists them for the site's web server):
//
//	GET  /updates            card, pause, installed versions, history (viewer)
//	POST /updates/postpone   postpone the next update (staff, CSRF)
//	POST /updates/pause      pause all updates; field reason (staff, CSRF)
//	POST /updates/resume     lift the pause and a postponement (staff, CSRF)
//	GET  /api/v1/updates     the same as JSON (viewer)
package agentweb

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"sort"
	"time"

	"github.com/lifeline-project/lifeline/internal/agent"
	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
)

//go:embed templates/*.html
var templateFS embed.FS

// Prefix is where the pages live.
const Prefix = "/updates"

// Source is what the pages need of the agent; *agent.Agent satisfies it.
type Source interface {
	View(ctx context.Context) agent.View
	Postpone(ctx context.Context, by string) (time.Time, error)
	Pause(by, reason string) error
	Resume(by string) error
}

var _ Source = (*agent.Agent)(nil)

// Hooks connect the pages to the web layer (internal/web) without this
// package depending on it; each may be nil.
type Hooks struct {
	// Render writes body inside the dashboard layout (web.Server.Render).
	Render func(w http.ResponseWriter, r *http.Request, title check.Text, body template.HTML)
	// Lang returns the request's language (web.Lang).
	Lang func(r *http.Request) string
	// User returns the user's name and whether they may act (staff or
	// more).
	User func(r *http.Request) (name string, canAct bool)
	// CSRF returns the session's CSRF token (web.CSRFToken).
	CSRF func(r *http.Request) string
}

// Handler serves the pages.
type Handler struct {
	src  Source
	h    Hooks
	log  *slog.Logger
	tmpl *template.Template
}

// New returns the pages over src.
func New(src Source, h Hooks, log *slog.Logger) (*Handler, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t, err := template.New("").Funcs(template.FuncMap{"t": func(string) string { return "" }}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("agentweb: parse templates: %w", err)
	}
	return &Handler{src: src, h: h, log: log, tmpl: t}, nil
}

func (h *Handler) lang(r *http.Request) string {
	if h.h.Lang != nil {
		return h.h.Lang(r)
	}
	return "de"
}

func (h *Handler) user(r *http.Request) (string, bool) {
	if h.h.User != nil {
		return h.h.User(r)
	}
	return "", false
}

// pageData fills the templates.
type pageData struct {
	Prefix, CSRF, Error string
	CanAct              bool
	Next                *agent.Planned
	Sentence, Waiting   string
	Postponed, Paused   string
	Class               string
	Window              string
	Installed           []installedView
	History             []historyView
}

type installedView struct{ Title, Version, Previous string }

type historyView struct {
	When, What, Result, Reason, Class string
	Steps                             []string
}

func (h *Handler) data(r *http.Request, v agent.View) pageData {
	lang := h.lang(r)
	_, canAct := h.user(r)
	d := pageData{Prefix: Prefix, CanAct: canAct, Window: v.Window, Class: "ok"}
	if h.h.CSRF != nil {
		d.CSRF = h.h.CSRF(r)
	}
	if v.Next != nil {
		d.Next = v.Next
		d.Sentence = v.Next.Sentence(lang, v.Location, v.Now)
		d.Waiting = v.Next.Waiting.In(lang)
		d.Class = "unknown"
	}
	if v.Postponed.Until.After(v.Now) {
		d.Postponed = agent.ClockText(v.Postponed.Until, v.Location, lang)
	}
	if v.Pause.On {
		d.Paused = v.Pause.Reason
		if v.Pause.By != "" {
			d.Paused += " (" + v.Pause.By + ", " + agent.ClockText(v.Pause.At, v.Location, lang) + ")"
		}
		d.Class = "degraded"
	}
	names := make([]string, 0, len(v.Installed))
	for n := range v.Installed {
		names = append(names, n)
	}
	sort.Strings(names)
	titles := map[string]string{}
	for _, u := range v.History {
		titles[u.Component] = u.Title
	}
	for _, n := range names {
		inst := v.Installed[n]
		iv := installedView{Title: n, Version: inst.Version}
		if t := titles[n]; t != "" {
			iv.Title = t
		}
		if inst.Previous != nil {
			iv.Previous = inst.Previous.Version
		}
		d.Installed = append(d.Installed, iv)
	}
	for _, u := range v.History {
		hv := historyView{When: agent.ClockText(u.Finished, v.Location, lang), What: u.Title + " " + u.Version,
			Result: resultWords(u.Result).In(lang), Reason: u.Reason.In(lang), Class: resultClass(u.Result)}
		if u.From != "" && u.Kind == agent.KindInstall {
			hv.What = u.Title + " " + u.From + " → " + u.Version
		}
		if u.Kind == agent.KindRollback {
			hv.What = check.Msg("Rücknahme von ", "rollback of ").In(lang) + hv.What
		}
		for _, tr := range u.Transitions {
			s := agent.ClockText(tr.At, v.Location, lang) + ": " + tr.To.Words().In(lang)
			if n := tr.Note.In(lang); n != "" {
				s += " – " + n
			}
			hv.Steps = append(hv.Steps, s)
		}
		d.History = append(d.History, hv)
	}
	return d
}

func resultWords(r string) check.Text {
	switch r {
	case agent.ResultCommitted:
		return check.Msg("installiert", "installed")
	case agent.ResultRolledBack:
		return check.Msg("zurückgenommen", "rolled back")
	case agent.ResultFailed:
		return check.Msg("fehlgeschlagen", "failed")
	case agent.ResultSkipped:
		return check.Msg("ausgelassen", "skipped")
	}
	return check.Msg(r, r)
}

func resultClass(r string) string {
	switch r {
	case agent.ResultCommitted:
		return "ok"
	case agent.ResultFailed:
		return "down"
	}
	return "degraded"
}

// render writes a template inside the layout (or a plain page).
func (h *Handler) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	lang := h.lang(r)
	t := template.Must(h.tmpl.Clone()).Funcs(template.FuncMap{"t": func(k string) string { return text(k).In(lang) }})
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		h.log.Error("agentweb: render", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	title := text("title")
	if h.h.Render != nil {
		h.h.Render(w, r, title, template.HTML(buf.String())) //nolint:gosec // produced by html/template
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintf(w, "<!doctype html>\n<html lang=%q><head><meta charset=\"utf-8\"><title>%s</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main>%s</main></body></html>\n",
		lang, template.HTMLEscapeString(title.In(lang)), buf.String())
}

// Page serves GET /updates.
func (h *Handler) Page() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := h.data(r, h.src.View(r.Context()))
		d.Error = r.URL.Query().Get("error")
		h.render(w, r, "updates", d)
	})
}

// Card returns the dashboard card "Nächstes Update" for r, for a
// dashboard that embeds cards.
func (h *Handler) Card(r *http.Request) (template.HTML, bool) {
	lang := h.lang(r)
	t := template.Must(h.tmpl.Clone()).Funcs(template.FuncMap{"t": func(k string) string { return text(k).In(lang) }})
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "card", h.data(r, h.src.View(r.Context()))); err != nil {
		h.log.Error("agentweb: render card", "err", err)
		return "", false
	}
	return template.HTML(buf.String()), true //nolint:gosec // produced by html/template
}

// Banner returns the line shown on every page while an update is planned
// within the next 24 hours or under way; with a link target in words.
func (h *Handler) Banner(r *http.Request) (check.Text, bool) {
	v := h.src.View(r.Context())
	if v.Next == nil || v.Next.At.IsZero() && v.Next.CanPostpone || !v.Next.At.IsZero() && v.Next.At.Sub(v.Now) > 24*time.Hour {
		return check.Text{}, false
	}
	de := v.Next.Sentence("de", v.Location, v.Now)
	en := v.Next.Sentence("en", v.Location, v.Now)
	if v.Next.CanPostpone {
		de += " – verschieben unter „Updates“"
		en += " – postpone under “Updates”"
	}
	return check.Msg(de, en), true
}

// act runs a change for the logged-in user and goes back to the page; a
// refused change is shown on the page.
func (h *Handler) act(f func(r *http.Request, by string) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, canAct := h.user(r)
		if !canAct {
			http.Error(w, text("forbidden").In(h.lang(r)), http.StatusForbidden)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		target := Prefix
		if err := f(r, name); err != nil {
			var ue *agent.UserError
			msg := text("failed").In(h.lang(r))
			if errors.As(err, &ue) {
				msg = ue.UserMessage(h.lang(r))
			} else {
				h.log.Error("agentweb: action failed", "path", r.URL.Path, "err", err)
			}
			target += "?error=" + template.URLQueryEscaper(msg)
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
	})
}

// PostponeAction serves POST /updates/postpone.
func (h *Handler) PostponeAction() http.Handler {
	return h.act(func(r *http.Request, by string) error {
		_, err := h.src.Postpone(r.Context(), by)
		return err
	})
}

// PauseAction serves POST /updates/pause (field reason).
func (h *Handler) PauseAction() http.Handler {
	return h.act(func(r *http.Request, by string) error { return h.src.Pause(by, r.PostForm.Get("reason")) })
}

// ResumeAction serves POST /updates/resume.
func (h *Handler) ResumeAction() http.Handler {
	return h.act(func(_ *http.Request, by string) error { return h.src.Resume(by) })
}

// apiView is the JSON of GET /api/v1/updates.
type apiView struct {
	Next      *apiNext          `json:"next"`
	Paused    bool              `json:"paused"`
	Pause     string            `json:"pause_reason,omitempty"`
	Installed map[string]string `json:"installed"`
	History   []apiHistory      `json:"history"`
}

type apiNext struct {
	Component string    `json:"component"`
	Version   string    `json:"version"`
	State     string    `json:"state"`
	At        time.Time `json:"planned_at,omitzero"`
	Waiting   string    `json:"waiting,omitempty"`
	Sentence  string    `json:"sentence"`
}

type apiHistory struct {
	Component string    `json:"component"`
	Version   string    `json:"version"`
	Kind      string    `json:"kind"`
	Result    string    `json:"result"`
	Reason    string    `json:"reason,omitempty"`
	Finished  time.Time `json:"finished"`
}

// API serves GET /api/v1/updates.
func (h *Handler) API() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := h.lang(r)
		v := h.src.View(r.Context())
		out := apiView{Paused: v.Pause.On, Pause: v.Pause.Reason, Installed: map[string]string{}, History: []apiHistory{}}
		for n, inst := range v.Installed {
			out.Installed[n] = inst.Version
		}
		if v.Next != nil {
			out.Next = &apiNext{Component: v.Next.Component, Version: v.Next.Version, State: string(v.Next.State),
				At: v.Next.At, Waiting: v.Next.Waiting.In(lang), Sentence: v.Next.Sentence(lang, v.Location, v.Now)}
		}
		for _, u := range v.History {
			out.History = append(out.History, apiHistory{Component: u.Component, Version: u.Version, Kind: u.Kind,
				Result: u.Result, Reason: u.Reason.In(lang), Finished: u.Finished})
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(out)
	})
}

// Route is one route of the pages: a page (web.Server.HandlePage, CSRF
// checked on POST) or, with API set, a JSON endpoint (HandleAPI).
type Route struct {
	Pattern string
	Role    auth.Role
	API     bool
	Handler http.Handler
}

// Routes returns every route with the least role it needs.
func (h *Handler) Routes() []Route {
	return []Route{
		{Pattern: "GET " + Prefix, Role: auth.RoleViewer, Handler: h.Page()},
		{Pattern: "POST " + Prefix + "/postpone", Role: auth.RoleStaff, Handler: h.PostponeAction()},
		{Pattern: "POST " + Prefix + "/pause", Role: auth.RoleStaff, Handler: h.PauseAction()},
		{Pattern: "POST " + Prefix + "/resume", Role: auth.RoleStaff, Handler: h.ResumeAction()},
		{Pattern: "GET /api/v1/updates", Role: auth.RoleViewer, API: true, Handler: h.API()},
	}
}

// NavTitle returns the navigation entry's title.
func NavTitle() check.Text { return check.Msg("Updates", "Updates") }
