package fleet

import (
	"context"
	"slices"

	"github.com/lifeline-project/lifeline/internal/auth"
	"github.com/lifeline-project/lifeline/internal/check"
)

// Role is what a console user or API token may do at the fleet. The login
// (internal/auth) knows three ranks; the fleet splits the middle one, so
// that the hotline and the release manager each get only what they need:
//
//	read-only (auth viewer)        looks at everything, changes nothing
//	support agent (auth staff)     broadcasts, triage (claim, notes), enrolment codes
//	release manager (auth staff)   releases and rollouts
//	admin (auth admin)             all of it, and the sites themselves
//
// A staff login without a stored console role is a release manager, as
// staff logins were before the hotline roles existed.
type Role string

// Console roles.
const (
	RoleReadOnly Role = "viewer"
	RoleSupport  Role = "support"
	RoleRelease  Role = "release"
	RoleAdmin    Role = "admin"
)

// Roles lists the console roles from least to most.
func Roles() []Role { return []Role{RoleReadOnly, RoleSupport, RoleRelease, RoleAdmin} }

// Permission is one kind of console or API action.
type Permission string

// Permissions.
const (
	// PermView: every page and read-only API call.
	PermView Permission = "view"
	// PermBroadcast: send a broadcast to sites.
	PermBroadcast Permission = "broadcast"
	// PermTriage: claim a site in the triage queue, release it, write a
	// note into its timeline.
	PermTriage Permission = "triage"
	// PermEnrol: open a new enrolment code for a site (the hotline
	// re-enrols a site on the phone).
	PermEnrol Permission = "enrol"
	// PermRelease: publish releases, start, pause, resume and abort
	// rollouts.
	PermRelease Permission = "release"
	// PermSites: add, edit, import sites and revoke their tokens.
	PermSites Permission = "sites"
)

var rolePerms = map[Role][]Permission{
	RoleReadOnly: {PermView},
	RoleSupport:  {PermView, PermBroadcast, PermTriage, PermEnrol},
	RoleRelease:  {PermView, PermRelease},
	RoleAdmin:    {PermView, PermBroadcast, PermTriage, PermEnrol, PermRelease, PermSites},
}

// Can reports whether the role grants the permission.
func (r Role) Can(p Permission) bool { return slices.Contains(rolePerms[r], p) }

// Valid reports whether r is a console role.
func (r Role) Valid() bool { _, ok := rolePerms[r]; return ok }

// AuthRole returns the login rank that carries the role.
func (r Role) AuthRole() auth.Role {
	switch r {
	case RoleAdmin:
		return auth.RoleAdmin
	case RoleSupport, RoleRelease:
		return auth.RoleStaff
	default:
		return auth.RoleViewer
	}
}

// Words returns the role in plain words.
func (r Role) Words() check.Text {
	switch r {
	case RoleAdmin:
		return check.Msg("Administrator", "administrator")
	case RoleRelease:
		return check.Msg("Release-Manager", "release manager")
	case RoleSupport:
		return check.Msg("Hotline", "support agent")
	default:
		return check.Msg("nur ansehen", "read-only")
	}
}

// ParseRole returns the console role named s ("staff" is read as release,
// its meaning before the hotline roles). EINVALID otherwise.
func ParseRole(s string) (Role, error) {
	if s == "staff" {
		return RoleRelease, nil
	}
	r := Role(s)
	if !r.Valid() {
		return "", Errorf(EINVALID, "Unbekannte Rolle „%s“. Erlaubt sind: viewer, support, release, admin.",
			"Unknown role \"%s\". Allowed: viewer, support, release, admin.", s)
	}
	return r, nil
}

// PrincipalKey names a login or API token in the console roles:
// "user:anna", "token:hotline-tool".
func PrincipalKey(p auth.Principal) string {
	if p.ViaToken {
		return "token:" + p.Name
	}
	return "user:" + p.Name
}

// RoleOf returns the console role of an authenticated principal.
func (s *Service) RoleOf(ctx context.Context, p auth.Principal) (Role, error) {
	switch p.Role {
	case auth.RoleAdmin:
		return RoleAdmin, nil
	case auth.RoleStaff:
		stored, err := s.store.ConsoleRole(ctx, PrincipalKey(p))
		if err != nil {
			return "", err
		}
		if stored == string(RoleSupport) {
			return RoleSupport, nil
		}
		return RoleRelease, nil
	case auth.RoleViewer:
		return RoleReadOnly, nil
	}
	return "", Errorf(EFORBIDDEN, "Unbekannte Rolle.", "Unknown role.")
}

// SetRole stores the console role of a staff login or token (support or
// release; other roles need no entry and remove it). It is audited.
func (s *Service) SetRole(ctx context.Context, actor string, p auth.Principal, r Role) error {
	if !r.Valid() {
		return Errorf(EINVALID, "Unbekannte Rolle „%s“.", "Unknown role \"%s\".", string(r))
	}
	stored := ""
	if r == RoleSupport || r == RoleRelease {
		stored = string(r)
	}
	if err := s.store.SetConsoleRole(ctx, PrincipalKey(p), stored); err != nil {
		return err
	}
	s.audit(ctx, actor, "role.set", PrincipalKey(p), string(r))
	return nil
}
