package agent

import (
	"errors"
	"fmt"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// VerifyError is returned (wrapped) when an update is not exactly what the
// vendor signed: its artifact does not match the signed length or hashes,
// the metadata's signatures do not verify, the fleet serves older metadata
// than the site saw before (a rollback attack) or expired metadata (a
// freeze attack, or a fleet that stopped re-signing). Retrying does not
// help; the update is not installed.
type VerifyError struct {
	// Reason says what was refused, for people.
	Reason check.Text
	Err    error
}

// Error returns the English reason and the cause.
func (e *VerifyError) Error() string {
	if e.Err == nil {
		return "not trusted: " + e.Reason.EN
	}
	return "not trusted: " + e.Reason.EN + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *VerifyError) Unwrap() error { return e.Err }

// ClockError is returned when the site's clock and the fleet's differ by
// more than the allowed skew. TUF's expiry checks and the maintenance
// window both rest on the clock, so nothing is verified or installed until
// the clock is right; retrying after it was corrected helps.
type ClockError struct {
	// Skew is the site's clock minus the fleet's.
	Skew time.Duration
	Max  time.Duration
}

// Error says how far off the clock is.
func (e *ClockError) Error() string {
	return fmt.Sprintf("the site clock is %s off the fleet's (at most %s allowed)", e.Skew.Round(time.Second), e.Max)
}

// Reason says it for people.
func (e *ClockError) Reason() check.Text {
	d := e.Skew
	dir, dirEN := "vor", "ahead"
	if d < 0 {
		d, dir, dirEN = -d, "nach", "behind"
	}
	return check.Msg(
		fmt.Sprintf("Die Uhr dieses Rechners geht um %s %s (Vergleich mit dem Update-Server); Updates warten, bis die Uhr stimmt", durationDE(d), dir),
		fmt.Sprintf("this computer's clock is %s %s (compared with the update server); updates wait until the clock is right", durationEN(d), dirEN))
}

// IsVerifyError reports whether err is a refusal of verification.
func IsVerifyError(err error) bool {
	var v *VerifyError
	return errors.As(err, &v)
}

func durationDE(d time.Duration) string {
	switch {
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d Stunden", int(d.Hours()))
	case d >= time.Hour:
		return "eine Stunde"
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d Minuten", int(d.Minutes()))
	}
	return fmt.Sprintf("%d Sekunden", int(d.Seconds()))
}

func durationEN(d time.Duration) string {
	switch {
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	case d >= time.Hour:
		return "an hour"
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
	return fmt.Sprintf("%d seconds", int(d.Seconds()))
}
