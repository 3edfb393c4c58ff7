// Package check holds the domain of dependency monitoring: what a check is
// (Spec), what one probe found (Result), the per-check state with hysteresis
// (Tracker) and the dependency tree that separates root causes from
// consequences (Evaluate). Probers live in one sub-package per kind.
package check

import (
	"context"
	"time"
)

// Status is the verdict of a single probe.
type Status int

// Probe verdicts. StatusUnknown means the prober could not tell (for example
// a UPS whose data is stale); it is not counted as a failure.
const (
	StatusOK Status = iota
	StatusDegraded
	StatusFail
	StatusUnknown
)

// String returns the verdict as a lower-case word.
func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusDegraded:
		return "degraded"
	case StatusFail:
		return "fail"
	default:
		return "unknown"
	}
}

// Text is a message in German and English. German is the default language
// of the user interface.
type Text struct {
	DE string `json:"de"`
	EN string `json:"en"`
}

// Msg builds a Text from a German and an English sentence.
func Msg(de, en string) Text { return Text{DE: de, EN: en} }

// In returns the text in lang ("de" or "en"), falling back to German.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" {
		return t.EN
	}
	return t.DE
}

// IsZero reports whether the text is empty in both languages.
func (t Text) IsZero() bool { return t.DE == "" && t.EN == "" }

// Result is what one probe found.
type Result struct {
	Status  Status
	Latency time.Duration
	// Message explains the result in plain words, for example
	// "Verbindung abgelehnt" or "Akku 45 %, Netzbetrieb".
	Message Text
	// Values holds measured figures worth keeping, keyed by a snake_case
	// name: "battery_charge", "days_left", "offset_seconds", "free_percent".
	Values map[string]float64
}

// Prober runs one probe of one check. Implementations are safe for use by
// one goroutine at a time; the monitor never calls Probe concurrently for the
// same check. Probe must honour ctx (the check's timeout) and never panic;
// every failure is reported as a Result with StatusFail and a message.
type Prober interface {
	Probe(ctx context.Context) Result
}

// ProberFunc adapts a function to the Prober interface.
type ProberFunc func(ctx context.Context) Result

// Probe calls f.
func (f ProberFunc) Probe(ctx context.Context) Result { return f(ctx) }

// Fail is a shorthand for a failed Result.
func Fail(latency time.Duration, de, en string) Result {
	return Result{Status: StatusFail, Latency: latency, Message: Msg(de, en)}
}

// OK is a shorthand for a successful Result.
func OK(latency time.Duration, de, en string) Result {
	return Result{Status: StatusOK, Latency: latency, Message: Msg(de, en)}
}
