// Package auth holds who may use the site node's web interface and API:
// users with ordered roles (viewer < staff < admin), argon2id password
// hashes, login sessions with idle and absolute timeouts, per-session CSRF
// tokens, API tokens and an in-memory login throttle.
//
// Secrets are never stored in plain: passwords as argon2id PHC strings,
// session and API tokens as their SHA-256 hash. There are no default
// passwords: EnsureAdmin creates the first admin with a random one-time
// password that must be changed at the first login.
//
// Service is the entry point; it keeps its data in a Store (implemented by
// store/sqlite.AuthStore) and reads the time from an injected clock.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
)

// Session and token timing.
const (
	// IdleTimeout ends a session after this long without a request.
	IdleTimeout = 12 * time.Hour
	// AbsoluteTimeout ends a session this long after the login, however
	// active it is.
	AbsoluteTimeout = 7 * 24 * time.Hour
	// TouchInterval: the last activity of a session and the last use of a
	// token are written at most this often, to spare the database. The idle
	// timeout is therefore exact to within this interval.
	TouchInterval = time.Minute
)

// Service manages users, sessions and API tokens. It is safe for
// concurrent use.
type Service struct {
	store    Store
	clk      clock.Clock
	log      *slog.Logger
	params   HashParams
	throttle *throttle

	dummyOnce sync.Once
	dummyHash string
}

// Option changes a Service at construction.
type Option func(*Service)

// WithHashParams sets the argon2id cost for new hashes (tests use a cheap
// setting; existing hashes keep the cost they were made with).
func WithHashParams(p HashParams) Option {
	return func(s *Service) { s.params = p }
}

// WithThrottle sets the login throttle: after maxFails failed attempts for
// one user name, logins for that name are refused for lock. The defaults
// are 5 attempts and 30 seconds.
func WithThrottle(maxFails int, lock time.Duration) Option {
	return func(s *Service) { s.throttle = newThrottle(maxFails, lock) }
}

// Default login throttle.
const (
	DefaultMaxFails = 5
	DefaultLockout  = 30 * time.Second
)

// New returns a Service over store.
func New(store Store, clk clock.Clock, log *slog.Logger, opts ...Option) *Service {
	s := &Service{
		store:    store,
		clk:      clk,
		log:      log,
		params:   DefaultHashParams(),
		throttle: newThrottle(DefaultMaxFails, DefaultLockout),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// verifyDummy spends the time of one password check, so that an unknown
// user name cannot be told from a wrong password by the response time.
func (s *Service) verifyDummy(password string) {
	s.dummyOnce.Do(func() {
		h, err := HashPassword("lifeline-dummy-password", s.params)
		if err != nil {
			s.log.Error("dummy password hash", "err", err)
		}
		s.dummyHash = h
	})
	if s.dummyHash != "" {
		_, _ = VerifyPassword(password, s.dummyHash)
	}
}

// randomToken returns n random bytes, base64url without padding.
func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken returns the hex SHA-256 of a session or API token, the form in
// which tokens are stored.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CSRFEqual compares a submitted CSRF token with the session's in constant
// time. An empty session token never matches.
func CSRFEqual(sessionToken, submitted string) bool {
	if sessionToken == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(sessionToken), []byte(submitted)) == 1
}
