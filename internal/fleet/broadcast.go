package fleet

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/holiday"
	"github.com/lifeline-project/lifeline/internal/validate"
)

// Broadcast is a message a support agent puts on the dashboards of many
// sites at once: a workaround with its runbook steps and an optional file
// (a fix script, a PDF). Only enrolled sites receive it, over their
// authenticated long-poll; staff at the site answer "hat geholfen" or
// "hilft nicht".
type Broadcast struct {
	ID int64
	// Title is the banner's line ("Kassen starten nicht nach Update").
	Title string
	// Text explains the situation in German, plain words.
	Text string
	// Steps are the runbook steps, in order.
	Steps []string
	// Severity is info, warning or critical (the banner's colour and the
	// word in front of it).
	Severity string
	// Selector chose the sites; Targets is how many it chose when the
	// broadcast was sent (the target list is fixed then).
	Selector Selector
	Targets  int
	// File is the optional attachment (nil: none); its bytes are kept
	// apart (Store.BroadcastFile).
	File      *BroadcastFile
	CreatedAt time.Time
	CreatedBy string
	// ExpiresAt ends the broadcast: sites drop the banner, the fleet stops
	// delivering it.
	ExpiresAt time.Time
}

// BroadcastFile describes a broadcast's attachment.
type BroadcastFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Severities of a broadcast.
const (
	SeverityInfo     = "info"
	SeverityWarning  = "warning"
	SeverityCritical = "critical"
)

var severities = []string{SeverityInfo, SeverityWarning, SeverityCritical}

// Receipt statuses a site sends about a broadcast. Each implies the ones
// before it: an answer implies the message was read, reading implies it
// was received.
const (
	// ReceiptReceived: the site stored the broadcast (it is not sent
	// again).
	ReceiptReceived = "received"
	// ReceiptRead: a person at the site opened the message.
	ReceiptRead = "read"
	// ReceiptHelped: staff answered "hat geholfen".
	ReceiptHelped = "helped"
	// ReceiptNotHelped: staff answered "hilft nicht"; the site goes into
	// the hotline's triage queue.
	ReceiptNotHelped = "not_helped"
)

var receiptStatuses = []string{ReceiptReceived, ReceiptRead, ReceiptHelped, ReceiptNotHelped}

// ValidReceiptStatus reports whether s is a receipt status.
func ValidReceiptStatus(s string) bool { return slices.Contains(receiptStatuses, s) }

// Receipt is what one site said about one broadcast, as the store keeps
// it per target: when it was delivered and read, and the answer.
type Receipt struct {
	BroadcastID int64
	SiteID      string
	// Status is the status this receipt carries when it is written
	// (SaveReceipts); reading a target back leaves it empty.
	Status      string
	At          time.Time
	DeliveredAt time.Time
	ReadAt      time.Time
	// Answer is "", helped or not_helped; the latest answer counts.
	Answer     string
	AnsweredAt time.Time
	// Note and By are the answer's free text and who answered at the site.
	Note string
	By   string
}

// BroadcastCounts are a broadcast's live counts in the console.
type BroadcastCounts struct {
	Targets   int `json:"targets"`
	Delivered int `json:"delivered"`
	Read      int `json:"read"`
	Helped    int `json:"helped"`
	NotHelped int `json:"not_helped"`
}

// Answered returns the number of sites that answered.
func (c BroadcastCounts) Answered() int { return c.Helped + c.NotHelped }

// BroadcastSummary is a broadcast with its counts.
type BroadcastSummary struct {
	Broadcast Broadcast
	Counts    BroadcastCounts
}

// SiteBroadcast is a broadcast one site was sent, with its receipt.
type SiteBroadcast struct {
	Broadcast Broadcast
	Receipt   Receipt
}

// Selector chooses the sites of a broadcast. The criteria that are set
// must all hold (a site in Sites and in one of States ...); All chooses
// every site and excludes the other criteria.
type Selector struct {
	All bool `json:"all,omitempty"`
	// Sites lists site ids.
	Sites []string `json:"sites,omitempty"`
	// States lists federal states (BY, NW, ...).
	States []string `json:"states,omitempty"`
	// Component and Version choose the sites with that installed version
	// (by their last heartbeat).
	Component string `json:"component,omitempty"`
	Version   string `json:"version,omitempty"`
	// FailingCheck chooses the sites whose last heartbeat names the check
	// as a root cause of trouble ("konnektor").
	FailingCheck string `json:"failing_check,omitempty"`
}

// Normalize trims and sorts the selector's lists.
func (s *Selector) Normalize() {
	clean := func(xs []string, upper bool) []string {
		var out []string
		for _, x := range xs {
			for _, f := range strings.FieldsFunc(x, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == ' ' || r == '\t' || r == '\r' }) {
				if upper {
					f = strings.ToUpper(f)
				} else {
					f = strings.ToLower(f)
				}
				if !slices.Contains(out, f) {
					out = append(out, f)
				}
			}
		}
		slices.Sort(out)
		return out
	}
	s.Sites = clean(s.Sites, false)
	s.States = clean(s.States, true)
	s.Component = strings.TrimSpace(strings.ToLower(s.Component))
	s.Version = strings.TrimSpace(s.Version)
	s.FailingCheck = strings.TrimSpace(s.FailingCheck)
}

// Empty reports whether no criterion is set.
func (s Selector) Empty() bool {
	return !s.All && len(s.Sites) == 0 && len(s.States) == 0 && s.Component == "" && s.FailingCheck == ""
}

// Validate reports every problem of the selector; keys are the form's
// field names.
func (s Selector) Validate() validate.Problems {
	var ps validate.Problems
	if s.Empty() {
		ps.Add("selector", "choose the sites: a list, federal states, an installed version, a failing check, or all")
	}
	if s.All && (len(s.Sites) > 0 || len(s.States) > 0 || s.Component != "" || s.FailingCheck != "") {
		ps.Add("selector", "\"all sites\" cannot be combined with other criteria")
	}
	if len(s.Sites) > 50000 {
		ps.Add("sites", "more than 50000 sites")
	}
	for _, id := range s.Sites {
		if !ValidSiteID(id) {
			ps.Add("sites", "%q is not a site id", id)
			break
		}
	}
	for _, st := range s.States {
		if !holiday.State(st).Valid() {
			ps.Add("states", "%q is not a federal state; use one of %s", st, stateList())
			break
		}
	}
	switch {
	case s.Component == "" && s.Version != "":
		ps.Add("component", "missing; a version needs its component (erp)")
	case s.Component != "" && !ValidComponent(s.Component):
		ps.Add("component", "%q may only contain a-z, 0-9, - and _", s.Component)
	case s.Component != "" && s.Version == "":
		ps.Add("version", "missing; give the installed version to choose (2026.1)")
	case len(s.Version) > maxShortText:
		ps.Add("version", "longer than %d characters", maxShortText)
	}
	if len(s.FailingCheck) > maxShortText {
		ps.Add("failing_check", "longer than %d characters", maxShortText)
	}
	return ps
}

// Matches reports whether a site with its last heartbeat (zero: none) is
// chosen.
func (s Selector) Matches(st Site, hb Heartbeat) bool {
	if s.Empty() {
		return false
	}
	if s.All {
		return true
	}
	if len(s.Sites) > 0 {
		if _, ok := slices.BinarySearch(s.Sites, st.ID); !ok {
			return false
		}
	}
	if len(s.States) > 0 && !slices.Contains(s.States, st.State) {
		return false
	}
	if s.Component != "" && hb.Components[s.Component] != s.Version {
		return false
	}
	if s.FailingCheck != "" && (hb.Overall == "" || hb.Overall == string(check.StateOK) || !slices.Contains(hb.RootCauses, s.FailingCheck)) {
		return false
	}
	return true
}

// Words describes the selector in plain words (for the console and the
// audit log).
func (s Selector) Words() check.Text {
	if s.All {
		return check.Msg("alle Standorte", "all sites")
	}
	var de, en []string
	if len(s.Sites) > 0 {
		list := strings.Join(s.Sites[:min(len(s.Sites), 5)], ", ")
		if len(s.Sites) > 5 {
			list += fmt.Sprintf(" … (%d)", len(s.Sites))
		}
		de, en = append(de, "Standorte "+list), append(en, "sites "+list)
	}
	if len(s.States) > 0 {
		de, en = append(de, "Bundesland "+strings.Join(s.States, ", ")), append(en, "federal state "+strings.Join(s.States, ", "))
	}
	if s.Component != "" {
		de, en = append(de, "mit "+s.Component+" "+s.Version), append(en, "running "+s.Component+" "+s.Version)
	}
	if s.FailingCheck != "" {
		de, en = append(de, "Prüfung „"+s.FailingCheck+"“ gestört"), append(en, "check \""+s.FailingCheck+"\" failing")
	}
	return check.Msg(strings.Join(de, "; "), strings.Join(en, "; "))
}

// Limits of a broadcast.
const (
	maxBroadcastTitle = 200
	maxBroadcastText  = 8000
	maxBroadcastSteps = 30
	maxBroadcastStep  = 1000
	// MaxBroadcastFile bounds a broadcast's attachment (kept in the
	// database, so that every replica serves it).
	MaxBroadcastFile = 10 << 20
	// DefaultBroadcastTTL is how long a broadcast stays on the dashboards
	// unless the agent chooses otherwise.
	DefaultBroadcastTTL = 72 * time.Hour
	maxBroadcastTTL     = 30 * 24 * time.Hour
)

// Normalize trims the text fields and drops empty steps.
func (b *Broadcast) Normalize() {
	b.Title = strings.TrimSpace(b.Title)
	b.Text = strings.TrimSpace(strings.ReplaceAll(b.Text, "\r\n", "\n"))
	var steps []string
	for _, st := range b.Steps {
		if st = strings.TrimSpace(st); st != "" {
			steps = append(steps, st)
		}
	}
	b.Steps = steps
	b.Severity = strings.TrimSpace(strings.ToLower(b.Severity))
	if b.Severity == "" {
		b.Severity = SeverityWarning
	}
	b.Selector.Normalize()
}

// Validate reports every problem of a new broadcast; keys are the form's
// field names.
func (b Broadcast) Validate() validate.Problems {
	var ps validate.Problems
	text := func(key, v string, max int, required bool) {
		switch {
		case v == "" && required:
			ps.Add(key, "missing")
		case !utf8.ValidString(v):
			ps.Add(key, "is not valid UTF-8")
		case utf8.RuneCountInString(v) > max:
			ps.Add(key, "longer than %d characters", max)
		}
	}
	text("title", b.Title, maxBroadcastTitle, true)
	text("text", b.Text, maxBroadcastText, true)
	if len(b.Steps) > maxBroadcastSteps {
		ps.Add("steps", "more than %d steps", maxBroadcastSteps)
	}
	for _, st := range b.Steps {
		if utf8.RuneCountInString(st) > maxBroadcastStep || !utf8.ValidString(st) {
			ps.Add("steps", "a step is longer than %d characters", maxBroadcastStep)
			break
		}
	}
	if !slices.Contains(severities, b.Severity) {
		ps.Add("severity", "%q is not one of info, warning, critical", b.Severity)
	}
	if b.File != nil {
		switch {
		case b.File.Name == "" || len(b.File.Name) > 200 || strings.ContainsAny(b.File.Name, "/\\\x00\r\n\""):
			ps.Add("file", "the file name is empty, too long or contains / \\ or quotes")
		case b.File.Size <= 0 || b.File.Size > MaxBroadcastFile:
			ps.Add("file", "the file is empty or larger than %d MiB", MaxBroadcastFile>>20)
		}
	}
	ps = append(ps, b.Selector.Validate()...)
	return ps
}

// Active reports whether the broadcast is still delivered at now.
func (b Broadcast) Active(now time.Time) bool { return now.Before(b.ExpiresAt) }

// SeverityWords returns the severity in plain words.
func SeverityWords(sev string) check.Text {
	switch sev {
	case SeverityCritical:
		return check.Msg("Dringend", "Urgent")
	case SeverityInfo:
		return check.Msg("Hinweis", "Note")
	default:
		return check.Msg("Warnung", "Warning")
	}
}

// ReceiptWords returns a receipt status in plain words.
func ReceiptWords(status string) check.Text {
	switch status {
	case ReceiptReceived:
		return check.Msg("angekommen", "delivered")
	case ReceiptRead:
		return check.Msg("gelesen", "read")
	case ReceiptHelped:
		return check.Msg("hat geholfen", "helped")
	case ReceiptNotHelped:
		return check.Msg("hilft nicht", "did not help")
	default:
		return check.Msg("noch nicht angekommen", "not delivered yet")
	}
}
