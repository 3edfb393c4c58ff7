package viewer

import (
	"context"
	"net/http"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/fhir"
)

// scope is what a user may see: every ward, or the listed ones.
type scope struct {
	user  auth.Principal
	all   bool
	wards map[string]bool
}

// scopeOf reads the user's wards: administrators and users assigned "*"
// see all.
func (v *Viewer) scopeOf(r *http.Request) (scope, error) {
	p, _ := v.o.Hooks.User(r)
	s := scope{user: p, wards: map[string]bool{}}
	if p.Role.AtLeast(auth.RoleAdmin) {
		s.all = true
		return s, nil
	}
	ws, err := v.o.Access.UserWards(r.Context(), p.Name)
	if err != nil {
		return s, err
	}
	for _, w := range ws {
		if w == fhir.AllWards {
			s.all = true
		}
		s.wards[w] = true
	}
	return s, nil
}

func (s scope) ward(id string) bool { return s.all || s.wards[id] }

// patient reports whether the user may see a patient: with all wards
// every patient of the copy, else one with a current stay on their ward.
func (s scope) patient(c *fhir.Census, k fhir.Key) bool {
	if s.all {
		return true
	}
	for _, w := range c.WardsOf(k) {
		if s.wards[w] {
			return true
		}
	}
	return false
}

// record writes access log entries for the request's user; the caller
// shows nothing when it fails.
func (v *Viewer) record(ctx context.Context, s scope, action, ward string, detail string, patients ...fhir.Key) error {
	now := v.o.Clock.Now()
	entries := make([]fhir.AccessEntry, 0, max(1, len(patients)))
	for _, p := range patients {
		entries = append(entries, fhir.AccessEntry{At: now, User: s.user.Name, Role: string(s.user.Role), Action: action, Patient: p, Ward: ward, Detail: detail})
	}
	if len(patients) == 0 {
		entries = append(entries, fhir.AccessEntry{At: now, User: s.user.Name, Role: string(s.user.Role), Action: action, Ward: ward, Detail: detail})
	}
	if err := v.o.Access.LogAccess(ctx, entries...); err != nil {
		v.o.Log.Error("viewer: access log not written; patient data withheld", "user", s.user.Name, "err", err)
		return &fhir.Error{Code: fhir.EUNAVAILABLE, Message: v.words["log.failed"], Err: err}
	}
	return nil
}

func errForbidden(v *Viewer, key string) error {
	return &fhir.Error{Code: fhir.EFORBIDDEN, Message: v.words[key]}
}
