package server

import (
	"encoding/json"
	"net/http"

	"github.com/lifeline-project/lifeline/internal/fleet"
	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
)

// HTTPStatus maps a domain error code (fleet and auth share the values) to
// an HTTP status. This is the one place of that mapping.
func HTTPStatus(code string) int {
	switch code {
	case fleet.EINVALID:
		return http.StatusBadRequest
	case fleet.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case fleet.EFORBIDDEN:
		return http.StatusForbidden
	case fleet.ENOTFOUND:
		return http.StatusNotFound
	case fleet.ECONFLICT:
		return http.StatusConflict
	case "throttled":
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers an API request with the status of err's code and
// {"error": "<sentence>"}; internal errors are logged, not shown.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := fleet.ErrorCode(err)
	if code == fleet.EINTERNAL {
		s.log.Error("fleet: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	status := HTTPStatus(code)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="lifeline-fleet"`)
	}
	writeJSON(w, status, protocol.Error{Error: fleet.ErrorMessage(err, s.apiLang(r))})
}

// renderError answers a console request with a page explaining err.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	code := fleet.ErrorCode(err)
	if code == fleet.EINTERNAL {
		s.log.Error("fleet: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	lang := lang(r)
	s.renderMessage(w, r, HTTPStatus(code), t("err.title").In(lang), fleet.ErrorMessage(err, lang))
}
