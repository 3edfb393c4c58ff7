package auth

import "github.com/lifeline-project/lifeline/internal/check"

// Role is what a user or API token may do. Roles are ordered: every role
// may do what the roles below it may do, so a handler requires a minimum
// role (see AtLeast).
type Role string

// The roles, from least to most.
const (
	// RoleViewer may only look: dashboard, details, API reads.
	RoleViewer Role = "viewer"
	// RoleStaff (Mitarbeiter) works with the dashboard: switches the
	// emergency mode, acknowledges alerts, uses the counter pages.
	RoleStaff Role = "staff"
	// RoleAdmin also manages users, tokens and settings.
	RoleAdmin Role = "admin"
)

// AllRoles returns the roles from least to most.
func AllRoles() []Role { return []Role{RoleViewer, RoleStaff, RoleAdmin} }

// rank orders the roles; 0 means unknown.
func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleStaff:
		return 2
	case RoleAdmin:
		return 3
	default:
		return 0
	}
}

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r is min or above. An unknown role is never
// enough, and an unknown min is never reached.
func (r Role) AtLeast(min Role) bool {
	return r.rank() > 0 && min.rank() > 0 && r.rank() >= min.rank()
}

// Words returns the role in plain words.
func (r Role) Words() check.Text {
	switch r {
	case RoleViewer:
		return check.Msg("nur ansehen", "view only")
	case RoleStaff:
		return check.Msg("Mitarbeiter", "staff")
	case RoleAdmin:
		return check.Msg("Administrator", "administrator")
	default:
		return check.Msg("unbekannt", "unknown")
	}
}

// ParseRole returns the role named s, or an EINVALID error.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", Errorf(EINVALID,
			"Unbekannte Rolle "+quote(s)+". Erlaubt sind: viewer, staff, admin.",
			"Unknown role "+quote(s)+". Allowed: viewer, staff, admin.")
	}
	return r, nil
}

func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return "„" + s + "“"
}
