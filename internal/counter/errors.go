package counter

import (
	"errors"

	"github.com/lifeline-project/lifeline/internal/check"
)

// Error codes of the counter. They are the codes the web layer maps to HTTP
// status codes (the same words as package auth uses), plus EUNAVAILABLE.
const (
	// EINVALID: the input cannot be used (an unreadable scan, an empty
	// basket, no payment chosen). Retrying the same input cannot help.
	EINVALID = "invalid"
	// ENOTFOUND: no such article, receipt or E-Rezept.
	ENOTFOUND = "not_found"
	// ECONFLICT: the request does not fit the current state (booking while
	// emergency mode is off, a basket booked already with other items, an
	// E-Rezept handled already).
	ECONFLICT = "conflict"
	// EUNAVAILABLE: a part needed is missing or failing now (no journal,
	// no data key, disk full). A retry may help once it is fixed.
	EUNAVAILABLE = "unavailable"
	// EINTERNAL: anything else; details go to the log.
	EINTERNAL = "internal"
)

// Error is a counter failure with a code and a sentence for the person at
// the counter, in German and English. Err holds the technical cause for the
// log.
type Error struct {
	Code    string
	Message check.Text
	Err     error
}

// Error returns the English message and the cause.
func (e *Error) Error() string {
	msg := e.Message.EN
	if msg == "" {
		msg = e.Code
	}
	if e.Err != nil {
		return "counter: " + msg + ": " + e.Err.Error()
	}
	return "counter: " + msg
}

// ErrorCode returns the code; the web layer maps it to an HTTP status.
func (e *Error) ErrorCode() string { return e.Code }

// UserMessage returns the sentence for the user in lang ("de" or "en").
func (e *Error) UserMessage(lang string) string { return e.Message.In(lang) }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error with a German and an English sentence.
func Errorf(code, de, en string) *Error {
	return &Error{Code: code, Message: check.Msg(de, en)}
}

// wrapErr builds an Error around a technical cause.
func wrapErr(code string, err error, de, en string) *Error {
	return &Error{Code: code, Message: check.Msg(de, en), Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// when there is none, and "" for nil.
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

// ErrorMessage returns the sentence for people of err in lang; a generic
// sentence when err carries none.
func ErrorMessage(err error, lang string) string {
	var e *Error
	if errors.As(err, &e) && !e.Message.IsZero() {
		return e.Message.In(lang)
	}
	return check.Msg("Interner Fehler. Bitte noch einmal versuchen; hilft das nicht, die IT verständigen.",
		"Internal error. Please try again; if that does not help, call IT.").In(lang)
}
