// Package counterweb serves the pages of the emergency mode at the counter
// on the site's web server (internal/web):
//
//	GET  /counter                          the counter: scan, basket, booking (staff)
//	GET  /counter/search?q=                search hits as JSON for the page's script (staff)
//	POST /counter/book                     book the basket into the journal (staff)
//	GET  /counter/receipt/{number}         receipt print view (viewer)
//	POST /counter/mode                     switch emergency mode; fields active, reason, next (staff)
//	GET  /counter/erezept                  E-Rezept queue; every view is logged (staff)
//	POST /counter/erezept                  queue a scanned printout; fields scan, contact, note, urgent (staff)
//	POST /counter/erezept/{id}/{action}    action done or returned (staff)
//	GET  /counter/erezept/{id}/token       the token to redeem by hand; logged (staff)
//	GET  /counter/erezept/log              who looked at patient data (admin)
//	GET  /counter/replay                   hand-over to the ERP and its report (viewer)
//	POST /counter/replay                   start the hand-over (staff)
//	GET  /counter/static/...               script and style sheet (public)
//	GET  /api/v1/emergency-mode            the mode as JSON (viewer)
//	POST /api/v1/emergency-mode            {"active": true|false, "reason": "..."} (staff)
//
// The counter page works with plain links and forms: the basket travels
// in the query string (see counter.Basket), so every action is a GET that
// leads to the next basket, and only booking is a POST. The small script
// makes it faster (no page reload per scan, live name search with arrow
// keys, F-key shortcuts, focus always in the scan field) but is not needed.
package counterweb

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/counter"
	"github.com/lifeline-project/lifeline/internal/web"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Handlers serves the counter pages. Create it with New and call Mount.
type Handlers struct {
	s      *counter.Service
	w      *web.Server
	log    *slog.Logger
	tmpl   *template.Template
	static fs.FS
	asset  string
}

// New prepares the pages of svc for the web server srv.
func New(svc *counter.Service, srv *web.Server, log *slog.Logger) (*Handlers, error) {
	if svc == nil || srv == nil {
		return nil, fmt.Errorf("counterweb: service and web server are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tmpl, err := template.New("").ParseFS(assets, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("counterweb: parse templates: %w", err)
	}
	static, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, fmt.Errorf("counterweb: static files: %w", err)
	}
	h := sha256.New()
	for _, name := range []string{"counter.js", "counter.css"} {
		b, err := fs.ReadFile(static, name)
		if err != nil {
			return nil, fmt.Errorf("counterweb: static file %s: %w", name, err)
		}
		h.Write(b)
	}
	return &Handlers{s: svc, w: srv, log: log, tmpl: tmpl, static: static, asset: hex.EncodeToString(h.Sum(nil))[:12]}, nil
}

// Mount registers the routes, the banners and the navigation links on the
// web server. Call it before the server starts serving.
func (h *Handlers) Mount() {
	w := h.w
	w.HandlePublic("GET /counter/static/", h.staticHandler())
	w.HandlePage("GET /counter", auth.RoleStaff, http.HandlerFunc(h.counterPage))
	w.HandlePage("GET /counter/search", auth.RoleStaff, http.HandlerFunc(h.search))
	w.HandlePage("POST /counter/book", auth.RoleStaff, http.HandlerFunc(h.book))
	w.HandlePage("GET /counter/receipt/{number}", auth.RoleViewer, http.HandlerFunc(h.receipt))
	w.HandlePage("POST /counter/mode", auth.RoleStaff, http.HandlerFunc(h.switchMode))
	w.HandlePage("GET /counter/erezept", auth.RoleStaff, http.HandlerFunc(h.erezeptPage))
	w.HandlePage("POST /counter/erezept", auth.RoleStaff, http.HandlerFunc(h.erezeptAdd))
	w.HandlePage("POST /counter/erezept/{id}/{action}", auth.RoleStaff, http.HandlerFunc(h.erezeptMark))
	w.HandlePage("GET /counter/erezept/{id}/token", auth.RoleStaff, http.HandlerFunc(h.erezeptToken))
	w.HandlePage("GET /counter/erezept/log", auth.RoleAdmin, http.HandlerFunc(h.accessLog))
	w.HandlePage("GET /counter/replay", auth.RoleViewer, http.HandlerFunc(h.replayPage))
	w.HandlePage("POST /counter/replay", auth.RoleStaff, http.HandlerFunc(h.replayStart))
	w.HandleAPI("GET /api/v1/emergency-mode", auth.RoleViewer, http.HandlerFunc(h.modeGet))
	w.HandleAPI("POST /api/v1/emergency-mode", auth.RoleStaff, http.HandlerFunc(h.modePost))

	w.AddNav("/counter", check.Msg("Notbetrieb", "Emergency mode"), auth.RoleStaff)
	w.AddNav("/counter/erezept", check.Msg("E-Rezepte", "E-Rezepte"), auth.RoleStaff)
	for _, b := range h.Banners() {
		w.AddBanner(b)
	}
}

// Banners returns the banner sources, in the order they are shown: the
// mode in force, the offer to switch it on (or off), the offline sales
// waiting for the hand-over, the E-Rezepte waiting.
func (h *Handlers) Banners() []func(r *http.Request) (check.Text, bool) {
	return []func(*http.Request) (check.Text, bool){
		func(*http.Request) (check.Text, bool) { return h.s.ModeBanner() },
		func(*http.Request) (check.Text, bool) { return h.s.OfferBanner() },
		func(*http.Request) (check.Text, bool) { return h.s.ReplayBanner() },
		func(r *http.Request) (check.Text, bool) { return h.s.ERezeptBanner(r.Context()) },
	}
}

func (h *Handlers) staticHandler() http.Handler {
	files := http.StripPrefix("/counter/static/", http.FileServerFS(h.static))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") == h.asset {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}

// page is what every page template gets besides its own data.
type page struct {
	L     tr
	Lang  string
	CSRF  string
	Asset string
	User  string
	// Staff is true when the user may act (role staff or admin).
	Staff bool
}

func (h *Handlers) base(r *http.Request) page {
	lang := web.Lang(r)
	p := page{L: tr(lang), Lang: lang, CSRF: web.CSRFToken(r), Asset: h.asset}
	if u, ok := web.User(r); ok {
		p.User, p.Staff = u.Name, u.Role.AtLeast(auth.RoleStaff)
	}
	return p
}

// render executes template name into the site layout with status.
func (h *Handlers) render(w http.ResponseWriter, r *http.Request, status int, title check.Text, name string, data any) {
	var buf bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		h.log.Error("counterweb: render", "template", name, "err", err)
		h.w.RenderError(w, r, err)
		return
	}
	h.w.RenderStatus(w, r, status, title, template.HTML(buf.String())) //nolint:gosec // produced by html/template
}

// fail answers a page request with the error's status and sentence.
func (h *Handlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	if counter.ErrorCode(err) == counter.EINTERNAL || counter.ErrorCode(err) == counter.EUNAVAILABLE {
		h.log.Error("counterweb: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	p := h.base(r)
	h.render(w, r, statusOf(err), check.Msg("Fehler", "Error"), "message", struct {
		page
		Message string
	}{p, counter.ErrorMessage(err, p.Lang)})
}

// statusOf maps a counter error to an HTTP status.
func statusOf(err error) int {
	switch counter.ErrorCode(err) {
	case "":
		return http.StatusOK
	case counter.EINVALID:
		return http.StatusUnprocessableEntity
	case counter.ENOTFOUND:
		return http.StatusNotFound
	case counter.ECONFLICT:
		return http.StatusConflict
	case counter.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// user returns the name of the logged-in user or API token.
func user(r *http.Request) string {
	u, _ := web.User(r)
	return u.Name
}

// isAdmin reports whether the request's user is an administrator.
func isAdmin(r *http.Request) bool {
	u, ok := web.User(r)
	return ok && u.Role.AtLeast(auth.RoleAdmin)
}

// localNext returns next when it is a path on this site, else def.
func localNext(next, def string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return def
	}
	return next
}
