package auth

import (
	"context"
	"strings"
)

// TokenPrefix starts every API token, so that a leaked token is easy to
// recognise (and to search for in logs and repositories).
const TokenPrefix = "ll_"

// CreateToken creates an API token with a role and returns it in plain:
// "ll_" followed by 32 random bytes in base64url. Only its hash is
// stored: show it once. EINVALID for a bad name or role, ECONFLICT when
// the name is taken.
func (s *Service) CreateToken(ctx context.Context, name string, role Role) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return "", err
	}
	raw, err := randomToken(32)
	if err != nil {
		return "", internal(err)
	}
	plain := TokenPrefix + raw
	if err := s.store.CreateToken(ctx, Token{
		Name: name, Hash: HashToken(plain), Role: role, CreatedAt: s.clk.Now().UTC(),
	}); err != nil {
		return "", err
	}
	s.log.Info("api token created", "token", name, "role", string(role))
	return plain, nil
}

// RevokeToken deletes the token called name. ENOTFOUND when none.
func (s *Service) RevokeToken(ctx context.Context, name string) error {
	if err := s.store.DeleteToken(ctx, name); err != nil {
		return err
	}
	s.log.Info("api token revoked", "token", name)
	return nil
}

// Tokens lists the API tokens (without secrets) ordered by name.
func (s *Service) Tokens(ctx context.Context) ([]Token, error) { return s.store.Tokens(ctx) }

// AuthenticateToken returns the principal of a plain API token and records
// its use (at most once per TouchInterval). EUNAUTHORIZED for an unknown
// or revoked token.
func (s *Service) AuthenticateToken(ctx context.Context, plain string) (Principal, error) {
	refused := Errorf(EUNAUTHORIZED,
		"Der API-Schlüssel ist ungültig oder wurde zurückgezogen.",
		"The API token is invalid or has been revoked.")
	if !strings.HasPrefix(plain, TokenPrefix) || len(plain) > 200 {
		s.log.Warn("api token refused", "reason", "malformed")
		return Principal{}, refused
	}
	hash := HashToken(plain)
	t, err := s.store.TokenByHash(ctx, hash)
	if ErrorCode(err) == ENOTFOUND {
		s.log.Warn("api token refused", "reason", "unknown or revoked")
		return Principal{}, refused
	}
	if err != nil {
		return Principal{}, err
	}
	now := s.clk.Now().UTC()
	if t.LastUsedAt.IsZero() || now.Sub(t.LastUsedAt) >= TouchInterval {
		if err := s.store.TouchToken(ctx, hash, now); err != nil {
			s.log.Error("record api token use", "token", t.Name, "err", err)
		}
	}
	return Principal{Name: t.Name, Role: t.Role, ViaToken: true}, nil
}
