package alert

import "github.com/lifeline-project/lifeline/internal/check"

// Error codes of the alert domain; web handlers map them to HTTP status
// codes in one place (statusOf).
const (
	ENOTFOUND = "not_found"
	EINVALID  = "invalid"
	ECONFLICT = "conflict"
	EEXPIRED  = "expired"
)

// Error is a failure with a code and a sentence for the user in German and
// English.
type Error struct {
	Code string
	Msg  check.Text
}

// Error returns the English sentence.
func (e *Error) Error() string { return e.Msg.EN }

// The errors of acknowledgements and silences.
var (
	ErrNotFound = &Error{ENOTFOUND, check.Msg("Diese Störung gibt es nicht (mehr).", "This incident does not exist (any more).")}
	ErrResolved = &Error{ECONFLICT, check.Msg("Die Störung ist bereits behoben; es ist nichts mehr zu tun.", "The incident is already resolved; nothing left to do.")}
	ErrUsed     = &Error{ECONFLICT, check.Msg("Dieser Bestätigungslink wurde schon benutzt.", "This acknowledgement link has been used already.")}
	ErrExpired  = &Error{EEXPIRED, check.Msg("Dieser Bestätigungslink ist abgelaufen. Bitte im Dashboard bestätigen.", "This acknowledgement link has expired. Please acknowledge on the dashboard.")}
	ErrBadLink  = &Error{EINVALID, check.Msg("Dieser Bestätigungslink ist ungültig. Bitte den Link vollständig öffnen oder im Dashboard bestätigen.", "This acknowledgement link is not valid. Open the whole link or acknowledge on the dashboard.")}
)

func errInvalid(de, en string) error { return &Error{EINVALID, check.Msg(de, en)} }
