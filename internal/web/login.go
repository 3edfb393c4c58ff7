package web

import (
	"net/http"
	"strings"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
)

// maxFormBytes bounds the body of the built-in forms.
const maxFormBytes = 64 << 10

type loginData struct {
	L     tr
	Error string
	User  string
	Next  string
}

func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if sess, _, err := s.session(r); err == nil {
		if sess.User.MustChangePassword {
			next = "/password"
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.renderTemplate(w, r, http.StatusOK, text("login.title"), "login", loginData{L: tr(Lang(r)), Next: next})
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.renderMessage(w, r, http.StatusBadRequest, text("err.title"), text("err.internal").In(Lang(r)))
		return
	}
	name, password := r.PostForm.Get("user"), r.PostForm.Get("password")
	next := localPath(r.PostForm.Get("next"))
	sess, err := s.auth.Login(r.Context(), name, password)
	if err != nil {
		code := errorCode(err)
		if code == auth.ETHROTTLED {
			w.Header().Set("Retry-After", "30")
		}
		if code == auth.EINTERNAL {
			s.log.Error("login", "err", err)
		}
		s.renderTemplate(w, r, httpStatus(code), text("login.title"), "login", loginData{
			L: tr(Lang(r)), Error: userMessage(err, Lang(r)), User: strings.TrimSpace(name), Next: next,
		})
		return
	}
	// A previous session of this browser ends with the new login.
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := s.auth.Logout(r.Context(), c.Value); err != nil {
			s.log.Error("end previous session", "err", err)
		}
	}
	s.setSessionCookie(w, r, sess)
	if sess.User.MustChangePassword {
		next = "/password"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if err := s.auth.Logout(r.Context(), info(r).sessionToken); err != nil {
		s.RenderError(w, r, err)
		return
	}
	if u, ok := User(r); ok {
		s.log.Info("logout", "user", u.Name)
	}
	s.clearSessionCookie(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

type passwordData struct {
	L     tr
	Name  string
	Must  bool
	Error string
	CSRF  string
}

func (s *Server) passwordPage(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	u, _ := User(r)
	s.renderTemplate(w, r, status, text("pw.title"), "password", passwordData{
		L: tr(Lang(r)), Name: u.Name, Must: u.MustChangePassword, Error: errMsg, CSRF: CSRFToken(r),
	})
}

func (s *Server) handlePasswordForm(w http.ResponseWriter, r *http.Request) {
	s.passwordPage(w, r, http.StatusOK, "")
}

func (s *Server) handlePassword(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.passwordPage(w, r, http.StatusBadRequest, text("err.internal").In(Lang(r)))
		return
	}
	current, next, repeat := r.PostForm.Get("current"), r.PostForm.Get("new"), r.PostForm.Get("repeat")
	if next != repeat {
		s.passwordPage(w, r, http.StatusBadRequest, text("pw.mismatch").In(Lang(r)))
		return
	}
	u, _ := User(r)
	sess, err := s.auth.ChangePassword(r.Context(), u.Name, current, next)
	if err != nil {
		code := errorCode(err)
		status := httpStatus(code)
		switch code {
		case auth.EUNAUTHORIZED:
			status = http.StatusBadRequest // still logged in; only the current password was wrong
		case auth.EINTERNAL:
			s.log.Error("change password", "user", u.Name, "err", err)
		}
		s.passwordPage(w, r, status, userMessage(err, Lang(r)))
		return
	}
	s.setSessionCookie(w, r, sess)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// handleLang stores the chosen language in a cookie. For a logged-in user
// the CSRF token is checked; anonymous switches (on the login page) are
// covered by the cross-origin check alone, since a language is no secret.
func (s *Server) handleLang(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.renderMessage(w, r, http.StatusBadRequest, text("err.title"), text("err.internal").In(Lang(r)))
		return
	}
	if sess, _, err := s.session(r); err == nil && !csrfOK(r, sess.CSRF) {
		s.refuseCSRF(w, r)
		return
	}
	lang := supportedLang(r.PostForm.Get("lang"))
	if lang == "" {
		s.renderMessage(w, r, http.StatusBadRequest, text("err.title"),
			check.Msg("Diese Sprache gibt es nicht. Möglich sind de und en.", "This language is not available. Choose de or en.").In(Lang(r)))
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil,
	})
	http.Redirect(w, r, localPath(r.PostForm.Get("next")), http.StatusSeeOther)
}
