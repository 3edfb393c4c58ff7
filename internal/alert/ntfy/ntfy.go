// Package ntfy delivers alert messages as push notifications to phones
// through an ntfy server (ntfy.sh or self-hosted): a POST of the text to the
// topic URL with the Title, Priority, Tags, Click and Actions headers. The
// Actions header adds an "acknowledge" button that opens the signed link.
package ntfy

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/alert/notify"
	"github.com/lifeline-project/lifeline/internal/validate"
)

// Config configures one ntfy receiver.
type Config struct {
	// URL is the topic URL, like https://ntfy.example.de/apotheke-alarm.
	// Choose a topic name nobody can guess, or protect it with a token.
	URL string `yaml:"url"`
	// Token is an access token (sent as Bearer); never logged.
	Token string `yaml:"token"`
	// Priority overrides the priority of alerts (1 min .. 5 max); default
	// 5 for an outage, 4 for a degradation, 3 for resolved and tests.
	Priority int `yaml:"priority"`
	// Tags are extra tags (emoji short codes) added to every message.
	Tags []string `yaml:"tags"`
	// Timeout bounds one delivery (default 15s).
	Timeout time.Duration `yaml:"-"`
}

// ApplyDefaults fills empty keys.
func (c *Config) ApplyDefaults() {
	if c.Timeout == 0 {
		c.Timeout = 15 * time.Second
	}
}

// Validate reports every problem; keys are relative to the ntfy section.
func (c *Config) Validate() validate.Problems {
	var ps validate.Problems
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") == "" {
		ps.Add("url", "%q is not a topic URL; write it like https://ntfy.sh/my-secret-topic", c.URL)
	}
	if c.Priority < 0 || c.Priority > 5 {
		ps.Add("priority", "%d is not a priority; use 1 (min) to 5 (max)", c.Priority)
	}
	return ps
}

// Notifier posts alert messages to an ntfy topic.
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
		return nil, fmt.Errorf("ntfy: %v", ps[0])
	}
	if log == nil {
		log = slog.Default()
	}
	return &Notifier{cfg: cfg, log: log, client: &http.Client{Timeout: cfg.Timeout}}, nil
}

// Priority returns the ntfy priority of a message.
func (n *Notifier) Priority(m notify.Message) int {
	switch {
	case m.Kind == notify.KindResolved || m.Kind == notify.KindTest:
		return 3
	case n.cfg.Priority > 0:
		return n.cfg.Priority
	case m.Severity == "down":
		return 5
	default:
		return 4
	}
}

// Tags returns the tags of a message: an emoji for the kind, then the
// configured ones.
func (n *Notifier) Tags(m notify.Message) []string {
	var t []string
	switch {
	case m.Kind == notify.KindResolved:
		t = append(t, "white_check_mark")
	case m.Kind == notify.KindTest:
		t = append(t, "test_tube")
	case m.Severity == "down":
		t = append(t, "rotating_light")
	default:
		t = append(t, "warning")
	}
	return append(t, n.cfg.Tags...)
}

// Notify posts m to the topic.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) (bool, error) {
	text := m.Text
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.cfg.URL, strings.NewReader(text))
	if err != nil {
		return false, notify.Fatal(fmt.Errorf("build request: %w", err))
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	req.Header.Set("Title", header(m.Title))
	req.Header.Set("Priority", strconv.Itoa(n.Priority(m)))
	req.Header.Set("Tags", strings.Join(n.Tags(m), ","))
	if m.DashboardURL != "" {
		req.Header.Set("Click", m.DashboardURL)
	}
	if m.AckURL != "" {
		label := "Ich kümmere mich"
		if m.Lang == "en" {
			label = "I'm on it"
		}
		req.Header.Set("Actions", header("view, "+label+", "+m.AckURL+", clear=true"))
	}
	if n.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+n.cfg.Token)
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return notify.Result(notify.Transient(fmt.Errorf("post to ntfy: %w", stripURL(err))))
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return notify.Result(notify.HTTPStatus(resp.StatusCode, string(rb)))
}

// header encodes non-ASCII text as an RFC 2047 word, which ntfy decodes.
func header(s string) string { return mime.QEncoding.Encode("utf-8", s) }

func stripURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
