package alert

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/alert/notify"
	"github.com/lifeline-project/lifeline/internal/check"
)

// Notifier is implemented by every channel package; see notify.Notifier.
type Notifier = notify.Notifier

// Message is a rendered notification; see notify.Message.
type Message = notify.Message

// Kind says why a message is sent; see notify.Kind.
type Kind = notify.Kind

// Alert is one firing root cause: a check that is down (or degraded) and
// not explained by a check it depends on.
type Alert struct {
	CheckID string      `json:"check_id"`
	Name    string      `json:"name"`
	Group   string      `json:"group"`
	State   check.State `json:"state"`
	Since   time.Time   `json:"since"`
	Reason  check.Text  `json:"reason"`
	// Affected lists, in plain words, what stops working: the check's own
	// "affects", then the checks that depend on it and what they affect.
	Affected []string `json:"affected,omitempty"`
}

// Event is one line of an incident's history.
type Event struct {
	At   time.Time  `json:"at"`
	Text check.Text `json:"text"`
}

// Incident is one episode of trouble of one routing group: from the first
// firing alert to the resolved message. It carries the escalation state and
// is persisted before every step, so that a restart resumes it.
type Incident struct {
	ID    string `json:"id"`
	Key   string `json:"key"`
	Route int    `json:"route"`
	// Opened is when the first alert arrived; NotifyAt when the first
	// message goes out (Opened + group_wait + the first step's delay).
	Opened   time.Time `json:"opened"`
	NotifyAt time.Time `json:"notify_at"`
	// Alerts are the firing root causes (the last ones, once resolved).
	Alerts []Alert `json:"alerts"`
	// SentSig identifies the causes the last message told about.
	SentSig    string    `json:"sent_sig,omitempty"`
	NotifiedAt time.Time `json:"notified_at"`
	LastMsgAt  time.Time `json:"last_msg_at"`
	RepeatAt   time.Time `json:"repeat_at"`
	// Receivers got a firing message and get the updates and the resolved
	// message.
	Receivers []string `json:"receivers,omitempty"`
	// Step and Loop are the escalation position; NextStepAt is zero when no
	// further step is due.
	Step       int       `json:"step"`
	Loop       int       `json:"loop"`
	NextStepAt time.Time `json:"next_step_at"`
	// AckedBy and AckedAt record the acknowledgement, if any.
	AckedBy string    `json:"acked_by,omitempty"`
	AckedAt time.Time `json:"acked_at"`
	// ClearSince is when the last alert stopped firing (zero while firing).
	ClearSince   time.Time `json:"clear_since"`
	Closed       time.Time `json:"closed"`
	ClosedReason string    `json:"closed_reason,omitempty"`
	Events       []Event   `json:"events,omitempty"`

	// sig caches signature(Alerts).
	sig string
}

// alertSig returns the signature of the current alerts.
func (inc *Incident) alertSig() string {
	if inc.sig == "" && len(inc.Alerts) > 0 {
		inc.sig = signature(inc.Alerts)
	}
	return inc.sig
}

// Notified reports whether the incident's first message went out.
func (inc *Incident) Notified() bool { return !inc.NotifiedAt.IsZero() }

// Acked reports whether somebody acknowledged the incident.
func (inc *Incident) Acked() bool { return !inc.AckedAt.IsZero() }

// Open reports whether the incident is not closed.
func (inc *Incident) Open() bool { return inc.Closed.IsZero() }

// Severity is the worst state among the alerts.
func (inc *Incident) Severity() check.State {
	s := check.StateOK
	for _, a := range inc.Alerts {
		if a.State.Severity() > s.Severity() {
			s = a.State
		}
	}
	return s
}

// Names lists the names of the alerts' checks.
func (inc *Incident) Names() []string {
	out := make([]string, len(inc.Alerts))
	for i, a := range inc.Alerts {
		out[i] = a.Name
	}
	return out
}

const maxEvents = 50

func (inc *Incident) event(at time.Time, de, en string) {
	inc.Events = append(inc.Events, Event{At: at, Text: check.Msg(de, en)})
	if len(inc.Events) > maxEvents {
		// A fresh slice: copies handed out by Incidents keep theirs intact.
		inc.Events = append([]Event(nil), inc.Events[len(inc.Events)-maxEvents:]...)
	}
}

func (inc *Incident) addReceiver(name string) {
	if !slices.Contains(inc.Receivers, name) {
		inc.Receivers = append(inc.Receivers, name)
	}
}

// signature identifies a set of alerts by check and state.
func signature(as []Alert) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = a.CheckID + ":" + string(a.State)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// sortAlerts orders alerts in the fixed recovery order of the dashboard
// groups (power, network, access, ERP, other), then by start.
func sortAlerts(as []Alert) {
	rank := func(g string) int {
		if i := slices.Index(check.Groups, g); i >= 0 {
			return i
		}
		return len(check.Groups)
	}
	sort.SliceStable(as, func(i, j int) bool {
		if ri, rj := rank(as[i].Group), rank(as[j].Group); ri != rj {
			return ri < rj
		}
		if !as[i].Since.Equal(as[j].Since) {
			return as[i].Since.Before(as[j].Since)
		}
		return as[i].CheckID < as[j].CheckID
	})
}

// DeliveryStatus is the state of one delivery in the log.
type DeliveryStatus string

// Delivery states.
const (
	StatusPending DeliveryStatus = "pending"
	StatusRetry   DeliveryStatus = "retry"
	StatusSent    DeliveryStatus = "sent"
	StatusFailed  DeliveryStatus = "failed"
)

// Delivery is one message to one receiver, with its attempts: a line of the
// delivery log.
type Delivery struct {
	ID         string
	IncidentID string
	Receiver   string
	// Person is the person the receiver belongs to, when known.
	Person    string
	Kind      Kind
	Created   time.Time
	Status    DeliveryStatus
	Attempts  int
	NextAt    time.Time
	LastError string
	SentAt    time.Time
	Message   Message
}

// Silence mutes the matching alerts from Starts to Ends. Empty Checks and
// Groups mute everything.
type Silence struct {
	ID        string
	Checks    []string
	Groups    []string
	Comment   string
	CreatedBy string
	Created   time.Time
	Starts    time.Time
	Ends      time.Time
	// FromConfig is true for silences of the configuration file, which
	// cannot be ended on the dashboard.
	FromConfig bool
}

// Active reports whether the silence mutes at t.
func (s Silence) Active(t time.Time) bool { return !t.Before(s.Starts) && t.Before(s.Ends) }

// Matches reports whether the silence covers a check in a group.
func (s Silence) Matches(checkID, group string) bool {
	return matchAny(s.Checks, s.Groups, checkID, group)
}

func matchAny(checks, groups []string, checkID, group string) bool {
	if len(checks) == 0 && len(groups) == 0 {
		return true
	}
	return slices.Contains(checks, checkID) || slices.Contains(groups, group)
}
