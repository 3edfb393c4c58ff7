package sqlstore

import (
	"context"
	"fmt"

	"github.com/lifeline-project/lifeline/internal/fleet"
)

// ConsoleRole returns the console role stored for a principal.
func (s *Store) ConsoleRole(ctx context.Context, principal string) (string, error) {
	var role string
	err := s.R.QueryRowContext(ctx, s.q(`SELECT role FROM console_roles WHERE principal = ?`), principal).Scan(&role)
	if isNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read console role of %s: %w", principal, err)
	}
	return role, nil
}

// SetConsoleRole stores or removes a principal's console role.
func (s *Store) SetConsoleRole(ctx context.Context, principal, role string) error {
	switch role {
	case "":
		if _, err := s.exec(ctx, s.W, `DELETE FROM console_roles WHERE principal = ?`, principal); err != nil {
			return fmt.Errorf("remove console role of %s: %w", principal, err)
		}
		return nil
	case string(fleet.RoleSupport), string(fleet.RoleRelease):
	default:
		return fleet.Errorf(fleet.EINVALID, "Unbekannte Rolle „%s“.", "Unknown role \"%s\".", role)
	}
	if _, err := s.exec(ctx, s.W, `INSERT INTO console_roles(principal, role) VALUES (?, ?)
		ON CONFLICT (principal) DO UPDATE SET role = excluded.role`, principal, role); err != nil {
		return fmt.Errorf("store console role of %s: %w", principal, err)
	}
	return nil
}
