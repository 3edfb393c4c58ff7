package auth

import (
	"context"
	"fmt"
	"time"
)

// Principal is who is making a request: a logged-in user or an API token.
type Principal struct {
	// Name is the user name, or the token name for an API token.
	Name string
	Role Role
	// ViaToken is true for a request authenticated by an API token.
	ViaToken bool
	// MustChangePassword is true while the user still has a one-time
	// password.
	MustChangePassword bool
}

// Session is a logged-in browser.
type Session struct {
	// Token is the cookie value. It is set only by Login and
	// ChangePassword, the moments the cookie is (re)issued; it is never
	// stored.
	Token string
	// Hash is the stored form of the token.
	Hash       string
	User       Principal
	CSRF       string
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// ExpiresAt is the absolute end of the session.
func (s Session) ExpiresAt() time.Time { return s.CreatedAt.Add(AbsoluteTimeout) }

// Login checks a user name and password and opens a session. It returns
// EUNAUTHORIZED for a wrong name or password (the same error for both) and
// ETHROTTLED while the name is locked after too many failures. Failures
// are logged with the name, never with the password.
func (s *Service) Login(ctx context.Context, name, password string) (Session, error) {
	u, err := s.checkPassword(ctx, name, password)
	if err != nil {
		return Session{}, err
	}
	now := s.clk.Now().UTC()
	if n, err := s.store.DeleteExpiredSessions(ctx, now.Add(-IdleTimeout), now.Add(-AbsoluteTimeout)); err != nil {
		s.log.Error("delete expired sessions", "err", err)
	} else if n > 0 {
		s.log.Debug("expired sessions deleted", "count", n)
	}
	sess, err := s.newSession(ctx, u, now)
	if err != nil {
		return Session{}, err
	}
	s.log.Info("login", "user", u.Name)
	return sess, nil
}

// checkPassword verifies name and password under the throttle.
func (s *Service) checkPassword(ctx context.Context, name, password string) (User, error) {
	name = NormalizeName(name)
	logName := name
	if ValidateName(name) != nil {
		logName = "(not a valid user name)" // might be a password typed into the wrong field
	}
	now := s.clk.Now()
	if until, locked := s.throttle.locked(name, now); locked {
		s.log.Warn("login refused: too many failed attempts", "user", logName, "until", until.UTC().Format(time.RFC3339))
		wait := int(until.Sub(now).Round(time.Second) / time.Second)
		if wait < 1 {
			wait = 1
		}
		return User{}, Errorf(ETHROTTLED,
			fmt.Sprintf("Zu viele Fehlversuche. Bitte warten Sie %d Sekunden und versuchen Sie es dann erneut.", wait),
			fmt.Sprintf("Too many failed attempts. Please wait %d seconds and try again.", wait))
	}
	wrong := Errorf(EUNAUTHORIZED,
		"Benutzername oder Passwort ist falsch.",
		"Wrong user name or password.")
	u, err := s.store.UserByName(ctx, name)
	switch {
	case ErrorCode(err) == ENOTFOUND:
		s.verifyDummy(password)
		s.failed(name, logName, "unknown user", now)
		return User{}, wrong
	case err != nil:
		return User{}, err
	}
	ok, err := VerifyPassword(password, u.PasswordHash)
	if err != nil {
		s.log.Error("stored password hash unreadable", "user", u.Name, "err", err)
		return User{}, internal(err)
	}
	if !ok {
		s.failed(name, logName, "wrong password", now)
		return User{}, wrong
	}
	s.throttle.reset(name)
	return u, nil
}

func (s *Service) failed(name, logName, reason string, now time.Time) {
	locked := s.throttle.fail(name, now)
	s.log.Warn("login failed", "user", logName, "reason", reason, "locked", locked)
}

func (s *Service) newSession(ctx context.Context, u User, now time.Time) (Session, error) {
	token, err := randomToken(32)
	if err != nil {
		return Session{}, internal(err)
	}
	csrf, err := randomToken(32)
	if err != nil {
		return Session{}, internal(err)
	}
	rec := SessionRecord{Hash: HashToken(token), UserID: u.ID, CSRF: csrf, CreatedAt: now, LastSeenAt: now}
	if err := s.store.CreateSession(ctx, rec); err != nil {
		return Session{}, err
	}
	return Session{
		Token: token, Hash: rec.Hash, CSRF: csrf, CreatedAt: now, LastSeenAt: now,
		User: Principal{Name: u.Name, Role: u.Role, MustChangePassword: u.MustChangePassword},
	}, nil
}

// Authenticate returns the session of a cookie token and records the
// activity (at most once per TouchInterval). EUNAUTHORIZED when the token
// is unknown, or the session idle for IdleTimeout or older than
// AbsoluteTimeout (an expired session is deleted).
func (s *Service) Authenticate(ctx context.Context, token string) (Session, error) {
	return s.session(ctx, token, true)
}

// CheckSession is Authenticate without recording activity: for long-lived
// connections (the live updates) that must end with the session but must
// not keep it alive.
func (s *Service) CheckSession(ctx context.Context, token string) (Session, error) {
	return s.session(ctx, token, false)
}

func (s *Service) session(ctx context.Context, token string, touch bool) (Session, error) {
	expired := Errorf(EUNAUTHORIZED,
		"Sie sind nicht (mehr) angemeldet. Bitte melden Sie sich an.",
		"You are not logged in (any more). Please log in.")
	if token == "" {
		return Session{}, expired
	}
	hash := HashToken(token)
	rec, u, err := s.store.Session(ctx, hash)
	if ErrorCode(err) == ENOTFOUND {
		return Session{}, expired
	}
	if err != nil {
		return Session{}, err
	}
	now := s.clk.Now().UTC()
	if now.Sub(rec.LastSeenAt) >= IdleTimeout || now.Sub(rec.CreatedAt) >= AbsoluteTimeout {
		if err := s.store.DeleteSession(ctx, hash); err != nil {
			s.log.Error("delete expired session", "err", err)
		}
		s.log.Info("session expired", "user", u.Name)
		return Session{}, expired
	}
	if touch && now.Sub(rec.LastSeenAt) >= TouchInterval {
		if err := s.store.TouchSession(ctx, hash, now); err != nil {
			s.log.Error("record session activity", "err", err)
		} else {
			rec.LastSeenAt = now
		}
	}
	return Session{
		Hash: hash, CSRF: rec.CSRF, CreatedAt: rec.CreatedAt, LastSeenAt: rec.LastSeenAt,
		User: Principal{Name: u.Name, Role: u.Role, MustChangePassword: u.MustChangePassword},
	}, nil
}

// Logout ends the session of a cookie token. Logging out twice is no error.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return s.store.DeleteSession(ctx, HashToken(token))
}
