package mirror

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/lifeline-project/lifeline/internal/check"
)

// Error codes of the mirror's domain.
const (
	// ENOTFOUND: no record with that key.
	ENOTFOUND = "not_found"
	// EINVALID: the input is not acceptable (bad PZN, unknown data set).
	EINVALID = "invalid"
	// ECONFLICT: a key appears twice in one full import.
	ECONFLICT = "conflict"
	// EKEY: the data key does not match the encrypted data.
	EKEY = "key"
	// EUNAVAILABLE: a source or the database cannot be reached now; a
	// retry may help.
	EUNAVAILABLE = "unavailable"
	// EINTERNAL: anything else.
	EINTERNAL = "internal"
)

// Error is a domain error with a code and a message for people in German
// and English. Internal details belong in Err, which goes to the log.
type Error struct {
	Code    string
	Message check.Text
	Err     error
}

// Error returns the German message, the English one, and the cause.
func (e *Error) Error() string {
	s := e.Message.DE
	if e.Message.EN != "" {
		s += " (" + e.Message.EN + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error; deFormat and enFormat share the args, which are
// split evenly between them.
func Errorf(code, deFormat, enFormat string, args ...any) *Error {
	h := len(args) / 2
	return &Error{Code: code, Message: check.Msg(fmt.Sprintf(deFormat, args[:h]...), fmt.Sprintf(enFormat, args[h:]...))}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for other errors and "" for nil.
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

// ErrorMessage returns the message for people of the first *Error in err's
// chain, or a generic sentence.
func ErrorMessage(err error) check.Text {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return check.Msg("Interner Fehler; Einzelheiten stehen im Protokoll", "Internal error; details are in the log")
}

// HTTPStatus maps an error code to an HTTP status, in one place.
func HTTPStatus(code string) int {
	switch code {
	case "":
		return http.StatusOK
	case ENOTFOUND:
		return http.StatusNotFound
	case EINVALID:
		return http.StatusBadRequest
	case ECONFLICT:
		return http.StatusConflict
	case EKEY, EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}
