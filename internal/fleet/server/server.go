// Package server is the fleet's HTTP layer: the site API (enrolment,
// heartbeats, the command long-poll, reports, TUF metadata and artifacts;
// every call but enrolment authenticated by the site's token, and a site
// sees only its own data), a small JSON API for the hotline's tools, and
// the console for the vendor's release manager and hotline (German by
// default, English switchable; server-rendered HTML with embedded
// templates and assets; logins and roles from internal/auth; CSRF on every
// form; every action logged in the audit log).
package server

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/clock"
	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
	"github.com/lifeline-project/lifeline/internal/fleet/tufrepo"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Config adjusts the server.
type Config struct {
	// Language is the console's default: "de" or "en".
	Language string
	// Location is the time zone of the console's times.
	Location *time.Location
	// Version is shown in the footer.
	Version string
	// TargetsDir holds the artifacts.
	TargetsDir string
	// MaxUpload bounds an artifact upload (default 2 GiB).
	MaxUpload int64
}

// Server serves the site API and the console.
type Server struct {
	cfg   Config
	svc   *fleet.Service
	auth  *auth.Service
	repo  *tufrepo.Repo
	log   *slog.Logger
	clk   clock.Clock
	tmpl  *template.Template
	asset string
	mux   *http.ServeMux
}

// New builds the server.
func New(cfg Config, svc *fleet.Service, authSvc *auth.Service, repo *tufrepo.Repo, log *slog.Logger, clk clock.Clock) (*Server, error) {
	if cfg.Language == "" {
		cfg.Language = "de"
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = 2 << 30
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if clk == nil {
		clk = clock.Real{}
	}
	s := &Server{cfg: cfg, svc: svc, auth: authSvc, repo: repo, log: log, clk: clk, mux: http.NewServeMux()}
	tmpl, err := template.New("").Funcs(s.funcs()).ParseFS(assets, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("fleet console: parse templates: %w", err)
	}
	s.tmpl = tmpl
	h := sha256.New()
	_ = fs.WalkDir(assets, "static", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := assets.ReadFile(p)
			h.Write(b)
		}
		return nil
	})
	s.asset = hex.EncodeToString(h.Sum(nil))[:10]
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	m := s.mux
	// Site API.
	m.HandleFunc("POST "+protocol.PathEnrol, s.handleEnrol)
	m.Handle("POST "+protocol.PathHeartbeat, s.siteAuth(s.handleHeartbeat))
	m.Handle("GET "+protocol.PathCommands, s.siteAuth(s.handleCommands))
	m.Handle("POST "+protocol.PathAckPrefix+"{id}/ack", s.siteAuth(s.handleAck))
	m.Handle("POST "+protocol.PathReports, s.siteAuth(s.handleReport))
	m.Handle("GET "+protocol.PathSelf, s.siteAuth(s.handleSelf))
	meta := s.repo.MetadataHandler(protocol.PathTUF)
	m.Handle("GET "+protocol.PathTUF+"{name}", s.siteAuth(meta.ServeHTTP))
	targets := tufrepo.TargetsHandler(protocol.PathTargets, s.cfg.TargetsDir)
	m.Handle("GET "+protocol.PathTargets+"{path...}", s.siteAuth(targets.ServeHTTP))

	// Hotline and automation API (API token or session).
	m.Handle("GET /api/v1/sites", s.api(auth.RoleViewer, s.apiSites))
	m.Handle("GET /api/v1/sites/{id}", s.api(auth.RoleViewer, s.apiSite))
	m.Handle("GET /api/v1/rollouts/{id}", s.api(auth.RoleViewer, s.apiRollout))

	// Console.
	m.Handle("GET /static/", http.StripPrefix("/", http.FileServerFS(assets)))
	m.HandleFunc("GET /login", s.handleLoginForm)
	m.HandleFunc("POST /login", s.handleLogin)
	m.HandleFunc("POST /lang", s.handleLang)
	m.Handle("POST /logout", s.page(auth.RoleViewer, s.handleLogout, true))
	m.Handle("GET /password", s.page(auth.RoleViewer, s.handlePasswordForm, true))
	m.Handle("POST /password", s.page(auth.RoleViewer, s.handlePassword, true))
	m.Handle("GET /{$}", s.page(auth.RoleViewer, s.handleOverview, false))
	m.Handle("GET /sites", s.page(auth.RoleViewer, s.handleSites, false))
	m.Handle("POST /sites", s.page(auth.RoleAdmin, s.handleAddSite, false))
	m.Handle("POST /sites/import", s.page(auth.RoleAdmin, s.handleImport, false))
	m.Handle("GET /sites/{id}", s.page(auth.RoleViewer, s.handleSite, false))
	m.Handle("POST /sites/{id}", s.page(auth.RoleAdmin, s.handleEditSite, false))
	m.Handle("POST /sites/{id}/code", s.page(auth.RoleStaff, s.handleNewCode, false))
	m.Handle("POST /sites/{id}/revoke", s.page(auth.RoleAdmin, s.handleRevoke, false))
	m.Handle("GET /releases", s.page(auth.RoleViewer, s.handleReleases, false))
	m.Handle("POST /releases", s.page(auth.RoleStaff, s.handleAddRelease, false))
	m.Handle("GET /rollouts", s.page(auth.RoleViewer, s.handleRollouts, false))
	m.Handle("POST /rollouts", s.page(auth.RoleStaff, s.handleStartRollout, false))
	m.Handle("GET /rollouts/{id}", s.page(auth.RoleViewer, s.handleRollout, false))
	m.Handle("GET /rollouts/{id}/live", s.page(auth.RoleViewer, s.handleRolloutLive, false))
	m.Handle("POST /rollouts/{id}/{action}", s.page(auth.RoleStaff, s.handleRolloutAction, false))
	m.Handle("GET /audit", s.page(auth.RoleViewer, s.handleAudit, false))
}

// Handler returns the server's handler with its middleware.
func (s *Server) Handler() http.Handler {
	return s.securityHeaders(s.crossOrigin(s.withLanguage(s.mux)))
}

// contentSecurityPolicy allows only this server's own files.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// crossOrigin refuses state-changing browser requests from other origins.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("fleet: cross-origin request refused", "method", r.Method, "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		http.Error(w, t("err.csrf").In(lang(r)), http.StatusForbidden)
	}))
	return cop.Handler(next)
}

// session cookie and language cookie names.
const (
	sessionCookie = "lifeline_fleet_session"
	langCookie    = "lifeline_fleet_lang"
)

type ctxKey struct{}

// reqInfo is what the middleware learned about a console request.
type reqInfo struct {
	lang   string
	user   auth.Principal
	authed bool
	csrf   string
	token  string
}

func info(r *http.Request) reqInfo {
	if i, ok := r.Context().Value(ctxKey{}).(reqInfo); ok {
		return i
	}
	return reqInfo{lang: "de"}
}

func withInfo(r *http.Request, f func(*reqInfo)) *http.Request {
	i := info(r)
	f(&i)
	return r.WithContext(context.WithValue(r.Context(), ctxKey{}, i))
}

func lang(r *http.Request) string { return info(r).lang }

func (s *Server) withLanguage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := s.cfg.Language
		if c, err := r.Cookie(langCookie); err == nil && (c.Value == "de" || c.Value == "en") {
			l = c.Value
		}
		next.ServeHTTP(w, withInfo(r, func(i *reqInfo) { i.lang = l }))
	})
}

// apiLang is the language of API messages: ?lang=, Accept-Language, else
// the default.
func (s *Server) apiLang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "de" || l == "en" {
		return l
	}
	al := strings.ToLower(r.Header.Get("Accept-Language"))
	switch {
	case strings.HasPrefix(al, "en"):
		return "en"
	case strings.HasPrefix(al, "de"):
		return "de"
	}
	return s.cfg.Language
}

// session returns the console session of the request's cookie.
func (s *Server) session(r *http.Request) (auth.Session, string, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return auth.Session{}, "", auth.Errorf(auth.EUNAUTHORIZED, "Nicht angemeldet.", "Not logged in.")
	}
	sess, err := s.auth.Authenticate(r.Context(), c.Value)
	return sess, c.Value, err
}

func csrfOK(r *http.Request, want string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return auth.CSRFEqual(want, got)
}

// page wraps a console handler: a logged-in user with at least minRole,
// a valid CSRF token on every state-changing request.
func (s *Server) page(minRole auth.Role, h http.HandlerFunc, allowMustChange bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, token, err := s.session(r)
		if err != nil {
			if auth.ErrorCode(err) != auth.EUNAUTHORIZED {
				s.renderError(w, r, err)
				return
			}
			target := "/login"
			if r.Method == http.MethodGet && r.URL.Path != "/" {
				target += "?next=" + urlQueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		r = withInfo(r, func(i *reqInfo) { i.user, i.authed, i.csrf, i.token = sess.User, true, sess.CSRF, token })
		if sess.User.MustChangePassword && !allowMustChange {
			http.Redirect(w, r, "/password", http.StatusSeeOther)
			return
		}
		if !sess.User.Role.AtLeast(minRole) {
			s.renderMessage(w, r, http.StatusForbidden, t("err.forbidden.title").In(lang(r)), t("err.forbidden").In(lang(r)))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
				if err := r.ParseMultipartForm(32 << 20); err != nil {
					s.renderError(w, r, fleet.Errorf(fleet.EINVALID, "Formular unlesbar.", "Form unreadable."))
					return
				}
			}
			if !csrfOK(r, sess.CSRF) {
				s.log.Warn("fleet: request without valid CSRF token refused", "path", r.URL.Path, "user", sess.User.Name)
				s.renderMessage(w, r, http.StatusForbidden, t("err.forbidden.title").In(lang(r)), t("err.csrf").In(lang(r)))
				return
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r)
	})
}

// api wraps a JSON handler for tools: an API token (Bearer ll_...) or a
// console session, with at least minRole. A site token is refused.
func (s *Server) api(minRole auth.Role, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p auth.Principal
		if authz := r.Header.Get("Authorization"); authz != "" {
			scheme, token, ok := strings.Cut(authz, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") {
				s.writeError(w, r, auth.Errorf(auth.EUNAUTHORIZED, "Ungültige Anmeldung.", "Invalid authorization."))
				return
			}
			var err error
			if p, err = s.auth.AuthenticateToken(r.Context(), strings.TrimSpace(token)); err != nil {
				s.writeError(w, r, err)
				return
			}
		} else {
			sess, _, err := s.session(r)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if sess.User.MustChangePassword {
				s.writeError(w, r, auth.Errorf(auth.EFORBIDDEN, "Bitte zuerst das Passwort ändern.", "Please change your password first."))
				return
			}
			p = sess.User
		}
		if !p.Role.AtLeast(minRole) {
			s.writeError(w, r, auth.Errorf(auth.EFORBIDDEN, "Dafür fehlt die Berechtigung.", "You are not allowed to do this."))
			return
		}
		h(w, withInfo(r, func(i *reqInfo) { i.user, i.authed = p, true }))
	})
}

// actor names the user for the audit log.
func actor(r *http.Request) string {
	i := info(r)
	if i.user.ViaToken {
		return "token:" + i.user.Name
	}
	return i.user.Name
}
