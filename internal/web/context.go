package web

import (
	"context"
	"net/http"

	"github.com/lifeline-project/lifeline/internal/auth"
)

type ctxKey struct{}

// reqInfo is what the middleware learned about a request.
type reqInfo struct {
	lang      string
	principal auth.Principal
	authed    bool
	csrf      string
	// sessionToken is the cookie value of a session request; the live
	// updates re-check it.
	sessionToken string
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

// Lang returns the language of the request: "de" or "en".
func Lang(r *http.Request) string { return info(r).lang }

// User returns who makes the request, and false for an anonymous one.
func User(r *http.Request) (auth.Principal, bool) {
	i := info(r)
	return i.principal, i.authed
}

// CSRFToken returns the session's CSRF token for forms (hidden field
// "csrf") and fetches (header X-CSRF-Token); "" without a session.
func CSRFToken(r *http.Request) string { return info(r).csrf }
