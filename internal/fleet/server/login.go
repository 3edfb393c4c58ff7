package server

import (
	"net/http"
	"strings"

	"github.com/lifeline-project/lifeline/internal/auth"
)

// maxFormBytes bounds the body of the small forms.
const maxFormBytes = 1 << 20

type loginData struct {
	L           tr
	Error, User string
	Next        string
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, sess auth.Session) {
	maxAge := int(sess.ExpiresAt().Sub(s.clk.Now()).Seconds())
	if maxAge < 1 {
		maxAge = 1
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sess.Token, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
}

func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if _, _, err := s.session(r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, t("login.title").In(lang(r)), "login", loginData{L: s.tr(r), Next: next})
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.renderMessage(w, r, http.StatusBadRequest, t("err.title").In(lang(r)), t("err.csrf").In(lang(r)))
		return
	}
	name, password := r.PostForm.Get("user"), r.PostForm.Get("password")
	next := localPath(r.PostForm.Get("next"))
	sess, err := s.auth.Login(r.Context(), name, password)
	if err != nil {
		code := auth.ErrorCode(err)
		if code == auth.EINTERNAL {
			s.log.Error("fleet console: login", "err", err)
		}
		if code == auth.ETHROTTLED {
			w.Header().Set("Retry-After", "30")
		}
		s.render(w, r, HTTPStatus(code), t("login.title").In(lang(r)), "login", loginData{
			L: s.tr(r), Error: auth.ErrorMessage(err, lang(r)), User: strings.TrimSpace(name), Next: next})
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		_ = s.auth.Logout(r.Context(), c.Value)
	}
	s.svc.Record(r.Context(), sess.User.Name, "user.login", "user:"+sess.User.Name, "")
	s.setSessionCookie(w, r, sess)
	if sess.User.MustChangePassword {
		next = "/password"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if err := s.auth.Logout(r.Context(), info(r).token); err != nil {
		s.renderError(w, r, err)
		return
	}
	s.svc.Record(r.Context(), info(r).user.Name, "user.logout", "user:"+info(r).user.Name, "")
	s.clearSessionCookie(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

type passwordData struct {
	L                 tr
	Name, Error, CSRF string
	Must              bool
}

func (s *Server) passwordPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	i := info(r)
	s.render(w, r, status, t("pw.title").In(lang(r)), "password", passwordData{L: s.tr(r), Name: i.user.Name,
		Must: i.user.MustChangePassword, Error: msg, CSRF: i.csrf})
}

func (s *Server) handlePasswordForm(w http.ResponseWriter, r *http.Request) {
	s.passwordPage(w, r, http.StatusOK, "")
}

func (s *Server) handlePassword(w http.ResponseWriter, r *http.Request) {
	cur, next, rep := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("repeat")
	if next != rep {
		s.passwordPage(w, r, http.StatusBadRequest, t("pw.mismatch").In(lang(r)))
		return
	}
	name := info(r).user.Name
	sess, err := s.auth.ChangePassword(r.Context(), name, cur, next)
	if err != nil {
		code := auth.ErrorCode(err)
		status := HTTPStatus(code)
		if code == auth.EUNAUTHORIZED {
			status = http.StatusBadRequest
		}
		s.passwordPage(w, r, status, auth.ErrorMessage(err, lang(r)))
		return
	}
	s.svc.Record(r.Context(), name, "user.password", "user:"+name, "password changed")
	s.setSessionCookie(w, r, sess)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// handleLang stores the chosen language; with a session the CSRF token
// is checked too.
func (s *Server) handleLang(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if sess, _, err := s.session(r); err == nil && !csrfOK(r, sess.CSRF) {
		s.renderMessage(w, r, http.StatusForbidden, t("err.forbidden.title").In(lang(r)), t("err.csrf").In(lang(r)))
		return
	}
	l := r.PostForm.Get("lang")
	if l != "de" && l != "en" {
		l = s.cfg.Language
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	http.Redirect(w, r, localPath(r.PostForm.Get("next")), http.StatusSeeOther)
}
