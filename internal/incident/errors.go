package incident

import (
	"fmt"

	"github.com/lifeline-project/lifeline/internal/check"
)

// Error codes of the incident domain, the same words as package auth uses,
// so that the web layer maps them to HTTP status codes in its one place.
const (
	// EINVALID: the input is not acceptable (an empty note, a negative cost).
	EINVALID = "invalid"
	// ENOTFOUND: no such incident, improvement or entry.
	ENOTFOUND = "not_found"
	// ECONFLICT: the action does not fit the incident's state (a
	// retrospective of an open incident, closing an incident the monitor
	// owns) or the entry was recorded already.
	ECONFLICT = "conflict"
	// EINTERNAL: anything else (database trouble); details go to the log.
	EINTERNAL = "internal"
)

// Error is a failure with a code and a sentence a user can read. Err, when
// set, holds the technical cause for the log.
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

// Unwrap returns the technical cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the code; the web layer maps it to an HTTP status.
func (e *Error) ErrorCode() string { return e.Code }

// UserMessage returns the sentence shown to a user in lang.
func (e *Error) UserMessage(lang string) string { return e.Message.In(lang) }

// Errorf returns an *Error with a German and an English sentence, both
// formatted with args.
func Errorf(code, de, en string, args ...any) *Error {
	return &Error{Code: code, Message: check.Msg(fmt.Sprintf(de, args...), fmt.Sprintf(en, args...))}
}

// ErrorCode returns the code of err: the code of an *Error (or of any error
// with an ErrorCode method) inside it, else EINTERNAL.
func ErrorCode(err error) string {
	type coded interface{ ErrorCode() string }
	for err != nil {
		if c, ok := err.(coded); ok {
			return c.ErrorCode()
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return EINTERNAL
		}
		err = u.Unwrap()
	}
	return EINTERNAL
}

func notFound(id int64) *Error {
	return Errorf(ENOTFOUND, "Die Störung Nr. %d gibt es nicht.", "There is no incident no. %d.", id)
}
