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
	"runtime"
	"strings"
	"sync"
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
	// bcJSON caches the wire JSON of broadcasts by id.
	bcJSON sync.Map
	// deliver bounds the broadcast answers written at once.
	deliver chan struct{}
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
	s := &Server{cfg: cfg, svc: svc, auth: authSvc, repo: repo, log: log, clk: clk, mux: http.NewServeMux(),
		deliver: make(chan struct{}, 4*runtime.GOMAXPROCS(0))}
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

// Kinds of routes.
const (
	// KindSite: the site API, authenticated by the site token.
	KindSite = "site"
	// KindPublic: no credential (login, enrolment with its code, assets).
	KindPublic = "public"
	// KindPage: a console page or form (session cookie, CSRF on POST).
	KindPage = "page"
	// KindAPI: the hotline API (API token or session).
	KindAPI = "api"
)

// Route is one endpoint of the server with what it requires: its kind of
// credential and, for console pages and the hotline API, the permission.
type Route struct {
	Method, Pattern string
	Kind            string
	Perm            fleet.Permission
	// MustChangeOK lets a user who must change the password through
	// (the password form and logout).
	MustChangeOK bool

	h http.Handler
}

// Routes returns every endpoint with its requirements (the table the role
// tests walk).
func (s *Server) Routes() []Route {
	site := func(method, pattern string, h http.HandlerFunc) Route {
		return Route{Method: method, Pattern: pattern, Kind: KindSite, h: s.siteAuth(h)}
	}
	pub := func(method, pattern string, h http.Handler) Route {
		return Route{Method: method, Pattern: pattern, Kind: KindPublic, h: h}
	}
	page := func(method, pattern string, p fleet.Permission, h http.HandlerFunc) Route {
		return Route{Method: method, Pattern: pattern, Kind: KindPage, Perm: p, h: s.page(p, h, false)}
	}
	api := func(method, pattern string, p fleet.Permission, h http.HandlerFunc) Route {
		return Route{Method: method, Pattern: pattern, Kind: KindAPI, Perm: p, h: s.api(p, h)}
	}
	meta := s.repo.MetadataHandler(protocol.PathTUF)
	targets := tufrepo.TargetsHandler(protocol.PathTargets, s.cfg.TargetsDir)
	rs := []Route{
		// Site API.
		pub("POST", protocol.PathEnrol, http.HandlerFunc(s.handleEnrol)),
		site("POST", protocol.PathHeartbeat, s.handleHeartbeat),
		site("GET", protocol.PathCommands, s.handleCommands),
		site("POST", protocol.PathAckPrefix+"{id}/ack", s.handleAck),
		site("POST", protocol.PathReports, s.handleReport),
		site("GET", protocol.PathSelf, s.handleSelf),
		site("POST", protocol.PathBroadcasts+"{id}/receipt", s.handleBroadcastReceipt),
		site("GET", protocol.PathBroadcasts+"{id}/file", s.handleSiteBroadcastFile),
		site("GET", protocol.PathTUF+"{name}", meta.ServeHTTP),
		site("GET", protocol.PathTargets+"{path...}", targets.ServeHTTP),

		// Hotline and automation API (API token or session).
		api("GET", "/api/v1/sites", fleet.PermView, s.apiSites),
		api("GET", "/api/v1/sites/{id}", fleet.PermView, s.apiSite),
		api("GET", "/api/v1/sites/{id}/timeline", fleet.PermView, s.apiTimeline),
		api("GET", "/api/v1/triage", fleet.PermView, s.apiTriage),
		api("GET", "/api/v1/rollouts/{id}", fleet.PermView, s.apiRollout),
		api("GET", "/api/v1/broadcasts", fleet.PermView, s.apiBroadcasts),
		api("POST", "/api/v1/broadcasts", fleet.PermBroadcast, s.apiSendBroadcast),
		api("GET", "/api/v1/broadcasts/{id}", fleet.PermView, s.apiBroadcast),

		// Console.
		pub("GET", "/static/", http.StripPrefix("/", http.FileServerFS(assets))),
		pub("GET", "/login", http.HandlerFunc(s.handleLoginForm)),
		pub("POST", "/login", http.HandlerFunc(s.handleLogin)),
		pub("POST", "/lang", http.HandlerFunc(s.handleLang)),
		{Method: "POST", Pattern: "/logout", Kind: KindPage, Perm: fleet.PermView, MustChangeOK: true, h: s.page(fleet.PermView, s.handleLogout, true)},
		{Method: "GET", Pattern: "/password", Kind: KindPage, Perm: fleet.PermView, MustChangeOK: true, h: s.page(fleet.PermView, s.handlePasswordForm, true)},
		{Method: "POST", Pattern: "/password", Kind: KindPage, Perm: fleet.PermView, MustChangeOK: true, h: s.page(fleet.PermView, s.handlePassword, true)},
		page("GET", "/{$}", fleet.PermView, s.handleOverview),
		page("GET", "/sites", fleet.PermView, s.handleSites),
		page("POST", "/sites", fleet.PermSites, s.handleAddSite),
		page("POST", "/sites/import", fleet.PermSites, s.handleImport),
		page("GET", "/sites/{id}", fleet.PermView, s.handleSite),
		page("POST", "/sites/{id}", fleet.PermSites, s.handleEditSite),
		page("POST", "/sites/{id}/code", fleet.PermEnrol, s.handleNewCode),
		page("POST", "/sites/{id}/revoke", fleet.PermSites, s.handleRevoke),
		page("POST", "/sites/{id}/notes", fleet.PermTriage, s.handleNote),
		page("GET", "/triage", fleet.PermView, s.handleTriage),
		page("POST", "/triage/{id}/claim", fleet.PermTriage, s.handleClaim),
		page("POST", "/triage/{id}/release", fleet.PermTriage, s.handleRelease),
		page("GET", "/calendar", fleet.PermView, s.handleCalendar),
		page("GET", "/calendar.ics", fleet.PermView, s.handleCalendarICS),
		page("GET", "/calendar.csv", fleet.PermView, s.handleCalendarCSV),
		page("GET", "/releases", fleet.PermView, s.handleReleases),
		page("POST", "/releases", fleet.PermRelease, s.handleAddRelease),
		page("GET", "/rollouts", fleet.PermView, s.handleRollouts),
		page("POST", "/rollouts", fleet.PermRelease, s.handleStartRollout),
		page("GET", "/rollouts/{id}", fleet.PermView, s.handleRollout),
		page("GET", "/rollouts/{id}/live", fleet.PermView, s.handleRolloutLive),
		page("POST", "/rollouts/{id}/{action}", fleet.PermRelease, s.handleRolloutAction),
		page("GET", "/broadcasts", fleet.PermView, s.handleBroadcasts),
		page("POST", "/broadcasts", fleet.PermBroadcast, s.handleSendBroadcast),
		page("GET", "/broadcasts/{id}", fleet.PermView, s.handleBroadcast),
		page("GET", "/broadcasts/{id}/live", fleet.PermView, s.handleBroadcastLive),
		page("GET", "/broadcasts/{id}/file", fleet.PermView, s.handleBroadcastFile),
		page("GET", "/audit", fleet.PermView, s.handleAudit),
	}
	return rs
}

func (s *Server) routes() {
	for _, r := range s.Routes() {
		s.mux.Handle(r.Method+" "+r.Pattern, r.h)
	}
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
	role   fleet.Role
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

// page wraps a console handler: a logged-in user whose role grants perm,
// a valid CSRF token on every state-changing request.
func (s *Server) page(perm fleet.Permission, h http.HandlerFunc, allowMustChange bool) http.Handler {
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
		role, err := s.svc.RoleOf(r.Context(), sess.User)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		r = withInfo(r, func(i *reqInfo) { i.role = role })
		if !role.Can(perm) {
			s.log.Warn("fleet: action refused by role", "path", r.URL.Path, "user", sess.User.Name, "role", role, "needs", perm)
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				s.svc.Record(r.Context(), sess.User.Name, "denied", r.Method+" "+r.URL.Path, fmt.Sprintf("role %s lacks %s", role, perm))
			}
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
// console session, whose role grants perm. A site token is refused. A
// state-changing call with a session (not a token) needs the CSRF token.
func (s *Server) api(perm fleet.Permission, h http.HandlerFunc) http.Handler {
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
			if r.Method != http.MethodGet && r.Method != http.MethodHead && !auth.CSRFEqual(sess.CSRF, r.Header.Get("X-CSRF-Token")) {
				s.writeError(w, r, auth.Errorf(auth.EFORBIDDEN, "CSRF-Schlüssel fehlt (X-CSRF-Token).", "CSRF token missing (X-CSRF-Token)."))
				return
			}
			p = sess.User
		}
		role, err := s.svc.RoleOf(r.Context(), p)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if !role.Can(perm) {
			s.log.Warn("fleet: API call refused by role", "path", r.URL.Path, "principal", fleet.PrincipalKey(p), "role", role, "needs", perm)
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				name := p.Name
				if p.ViaToken {
					name = "token:" + p.Name
				}
				s.svc.Record(r.Context(), name, "denied", r.Method+" "+r.URL.Path, fmt.Sprintf("role %s lacks %s", role, perm))
			}
			s.writeError(w, r, auth.Errorf(auth.EFORBIDDEN, "Dafür fehlt die Berechtigung.", "You are not allowed to do this."))
			return
		}
		h(w, withInfo(r, func(i *reqInfo) { i.user, i.authed, i.role = p, true, role }))
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
