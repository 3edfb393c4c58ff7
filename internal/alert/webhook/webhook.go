// Package webhook delivers alert messages as a JSON POST signed with
// HMAC-SHA256, so that the receiver can tell the message comes from this
// site and was not changed on the way. The signature is sent in the
// X-Lifeline-Signature header as "sha256=" and the hex HMAC of the body
// with the shared secret; Verify checks it.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/alert/notify"
	"github.com/lifeline-project/lifeline/internal/validate"
)

// Headers set on every request.
const (
	SignatureHeader = "X-Lifeline-Signature"
	EventHeader     = "X-Lifeline-Event"
	DeliveryHeader  = "X-Lifeline-Delivery"
)

// Config configures one webhook receiver.
type Config struct {
	// URL receives the POST (http or https).
	URL string `yaml:"url"`
	// Secret signs the body; at least 16 characters. Never logged.
	Secret string `yaml:"secret"`
	// Headers are extra request headers, for example an Authorization.
	Headers map[string]string `yaml:"headers"`
	// Timeout bounds one delivery (default 15s).
	Timeout time.Duration `yaml:"-"`
}

// ApplyDefaults fills empty keys.
func (c *Config) ApplyDefaults() {
	if c.Timeout == 0 {
		c.Timeout = 15 * time.Second
	}
}

// Validate reports every problem; keys are relative to the webhook section.
func (c *Config) Validate() validate.Problems {
	var ps validate.Problems
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		ps.Add("url", "%q is not an http(s) URL", c.URL)
	}
	if len(c.Secret) < 16 {
		ps.Add("secret", "too short; use at least 16 random characters (the receiver checks the signature with it)")
	}
	return ps
}

// Payload is the JSON body of a webhook request.
type Payload struct {
	// Version of the payload format; this is 1.
	Version int `json:"version"`
	notify.Message
}

// Notifier posts alert messages to a webhook.
type Notifier struct {
	cfg    Config
	log    *slog.Logger
	client *http.Client
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns a notifier for a validated config.
func New(cfg Config, log *slog.Logger) (*Notifier, error) {
	cfg.ApplyDefaults()
	if ps := cfg.Validate(); len(ps) > 0 {
		return nil, fmt.Errorf("webhook: %v", ps[0])
	}
	if log == nil {
		log = slog.Default()
	}
	return &Notifier{cfg: cfg, log: log, client: &http.Client{Timeout: cfg.Timeout}}, nil
}

// Sign returns the signature header value of body under secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether header is the valid signature of body under
// secret, comparing in constant time.
func Verify(secret string, body []byte, header string) bool {
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// Notify posts m as JSON.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) (bool, error) {
	body, err := json.Marshal(Payload{Version: 1, Message: m})
	if err != nil {
		return false, notify.Fatal(fmt.Errorf("encode payload: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return false, notify.Fatal(fmt.Errorf("build request: %w", err))
	}
	for k, v := range n.cfg.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "lifeline-alert/1")
	req.Header.Set(SignatureHeader, Sign(n.cfg.Secret, body))
	req.Header.Set(EventHeader, string(m.Kind))
	req.Header.Set(DeliveryHeader, m.ID)
	resp, err := n.client.Do(req)
	if err != nil {
		return notify.Result(notify.Transient(fmt.Errorf("post to webhook: %w", redact(err))))
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return notify.Result(notify.HTTPStatus(resp.StatusCode, string(rb)))
}

// redact drops the URL (which may carry a token) from a client error.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
