// Package incident records every outage of the site as evidence that an
// insurer, a vendor or a court accepts: when it began and ended, what was
// affected, what the root cause was, and what the pharmacy did.
//
// The monitor opens and closes incidents (Recorder.Observe, registered with
// monitor.OnTransition): one incident per root cause that goes down, with
// the checks that fail because of it. Each incident has a timeline of
// entries: state changes, alerts sent and acknowledged, emergency mode on
// and off, checklist steps, staff notes, hotline calls with the waiting
// time, broadcasts from the fleet, costs, the retrospective. Other features
// add entries through the Recorder's methods.
//
// Entries are append-only and hash chained across the whole site: each
// entry's hash covers its content and the previous entry's hash, and the
// head of the chain is kept beside it. Verify walks the chain and names
// every entry that was changed, removed or inserted; `lifeline incident
// verify` runs it. Exports (JSON, CSV, PDF) carry the hash of the
// incident's last entry, so a copy handed out anchors the chain outside the
// site.
//
// This package also owns the configuration of the features built on the
// incidents (runbook, binder, certificate calendar, drills), so that the
// site configuration has one "incident" section.
package incident

import (
	"slices"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// Source says who opened an incident.
type Source string

// Sources of incidents.
const (
	// SourceMonitor: the monitor saw a root cause go down.
	SourceMonitor Source = "monitor"
	// SourceManual: a member of staff opened it (an outage the monitor
	// cannot see, or emergency mode switched on without a detected cause).
	SourceManual Source = "manual"
)

// System actors. Entries made by people carry the user name; entries made
// by lifeline itself carry one of these, which no user name can be (user
// names do not start with "@").
const (
	ActorMonitor = "@monitor"
	ActorAlert   = "@alert"
	ActorFleet   = "@fleet"
	ActorDrill   = "@drill"
	ActorSystem  = "@system"
)

// ActorWords returns the actor as a person reads it: the user name, or the
// system actor in words.
func ActorWords(actor string) check.Text {
	switch actor {
	case ActorMonitor:
		return check.Msg("Überwachung", "monitoring")
	case ActorAlert:
		return check.Msg("Alarmierung", "alerting")
	case ActorFleet:
		return check.Msg("Leitstelle (Flotte)", "fleet")
	case ActorDrill:
		return check.Msg("Übungsleitung", "drill")
	case ActorSystem:
		return check.Msg("lifeline", "lifeline")
	default:
		return check.Msg(actor, actor)
	}
}

// Cause is a root cause of an incident: a check that went down and was
// not explained by another check being down.
type Cause struct {
	CheckID string `json:"check_id"`
	Name    string `json:"name"`
	Group   string `json:"group"`
	// Reason is the check's message when it went down.
	Reason check.Text `json:"reason"`
}

// Incident is one outage: from the moment a root cause went down until
// every check involved is fine again. The row is a projection of the
// entries; the entries are the evidence.
type Incident struct {
	ID     int64      `json:"id"`
	Title  check.Text `json:"title"`
	Source Source     `json:"source"`
	// OpenedAt is when the root cause went down; ClosedAt is zero while
	// the incident is open.
	OpenedAt time.Time `json:"opened_at"`
	ClosedAt time.Time `json:"closed_at"`
	// RootCauses are every root cause seen during the incident, in order.
	RootCauses []Cause `json:"root_causes"`
	// Involved lists the ids of every check that was down or degraded
	// because of the incident's root causes, the root causes included.
	Involved []string `json:"involved"`
	// Affected lists, in plain words, what stopped working.
	Affected []string `json:"affected"`
	// DrillID is the drill that simulated the outage; 0 for a real one.
	DrillID int64 `json:"drill_id,omitempty"`
	// Retro is true once the retrospective was answered (or skipped).
	Retro bool `json:"retro"`
	// CostCents is the sum of the costs entered by staff.
	CostCents int64 `json:"cost_cents"`
	// Emergency is true while emergency mode is recorded as on.
	Emergency bool `json:"emergency"`
	// LastSeq and LastHash identify the incident's newest entry.
	LastSeq  int64  `json:"last_seq"`
	LastHash string `json:"last_hash"`
}

// Open reports whether the incident is still going on.
func (i Incident) Open() bool { return i.ClosedAt.IsZero() }

// Drill reports whether the incident was simulated by a drill.
func (i Incident) Drill() bool { return i.DrillID != 0 }

// Duration returns how long the incident lasted, or lasts until now.
func (i Incident) Duration(now time.Time) time.Duration {
	end := i.ClosedAt
	if end.IsZero() {
		end = now
	}
	if end.Before(i.OpenedAt) {
		return 0
	}
	return end.Sub(i.OpenedAt)
}

// Involves reports whether the check takes part in the incident.
func (i Incident) Involves(checkID string) bool { return slices.Contains(i.Involved, checkID) }

// HasRoot reports whether the check is one of the incident's root causes.
func (i Incident) HasRoot(checkID string) bool {
	for _, c := range i.RootCauses {
		if c.CheckID == checkID {
			return true
		}
	}
	return false
}

// RootNames lists the names of the root causes.
func (i Incident) RootNames() []string {
	out := make([]string, len(i.RootCauses))
	for k, c := range i.RootCauses {
		out[k] = c.Name
	}
	return out
}

// Kind is the kind of a timeline entry.
type Kind string

// Kinds of entries.
const (
	KindOpened        Kind = "opened"
	KindClosed        Kind = "closed"
	KindState         Kind = "state"
	KindAlertSent     Kind = "alert_sent"
	KindAlertAcked    Kind = "alert_acked"
	KindEmergencyOn   Kind = "emergency_on"
	KindEmergencyOff  Kind = "emergency_off"
	KindChecklistStep Kind = "checklist_step"
	KindNote          Kind = "note"
	KindHotline       Kind = "hotline"
	KindBroadcast     Kind = "broadcast"
	KindCost          Kind = "cost"
	KindRetrospective Kind = "retrospective"
	KindImprovement   Kind = "improvement"
	KindDrill         Kind = "drill"
)

// Words returns the kind as the timeline labels it.
func (k Kind) Words() check.Text {
	switch k {
	case KindOpened:
		return check.Msg("Beginn", "Start")
	case KindClosed:
		return check.Msg("Ende", "End")
	case KindState:
		return check.Msg("Zustand", "State")
	case KindAlertSent:
		return check.Msg("Meldung gesendet", "Alert sent")
	case KindAlertAcked:
		return check.Msg("Meldung bestätigt", "Alert acknowledged")
	case KindEmergencyOn:
		return check.Msg("Notbetrieb an", "Emergency mode on")
	case KindEmergencyOff:
		return check.Msg("Notbetrieb aus", "Emergency mode off")
	case KindChecklistStep:
		return check.Msg("Checkliste", "Checklist")
	case KindNote:
		return check.Msg("Notiz", "Note")
	case KindHotline:
		return check.Msg("Hotline", "Hotline")
	case KindBroadcast:
		return check.Msg("Nachricht der Leitstelle", "Fleet broadcast")
	case KindCost:
		return check.Msg("Kosten", "Cost")
	case KindRetrospective:
		return check.Msg("Nachbesprechung", "Retrospective")
	case KindImprovement:
		return check.Msg("Verbesserung", "Improvement")
	case KindDrill:
		return check.Msg("Übung", "Drill")
	default:
		return check.Msg(string(k), string(k))
	}
}

// Measure reports whether an entry of this kind is something the pharmacy
// did (for the "measures" of a report). Notes count when marked as a
// measure; see Entry.IsMeasure.
func (k Kind) measure() bool {
	switch k {
	case KindEmergencyOn, KindEmergencyOff, KindChecklistStep, KindHotline, KindAlertAcked:
		return true
	}
	return false
}

// NoteKind says whether a note records what was seen or what was done.
type NoteKind string

// Note kinds.
const (
	NoteObservation NoteKind = "observation"
	NoteMeasure     NoteKind = "measure"
)

// Draft is an entry before it joins the chain.
type Draft struct {
	IncidentID int64
	At         time.Time
	Kind       Kind
	Actor      string
	Text       check.Text
	Data       map[string]string
	// Ref identifies the event outside (a delivery id, a broadcast id);
	// an event with a Ref is recorded at most once per incident.
	Ref string
}

// Entry is one line of an incident's timeline, sealed into the site's hash
// chain. Seq is its position in the chain (1, 2, 3, ... across all
// incidents); PrevHash is the hash of the entry before it ("" for the
// first), Hash the hash of this one (see HashEntry).
type Entry struct {
	Seq        int64             `json:"seq"`
	IncidentID int64             `json:"incident_id"`
	At         time.Time         `json:"at"`
	Kind       Kind              `json:"kind"`
	Actor      string            `json:"actor"`
	Text       check.Text        `json:"text"`
	Data       map[string]string `json:"data,omitempty"`
	Ref        string            `json:"ref,omitempty"`
	PrevHash   string            `json:"prev_hash"`
	Hash       string            `json:"hash"`
}

// IsMeasure reports whether the entry records something the pharmacy did.
func (e Entry) IsMeasure() bool {
	if e.Kind == KindChecklistStep {
		return e.Data["status"] != StepSkipped
	}
	if e.Kind == KindNote {
		return e.Data["note"] == string(NoteMeasure)
	}
	return e.Kind.measure()
}

// IsObservation reports whether the entry records what was seen.
func (e Entry) IsObservation() bool {
	if e.Kind == KindNote {
		return e.Data["note"] != string(NoteMeasure)
	}
	return e.Kind == KindBroadcast
}

// Head is the newest entry of the chain, kept beside it so that cutting
// entries off the end is found too.
type Head struct {
	Seq  int64
	Hash string
}

// Improvement is one thing to do better, from a retrospective, with an
// owner and a due date.
type Improvement struct {
	ID         int64  `json:"id"`
	IncidentID int64  `json:"incident_id"`
	Text       string `json:"text"`
	Owner      string `json:"owner"`
	// Due is a calendar date ("2026-04-30"); empty when none was given.
	Due       string    `json:"due,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	DoneAt    time.Time `json:"done_at"`
	DoneBy    string    `json:"done_by,omitempty"`
}

// Done reports whether the improvement is finished.
func (im Improvement) Done() bool { return !im.DoneAt.IsZero() }

// Overdue reports whether the improvement is open and its due date (in
// loc) lies before the date of now.
func (im Improvement) Overdue(now time.Time, loc *time.Location) bool {
	if im.Done() || im.Due == "" {
		return false
	}
	due, err := time.ParseInLocation("2006-01-02", im.Due, loc)
	if err != nil {
		return false
	}
	y, m, d := now.In(loc).Date()
	return due.Before(time.Date(y, m, d, 0, 0, 0, 0, loc))
}

// Retro holds the three questions asked when an incident closes.
type Retro struct {
	WhatHappened string `json:"what_happened"`
	WhatHelped   string `json:"what_helped"`
	Improvement  string `json:"improvement"`
	// Owner and Due belong to the improvement.
	Owner string `json:"owner,omitempty"`
	Due   string `json:"due,omitempty"`
	// Skipped is true when staff decided no retrospective is needed.
	Skipped bool `json:"skipped,omitempty"`
}

// Step statuses of a checklist step entry.
const (
	StepDone    = "done"
	StepSkipped = "skipped"
)
