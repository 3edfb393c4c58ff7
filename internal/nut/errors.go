package nut

import (
	"errors"
	"fmt"
)

// Error codes a NUT server sends as "ERR <code>" (networkupstools.org,
// developer guide, "Network protocol information", "Error responses").
const (
	CodeAccessDenied         = "ACCESS-DENIED"
	CodeUnknownUPS           = "UNKNOWN-UPS"
	CodeVarNotSupported      = "VAR-NOT-SUPPORTED"
	CodeCmdNotSupported      = "CMD-NOT-SUPPORTED"
	CodeInvalidArgument      = "INVALID-ARGUMENT"
	CodeInstCmdFailed        = "INSTCMD-FAILED"
	CodeSetFailed            = "SET-FAILED"
	CodeReadOnly             = "READONLY"
	CodeTooLong              = "TOO-LONG"
	CodeFeatureNotSupported  = "FEATURE-NOT-SUPPORTED"
	CodeFeatureNotConfigured = "FEATURE-NOT-CONFIGURED"
	CodeAlreadySSLMode       = "ALREADY-SSL-MODE"
	CodeDriverNotConnected   = "DRIVER-NOT-CONNECTED"
	CodeDataStale            = "DATA-STALE"
	CodeAlreadyLoggedIn      = "ALREADY-LOGGED-IN"
	CodeInvalidPassword      = "INVALID-PASSWORD"
	CodeAlreadySetPassword   = "ALREADY-SET-PASSWORD"
	CodeInvalidUsername      = "INVALID-USERNAME"
	CodeAlreadySetUsername   = "ALREADY-SET-USERNAME"
	CodeUsernameRequired     = "USERNAME-REQUIRED"
	CodePasswordRequired     = "PASSWORD-REQUIRED"
	CodeUnknownCommand       = "UNKNOWN-COMMAND"
	CodeInvalidValue         = "INVALID-VALUE"
)

// ProtocolError is an "ERR <code> [<extra>]" answer of a NUT server. The
// connection stays usable after it.
type ProtocolError struct {
	// Code is the error code, for example CodeDataStale.
	Code string
	// Extra is optional text the server sent after the code.
	Extra string
	// Command is the command that was answered with the error.
	Command string
}

// Error describes the answer and, for the common codes, what to do.
func (e *ProtocolError) Error() string {
	msg := fmt.Sprintf("NUT server answered %q with ERR %s", e.Command, e.Code)
	if e.Extra != "" {
		msg += " " + e.Extra
	}
	switch e.Code {
	case CodeUnknownUPS:
		msg += ": no UPS of that name; compare the name with ups.conf on the NUT server"
	case CodeDataStale:
		msg += ": the driver has not sent fresh data; check the UPS cable and the driver"
	case CodeDriverNotConnected:
		msg += ": upsd has no connection to the UPS driver; start the driver"
	case CodeAccessDenied:
		msg += ": check username and password against upsd.users"
	}
	return msg
}

// Stale reports whether the error means the server is up but has no current
// data from the UPS (DATA-STALE or DRIVER-NOT-CONNECTED).
func (e *ProtocolError) Stale() bool {
	return e.Code == CodeDataStale || e.Code == CodeDriverNotConnected
}

// HasCode reports whether err is, or wraps, a *ProtocolError with code.
func HasCode(err error, code string) bool {
	var pe *ProtocolError
	return errors.As(err, &pe) && pe.Code == code
}
