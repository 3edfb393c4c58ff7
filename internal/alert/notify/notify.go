// Package notify holds what every alert channel shares: the rendered
// Message, the Notifier interface each channel package implements, and the
// error type that says whether a retry can help. It is a leaf package so
// that the channel packages (email, webhook, ntfy, sms) and the alert engine
// can both import it.
package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Kind says why a message is sent.
type Kind string

// The kinds of messages.
const (
	// KindFiring is the first message about an incident.
	KindFiring Kind = "firing"
	// KindEscalation goes to the next step of an escalation policy because
	// nobody acknowledged.
	KindEscalation Kind = "escalation"
	// KindUpdate tells those already notified that the set of causes changed.
	KindUpdate Kind = "update"
	// KindReminder repeats an unacknowledged incident after repeat_interval.
	KindReminder Kind = "reminder"
	// KindAckExpired re-fires an incident whose acknowledgement timed out.
	KindAckExpired Kind = "ack_expired"
	// KindResolved says that the incident is over.
	KindResolved Kind = "resolved"
	// KindTest is sent by `lifeline site alert test`.
	KindTest Kind = "test"
)

// Cause is one root cause inside a message, for channels that carry
// structured data (the webhook).
type Cause struct {
	CheckID string    `json:"check_id"`
	Name    string    `json:"name"`
	State   string    `json:"state"`
	Since   time.Time `json:"since"`
	Reason  string    `json:"reason"`
	// Affected lists, in plain words, what stops working because of this
	// cause: the checks that depend on it and what they affect.
	Affected []string `json:"affected,omitempty"`
}

// Message is one rendered notification for one receiver. Every text is in
// the site's language already.
type Message struct {
	// ID identifies the delivery; receivers can use it to drop duplicates.
	ID string `json:"id"`
	// IncidentID identifies the incident the message is about.
	IncidentID string `json:"incident_id,omitempty"`
	Kind       Kind   `json:"kind"`
	// Severity is "down", "degraded" or "ok" (resolved, test).
	Severity string `json:"severity"`
	Site     string `json:"site"`
	Lang     string `json:"lang"`
	// Title is a short subject line.
	Title string `json:"title"`
	// Text is the full plain-text message.
	Text string `json:"text"`
	// Short is a one- or two-sentence version for SMS and push, with the
	// acknowledgement link when there is one.
	Short string `json:"short"`
	// DashboardURL and AckURL are absolute links; AckURL is empty when the
	// message cannot be acknowledged.
	DashboardURL string    `json:"dashboard_url,omitempty"`
	AckURL       string    `json:"ack_url,omitempty"`
	Causes       []Cause   `json:"causes,omitempty"`
	At           time.Time `json:"at"`
}

// Notifier delivers messages through one channel to one receiver.
type Notifier interface {
	// Notify delivers m. It returns nil when the receiving server accepted
	// the message. Otherwise retry tells whether trying again later can
	// help (a timeout, a 503, an SMTP 4xx) or not (a 401, an SMTP 5xx, a bad
	// certificate): a fatal failure needs a person to fix the set-up.
	Notify(ctx context.Context, m Message) (retry bool, err error)
}

// Error is a delivery failure that knows whether a retry can help.
type Error struct {
	Retry bool
	Err   error
}

// Error returns the message of the wrapped error.
func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *Error) Unwrap() error { return e.Err }

// Transient wraps err as a failure that a later retry may cure.
func Transient(err error) error { return &Error{Retry: true, Err: err} }

// Fatal wraps err as a failure that retrying will not cure.
func Fatal(err error) error { return &Error{Retry: false, Err: err} }

// Result turns an error into the (retry, err) pair of Notifier.Notify.
// Errors that are not an *Error are treated as transient when they look
// like network trouble or a timeout, else as fatal.
func Result(err error) (bool, error) {
	if err == nil {
		return false, nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Retry, err
	}
	return IsNetwork(err), err
}

// IsNetwork reports whether err is a network failure or a timeout, which a
// retry may cure.
func IsNetwork(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}

// HTTPStatus classifies the status of an HTTP answer: nil for 2xx, a
// transient error for 408, 425, 429 and 5xx, a fatal one for the rest.
func HTTPStatus(code int, body string) error {
	if code >= 200 && code < 300 {
		return nil
	}
	if len(body) > 200 {
		body = body[:200] + "…"
	}
	err := fmt.Errorf("HTTP %d %s: %s", code, http.StatusText(code), body)
	switch {
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly,
		code == http.StatusTooManyRequests, code >= 500:
		return Transient(err)
	default:
		return Fatal(err)
	}
}
