package auth

import (
	"context"
	"time"
)

// User is a person who logs in to the site dashboard.
type User struct {
	ID   int64
	Name string
	Role Role
	// PasswordHash is the argon2id PHC string; never shown anywhere.
	PasswordHash string
	// MustChangePassword is set for the first admin's one-time password:
	// the web layer sends the user to the password page first.
	MustChangePassword bool
	CreatedAt          time.Time
	PasswordChangedAt  time.Time
}

// SessionRecord is a stored login session. Only the SHA-256 hash of the
// cookie token is stored; the token itself exists only in the browser.
type SessionRecord struct {
	// Hash is the hex SHA-256 of the cookie token.
	Hash   string
	UserID int64
	// CSRF is the session's anti-forgery token, sent back in forms
	// (field "csrf") and fetches (header X-CSRF-Token).
	CSRF       string
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// Token is an API token (for scripts, Prometheus, the fleet). Only the
// SHA-256 hash of the token is stored; the token is shown once.
type Token struct {
	Name string
	// Hash is the hex SHA-256 of the plain token.
	Hash      string
	Role      Role
	CreatedAt time.Time
	// LastUsedAt is zero when never used; it is updated at most once a
	// minute.
	LastUsedAt time.Time
}

// Store keeps users, sessions and API tokens. Implementations:
// store/sqlite (AuthStore). Times are stored and returned in UTC.
type Store interface {
	// CreateUser inserts u and returns it with its ID. ECONFLICT when the
	// name is taken.
	CreateUser(ctx context.Context, u User) (User, error)
	// CreateFirstUser inserts u only when there is no user at all, in one
	// statement. It reports whether it inserted.
	CreateFirstUser(ctx context.Context, u User) (created bool, err error)
	// UserByName returns the user called name. ENOTFOUND when none.
	UserByName(ctx context.Context, name string) (User, error)
	// Users returns all users ordered by name.
	Users(ctx context.Context) ([]User, error)
	// SetPassword replaces the hash and the must-change flag of the user
	// with id and deletes all the user's sessions, in one transaction.
	// ENOTFOUND when there is no such user.
	SetPassword(ctx context.Context, userID int64, hash string, mustChange bool, at time.Time) error
	// DeleteUser removes the user and their sessions. ENOTFOUND when none.
	DeleteUser(ctx context.Context, name string) error

	// CreateSession stores a new session.
	CreateSession(ctx context.Context, s SessionRecord) error
	// Session returns the session with the token hash and its user.
	// ENOTFOUND when there is none.
	Session(ctx context.Context, hash string) (SessionRecord, User, error)
	// TouchSession sets the session's last activity.
	TouchSession(ctx context.Context, hash string, at time.Time) error
	// DeleteSession removes one session; no error when it is gone already.
	DeleteSession(ctx context.Context, hash string) error
	// DeleteExpiredSessions removes sessions idle since before idleBefore
	// or created before createdBefore, and returns how many.
	DeleteExpiredSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int64, error)

	// CreateToken stores a new API token. ECONFLICT when the name is taken.
	CreateToken(ctx context.Context, t Token) error
	// TokenByHash returns the token with the hash. ENOTFOUND when none.
	TokenByHash(ctx context.Context, hash string) (Token, error)
	// TouchToken sets the token's last use.
	TouchToken(ctx context.Context, hash string, at time.Time) error
	// DeleteToken removes the token called name. ENOTFOUND when none.
	DeleteToken(ctx context.Context, name string) error
	// Tokens returns all tokens ordered by name.
	Tokens(ctx context.Context) ([]Token, error)
}
