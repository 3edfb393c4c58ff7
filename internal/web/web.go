// Package web is the site node's web interface: login, sessions and CSRF
// protection, the plain-language dashboard with live updates (server-sent
// events), the check detail pages, the JSON API, Prometheus metrics and the
// embedded static assets. Everything a user reads is German by default and
// English on request; no asset is loaded from outside, so the dashboard
// works without internet.
//
// # Routes
//
//	GET  /login, POST /login, POST /logout     log in and out
//	GET  /password, POST /password             change the own password
//	GET  /                                     dashboard
//	GET  /events                               live updates (text/event-stream)
//	GET  /checks/{id}                          state changes and recent results of one check
//	POST /lang                                 switch the language (cookie)
//	GET  /api/v1/status                        overview as JSON
//	GET  /api/v1/checks/{id}/history?since=    transitions and samples as JSON
//	GET  /healthz                              {"status":"ok"}, public
//	GET  /metrics                              Prometheus; public only with Config.MetricsPublic
//	GET  /static/...                           embedded CSS, JS, icon
//
// # Extension points
//
// Later features (the counter pages, the downtime copy, alerts, the
// emergency mode) plug in without touching this package:
//
//   - HandlePage(pattern, minRole, h): a page for logged-in users with at
//     least minRole. Anonymous visitors are sent to the login page, users
//     with a one-time password to the password page. Every request with a
//     method other than GET, HEAD or OPTIONS must carry the session's CSRF
//     token, in the form field "csrf" or the header X-CSRF-Token; forms get
//     it from CSRFToken(r).
//   - HandleAPI(pattern, minRole, h): a JSON endpoint for an API token
//     ("Authorization: Bearer ll_...") or a session (fetch from the page,
//     with X-CSRF-Token on changes). Failures are JSON {"error": "..."}.
//   - HandlePublic(pattern, h): no login (use sparingly).
//   - Render(w, r, title, body): writes body inside the common layout
//     (header, navigation, banners, language switch).
//   - Lang(r), User(r), CSRFToken(r): the request's language, principal
//     and CSRF token.
//   - AddBanner(f): f is asked on every page; when it returns true its text
//     is shown on top, for example "Notbetrieb aktiv".
//   - AddCard(f): a card on the dashboard, between the sentence and the
//     checks, while f returns true.
//   - AddNav(path, title, minRole): a navigation link for users with at
//     least minRole.
//   - WriteJSON, WriteError, RenderError: responses for handlers. Errors
//     that implement ErrorCode() string (codes as in package auth: invalid,
//     unauthorized, forbidden, not_found, conflict, throttled, internal) get
//     the matching HTTP status (errors.go, the one place of that mapping),
//     and UserMessage(lang) string gives the sentence shown.
//
// Patterns are those of net/http.ServeMux ("GET /counter/{id}"). Register
// before the server starts serving.
//
// # Security
//
// Session cookies are HttpOnly, SameSite=Lax and Secure when the request
// came over TLS; state-changing requests need the CSRF token and pass a
// cross-origin check (Sec-Fetch-Site / Origin against Host, net/http's
// CrossOriginProtection), which also guards the login form. Every response
// carries a Content-Security-Policy without inline script, X-Frame-Options
// DENY, nosniff and Referrer-Policy same-origin.
package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/monitor"
)

// StatusSource is what the web layer needs from the monitor.
type StatusSource interface {
	// Overview returns the current status of the site.
	Overview() monitor.Overview
	// Subscribe delivers a new Overview after every state or latency
	// change, at most about once a second. The channel is buffered and
	// drops stale values; cancel ends the subscription.
	Subscribe() (updates <-chan monitor.Overview, cancel func())
	// Samples returns the raw results of a check since a time, oldest first.
	Samples(ctx context.Context, checkID string, since time.Time) ([]monitor.Sample, error)
	// Transitions returns the state changes of a check since a time, oldest first.
	Transitions(ctx context.Context, checkID string, since time.Time) ([]check.Transition, error)
}

// Config is the web layer's part of the site configuration.
type Config struct {
	// Language is the default language of the interface: "de" (default)
	// or "en". Users switch with the button on every page.
	Language string
	// Location is the time zone times are shown in; nil means time.Local.
	Location *time.Location
	// MetricsPublic makes /metrics readable without login (for a
	// Prometheus on the same network without a token).
	MetricsPublic bool
	// SiteName is shown on every page, for example "Apotheke am Markt".
	SiteName string
	// Version is shown in the footer and exported as lifeline_build_info.
	Version string
}

// Validate reports every problem of the configuration at once.
func (c Config) Validate() error {
	switch c.Language {
	case "", "de", "en":
		return nil
	default:
		return fmt.Errorf("web: language %q is not supported; use de or en", c.Language)
	}
}

// Server is the site node's web interface. Create it with New.
type Server struct {
	cfg  Config
	src  StatusSource
	auth *auth.Service
	log  *slog.Logger
	clk  clock.Clock

	mux     *http.ServeMux
	handler http.Handler
	tmpl    *template.Template
	static  fs.FS
	asset   string // version of the static files, for cache busting
	metrics *prometheus.Registry

	// keepAlive is the interval of SSE keep-alive comments; tests shorten it.
	keepAlive time.Duration

	mu      sync.RWMutex
	nav     []navItem
	banners []func(r *http.Request) (check.Text, bool)
	cards   []func(r *http.Request) (template.HTML, bool)

	done      chan struct{}
	closeOnce sync.Once
}

type navItem struct {
	path    string
	title   check.Text
	minRole auth.Role
}

// New builds the server and its routes.
func New(cfg Config, src StatusSource, authSvc *auth.Service, log *slog.Logger, clk clock.Clock) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Language == "" {
		cfg.Language = "de"
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.SiteName == "" {
		cfg.SiteName = "lifeline"
	}
	if src == nil || authSvc == nil || log == nil || clk == nil {
		return nil, fmt.Errorf("web: status source, auth service, logger and clock are required")
	}
	tmpl, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, fmt.Errorf("web: static assets: %w", err)
	}
	asset, err := assetVersion(static)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, src: src, auth: authSvc, log: log, clk: clk,
		mux: http.NewServeMux(), tmpl: tmpl, static: static, asset: asset,
		keepAlive: 15 * time.Second,
		done:      make(chan struct{}),
	}
	s.metrics = prometheus.NewRegistry()
	if err := s.metrics.Register(newCollector(src, cfg.Version)); err != nil {
		return nil, fmt.Errorf("web: register metrics: %w", err)
	}
	s.routes()
	s.handler = s.securityHeaders(s.withLanguage(s.crossOrigin(s.mux)))
	return s, nil
}

func assetVersion(static fs.FS) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(static, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, path)
		if err != nil {
			return err
		}
		h.Write([]byte(path))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("web: hash static assets: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// Handler returns the HTTP handler of all routes.
func (s *Server) Handler() http.Handler { return s.handler }

// Close ends the open live-update streams, so that http.Server.Shutdown
// does not wait for them. The handler keeps serving other requests.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
}

// Location returns the time zone the interface shows times in.
func (s *Server) Location() *time.Location { return s.cfg.Location }

func (s *Server) routes() {
	s.AddNav("/", check.Msg("Übersicht", "Overview"), auth.RoleViewer)

	s.HandlePublic("GET /healthz", http.HandlerFunc(s.handleHealthz))
	s.HandlePublic("GET /static/", s.staticHandler())
	s.HandlePublic("GET /login", http.HandlerFunc(s.handleLoginForm))
	s.HandlePublic("POST /login", http.HandlerFunc(s.handleLogin))
	s.HandlePublic("POST /lang", http.HandlerFunc(s.handleLang))
	s.HandlePublic("/", http.HandlerFunc(s.handleNotFound))

	s.mux.Handle("POST /logout", s.page(auth.RoleViewer, http.HandlerFunc(s.handleLogout), pageOpts{allowMustChange: true}))
	s.mux.Handle("GET /password", s.page(auth.RoleViewer, http.HandlerFunc(s.handlePasswordForm), pageOpts{allowMustChange: true}))
	s.mux.Handle("POST /password", s.page(auth.RoleViewer, http.HandlerFunc(s.handlePassword), pageOpts{allowMustChange: true}))
	s.mux.Handle("GET /events", s.page(auth.RoleViewer, http.HandlerFunc(s.handleEvents), pageOpts{noRedirect: true}))
	s.HandlePage("GET /{$}", auth.RoleViewer, http.HandlerFunc(s.handleDashboard))
	s.HandlePage("GET /checks/{id}", auth.RoleViewer, http.HandlerFunc(s.handleCheck))

	s.HandleAPI("GET /api/v1/status", auth.RoleViewer, http.HandlerFunc(s.handleStatus))
	s.HandleAPI("GET /api/v1/checks/{id}/history", auth.RoleViewer, http.HandlerFunc(s.handleHistory))

	if s.cfg.MetricsPublic {
		s.HandlePublic("GET /metrics", s.metricsHandler())
	} else {
		s.HandleAPI("GET /metrics", auth.RoleViewer, s.metricsHandler())
	}
}

// HandlePage registers a page for logged-in users with at least minRole.
// Non-GET requests must carry the CSRF token (field "csrf" or header
// X-CSRF-Token).
func (s *Server) HandlePage(pattern string, minRole auth.Role, h http.Handler) {
	s.mux.Handle(pattern, s.page(minRole, h, pageOpts{}))
}

// HandleAPI registers a JSON endpoint for API tokens and sessions with at
// least minRole. Failures are answered in JSON.
func (s *Server) HandleAPI(pattern string, minRole auth.Role, h http.Handler) {
	s.mux.Handle(pattern, s.api(minRole, h))
}

// HandlePublic registers a handler that needs no login.
func (s *Server) HandlePublic(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
}

// AddBanner adds a banner source: on every page f is asked and, when it
// returns true, its text is shown on top of the page.
func (s *Server) AddBanner(f func(r *http.Request) (check.Text, bool)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.banners = append(s.banners, f)
}

// AddCard adds a card source for the dashboard: on every dashboard view f
// is asked and, when it returns true, its HTML (made with html/template)
// is shown between the sentence and the checks, for example a message
// from the vendor's hotline with its runbook and answer buttons.
func (s *Server) AddCard(f func(r *http.Request) (template.HTML, bool)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cards = append(s.cards, f)
}

// AddNav adds a navigation link shown to users with at least minRole.
func (s *Server) AddNav(path string, title check.Text, minRole auth.Role) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nav = append(s.nav, navItem{path: path, title: title, minRole: minRole})
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) staticHandler() http.Handler {
	files := http.StripPrefix("/static/", http.FileServerFS(s.static))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") { // no directory listings
			s.handleNotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") == s.asset {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}
