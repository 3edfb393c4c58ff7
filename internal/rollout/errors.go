package rollout

import (
	"errors"
	"fmt"

	"github.com/lifeline-project/lifeline/internal/check"
)

// Error codes of the rollout domain. The fleet's HTTP layer maps them to
// status codes: EINVALID to 400, ECONFLICT to 409.
const (
	// EINVALID: the input is not acceptable (a window that does not parse,
	// a ring with a ratio above 1, a transition without a reason).
	EINVALID = "invalid"
	// ECONFLICT: the request does not fit the rollout's state (resuming an
	// aborted rollout, pausing a paused one). Retrying does not help.
	ECONFLICT = "conflict"
)

// Error is a domain error with a code and a message for people in German
// and English.
type Error struct {
	Code    string
	Message check.Text
}

// Error returns the German message followed by the English one.
func (e *Error) Error() string {
	if e.Message.EN == "" {
		return e.Message.DE
	}
	return e.Message.DE + " (" + e.Message.EN + ")"
}

// errorf builds an Error; de and en are formats that share args.
func errorf(code, de, en string, args ...any) *Error {
	return &Error{Code: code, Message: check.Msg(fmt.Sprintf(de, args...), fmt.Sprintf(en, args...))}
}

// ErrorCode returns the code of the first *Error in err's chain, "" for
// nil and for errors of other kinds.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
