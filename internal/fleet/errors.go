// Package fleet is the domain of `lifeline fleet`, the server a vendor or IT
// service provider runs to look after thousands of pharmacies and clinics:
// sites and their enrolment, per-site tokens (stored as SHA-256), heartbeats,
// releases signed with TUF, rollouts executed around the pure planner in
// internal/rollout, the command queue that the sites long-poll, and the audit
// log of every console action.
//
// The package holds types, their validation, the Store interface (with the
// error codes each method returns) and the Service, which carries the rules.
// Adapters live beside it: sqlite and postgres (the store), storetest (the
// one contract suite both pass), tufrepo (the TUF repository), server (the
// site API and the console) and fleetapp (the wiring).
package fleet

import (
	"errors"
	"fmt"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
)

// Error codes of the fleet domain. They share their values with the auth
// package, so that the HTTP layer maps both with one function
// (server.HTTPStatus).
const (
	// EINVALID: the input is not acceptable.
	EINVALID = auth.EINVALID
	// EUNAUTHORIZED: unknown, expired or revoked code or token.
	EUNAUTHORIZED = auth.EUNAUTHORIZED
	// EFORBIDDEN: authenticated, but not allowed (another site's data).
	EFORBIDDEN = auth.EFORBIDDEN
	// ENOTFOUND: no such site, release, rollout or command.
	ENOTFOUND = auth.ENOTFOUND
	// ECONFLICT: the id is taken, or the record changed meanwhile.
	ECONFLICT = auth.ECONFLICT
	// EINTERNAL: anything else (database trouble); details go to the log.
	EINTERNAL = auth.EINTERNAL
)

// Error is a fleet failure with a code and a sentence a user can read in
// German and English. Err, when set, holds the technical cause for the log.
type Error struct {
	Code    string
	Message check.Text
	Err     error
}

// Error returns the English message and the cause.
func (e *Error) Error() string {
	msg := e.Message.In("en")
	if msg == "" {
		msg = e.Code
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

// ErrorCode returns the code; the HTTP layer maps it to a status.
func (e *Error) ErrorCode() string { return e.Code }

// UserMessage returns the sentence for the user in lang.
func (e *Error) UserMessage(lang string) string { return e.Message.In(lang) }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error with a German and an English message; both are
// formatted with args.
func Errorf(code, de, en string, args ...any) *Error {
	return &Error{Code: code, Message: check.Msg(fmt.Sprintf(de, args...), fmt.Sprintf(en, args...))}
}

// Err builds an Error from finished German and English sentences.
func Err(code, de, en string) *Error {
	return &Error{Code: code, Message: check.Msg(de, en)}
}

// ErrorCode returns the code of the first coded error in err's chain (a
// fleet or auth error), "" for nil and EINTERNAL for any other error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var c interface{ ErrorCode() string }
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing sentence of err in lang; internal
// errors get a generic sentence, their details belong in the log.
func ErrorMessage(err error, lang string) string {
	if ErrorCode(err) != EINTERNAL {
		var m interface{ UserMessage(string) string }
		if errors.As(err, &m) {
			if s := m.UserMessage(lang); s != "" {
				return s
			}
		}
	}
	return check.Msg(
		"Interner Fehler. Bitte erneut versuchen; wenn es bleibt, das Server-Protokoll prüfen.",
		"Internal error. Please try again; if it persists, check the server log.").In(lang)
}

// NotFound is the ENOTFOUND error for a kind of thing ("Standort",
// "site") and its id.
func NotFound(deKind, enKind, id string) error {
	return &Error{Code: ENOTFOUND, Message: check.Msg(
		fmt.Sprintf("%s „%s“ gibt es nicht.", deKind, id),
		fmt.Sprintf("There is no %s \"%s\".", enKind, id))}
}
