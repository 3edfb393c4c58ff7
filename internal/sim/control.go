package sim

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/lifeline-project/lifeline/internal/check"
)

// TokenHeader is the request header that carries the control token to the
// JSON API.
const TokenHeader = "X-Sim-Token"

// ControlToken returns the random token, made at start, that the control
// page's forms carry and that API clients send in the X-Sim-Token header.
func (p *Pharmacy) ControlToken() string { return p.token }

// ControlHandler returns the control page of the simulated pharmacy and its
// JSON API. It may be mounted under a prefix with http.StripPrefix.
//
//	GET  /                 the page, in German; ?lang=en for English
//	POST /                 a form with the fields dep, mode and token
//	GET  /api/deps         every dependency as JSON ([]DepInfo)
//	GET  /api/deps/{name}  one dependency as JSON (DepInfo)
//	POST /api/deps/{name}  body {"mode":"down"}; answers the new DepInfo
//
// Every POST is refused when it comes from another site (Sec-Fetch-Site,
// or an Origin header that does not match the Host). A form must carry the
// token; an API call must carry it in the X-Sim-Token header, unless its
// Origin header shows it comes from this page.
func (p *Pharmacy) ControlHandler() http.Handler {
	cop := http.NewCrossOriginProtection()
	page := newControlPage()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		page.render(w, r, p)
	})
	mux.HandleFunc("POST /{$}", func(w http.ResponseWriter, r *http.Request) {
		lang := langOf(r)
		if err := cop.Check(r); err != nil {
			plainError(w, http.StatusForbidden, lang, refusal(msgForeignSite))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
		if err := r.ParseForm(); err != nil {
			plainError(w, http.StatusBadRequest, lang, refusal(msgBadForm))
			return
		}
		if !p.validToken(r.PostForm.Get("token")) {
			plainError(w, http.StatusForbidden, lang, refusal(msgBadToken))
			return
		}
		m, err := ParseMode(r.PostForm.Get("mode"))
		if err == nil {
			err = p.Set(r.PostForm.Get("dep"), m)
		}
		if err != nil {
			p.log.Warn("control page: change refused", "err", err)
			plainError(w, statusOf(err), lang, check.Msg(
				"Das ging nicht: "+err.Error(), "That did not work: "+err.Error()))
			return
		}
		// Back to the page (Post/Redirect/Get), keeping prefix and language.
		target := r.RequestURI
		if target == "" {
			target = "/"
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
	})
	mux.HandleFunc("GET /api/deps", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, p.Deps())
	})
	mux.HandleFunc("GET /api/deps/{name}", func(w http.ResponseWriter, r *http.Request) {
		d, err := p.dep(r.PathValue("name"))
		if err != nil {
			writeJSON(w, statusOf(err), apiError{err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, p.info(d))
	})
	mux.HandleFunc("POST /api/deps/{name}", func(w http.ResponseWriter, r *http.Request) {
		if err := cop.Check(r); err != nil {
			writeJSON(w, http.StatusForbidden, apiError{"cross-site request refused"})
			return
		}
		if !p.validToken(r.Header.Get(TokenHeader)) && !sameOrigin(r) {
			writeJSON(w, http.StatusForbidden, apiError{"missing or wrong " + TokenHeader + " header"})
			return
		}
		var body struct {
			Mode string `json:"mode"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1024))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			writeJSON(w, http.StatusBadRequest, apiError{`the body must be JSON like {"mode":"down"}`})
			return
		}
		name := r.PathValue("name")
		m, err := ParseMode(body.Mode)
		if err == nil {
			err = p.Set(name, m)
		}
		if err != nil {
			writeJSON(w, statusOf(err), apiError{err.Error()})
			return
		}
		d, _ := p.dep(name) // Set found it
		writeJSON(w, http.StatusOK, p.info(d))
	})
	return mux
}

// validToken compares a token with the pharmacy's in constant time.
func (p *Pharmacy) validToken(got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(p.token)) == 1
}

// sameOrigin reports whether the request names its origin and that origin
// is this host.
func sameOrigin(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "same-origin" {
		return true
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	u, err := url.Parse(o)
	return err == nil && u.Host != "" && u.Host == r.Host
}

// statusOf maps a Set error to an HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrUnknownDependency):
		return http.StatusNotFound
	case errors.Is(err, ErrUnsupportedMode):
		return http.StatusBadRequest
	default:
		return http.StatusInternalServerError
	}
}

// apiError is the JSON body of a refused API call.
type apiError struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Messages of refused form posts.
const (
	msgForeignSite = "foreign-site"
	msgBadToken    = "bad-token"
	msgBadForm     = "bad-form"
)

// refusal returns the plain words for a refused form post.
func refusal(kind string) check.Text {
	switch kind {
	case msgForeignSite:
		return check.Msg(
			"Abgelehnt: Diese Anfrage kam von einer anderen Webseite. Bitte die Steuerseite direkt öffnen.",
			"Refused: this request came from another website. Please open the control page directly.")
	case msgBadToken:
		return check.Msg(
			"Abgelehnt: Das Formular ist veraltet oder unvollständig. Bitte die Seite neu laden und noch einmal klicken.",
			"Refused: the form is out of date or incomplete. Please reload the page and click again.")
	default:
		return check.Msg(
			"Abgelehnt: Das Formular konnte nicht gelesen werden.",
			"Refused: the form could not be read.")
	}
}

func plainError(w http.ResponseWriter, status int, lang string, msg check.Text) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = fmt.Fprintln(w, msg.In(lang))
}

// langOf returns "en" when the page is asked for in English, else "de".
func langOf(r *http.Request) string {
	if r.URL.Query().Get("lang") == "en" {
		return "en"
	}
	return "de"
}
