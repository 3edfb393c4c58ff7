package journal

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies a journal error. The HTTP layer maps codes to status codes
// in one place; see httpapi.
type Code string

// Error codes of the journal.
const (
	// EINVALID: the sale is incomplete or wrong; Fields names what. A retry
	// with the same data cannot help.
	EINVALID Code = "EINVALID"
	// ECONFLICT: the idempotency key was already used for a different sale.
	ECONFLICT Code = "ECONFLICT"
	// EUNAVAILABLE: the sale could not be made durable (disk full, second
	// folder unreachable, ...). Nothing was acknowledged; a retry with the
	// same idempotency key helps once the cause is fixed.
	EUNAVAILABLE Code = "EUNAVAILABLE"
	// ECLOSED: the journal is closed (shutting down). A retry helps after
	// the restart.
	ECLOSED Code = "ECLOSED"
	// ELOCKED: another process already has the journal open.
	ELOCKED Code = "ELOCKED"
	// ECORRUPT: a copy of the journal is damaged in the middle, or the two
	// copies differ. A person has to look: run `lifeline journal verify`.
	ECORRUPT Code = "ECORRUPT"
	// EINTERNAL: anything else.
	EINTERNAL Code = "EINTERNAL"
)

// FieldError is one problem with one field of a sale. Field is the JSON
// path of the field as the client sent it ("items[0].price").
type FieldError struct {
	Field string `json:"field"`
	DE    string `json:"message"`
	EN    string `json:"message_en"`
}

// Error is the error type of the journal. DE and EN are plain sentences for
// the person at the counter; Err is the technical cause for the log.
type Error struct {
	Code   Code
	Op     string // what was being done: "open", "append", "read"
	Path   string // file concerned, if any
	Number int64  // journal entry concerned, 0 when none
	DE, EN string
	Fields []FieldError // for EINVALID
	Err    error
}

// Error returns the English message with the operation, path and cause.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("journal ")
	b.WriteString(e.Op)
	if e.Path != "" {
		b.WriteString(" ")
		b.WriteString(e.Path)
	}
	b.WriteString(": ")
	b.WriteString(e.EN)
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s", f.Field, f.EN)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether trying again (with the same idempotency key)
// can help.
func (e *Error) Retryable() bool { return e.Code == EUNAVAILABLE || e.Code == ECLOSED }

// ErrorCode returns the code of the first *Error in err's chain, or
// EINTERNAL when there is none, or "" for a nil error.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// Retryable reports whether err is a journal error after which a retry with
// the same idempotency key can help.
func Retryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable()
}
