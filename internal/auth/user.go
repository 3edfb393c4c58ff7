package auth

import (
	"context"
	"strings"
)

// AdminName is the name of the first admin that EnsureAdmin creates.
const AdminName = "admin"

// MaxNameLength is the longest user or token name.
const MaxNameLength = 64

// NormalizeName trims spaces and lower-cases a typed user name, so that
// "Admin " logs in as "admin".
func NormalizeName(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// ValidateName checks a user or token name: 1 to 64 characters of
// a-z, 0-9, dot, underscore and hyphen.
func ValidateName(name string) error {
	if name == "" || len(name) > MaxNameLength {
		return Errorf(EINVALID,
			"Der Name muss 1 bis 64 Zeichen lang sein.",
			"The name must be 1 to 64 characters long.")
	}
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return Errorf(EINVALID,
				"Der Name "+quote(name)+" enthält ein unerlaubtes Zeichen. Erlaubt sind Kleinbuchstaben a-z, Ziffern, Punkt, Unterstrich und Bindestrich.",
				"The name "+quote(name)+" contains a character that is not allowed. Allowed: lower-case letters a-z, digits, dot, underscore and hyphen.")
		}
	}
	return nil
}

// EnsureAdmin creates the user "admin" with a random one-time password
// when there is no user at all, and returns that password (to be shown
// once, on the first start) and true. The admin must change the password
// at the first login. When any user exists it does nothing.
func (s *Service) EnsureAdmin(ctx context.Context) (password string, created bool, err error) {
	password, err = GeneratePassword()
	if err != nil {
		return "", false, internal(err)
	}
	hash, err := HashPassword(password, s.params)
	if err != nil {
		return "", false, internal(err)
	}
	now := s.clk.Now().UTC()
	created, err = s.store.CreateFirstUser(ctx, User{
		Name: AdminName, Role: RoleAdmin, PasswordHash: hash,
		MustChangePassword: true, CreatedAt: now, PasswordChangedAt: now,
	})
	if err != nil {
		return "", false, err
	}
	if !created {
		return "", false, nil
	}
	s.log.Info("first admin created with a one-time password", "user", AdminName)
	return password, true, nil
}

// AddUser creates a user. It returns EINVALID for a bad name, role or
// password and ECONFLICT when the name is taken.
func (s *Service) AddUser(ctx context.Context, name string, role Role, password string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	if err := ValidatePassword(password); err != nil {
		return err
	}
	hash, err := HashPassword(password, s.params)
	if err != nil {
		return internal(err)
	}
	now := s.clk.Now().UTC()
	if _, err := s.store.CreateUser(ctx, User{
		Name: name, Role: role, PasswordHash: hash, CreatedAt: now, PasswordChangedAt: now,
	}); err != nil {
		return err
	}
	s.log.Info("user added", "user", name, "role", string(role))
	return nil
}

// SetPassword sets a user's password (for the command line, run by the
// administrator of the machine), clears the must-change flag and ends the
// user's sessions. EINVALID for a bad password, ENOTFOUND for no such user.
func (s *Service) SetPassword(ctx context.Context, name, password string) error {
	if err := ValidatePassword(password); err != nil {
		return err
	}
	return s.setPassword(ctx, name, password, false)
}

// ResetPassword gives a user a random one-time password that must be
// changed at the next login, ends the user's sessions and returns the
// password. ENOTFOUND for no such user.
func (s *Service) ResetPassword(ctx context.Context, name string) (string, error) {
	password, err := GeneratePassword()
	if err != nil {
		return "", internal(err)
	}
	if err := s.setPassword(ctx, name, password, true); err != nil {
		return "", err
	}
	return password, nil
}

func (s *Service) setPassword(ctx context.Context, name, password string, mustChange bool) error {
	u, err := s.store.UserByName(ctx, NormalizeName(name))
	if err != nil {
		return err
	}
	hash, err := HashPassword(password, s.params)
	if err != nil {
		return internal(err)
	}
	if err := s.store.SetPassword(ctx, u.ID, hash, mustChange, s.clk.Now().UTC()); err != nil {
		return err
	}
	s.log.Info("password set", "user", u.Name, "must_change", mustChange)
	return nil
}

// ChangePassword is the user's own change of password: it checks the
// current password (failures count towards the login throttle), sets the
// new one, ends all the user's sessions and returns a fresh session for
// the browser that made the change. EUNAUTHORIZED for a wrong current
// password, ETHROTTLED after too many, EINVALID for a bad new password.
func (s *Service) ChangePassword(ctx context.Context, name, current, next string) (Session, error) {
	u, err := s.checkPassword(ctx, name, current)
	if err != nil {
		return Session{}, err
	}
	if err := ValidatePassword(next); err != nil {
		return Session{}, err
	}
	if next == current {
		return Session{}, Errorf(EINVALID,
			"Das neue Passwort muss sich vom bisherigen unterscheiden.",
			"The new password must differ from the current one.")
	}
	hash, err := HashPassword(next, s.params)
	if err != nil {
		return Session{}, internal(err)
	}
	now := s.clk.Now().UTC()
	if err := s.store.SetPassword(ctx, u.ID, hash, false, now); err != nil {
		return Session{}, err
	}
	u.PasswordHash, u.MustChangePassword = hash, false
	s.log.Info("password changed", "user", u.Name)
	return s.newSession(ctx, u, now)
}

// DeleteUser removes a user and ends their sessions. ENOTFOUND for no such
// user; ECONFLICT for the last admin, so that nobody locks the site out.
func (s *Service) DeleteUser(ctx context.Context, name string) error {
	u, err := s.store.UserByName(ctx, NormalizeName(name))
	if err != nil {
		return err
	}
	if u.Role == RoleAdmin {
		users, err := s.store.Users(ctx)
		if err != nil {
			return err
		}
		admins := 0
		for _, x := range users {
			if x.Role == RoleAdmin {
				admins++
			}
		}
		if admins <= 1 {
			return Errorf(ECONFLICT,
				"Der letzte Administrator kann nicht gelöscht werden.",
				"The last administrator cannot be deleted.")
		}
	}
	if err := s.store.DeleteUser(ctx, u.Name); err != nil {
		return err
	}
	s.log.Info("user deleted", "user", u.Name)
	return nil
}

// Users returns all users ordered by name.
func (s *Service) Users(ctx context.Context) ([]User, error) { return s.store.Users(ctx) }
