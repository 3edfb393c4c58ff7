package auth

import (
	"errors"

	"github.com/lifeline-project/lifeline/internal/check"
)

// Error codes of the auth domain. The web layer maps them to HTTP status
// codes in one place (internal/web, errors.go).
const (
	// EINVALID: the input is not acceptable (a too short password, a bad
	// user name, an unknown role).
	EINVALID = "invalid"
	// EUNAUTHORIZED: wrong password, unknown or expired session or token.
	EUNAUTHORIZED = "unauthorized"
	// EFORBIDDEN: authenticated, but the role is not enough.
	EFORBIDDEN = "forbidden"
	// ENOTFOUND: no such user or token.
	ENOTFOUND = "not_found"
	// ECONFLICT: the name is taken.
	ECONFLICT = "conflict"
	// ETHROTTLED: too many failed logins; wait and retry.
	ETHROTTLED = "throttled"
	// EINTERNAL: anything else (database trouble); details go to the log.
	EINTERNAL = "internal"
)

// Error is an auth failure with a code and a sentence a user can read.
// Err, when set, holds the technical cause for the log.
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

// ErrorCode returns the code; the web layer maps it to an HTTP status.
func (e *Error) ErrorCode() string { return e.Code }

// UserMessage returns the sentence for the user in lang.
func (e *Error) UserMessage(lang string) string { return ErrorMessage(e, lang) }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error with a German and an English message.
func Errorf(code, de, en string) *Error {
	return &Error{Code: code, Message: check.Msg(de, en)}
}

// ErrorCode returns the code of the first *Error in err's chain, "" for
// nil and EINTERNAL for any other error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing sentence of err in lang. Errors
// without one (internal errors) get a generic sentence: their details
// belong in the log, not in front of the user.
func ErrorMessage(err error, lang string) string {
	var e *Error
	if errors.As(err, &e) && !e.Message.IsZero() {
		return e.Message.In(lang)
	}
	return check.Msg(
		"Interner Fehler. Bitte versuchen Sie es erneut; wenn es bleibt, melden Sie es der IT.",
		"Internal error. Please try again; if it persists, tell your IT support.").In(lang)
}

func internal(err error) error {
	return &Error{Code: EINTERNAL, Err: err}
}
