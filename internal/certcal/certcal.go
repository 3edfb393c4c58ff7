// Package certcal is the certificate and identity calendar: when the
// pharmacy's SMC-B, the pharmacists' HBA, the card terminals' gSMC-KT, the
// Konnektor's certificates and contracts run out. Entries come from the
// configuration, from the dashboard, and from the tls checks (each probe
// reports the chain's expiry; WrapTLS catches it).
//
// Warnings fire at 90, 30 and 7 days before expiry (configurable): the
// calendar's Prober is an extra check of the monitor, so the warnings show
// on the dashboard and go through the alert routing like any outage. The
// check turns "degraded" when an entry reaches the 90- or 30-day stage and
// nobody has acknowledged that stage yet, and "down" from the last stage
// (7 days) until the entry is renewed. Acknowledging a stage ("neue Karte
// bestellt") turns the check back to OK until the next stage, so each stage
// alerts once.
package certcal

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/incident"
)

// Source says where an entry comes from.
type Source string

// Sources of entries.
const (
	SourceConfig Source = "config"
	SourceManual Source = "manual"
	SourceTLS    Source = "tls"
)

// KindTitle returns the plain-language name of an entry kind.
func KindTitle(kind string) check.Text {
	switch kind {
	case incident.CertSMCB:
		return check.Msg("SMC-B (Praxisausweis der Apotheke)", "SMC-B (institution card)")
	case incident.CertHBA:
		return check.Msg("HBA (Heilberufsausweis)", "HBA (health professional card)")
	case incident.CertGSMCKT:
		return check.Msg("gSMC-KT (Karte im Kartenterminal)", "gSMC-KT (card terminal card)")
	case incident.CertKonnektor:
		return check.Msg("Konnektor-Zertifikat", "Konnektor certificate")
	case incident.CertTerminal:
		return check.Msg("Kartenterminal", "Card terminal")
	case incident.CertContract:
		return check.Msg("Vertrag", "Contract")
	case incident.CertTLS:
		return check.Msg("Server-Zertifikat (gefunden)", "Server certificate (found)")
	default:
		return check.Msg("Sonstiges", "Other")
	}
}

// Manual is an entry made on the dashboard.
type Manual struct {
	ID   int64
	Kind string
	Name string
	// Expires is the last day of validity, "2027-03-31".
	Expires   string
	Note      string
	CreatedAt time.Time
	CreatedBy string
}

// Found is the expiry a tls check found.
type Found struct {
	CheckID  string
	Subject  string
	NotAfter time.Time
	SeenAt   time.Time
}

// Ack records that somebody took note of a warning stage of an entry.
type Ack struct {
	Key   string
	Stage int
	By    string
	At    time.Time
}

// Store keeps the calendar's own data. Implementation: store/sqlite.
type Store interface {
	// ManualEntries returns the entries made on the dashboard.
	ManualEntries(ctx context.Context) ([]Manual, error)
	// AddManual stores a new entry (its ID is assigned).
	AddManual(ctx context.Context, m Manual) (Manual, error)
	// DeleteManual removes an entry; ENOTFOUND when unknown.
	DeleteManual(ctx context.Context, id int64) error
	// SaveFound records the expiry a tls check found (one per check).
	SaveFound(ctx context.Context, f Found) error
	// Found returns the expiries found by tls checks.
	Found(ctx context.Context) ([]Found, error)
	// SaveAck records an acknowledged stage; a second ack of the same
	// stage keeps the first.
	SaveAck(ctx context.Context, a Ack) error
	// Acks returns every acknowledged stage.
	Acks(ctx context.Context) ([]Ack, error)
}

// Entry is one line of the calendar.
type Entry struct {
	// Key identifies the entry: "config:smcb", "manual:12", "tls:konnektor".
	Key    string
	Source Source
	Kind   string
	Name   string
	// Expires is the end of validity: for dates the midnight after the
	// last valid day (local time), for certificates their NotAfter.
	Expires time.Time
	// LastDay is the last valid day as a local date.
	LastDay time.Time
	Note    string
	// ManualID is the id of a dashboard entry, for deleting it.
	ManualID int64
}

// AckKey identifies the entry with its expiry for acknowledgements: a
// renewed certificate or card (a new date) starts without any.
func (e Entry) AckKey() string { return e.Key + "@" + e.LastDay.Format("2006-01-02") }

// Level is how urgent an entry is.
type Level string

// Levels, from calm to urgent.
const (
	LevelOK       Level = "ok"
	LevelWarn     Level = "warn"
	LevelCritical Level = "critical"
	LevelExpired  Level = "expired"
)

// Status is an entry with its standing at one moment.
type Status struct {
	Entry
	// DaysLeft counts calendar days from today to the last valid day
	// (0: the last day is today; negative once expired).
	DaysLeft int
	// Stage is the warning stage reached (90, 30, 7 by default), 0 before
	// the first.
	Stage int
	// Acked is true when somebody took note of the current stage.
	Acked   bool
	AckedBy string
	Level   Level
}

// Words returns the entry's standing in plain words: "läuft in 30 Tagen
// ab (31.03.2027)".
func (s Status) Words() check.Text {
	day := s.LastDay.Format("02.01.2006")
	dayEN := s.LastDay.Format("2006-01-02")
	switch {
	case s.Level == LevelExpired:
		return check.Msg("abgelaufen seit "+day, "expired since "+dayEN)
	case s.DaysLeft == 0:
		return check.Msg("läuft heute ab ("+day+")", "expires today ("+dayEN+")")
	case s.DaysLeft == 1:
		return check.Msg("läuft morgen ab ("+day+")", "expires tomorrow ("+dayEN+")")
	default:
		return check.Msg(fmt.Sprintf("läuft in %d Tagen ab (%s)", s.DaysLeft, day), fmt.Sprintf("expires in %d days (%s)", s.DaysLeft, dayEN))
	}
}

// civilDays returns the number of calendar days from a to b (dates only).
func civilDays(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	x := time.Date(ay, am, ad, 12, 0, 0, 0, time.UTC)
	y := time.Date(by, bm, bd, 12, 0, 0, 0, time.UTC)
	return int(y.Sub(x).Round(24*time.Hour) / (24 * time.Hour))
}

// Evaluate rates entries at now in loc with the warning stages warnDays
// and the acknowledgements acks; most urgent first (fewest days left).
func Evaluate(entries []Entry, acks []Ack, warnDays []int, now time.Time, loc *time.Location) []Status {
	stages := slices.Clone(warnDays)
	sort.Sort(sort.Reverse(sort.IntSlice(stages)))
	last := 0
	if len(stages) > 0 {
		last = stages[len(stages)-1]
	}
	ackBy := map[string]Ack{}
	for _, a := range acks {
		ackBy[fmt.Sprintf("%s#%d", a.Key, a.Stage)] = a
	}
	today := now.In(loc)
	out := make([]Status, 0, len(entries))
	for _, e := range entries {
		s := Status{Entry: e, DaysLeft: civilDays(today, e.LastDay)}
		for _, st := range stages {
			if s.DaysLeft <= st {
				s.Stage = st
			}
		}
		if a, ok := ackBy[fmt.Sprintf("%s#%d", e.AckKey(), s.Stage)]; ok && s.Stage != 0 {
			s.Acked, s.AckedBy = true, a.By
		}
		switch {
		case !now.Before(e.Expires):
			s.Level = LevelExpired
		case s.Stage != 0 && s.Stage == last:
			s.Level = LevelCritical
		case s.Stage != 0:
			s.Level = LevelWarn
		default:
			s.Level = LevelOK
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Expires.Equal(out[j].Expires) {
			return out[i].Expires.Before(out[j].Expires)
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// dateEntry builds an entry that is valid through the local date day.
func dateEntry(key string, src Source, kind, name, day, note string, loc *time.Location) (Entry, error) {
	d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(day), loc)
	if err != nil {
		return Entry{}, fmt.Errorf("%q is not a date; write it like 2027-03-31", day)
	}
	return Entry{Key: key, Source: src, Kind: kind, Name: name, LastDay: d,
		Expires: time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc), Note: note}, nil
}

// tlsEntry builds the entry of a tls check's finding.
func tlsEntry(f Found, name string, loc *time.Location) Entry {
	na := f.NotAfter.In(loc)
	label := name
	if f.Subject != "" {
		label += " (" + f.Subject + ")"
	}
	return Entry{Key: "tls:" + f.CheckID, Source: SourceTLS, Kind: incident.CertTLS, Name: label,
		Expires: f.NotAfter, LastDay: time.Date(na.Year(), na.Month(), na.Day(), 0, 0, 0, 0, loc)}
}
