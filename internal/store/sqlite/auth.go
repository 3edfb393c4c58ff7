package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/auth"
)

// AuthStore keeps users, sessions and API tokens (migration 0002). Writes
// go through the single writer connection, reads through the reader pool.
type AuthStore struct {
	db *DB
}

var _ auth.Store = (*AuthStore)(nil)

// NewAuthStore returns the auth store of db.
func NewAuthStore(db *DB) *AuthStore { return &AuthStore{db: db} }

const userColumns = `id, name, role, password_hash, must_change_password, created_at, password_changed_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanUser(row rowScanner, u *auth.User) error {
	var role, created, changed string
	var must int
	if err := row.Scan(&u.ID, &u.Name, &role, &u.PasswordHash, &must, &created, &changed); err != nil {
		return err
	}
	u.Role, u.MustChangePassword = auth.Role(role), must != 0
	u.CreatedAt, u.PasswordChangedAt = parseTS(created), parseTS(changed)
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

func userNotFound(name string) error {
	return auth.Errorf(auth.ENOTFOUND,
		"Es gibt keinen Benutzer „"+name+"“.",
		"There is no user \""+name+"\".")
}

// CreateUser inserts u. ECONFLICT when the name is taken.
func (s *AuthStore) CreateUser(ctx context.Context, u auth.User) (auth.User, error) {
	res, err := s.db.W.ExecContext(ctx, `INSERT INTO users(name, role, password_hash, must_change_password, created_at, password_changed_at)
		VALUES (?, ?, ?, ?, ?, ?)`,
		u.Name, string(u.Role), u.PasswordHash, boolInt(u.MustChangePassword), ts(u.CreatedAt), ts(u.PasswordChangedAt))
	if isUnique(err) {
		return auth.User{}, auth.Errorf(auth.ECONFLICT,
			"Den Benutzer „"+u.Name+"“ gibt es schon.",
			"The user \""+u.Name+"\" exists already.")
	}
	if err != nil {
		return auth.User{}, fmt.Errorf("insert user %s: %w", u.Name, err)
	}
	if u.ID, err = res.LastInsertId(); err != nil {
		return auth.User{}, fmt.Errorf("insert user %s: %w", u.Name, err)
	}
	u.CreatedAt, u.PasswordChangedAt = u.CreatedAt.UTC(), u.PasswordChangedAt.UTC()
	return u, nil
}

// CreateFirstUser inserts u only when the users table is empty.
func (s *AuthStore) CreateFirstUser(ctx context.Context, u auth.User) (bool, error) {
	res, err := s.db.W.ExecContext(ctx, `INSERT INTO users(name, role, password_hash, must_change_password, created_at, password_changed_at)
		SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM users)`,
		u.Name, string(u.Role), u.PasswordHash, boolInt(u.MustChangePassword), ts(u.CreatedAt), ts(u.PasswordChangedAt))
	if err != nil {
		return false, fmt.Errorf("insert first user: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("insert first user: %w", err)
	}
	return n == 1, nil
}

// UserByName returns the user called name. ENOTFOUND when none.
func (s *AuthStore) UserByName(ctx context.Context, name string) (auth.User, error) {
	var u auth.User
	err := scanUser(s.db.R.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = ?`, name), &u)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.User{}, userNotFound(name)
	}
	if err != nil {
		return auth.User{}, fmt.Errorf("read user %s: %w", name, err)
	}
	return u, nil
}

// Users returns all users ordered by name.
func (s *AuthStore) Users(ctx context.Context) ([]auth.User, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []auth.User
	for rows.Next() {
		var u auth.User
		if err := scanUser(rows, &u); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// SetPassword replaces the hash and flag and deletes the user's sessions.
func (s *AuthStore) SetPassword(ctx context.Context, userID int64, hash string, mustChange bool, at time.Time) error {
	tx, err := s.db.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, must_change_password = ?, password_changed_at = ? WHERE id = ?`,
		hash, boolInt(mustChange), ts(at), userID)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set password: %w", err)
	} else if n == 0 {
		return auth.Errorf(auth.ENOTFOUND, "Den Benutzer gibt es nicht (mehr).", "The user does not exist (any more).")
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("set password: end sessions: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	return nil
}

// DeleteUser removes the user; the sessions go with it (foreign key).
func (s *AuthStore) DeleteUser(ctx context.Context, name string) error {
	res, err := s.db.W.ExecContext(ctx, `DELETE FROM users WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("delete user %s: %w", name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete user %s: %w", name, err)
	} else if n == 0 {
		return userNotFound(name)
	}
	return nil
}

// CreateSession stores a new session.
func (s *AuthStore) CreateSession(ctx context.Context, r auth.SessionRecord) error {
	if _, err := s.db.W.ExecContext(ctx, `INSERT INTO sessions(token_hash, user_id, csrf_token, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)`,
		r.Hash, r.UserID, r.CSRF, ts(r.CreatedAt), ts(r.LastSeenAt)); err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

// Session returns the session with the hash and its user. ENOTFOUND when none.
func (s *AuthStore) Session(ctx context.Context, hash string) (auth.SessionRecord, auth.User, error) {
	var r auth.SessionRecord
	var u auth.User
	var created, seen, role, uCreated, uChanged string
	var must int
	err := s.db.R.QueryRowContext(ctx, `SELECT s.token_hash, s.user_id, s.csrf_token, s.created_at, s.last_seen_at,
			u.id, u.name, u.role, u.password_hash, u.must_change_password, u.created_at, u.password_changed_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`, hash).
		Scan(&r.Hash, &r.UserID, &r.CSRF, &created, &seen,
			&u.ID, &u.Name, &role, &u.PasswordHash, &must, &uCreated, &uChanged)
	if errors.Is(err, sql.ErrNoRows) {
		return r, u, auth.Errorf(auth.ENOTFOUND, "Sitzung nicht gefunden.", "Session not found.")
	}
	if err != nil {
		return r, u, fmt.Errorf("read session: %w", err)
	}
	r.CreatedAt, r.LastSeenAt = parseTS(created), parseTS(seen)
	u.Role, u.MustChangePassword = auth.Role(role), must != 0
	u.CreatedAt, u.PasswordChangedAt = parseTS(uCreated), parseTS(uChanged)
	return r, u, nil
}

// TouchSession sets the session's last activity.
func (s *AuthStore) TouchSession(ctx context.Context, hash string, at time.Time) error {
	if _, err := s.db.W.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`, ts(at), hash); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession removes one session.
func (s *AuthStore) DeleteSession(ctx context.Context, hash string) error {
	if _, err := s.db.W.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes idle and too old sessions.
func (s *AuthStore) DeleteExpiredSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int64, error) {
	res, err := s.db.W.ExecContext(ctx, `DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?`, ts(idleBefore), ts(createdBefore))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return n, nil
}

const tokenColumns = `name, token_hash, role, created_at, last_used_at`

func scanToken(row rowScanner, t *auth.Token) error {
	var role, created, used string
	if err := row.Scan(&t.Name, &t.Hash, &role, &created, &used); err != nil {
		return err
	}
	t.Role, t.CreatedAt = auth.Role(role), parseTS(created)
	if used != "" {
		t.LastUsedAt = parseTS(used)
	}
	return nil
}

func tokenNotFound(name string) error {
	return auth.Errorf(auth.ENOTFOUND,
		"Es gibt keinen API-Schlüssel „"+name+"“.",
		"There is no API token \""+name+"\".")
}

// CreateToken stores a new API token. ECONFLICT when the name is taken.
func (s *AuthStore) CreateToken(ctx context.Context, t auth.Token) error {
	used := ""
	if !t.LastUsedAt.IsZero() {
		used = ts(t.LastUsedAt)
	}
	_, err := s.db.W.ExecContext(ctx, `INSERT INTO api_tokens(`+tokenColumns+`) VALUES (?, ?, ?, ?, ?)`,
		t.Name, t.Hash, string(t.Role), ts(t.CreatedAt), used)
	if isUnique(err) {
		return auth.Errorf(auth.ECONFLICT,
			"Einen API-Schlüssel „"+t.Name+"“ gibt es schon.",
			"An API token \""+t.Name+"\" exists already.")
	}
	if err != nil {
		return fmt.Errorf("insert api token %s: %w", t.Name, err)
	}
	return nil
}

// TokenByHash returns the token with the hash. ENOTFOUND when none.
func (s *AuthStore) TokenByHash(ctx context.Context, hash string) (auth.Token, error) {
	var t auth.Token
	err := scanToken(s.db.R.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE token_hash = ?`, hash), &t)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Token{}, auth.Errorf(auth.ENOTFOUND, "API-Schlüssel nicht gefunden.", "API token not found.")
	}
	if err != nil {
		return auth.Token{}, fmt.Errorf("read api token: %w", err)
	}
	return t, nil
}

// TouchToken sets the token's last use.
func (s *AuthStore) TouchToken(ctx context.Context, hash string, at time.Time) error {
	if _, err := s.db.W.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?`, ts(at), hash); err != nil {
		return fmt.Errorf("touch api token: %w", err)
	}
	return nil
}

// DeleteToken removes the token called name. ENOTFOUND when none.
func (s *AuthStore) DeleteToken(ctx context.Context, name string) error {
	res, err := s.db.W.ExecContext(ctx, `DELETE FROM api_tokens WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("delete api token %s: %w", name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete api token %s: %w", name, err)
	} else if n == 0 {
		return tokenNotFound(name)
	}
	return nil
}

// Tokens returns all tokens ordered by name.
func (s *AuthStore) Tokens(ctx context.Context) ([]auth.Token, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	defer rows.Close()
	var out []auth.Token
	for rows.Next() {
		var t auth.Token
		if err := scanToken(rows, &t); err != nil {
			return nil, fmt.Errorf("list api tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return out, nil
}
