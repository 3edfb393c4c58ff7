package fleet

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lifeline-project/lifeline/internal/holiday"
	"github.com/lifeline-project/lifeline/internal/validate"
)

// Site is one pharmacy or clinic that the fleet looks after.
type Site struct {
	// ID is short and stable: a-z, 0-9, - and _, at most 64 characters
	// ("apo-muenchen-12").
	ID string
	// Name is shown in the console ("Rosen-Apotheke München").
	Name string
	// Timezone is the IANA zone of the site's wall clock; maintenance
	// windows are read in it.
	Timezone string
	// State is the federal state (Bundesland) as its two-letter code (BY,
	// NW, ...); it selects the public holidays of the blackout calendar.
	State string
	// Window is the maintenance window in the site's local time, in the
	// notation of internal/rollout ("Mo-Fr 01:00-05:00").
	Window string
	// Contacts are the people to call, free text (names, phones, e-mail).
	Contacts string
	// Ring pins the site to a ring ("test" for the vendor's own test
	// pharmacies); empty lets the planner assign it.
	Ring string
	// CreatedAt is when the site was created in the fleet.
	CreatedAt time.Time
	// EnrolledAt is when the site last exchanged an enrolment code for a
	// token; zero while never enrolled.
	EnrolledAt time.Time
	// RevokedAt is when the site's token was revoked; zero when it was not
	// (or the site enrolled again since).
	RevokedAt time.Time
	// HasToken reports whether the site holds a valid token now.
	HasToken bool
	// CodeExpiresAt is when the open enrolment code expires; zero when no
	// code is open.
	CodeExpiresAt time.Time
}

var siteIDRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ValidSiteID reports whether id is a well-formed site id.
func ValidSiteID(id string) bool { return siteIDRE.MatchString(id) }

// WindowParser checks a maintenance window's notation; the service passes
// the planner's parser (internal/rollout), so that the console refuses
// what the planner could not read.
type WindowParser func(window string) error

// Normalize trims the text fields and upper-cases the state.
func (s *Site) Normalize() {
	s.ID = strings.TrimSpace(strings.ToLower(s.ID))
	s.Name = strings.TrimSpace(s.Name)
	s.Timezone = strings.TrimSpace(s.Timezone)
	s.State = strings.ToUpper(strings.TrimSpace(s.State))
	s.Window = strings.TrimSpace(s.Window)
	s.Contacts = strings.TrimSpace(s.Contacts)
	s.Ring = strings.TrimSpace(s.Ring)
}

// Validate reports every problem of the site's editable fields; keys are
// the field names of the CSV import (id, name, timezone, state, window,
// contacts, ring). window may be nil to skip the window's notation.
func (s Site) Validate(window WindowParser) validate.Problems {
	var ps validate.Problems
	switch {
	case s.ID == "":
		ps.Add("id", "missing; every site needs a short id like apo-muenchen-12")
	case !ValidSiteID(s.ID):
		ps.Add("id", "%q may only contain a-z, 0-9, - and _ (at most 64 characters)", s.ID)
	}
	switch {
	case s.Name == "":
		ps.Add("name", "missing; give the pharmacy's or clinic's name")
	case utf8.RuneCountInString(s.Name) > 200:
		ps.Add("name", "longer than 200 characters")
	}
	if s.Timezone == "" {
		ps.Add("timezone", "missing; write it like Europe/Berlin")
	} else if _, err := time.LoadLocation(s.Timezone); err != nil {
		ps.Add("timezone", "%q is not an IANA time zone; write it like Europe/Berlin", s.Timezone)
	}
	if !holiday.State(s.State).Valid() {
		ps.Add("state", "%q is not a federal state; use one of %s", s.State, stateList())
	}
	if s.Window == "" {
		ps.Add("window", "missing; write the maintenance window like Mo-Fr 01:00-05:00")
	} else if window != nil {
		if err := window(s.Window); err != nil {
			ps.Add("window", "%v", err)
		}
	}
	if utf8.RuneCountInString(s.Contacts) > 2000 {
		ps.Add("contacts", "longer than 2000 characters")
	}
	if s.Ring != "" && !siteIDRE.MatchString(s.Ring) {
		ps.Add("ring", "%q is not a ring name", s.Ring)
	}
	return ps
}

func stateList() string {
	var out []string
	for _, st := range holiday.States() {
		out = append(out, string(st))
	}
	return strings.Join(out, ", ")
}

// Location returns the site's time zone (UTC when it cannot be loaded,
// which Validate prevents).
func (s Site) Location() *time.Location {
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}
