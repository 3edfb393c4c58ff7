package rollout

import (
	"errors"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/holiday"
)

// Site is what the planner needs to know about one enrolled site.
type Site struct {
	// ID is the fleet's identifier of the site.
	ID string
	// Location is the site's time zone; windows, duties and holidays are
	// read in it. Germany is Europe/Berlin.
	Location *time.Location
	// State is the site's federal state code ("BY"), which decides its
	// public holidays (see package holiday).
	State string
	// Window is the site's weekly maintenance window.
	Window Window
	// Paused is set by the site itself: it takes no updates until it
	// resumes. The vendor cannot override it.
	Paused bool
	// PauseReason is the site's own words for its pause.
	PauseReason string
}

// Validate reports every problem of the site at once.
func (s Site) Validate() error {
	var msgs []string
	if strings.TrimSpace(s.ID) == "" {
		msgs = append(msgs, "id: missing")
	}
	if s.Location == nil {
		msgs = append(msgs, "location: missing; use an IANA zone like Europe/Berlin")
	}
	if _, err := holiday.ParseState(s.State); err != nil || len(s.State) != 2 {
		msgs = append(msgs, "state: "+quoteOrEmpty(s.State)+" is not a federal state code like BY")
	}
	if err := s.Window.Validate(); err != nil {
		var e *Error
		if errors.As(err, &e) {
			msgs = append(msgs, "window: "+e.Message.EN)
		}
	}
	if len(msgs) > 0 {
		return errorf(EINVALID, "Standort %s ungültig: %s", "site %s invalid: %s", quoteOrEmpty(s.ID), strings.Join(msgs, "; "))
	}
	return nil
}

func quoteOrEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return `"` + s + `"`
}

// state returns the site's state as a holiday.State; lower case is accepted.
func (s Site) state() holiday.State { return holiday.State(strings.ToUpper(s.State)) }
