package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/lifeline-project/lifeline/internal/auth"
)

// sessionCookie holds the session token.
const sessionCookie = "lifeline_session"

// contentSecurityPolicy allows only this server's own files: no inline
// script, no inline style, no frames, no outside hosts.
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

// crossOrigin refuses state-changing requests that a browser sent from
// another origin (Sec-Fetch-Site, or Origin against Host).
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path,
			"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
		s.refuseCSRF(w, r)
	}))
	return cop.Handler(next)
}

// withLanguage puts the page language into every request's context; API
// handlers replace it with the API language.
func (s *Server) withLanguage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := s.pageLang(r)
		if isAPIPath(r.URL.Path) {
			lang = s.apiLang(r)
		}
		next.ServeHTTP(w, withInfo(r, func(i *reqInfo) { i.lang = lang }))
	})
}

func isAPIPath(p string) bool { return strings.HasPrefix(p, "/api/") }

func isSafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// refuseCSRF answers a request that failed the CSRF or origin check.
func (s *Server) refuseCSRF(w http.ResponseWriter, r *http.Request) {
	if isAPIPath(r.URL.Path) {
		s.writeJSONMessage(w, r, http.StatusForbidden, text("err.csrf").In(Lang(r)))
		return
	}
	s.renderMessage(w, r, http.StatusForbidden, text("err.forbidden.title"), text("err.csrf").In(Lang(r)))
}

// csrfOK checks the CSRF token of a state-changing request: the header
// X-CSRF-Token, else the form field "csrf".
func csrfOK(r *http.Request, want string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return auth.CSRFEqual(want, got)
}

// pageOpts adjust the session check of built-in pages.
type pageOpts struct {
	// noRedirect answers an anonymous request 401 instead of sending it to
	// the login page (for the live updates, which a browser cannot follow
	// to a form).
	noRedirect bool
	// allowMustChange lets a user with a one-time password through (the
	// password page and logout).
	allowMustChange bool
}

// session returns the session of the request's cookie, and its token.
func (s *Server) session(r *http.Request) (auth.Session, string, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return auth.Session{}, "", auth.Errorf(auth.EUNAUTHORIZED, "Nicht angemeldet.", "Not logged in.")
	}
	sess, err := s.auth.Authenticate(r.Context(), c.Value)
	return sess, c.Value, err
}

// page wraps a handler that needs a logged-in user with at least minRole.
func (s *Server) page(minRole auth.Role, h http.Handler, o pageOpts) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, token, err := s.session(r)
		if err != nil {
			if errorCode(err) != auth.EUNAUTHORIZED {
				s.RenderError(w, r, err)
				return
			}
			if token != "" {
				s.clearSessionCookie(w, r)
			}
			if o.noRedirect {
				http.Error(w, text("err.unauthorized").In(Lang(r)), http.StatusUnauthorized)
				return
			}
			target := "/login"
			if r.Method == http.MethodGet && r.URL.Path != "/" {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		r = withInfo(r, func(i *reqInfo) {
			i.principal, i.authed, i.csrf, i.sessionToken = sess.User, true, sess.CSRF, token
		})
		if sess.User.MustChangePassword && !o.allowMustChange {
			if o.noRedirect {
				http.Error(w, text("err.mustchange").In(Lang(r)), http.StatusForbidden)
				return
			}
			http.Redirect(w, r, "/password", http.StatusSeeOther)
			return
		}
		if !sess.User.Role.AtLeast(minRole) {
			s.renderMessage(w, r, http.StatusForbidden, text("err.forbidden.title"), text("err.forbidden").In(Lang(r)))
			return
		}
		if !isSafeMethod(r.Method) && !csrfOK(r, sess.CSRF) {
			s.log.Warn("request without valid CSRF token refused", "method", r.Method, "path", r.URL.Path, "user", sess.User.Name)
			s.refuseCSRF(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// api wraps a JSON handler that needs an API token or a session with at
// least minRole.
func (s *Server) api(minRole auth.Role, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		lang := Lang(r)
		var p auth.Principal
		if authz := r.Header.Get("Authorization"); authz != "" {
			scheme, token, ok := strings.Cut(authz, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") {
				s.writeJSONMessage(w, r, http.StatusUnauthorized, text("err.unauthorized").In(lang))
				return
			}
			var err error
			if p, err = s.auth.AuthenticateToken(r.Context(), strings.TrimSpace(token)); err != nil {
				s.WriteError(w, r, err)
				return
			}
			r = withInfo(r, func(i *reqInfo) { i.principal, i.authed = p, true })
		} else {
			sess, token, err := s.session(r)
			if err != nil {
				if errorCode(err) == auth.EUNAUTHORIZED {
					s.writeJSONMessage(w, r, http.StatusUnauthorized, text("err.unauthorized").In(lang))
					return
				}
				s.WriteError(w, r, err)
				return
			}
			if sess.User.MustChangePassword {
				s.writeJSONMessage(w, r, http.StatusForbidden, text("err.mustchange").In(lang))
				return
			}
			if !isSafeMethod(r.Method) && !csrfOK(r, sess.CSRF) {
				s.log.Warn("API request without valid CSRF token refused", "method", r.Method, "path", r.URL.Path, "user", sess.User.Name)
				s.refuseCSRF(w, r)
				return
			}
			p = sess.User
			r = withInfo(r, func(i *reqInfo) {
				i.principal, i.authed, i.csrf, i.sessionToken = sess.User, true, sess.CSRF, token
			})
		}
		if !p.Role.AtLeast(minRole) {
			s.writeJSONMessage(w, r, http.StatusForbidden, text("err.forbidden").In(lang))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// setSessionCookie gives the browser the session cookie. Max-Age (not
// Expires) so that the browser's own clock does not matter.
func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, sess auth.Session) {
	maxAge := int(sess.ExpiresAt().Sub(s.clk.Now()).Seconds())
	if maxAge < 1 {
		maxAge = 1
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: sess.Token, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil,
	})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil,
	})
}

// localPath returns p when it is a path on this server, else "/": the
// redirect after login or a language switch must not lead elsewhere.
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
