package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
)

// codedError is a domain error with a code (auth.Error and the like).
type codedError interface {
	error
	ErrorCode() string
}

// userMessager gives the sentence a user sees for an error.
type userMessager interface {
	UserMessage(lang string) string
}

// errorCode returns the domain code of err, auth.EINTERNAL when it has none.
func errorCode(err error) string {
	var c codedError
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	return auth.EINTERNAL
}

// httpStatus maps a domain error code to an HTTP status. This is the one
// place of that mapping.
func httpStatus(code string) int {
	switch code {
	case auth.EINVALID:
		return http.StatusBadRequest
	case auth.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case auth.EFORBIDDEN:
		return http.StatusForbidden
	case auth.ENOTFOUND:
		return http.StatusNotFound
	case auth.ECONFLICT:
		return http.StatusConflict
	case auth.ETHROTTLED:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

// userMessage returns the sentence shown for err in lang. Internal errors
// get a generic sentence; their details go to the log.
func userMessage(err error, lang string) string {
	if errorCode(err) != auth.EINTERNAL {
		var m userMessager
		if errors.As(err, &m) {
			if msg := m.UserMessage(lang); msg != "" {
				return msg
			}
		}
	}
	return text("err.internal").In(lang)
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// errorJSON is the body of every JSON error.
type errorJSON struct {
	Error string `json:"error"`
}

// WriteError answers an API request with the status of err's code and
// {"error": "<sentence in the request's language>"}. Internal errors are
// logged.
func (s *Server) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	code := errorCode(err)
	if code == auth.EINTERNAL {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	s.writeJSONMessage(w, r, httpStatus(code), userMessage(err, Lang(r)))
}

func (s *Server) writeJSONMessage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="lifeline"`)
	}
	WriteJSON(w, status, errorJSON{Error: msg})
}

// RenderError answers a page request with the status of err's code and a
// page explaining it. Internal errors are logged.
func (s *Server) RenderError(w http.ResponseWriter, r *http.Request, err error) {
	code := errorCode(err)
	if code == auth.EINTERNAL {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	s.renderMessage(w, r, httpStatus(code), text("err.title"), userMessage(err, Lang(r)))
}

// renderMessage renders a short message page inside the layout.
func (s *Server) renderMessage(w http.ResponseWriter, r *http.Request, status int, title check.Text, msg string) {
	lang := Lang(r)
	s.renderTemplate(w, r, status, title, "message", struct {
		L       tr
		Title   string
		Message string
	}{tr(lang), title.In(lang), msg})
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	if isAPIPath(r.URL.Path) {
		s.writeJSONMessage(w, r, http.StatusNotFound, text("err.notfound").In(s.apiLang(r)))
		return
	}
	s.renderMessage(w, r, http.StatusNotFound, text("err.notfound.title"), text("err.notfound").In(Lang(r)))
}
