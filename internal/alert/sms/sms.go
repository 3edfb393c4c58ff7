// Package sms delivers alert messages as text messages through any HTTP SMS
// gateway: pharmacies use different providers, so the URL, the method, the
// headers and the body are templates (Go text/template) filled with the
// phone number and the text.
package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/lifeline-project/lifeline/internal/alert/notify"
	"github.com/lifeline-project/lifeline/internal/validate"
)

// MaxText is the longest text sent: two concatenated GSM messages.
const MaxText = 306

// Config configures one SMS receiver.
type Config struct {
	// To is the phone number in international form, like +4915112345678.
	To string `yaml:"to"`
	// URL of the gateway; a template, so that GET gateways can carry the
	// text in the query: https://gw.example/send?to={{.To | urlquery}}&text={{.Text | urlquery}}
	URL string `yaml:"url"`
	// Method is POST (default) or GET.
	Method string `yaml:"method"`
	// Body is the request body template, for example
	// {"to": {{json .To}}, "text": {{json .Text}}}. Fields: To, Text,
	// Title, Kind, Severity, Site, AckURL. Functions: json, urlquery.
	Body string `yaml:"body"`
	// ContentType of the body (default application/json when the body
	// starts with { and application/x-www-form-urlencoded otherwise).
	ContentType string `yaml:"content_type"`
	// Headers are extra request headers (templates too), for example
	// Authorization: Bearer .... Values are never logged.
	Headers map[string]string `yaml:"headers"`
	// Timeout bounds one delivery (default 15s).
	Timeout time.Duration `yaml:"-"`
}

// ApplyDefaults fills empty keys.
func (c *Config) ApplyDefaults() {
	if c.Method == "" {
		c.Method = http.MethodPost
	}
	c.Method = strings.ToUpper(c.Method)
	if c.ContentType == "" && c.Body != "" {
		if strings.HasPrefix(strings.TrimSpace(c.Body), "{") {
			c.ContentType = "application/json"
		} else {
			c.ContentType = "application/x-www-form-urlencoded"
		}
	}
	if c.Timeout == 0 {
		c.Timeout = 15 * time.Second
	}
}

var funcs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"urlquery": url.QueryEscape,
}

// Validate reports every problem; keys are relative to the sms section.
func (c *Config) Validate() validate.Problems {
	var ps validate.Problems
	if !phoneOK(c.To) {
		ps.Add("to", "%q is not a phone number in international form; write it like +4915112345678", c.To)
	}
	if _, err := template.New("url").Funcs(funcs).Parse(c.URL); err != nil {
		ps.Add("url", "not a valid template: %v", err)
	} else if u, err := url.Parse(strings.SplitN(c.URL, "{{", 2)[0]); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		ps.Add("url", "%q does not start with an http(s) URL", c.URL)
	}
	switch c.Method {
	case http.MethodPost, http.MethodGet, http.MethodPut:
	default:
		ps.Add("method", "%q is not supported; use POST, PUT or GET", c.Method)
	}
	if _, err := template.New("body").Funcs(funcs).Parse(c.Body); err != nil {
		ps.Add("body", "not a valid template: %v", err)
	}
	if c.Method == http.MethodGet && c.Body != "" {
		ps.Add("body", "a GET request has no body; put the text into the url with {{.Text | urlquery}}")
	}
	if c.Method != http.MethodGet && c.Body == "" && !strings.Contains(c.URL, ".Text") {
		ps.Add("body", "missing; the text must go into the body or the url ({{.Text}})")
	}
	for k, v := range c.Headers {
		if _, err := template.New("h").Funcs(funcs).Parse(v); err != nil {
			ps.Add("headers."+k, "not a valid template: %v", err)
		}
	}
	return ps
}

func phoneOK(s string) bool {
	if !strings.HasPrefix(s, "+") || len(s) < 8 || len(s) > 16 {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Data is what the templates see.
type Data struct {
	To, Text, Title, Kind, Severity, Site, AckURL string
}

// Notifier sends alert messages through an HTTP SMS gateway.
type Notifier struct {
	cfg     Config
	log     *slog.Logger
	client  *http.Client
	url     *template.Template
	body    *template.Template
	headers map[string]*template.Template
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns a notifier for a validated config.
func New(cfg Config, log *slog.Logger) (*Notifier, error) {
	cfg.ApplyDefaults()
	if ps := cfg.Validate(); len(ps) > 0 {
		return nil, fmt.Errorf("sms: %v", ps[0])
	}
	if log == nil {
		log = slog.Default()
	}
	n := &Notifier{cfg: cfg, log: log, client: &http.Client{Timeout: cfg.Timeout}, headers: map[string]*template.Template{}}
	n.url = template.Must(template.New("url").Funcs(funcs).Parse(cfg.URL))
	n.body = template.Must(template.New("body").Funcs(funcs).Parse(cfg.Body))
	for k, v := range cfg.Headers {
		n.headers[k] = template.Must(template.New(k).Funcs(funcs).Parse(v))
	}
	return n, nil
}

// Text returns the SMS text of m: the short form, cut to MaxText
// characters.
func Text(m notify.Message) string {
	t := m.Short
	if t == "" {
		t = m.Title
	}
	if utf8.RuneCountInString(t) > MaxText {
		r := []rune(t)
		t = string(r[:MaxText-1]) + "…"
	}
	return t
}

func exec(t *template.Template, d Data) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return "", notify.Fatal(fmt.Errorf("fill template %s: %w", t.Name(), err))
	}
	return b.String(), nil
}

// Notify sends m to the configured number.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) (bool, error) {
	d := Data{To: n.cfg.To, Text: Text(m), Title: m.Title, Kind: string(m.Kind), Severity: m.Severity, Site: m.Site, AckURL: m.AckURL}
	u, err := exec(n.url, d)
	if err != nil {
		return notify.Result(err)
	}
	var body io.Reader
	if n.cfg.Method != http.MethodGet {
		b, err := exec(n.body, d)
		if err != nil {
			return notify.Result(err)
		}
		body = strings.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, n.cfg.Method, u, body)
	if err != nil {
		return false, notify.Fatal(fmt.Errorf("build request: the url template gives no valid URL"))
	}
	if body != nil {
		req.Header.Set("Content-Type", n.cfg.ContentType)
	}
	req.Header.Set("User-Agent", "lifeline-alert/1")
	for k, t := range n.headers {
		v, err := exec(t, d)
		if err != nil {
			return notify.Result(err)
		}
		req.Header.Set(k, v)
	}
	resp, err := n.client.Do(req)
	if err != nil {
		// The URL may hold an API key: never put it into the error.
		var ue *url.Error
		if e, ok := err.(*url.Error); ok {
			ue = e
			err = fmt.Errorf("%s: %w", ue.Op, ue.Err)
		}
		return notify.Result(notify.Transient(fmt.Errorf("send to SMS gateway: %w", err)))
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return notify.Result(notify.HTTPStatus(resp.StatusCode, string(rb)))
}
