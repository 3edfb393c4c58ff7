package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/lifeline-project/lifeline/internal/auth"
)

// The console's users, sessions and API tokens (auth.Store), in the same
// shape as the site node's tables.

const userColumns = `id, name, role, password_hash, must_change_password, created_at, password_changed_at`

func scanUser(row rowScanner, extra ...any) (auth.User, error) {
	var u auth.User
	var role string
	var created, changed nt
	if err := row.Scan(append([]any{&u.ID, &u.Name, &role, &u.PasswordHash, &u.MustChangePassword, &created, &changed}, extra...)...); err != nil {
		return u, err
	}
	u.Role, u.CreatedAt, u.PasswordChangedAt = auth.Role(role), created.T, changed.T
	return u, nil
}

func userNotFound(name string) error {
	return auth.Errorf(auth.ENOTFOUND, "Es gibt keinen Benutzer „"+name+"“.", "There is no user \""+name+"\".")
}

// CreateUser inserts u. ECONFLICT when the name is taken.
func (s *Store) CreateUser(ctx context.Context, u auth.User) (auth.User, error) {
	err := s.W.QueryRowContext(ctx, s.q(`INSERT INTO users(name, role, password_hash, must_change_password, created_at, password_changed_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
		u.Name, string(u.Role), u.PasswordHash, u.MustChangePassword, s.t(u.CreatedAt), s.t(u.PasswordChangedAt)).Scan(&u.ID)
	if err != nil {
		if s.d.IsUnique(err) {
			return auth.User{}, auth.Errorf(auth.ECONFLICT, "Den Benutzer „"+u.Name+"“ gibt es schon.", "The user \""+u.Name+"\" exists already.")
		}
		return auth.User{}, fmt.Errorf("insert user %s: %w", u.Name, err)
	}
	u.CreatedAt, u.PasswordChangedAt = u.CreatedAt.UTC(), u.PasswordChangedAt.UTC()
	return u, nil
}

// CreateFirstUser inserts u only when there is no user at all.
func (s *Store) CreateFirstUser(ctx context.Context, u auth.User) (bool, error) {
	tx, err := s.W.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("insert first user: %w", err)
	}
	defer tx.Rollback()
	if s.d.Numbered {
		// Serialise first starts of several replicas.
		if _, err := tx.ExecContext(ctx, `LOCK TABLE users IN EXCLUSIVE MODE`); err != nil {
			return false, fmt.Errorf("insert first user: %w", err)
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return false, fmt.Errorf("insert first user: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := s.exec(ctx, tx, `INSERT INTO users(name, role, password_hash, must_change_password, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?, ?)`,
		u.Name, string(u.Role), u.PasswordHash, u.MustChangePassword, s.t(u.CreatedAt), s.t(u.PasswordChangedAt)); err != nil {
		return false, fmt.Errorf("insert first user: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("insert first user: %w", err)
	}
	return true, nil
}

// UserByName returns the user called name. ENOTFOUND when none.
func (s *Store) UserByName(ctx context.Context, name string) (auth.User, error) {
	u, err := scanUser(s.R.QueryRowContext(ctx, s.q(`SELECT `+userColumns+` FROM users WHERE name = ?`), name))
	if isNoRows(err) {
		return auth.User{}, userNotFound(name)
	}
	if err != nil {
		return auth.User{}, fmt.Errorf("read user %s: %w", name, err)
	}
	return u, nil
}

// Users returns all users ordered by name.
func (s *Store) Users(ctx context.Context) ([]auth.User, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []auth.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// SetPassword replaces the hash and flag and ends the user's sessions.
func (s *Store) SetPassword(ctx context.Context, userID int64, hash string, mustChange bool, at time.Time) error {
	tx, err := s.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	defer tx.Rollback()
	res, err := s.exec(ctx, tx, `UPDATE users SET password_hash = ?, must_change_password = ?, password_changed_at = ? WHERE id = ?`,
		hash, mustChange, s.t(at), userID)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if n, err := affected(res); err != nil {
		return err
	} else if n == 0 {
		return auth.Errorf(auth.ENOTFOUND, "Den Benutzer gibt es nicht (mehr).", "The user does not exist (any more).")
	}
	if _, err := s.exec(ctx, tx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("set password: end sessions: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	return nil
}

// DeleteUser removes the user and their sessions.
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	res, err := s.exec(ctx, s.W, `DELETE FROM users WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("delete user %s: %w", name, err)
	}
	if n, err := affected(res); err != nil {
		return err
	} else if n == 0 {
		return userNotFound(name)
	}
	return nil
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, r auth.SessionRecord) error {
	if _, err := s.exec(ctx, s.W, `INSERT INTO sessions(token_hash, user_id, csrf_token, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)`,
		r.Hash, r.UserID, r.CSRF, s.t(r.CreatedAt), s.t(r.LastSeenAt)); err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

// Session returns the session with the hash and its user.
func (s *Store) Session(ctx context.Context, hash string) (auth.SessionRecord, auth.User, error) {
	var r auth.SessionRecord
	var created, seen nt
	u, err := scanUser(s.R.QueryRowContext(ctx, s.q(`SELECT u.id, u.name, u.role, u.password_hash, u.must_change_password, u.created_at, u.password_changed_at,
			s.token_hash, s.user_id, s.csrf_token, s.created_at, s.last_seen_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`), hash),
		&r.Hash, &r.UserID, &r.CSRF, &created, &seen)
	if isNoRows(err) {
		return r, auth.User{}, auth.Errorf(auth.ENOTFOUND, "Sitzung nicht gefunden.", "Session not found.")
	}
	if err != nil {
		return r, auth.User{}, fmt.Errorf("read session: %w", err)
	}
	r.CreatedAt, r.LastSeenAt = created.T, seen.T
	return r, u, nil
}

// TouchSession sets the session's last activity.
func (s *Store) TouchSession(ctx context.Context, hash string, at time.Time) error {
	if _, err := s.exec(ctx, s.W, `UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`, s.t(at), hash); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession removes one session.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	if _, err := s.exec(ctx, s.W, `DELETE FROM sessions WHERE token_hash = ?`, hash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes idle and too old sessions.
func (s *Store) DeleteExpiredSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int64, error) {
	res, err := s.exec(ctx, s.W, `DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?`, s.t(idleBefore), s.t(createdBefore))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return affected(res)
}

const tokenColumns = `name, token_hash, role, created_at, last_used_at`

func scanToken(row rowScanner) (auth.Token, error) {
	var t auth.Token
	var role string
	var created, used nt
	err := row.Scan(&t.Name, &t.Hash, &role, &created, &used)
	t.Role, t.CreatedAt, t.LastUsedAt = auth.Role(role), created.T, used.T
	return t, err
}

// CreateToken stores a new API token. ECONFLICT when the name is taken.
func (s *Store) CreateToken(ctx context.Context, t auth.Token) error {
	_, err := s.exec(ctx, s.W, `INSERT INTO api_tokens(name, token_hash, role, created_at, last_used_at) VALUES (?, ?, ?, ?, ?)`,
		t.Name, t.Hash, string(t.Role), s.t(t.CreatedAt), s.t(t.LastUsedAt))
	if err != nil {
		if s.d.IsUnique(err) {
			return auth.Errorf(auth.ECONFLICT, "Einen API-Schlüssel „"+t.Name+"“ gibt es schon.", "An API token \""+t.Name+"\" exists already.")
		}
		return fmt.Errorf("insert api token %s: %w", t.Name, err)
	}
	return nil
}

// TokenByHash returns the token with the hash. ENOTFOUND when none.
func (s *Store) TokenByHash(ctx context.Context, hash string) (auth.Token, error) {
	t, err := scanToken(s.R.QueryRowContext(ctx, s.q(`SELECT `+tokenColumns+` FROM api_tokens WHERE token_hash = ?`), hash))
	if isNoRows(err) {
		return auth.Token{}, auth.Errorf(auth.ENOTFOUND, "API-Schlüssel nicht gefunden.", "API token not found.")
	}
	if err != nil {
		return auth.Token{}, fmt.Errorf("read api token: %w", err)
	}
	return t, nil
}

// TouchToken sets the token's last use.
func (s *Store) TouchToken(ctx context.Context, hash string, at time.Time) error {
	if _, err := s.exec(ctx, s.W, `UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?`, s.t(at), hash); err != nil {
		return fmt.Errorf("touch api token: %w", err)
	}
	return nil
}

// DeleteToken removes the token called name. ENOTFOUND when none.
func (s *Store) DeleteToken(ctx context.Context, name string) error {
	res, err := s.exec(ctx, s.W, `DELETE FROM api_tokens WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("delete api token %s: %w", name, err)
	}
	if n, err := affected(res); err != nil {
		return err
	} else if n == 0 {
		return auth.Errorf(auth.ENOTFOUND, "Es gibt keinen API-Schlüssel „"+name+"“.", "There is no API token \""+name+"\".")
	}
	return nil
}

// Tokens returns all tokens ordered by name.
func (s *Store) Tokens(ctx context.Context) ([]auth.Token, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	defer rows.Close()
	var out []auth.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list api tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return out, nil
}
