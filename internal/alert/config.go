package alert

import (
	"time"

	"github.com/lifeline-project/lifeline/internal/alert/email"
	"github.com/lifeline-project/lifeline/internal/alert/ntfy"
	"github.com/lifeline-project/lifeline/internal/alert/sms"
	"github.com/lifeline-project/lifeline/internal/alert/webhook"
	"github.com/lifeline-project/lifeline/internal/check"
)

// Defaults of the alert section.
const (
	DefaultGroupWait      = 30 * time.Second
	DefaultGroupInterval  = 5 * time.Minute
	DefaultRepeatInterval = 4 * time.Hour
	DefaultResolveWait    = 2 * time.Minute
	DefaultAckLinkValid   = 24 * time.Hour
	DefaultAckTimeout     = time.Hour
	DefaultLoopDelay      = 15 * time.Minute
	DefaultHeartbeatEvery = 5 * time.Minute
	DefaultRetryAttempts  = 6
	DefaultRetryFirst     = 5 * time.Second
	DefaultRetryMax       = 5 * time.Minute
)

// Config is the alert section of the site configuration.
//
//	alert:
//	  public_url: http://192.168.1.10:8080
//	  receivers:
//	    - name: anna-push
//	      ntfy: {url: https://ntfy.sh/apotheke-am-markt-7f3k}
//	  people:
//	    - {id: anna, name: Anna Becker, receivers: [anna-push]}
//	  routes:
//	    - {people: [anna]}
type Config struct {
	// PublicURL is the dashboard's address as the phones of the staff
	// reach it (for the links in messages), like http://192.168.1.10:8080.
	PublicURL string `yaml:"public_url"`
	// GroupWait is how long the first message of an incident waits for
	// further causes to collect them into one message (default 30s). A
	// check that recovers within it sends nothing.
	GroupWait check.Duration `yaml:"group_wait"`
	// GroupInterval is the least time between two update messages of one
	// incident when its causes change (default 5m).
	GroupInterval check.Duration `yaml:"group_interval"`
	// RepeatInterval repeats an unacknowledged incident (default 4h).
	RepeatInterval check.Duration `yaml:"repeat_interval"`
	// ResolveWait is how long everything must stay fine before the
	// resolved message goes out (default 2m); a check that flaps within it
	// continues the incident instead of opening a new one.
	ResolveWait check.Duration `yaml:"resolve_wait"`
	// AckLinkValid is how long an acknowledgement link works (default 24h).
	AckLinkValid check.Duration `yaml:"ack_link_valid"`
	// Retry controls how failed deliveries are retried.
	Retry Retry `yaml:"retry"`
	// Receivers are the channels: each one email, webhook, ntfy or sms.
	Receivers []Receiver `yaml:"receivers"`
	// People are the staff who can be alerted, each with their receivers.
	People []Person `yaml:"people"`
	// Rotas say who is on call when.
	Rotas []Rota `yaml:"rotas"`
	// EscalationPolicies say who is alerted next when nobody acknowledges.
	EscalationPolicies []Policy `yaml:"escalation_policies"`
	// Routes send alerts to receivers, people, rotas or an escalation
	// policy. For every alert the first matching route counts (and the
	// following ones too when it says continue). With no route, nothing is
	// sent.
	Routes []Route `yaml:"routes"`
	// Silences mute alerts until an expiry, with a comment why.
	Silences []SilenceRule `yaml:"silences"`
	// MaintenanceWindows mute alerts at recurring times (local time).
	MaintenanceWindows []MaintenanceWindow `yaml:"maintenance_windows"`
	// FirstSteps holds the first step of the runbook per check id or
	// dashboard group; it overrides the built-in advice per group.
	FirstSteps map[string]string `yaml:"first_steps"`
	// Heartbeat is the outside dead-man's switch.
	Heartbeat Heartbeat `yaml:"heartbeat"`
}

// Retry controls the retries of failed deliveries: after a transient
// failure the delivery is tried again after First, then twice as long each
// time, at most Max apart, Attempts times in all.
type Retry struct {
	Attempts int            `yaml:"attempts"`
	First    check.Duration `yaml:"first"`
	Max      check.Duration `yaml:"max"`
}

// Receiver is one channel with its destination. Exactly one of the
// channel keys is set. YAML anchors share settings between receivers:
//
//   - name: anna-mail
//     email: {<<: *smtp, to: [anna@example.de]}
type Receiver struct {
	Name    string          `yaml:"name"`
	Email   *email.Config   `yaml:"email"`
	Webhook *webhook.Config `yaml:"webhook"`
	Ntfy    *ntfy.Config    `yaml:"ntfy"`
	SMS     *sms.Config     `yaml:"sms"`
}

// Channel returns the name of the receiver's channel.
func (r Receiver) Channel() string {
	switch {
	case r.Email != nil:
		return "email"
	case r.Webhook != nil:
		return "webhook"
	case r.Ntfy != nil:
		return "ntfy"
	case r.SMS != nil:
		return "sms"
	default:
		return ""
	}
}

// Person is a member of staff who can be alerted.
type Person struct {
	ID        string   `yaml:"id"`
	Name      string   `yaml:"name"`
	Receivers []string `yaml:"receivers"`
}

// Rota says who is on call when, in the site's local time. Layers are
// checked from the last to the first: the last layer that has somebody on
// call at a moment wins, so special duties (the emergency-duty night) go
// below the weekly shifts. Overrides win over every layer.
type Rota struct {
	ID        string     `yaml:"id"`
	Name      string     `yaml:"name"`
	Layers    []Layer    `yaml:"layers"`
	Overrides []Override `yaml:"overrides"`
}

// Layer is one recurring shift: on the given weekdays (or dates) from
// Start to End local time; an End at or before Start ends the next day.
// With Rotate, one person of People is on call at a time, changing every
// day or week counted from RotationStart; without it, all of them are.
type Layer struct {
	Name string `yaml:"name"`
	// Days are weekdays: mon, tue, wed, thu, fri, sat, sun. Empty with no
	// Dates means every day.
	Days []string `yaml:"days"`
	// Dates are single days (YYYY-MM-DD), for example the emergency-duty
	// nights of the chamber's rota.
	Dates []string `yaml:"dates"`
	// Start and End are HH:MM local time; 00:00 to 24:00 is the whole day.
	Start  string   `yaml:"start"`
	End    string   `yaml:"end"`
	People []string `yaml:"people"`
	// Rotate is "", daily or weekly.
	Rotate string `yaml:"rotate"`
	// RotationStart is the date (YYYY-MM-DD) the first person of People
	// starts; default 2026-01-05 (a Monday).
	RotationStart string `yaml:"rotation_start"`
}

// Override puts Person on call from From to To (YYYY-MM-DD HH:MM local
// time), for holidays and sickness. With InsteadOf, the person replaces only
// that person; without, the whole rota.
type Override struct {
	From      string `yaml:"from"`
	To        string `yaml:"to"`
	Person    string `yaml:"person"`
	InsteadOf string `yaml:"instead_of"`
	Comment   string `yaml:"comment"`
}

// Policy is an escalation policy: the steps are alerted one after the
// other until somebody acknowledges.
type Policy struct {
	ID    string `yaml:"id"`
	Steps []Step `yaml:"steps"`
	// Loops is how many more times the steps are run after the last one
	// (default 0).
	Loops int `yaml:"loops"`
	// LoopDelay is the wait after the last step before the first step
	// comes again (default 15m).
	LoopDelay check.Duration `yaml:"loop_delay"`
	// AckTimeout re-fires an acknowledged incident that is still not
	// resolved after it (default 1h); "0s" keeps an acknowledgement forever.
	AckTimeout *check.Duration `yaml:"ack_timeout"`
}

// Step is one escalation step: after Delay (from the previous step; for
// the first step from the end of group_wait) the targets are alerted.
type Step struct {
	Delay     check.Duration `yaml:"delay"`
	People    []string       `yaml:"people"`
	Rotas     []string       `yaml:"rotas"`
	Receivers []string       `yaml:"receivers"`
}

// Route sends the alerts it matches. Empty matchers match everything;
// Severity defaults to [down], so that a degraded check (slow, certificate
// expiring in weeks) wakes nobody unless a route asks for it.
type Route struct {
	Name   string   `yaml:"name"`
	Checks []string `yaml:"checks"`
	Groups []string `yaml:"groups"`
	// Severity lists the states that alert: down, degraded.
	Severity []string `yaml:"severity"`
	// Targets: receivers, people and rotas directly, or an escalation
	// policy.
	Receivers  []string `yaml:"receivers"`
	People     []string `yaml:"people"`
	Rotas      []string `yaml:"rotas"`
	Escalation string   `yaml:"escalation"`
	// GroupBy is site (default: all causes of the site in one message) or
	// check (one incident per cause).
	GroupBy string `yaml:"group_by"`
	// Continue lets the following routes match the same alerts too.
	Continue bool `yaml:"continue"`
}

// SilenceRule mutes the matching alerts until Until (YYYY-MM-DD HH:MM
// local time). Empty Checks and Groups mute everything.
type SilenceRule struct {
	Checks  []string `yaml:"checks"`
	Groups  []string `yaml:"groups"`
	Comment string   `yaml:"comment"`
	From    string   `yaml:"from"`
	Until   string   `yaml:"until"`
}

// MaintenanceWindow mutes the matching alerts on the given days from Start
// to End local time (End at or before Start: the next day).
type MaintenanceWindow struct {
	Name    string   `yaml:"name"`
	Checks  []string `yaml:"checks"`
	Groups  []string `yaml:"groups"`
	Days    []string `yaml:"days"`
	Start   string   `yaml:"start"`
	End     string   `yaml:"end"`
	Comment string   `yaml:"comment"`
}

// Heartbeat sends a sign of life to an outside service (the fleet, or a
// healthchecks-style service) every Every, so that somebody outside
// notices when the site node, its power or its line is gone.
type Heartbeat struct {
	URL   string         `yaml:"url"`
	Every check.Duration `yaml:"every"`
}

// Routing keys.
const (
	GroupBySite  = "site"
	GroupByCheck = "check"
)

// ApplyDefaults fills the keys left empty with their defaults.
func (c *Config) ApplyDefaults() {
	def := func(d *check.Duration, v time.Duration) {
		if *d == 0 {
			*d = check.Duration(v)
		}
	}
	def(&c.GroupWait, DefaultGroupWait)
	def(&c.GroupInterval, DefaultGroupInterval)
	def(&c.RepeatInterval, DefaultRepeatInterval)
	def(&c.ResolveWait, DefaultResolveWait)
	def(&c.AckLinkValid, DefaultAckLinkValid)
	if c.Retry.Attempts == 0 {
		c.Retry.Attempts = DefaultRetryAttempts
	}
	def(&c.Retry.First, DefaultRetryFirst)
	def(&c.Retry.Max, DefaultRetryMax)
	for i := range c.Receivers {
		r := &c.Receivers[i]
		if r.Email != nil {
			r.Email.ApplyDefaults()
		}
		if r.Webhook != nil {
			r.Webhook.ApplyDefaults()
		}
		if r.Ntfy != nil {
			r.Ntfy.ApplyDefaults()
		}
		if r.SMS != nil {
			r.SMS.ApplyDefaults()
		}
	}
	for i := range c.People {
		if c.People[i].Name == "" {
			c.People[i].Name = c.People[i].ID
		}
	}
	for i := range c.Rotas {
		if c.Rotas[i].Name == "" {
			c.Rotas[i].Name = c.Rotas[i].ID
		}
	}
	for i := range c.EscalationPolicies {
		p := &c.EscalationPolicies[i]
		def(&p.LoopDelay, DefaultLoopDelay)
		if p.AckTimeout == nil {
			d := check.Duration(DefaultAckTimeout)
			p.AckTimeout = &d
		}
	}
	for i := range c.Routes {
		r := &c.Routes[i]
		if len(r.Severity) == 0 {
			r.Severity = []string{string(check.StateDown)}
		}
		if r.GroupBy == "" {
			r.GroupBy = GroupBySite
		}
	}
	if c.Heartbeat.URL != "" {
		def(&c.Heartbeat.Every, DefaultHeartbeatEvery)
	}
}

// Enabled reports whether any route can send a message.
func (c *Config) Enabled() bool { return len(c.Routes) > 0 && len(c.Receivers) > 0 }
