package fhir

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
)

// TokenSource gives the access token sent as "Authorization: Bearer".
type TokenSource interface {
	// Token returns a valid access token.
	Token(ctx context.Context) (string, error)
	// Invalidate drops a token the server refused (401), so the next
	// Token fetches or reads a new one.
	Invalidate()
}

// FileToken reads a static bearer token from a file, again after the
// server refused it (an operator may have replaced the file).
type FileToken struct {
	file string
	mu   sync.Mutex
	tok  string
}

var _ TokenSource = (*FileToken)(nil)

// NewFileToken returns a token source reading file.
func NewFileToken(file string) *FileToken { return &FileToken{file: file} }

// Token returns the token of the file.
func (f *FileToken) Token(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tok != "" {
		return f.tok, nil
	}
	b, err := os.ReadFile(f.file)
	if err != nil {
		return "", fmt.Errorf("read the bearer token file %s: %w", f.file, err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("bearer token file %s is empty; put the EHR's access token into it", f.file)
	}
	f.tok = t
	return t, nil
}

// Invalidate makes the next Token read the file again.
func (f *FileToken) Invalidate() {
	f.mu.Lock()
	f.tok = ""
	f.mu.Unlock()
}

// SMARTOptions configure SMART backend services.
type SMARTOptions struct {
	ClientID string
	TokenURL string
	Scope    string
	KeyID    string
	Key      crypto.Signer
	HTTP     *http.Client
	Clock    clock.Clock
}

// SMART gets access tokens with the client credentials grant and a signed
// JWT client assertion (SMART App Launch, backend services), and keeps a
// token until a minute before it expires.
type SMART struct {
	o       SMARTOptions
	mu      sync.Mutex
	tok     string
	expires time.Time
}

var _ TokenSource = (*SMART)(nil)

// NewSMART returns a SMART backend services token source.
func NewSMART(o SMARTOptions) (*SMART, error) {
	if o.ClientID == "" || o.TokenURL == "" || o.Key == nil {
		return nil, fmt.Errorf("smart: client id, token url and key are required")
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: time.Minute}
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Scope == "" {
		o.Scope = DefaultScope
	}
	return &SMART{o: o}, nil
}

// AssertionClaims are the claims of a client assertion.
type AssertionClaims struct {
	Iss string `json:"iss"`
	Sub string `json:"sub"`
	Aud string `json:"aud"`
	Exp int64  `json:"exp"`
	Iat int64  `json:"iat,omitempty"`
	Jti string `json:"jti"`
}

// Assertion returns a new signed client assertion, valid for 5 minutes.
func (s *SMART) Assertion() (string, error) {
	now := s.o.Clock.Now()
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	return SignJWT(s.o.Key, s.o.KeyID, AssertionClaims{Iss: s.o.ClientID, Sub: s.o.ClientID, Aud: s.o.TokenURL,
		Exp: now.Add(5 * time.Minute).Unix(), Iat: now.Unix(), Jti: hex.EncodeToString(jti)})
}

// Token returns the cached token or fetches a new one.
func (s *SMART) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != "" && s.o.Clock.Now().Before(s.expires) {
		return s.tok, nil
	}
	assertion, err := s.Assertion()
	if err != nil {
		return "", err
	}
	form := url.Values{
		"grant_type":            {"client_credentials"},
		"scope":                 {s.o.Scope},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.o.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.o.HTTP.Do(req)
	if err != nil {
		return "", &TransientError{Err: fmt.Errorf("SMART token endpoint %s: %w", s.o.TokenURL, err)}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		herr := &HTTPError{Status: resp.StatusCode, URL: s.o.TokenURL, Detail: oauthError(body)}
		if retryable(resp.StatusCode) {
			return "", &TransientError{Err: herr, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), s.o.Clock.Now())}
		}
		return "", fmt.Errorf("SMART token endpoint refused lifeline (check client_id, key_file and the key registered at the EHR): %w", herr)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return "", fmt.Errorf("SMART token endpoint %s: answer holds no access_token", s.o.TokenURL)
	}
	if !strings.EqualFold(tr.TokenType, "bearer") {
		return "", fmt.Errorf("SMART token endpoint %s: token_type %q, want bearer", s.o.TokenURL, tr.TokenType)
	}
	life := time.Duration(tr.ExpiresIn) * time.Second
	if life <= 0 {
		life = 5 * time.Minute
	}
	s.tok, s.expires = tr.AccessToken, s.o.Clock.Now().Add(life-min(time.Minute, life/2))
	return s.tok, nil
}

// Invalidate drops the cached token.
func (s *SMART) Invalidate() {
	s.mu.Lock()
	s.tok = ""
	s.mu.Unlock()
}

func oauthError(body []byte) string {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return strings.TrimSpace(e.Error + " " + e.Description)
	}
	return ""
}
