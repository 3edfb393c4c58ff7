package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/clock"
)

// HTTPError is an unexpected answer of the FHIR server.
type HTTPError struct {
	Status int
	URL    string
	// Detail is the server's explanation (OperationOutcome diagnostics or
	// OAuth error), shortened.
	Detail string
}

// Error names status, address and the server's explanation.
func (e *HTTPError) Error() string {
	s := fmt.Sprintf("%s answered %d %s", redactURL(e.URL), e.Status, http.StatusText(e.Status))
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// TransientError is a failure a later retry may cure: 429, 502, 503, 504
// or a broken connection. RetryAfter is the server's Retry-After, or 0.
type TransientError struct {
	Err        error
	RetryAfter time.Duration
}

// Error returns the cause.
func (e *TransientError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *TransientError) Unwrap() error { return e.Err }

// IsTransient reports whether err is worth retrying later.
func IsTransient(err error) bool {
	var t *TransientError
	return errors.As(err, &t)
}

func retryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// parseRetryAfter reads Retry-After: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// redactURL drops the query of a URL for messages (it may hold signed
// download parameters).
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(invalid URL)"
	}
	u.RawQuery, u.User = "", nil
	return u.String()
}

// ClientOptions configure a Client.
type ClientOptions struct {
	// BaseURL is the FHIR base without a trailing slash.
	BaseURL string
	// ExportPath is the export operation below the base ("$export").
	ExportPath string
	HTTP       *http.Client
	// Token authenticates the requests; nil sends none.
	Token TokenSource
	Clock clock.Clock
	// Sleep waits d or until ctx ends; nil uses a timer. Tests advance a
	// fake clock instead of sleeping.
	Sleep func(ctx context.Context, d time.Duration) error
	Log   *slog.Logger
	// MaxRetries is how often one request is retried after a transient
	// failure (default 6).
	MaxRetries int
	// MaxWait caps one wait asked for by Retry-After (default 10m).
	MaxWait time.Duration
}

// Client talks to a FHIR R4 server: Bulk Data export and searches.
type Client struct {
	o ClientOptions
}

// NewClient returns a client.
func NewClient(o ClientOptions) (*Client, error) {
	u, err := url.Parse(o.BaseURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("fhir client: base URL %q is not valid", o.BaseURL)
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	if o.ExportPath == "" {
		o.ExportPath = DefaultExportPath
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: DefaultTimeout}
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 6
	}
	if o.MaxWait == 0 {
		o.MaxWait = 10 * time.Minute
	}
	return &Client{o: o}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// backoff returns the wait before retry n (0-based) when the server gave no
// Retry-After: 1s, 2s, 4s, ... at most 1 minute.
func backoff(n int) time.Duration {
	d := time.Second << min(n, 6)
	return min(d, time.Minute)
}

// sameOrigin reports whether u is on the server of the base URL, so the
// token may be sent there.
func (c *Client) sameOrigin(u string) bool {
	a, err1 := url.Parse(u)
	b, err2 := url.Parse(c.o.BaseURL)
	return err1 == nil && err2 == nil && a.Scheme == b.Scheme && strings.EqualFold(a.Host, b.Host)
}

// do sends the request built by mk, with the token when auth is set; it
// retries transient failures (honouring Retry-After) and a refused token
// once. The caller closes the body of a returned response; statuses other
// than 2xx are returned as errors, except those listed in pass.
func (c *Client) do(ctx context.Context, mk func() (*http.Request, error), auth bool, pass ...int) (*http.Response, error) {
	refreshed := false
	for attempt := 0; ; attempt++ {
		resp, err := c.once(ctx, mk, auth)
		if err == nil {
			if resp.StatusCode/100 == 2 || contains(pass, resp.StatusCode) {
				return resp, nil
			}
			err = c.statusError(resp)
			if resp.StatusCode == http.StatusUnauthorized && auth && c.o.Token != nil && !refreshed {
				refreshed = true
				c.o.Token.Invalidate()
				attempt--
				continue
			}
		}
		var t *TransientError
		if !errors.As(err, &t) || attempt >= c.o.MaxRetries || ctx.Err() != nil {
			return nil, err
		}
		wait := t.RetryAfter
		if wait == 0 {
			wait = backoff(attempt)
		}
		wait = min(wait, c.o.MaxWait)
		c.o.Log.Info("fhir: server busy or unreachable; waiting before the next try", "wait", wait, "attempt", attempt+1, "err", err)
		if err := c.o.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func (c *Client) once(ctx context.Context, mk func() (*http.Request, error), auth bool) (*http.Response, error) {
	req, err := mk()
	if err != nil {
		return nil, err
	}
	req = req.WithContext(ctx)
	if auth && c.o.Token != nil {
		tok, err := c.o.Token.Token(ctx)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := c.o.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // its message repeats the URL with the query
		}
		return nil, &TransientError{Err: fmt.Errorf("%s %s: %w", req.Method, redactURL(req.URL.String()), err)}
	}
	return resp, nil
}

// statusError reads and closes an unexpected response.
func (c *Client) statusError(resp *http.Response) error {
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	herr := &HTTPError{Status: resp.StatusCode, URL: resp.Request.URL.String(), Detail: outcomeText(body)}
	if retryable(resp.StatusCode) {
		return &TransientError{Err: herr, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.o.Clock.Now())}
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return &Error{Code: EUNAUTHORIZED, Message: msgUnauthorized(), Err: herr}
	}
	return herr
}

// outcomeText extracts the diagnostics of an OperationOutcome, shortened.
func outcomeText(body []byte) string {
	var oo struct {
		ResourceType string `json:"resourceType"`
		Issue        []struct {
			Severity    string           `json:"severity"`
			Code        string           `json:"code"`
			Diagnostics string           `json:"diagnostics"`
			Details     *codeableConcept `json:"details"`
		} `json:"issue"`
	}
	if json.Unmarshal(body, &oo) != nil || oo.ResourceType != "OperationOutcome" {
		return ""
	}
	var parts []string
	for _, i := range oo.Issue {
		t := i.Diagnostics
		if t == "" && i.Details != nil {
			t = i.Details.coded().Text
		}
		if t == "" {
			t = i.Code
		}
		parts = append(parts, t)
	}
	s := strings.Join(parts, "; ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
