// Package mirror is the site node's downtime copy ("Downtime-Kopie"): the
// data the counter needs when the pharmacy system (ERP) is down, kept
// locally, at most a minute old, personal parts encrypted.
//
// The copy holds five data sets, each with its own schema and version:
// articles (prices, flags, Festbetrag), contacts, the emergency-duty rota,
// priority patients and the emergency handbook. Sources (CSV files, an HTTP
// JSON feed with a cursor, Markdown files) are adapters behind Source in
// sub-packages; storage is behind Store (mirrordb, its own SQLite file). The
// Syncer pulls increments every minute and a full copy every night, and its
// Prober turns a stale copy into a degraded check.
//
// This package holds the domain: records and their validation, the import
// rules (atomic, every bad row reported), the search ranking, the schedule
// and the freshness wording. It does no I/O of its own.
package mirror

import (
	"fmt"

	"github.com/lifeline-project/lifeline/internal/check"
)

// Dataset names one data set of the copy.
type Dataset string

// The data sets.
const (
	Articles Dataset = "articles"
	Contacts Dataset = "contacts"
	Duty     Dataset = "duty"
	Patients Dataset = "patients"
	Handbook Dataset = "handbook"
)

// Datasets lists every data set in display order.
var Datasets = []Dataset{Articles, Contacts, Duty, Patients, Handbook}

// ParseDataset returns the data set of a name, or an EINVALID error.
func ParseDataset(s string) (Dataset, error) {
	for _, d := range Datasets {
		if string(d) == s {
			return d, nil
		}
	}
	return "", Errorf(EINVALID, "unbekannter Datenbestand %q; erlaubt: articles, contacts, duty, patients, handbook", "unknown data set %q; allowed: articles, contacts, duty, patients, handbook", s, s)
}

// Title returns the plain-language name of the data set, as used in
// "Preisdaten Stand: heute 09:41".
func (d Dataset) Title() check.Text {
	switch d {
	case Articles:
		return check.Msg("Preisdaten", "Price data")
	case Contacts:
		return check.Msg("Kontakte", "Contacts")
	case Duty:
		return check.Msg("Notdienstplan", "Emergency duty rota")
	case Patients:
		return check.Msg("Vorrang-Patienten", "Priority patients")
	case Handbook:
		return check.Msg("Notfallhandbuch", "Emergency handbook")
	default:
		return check.Msg(string(d), string(d))
	}
}

// Noun returns the German and English plural noun for counting records
// ("1.234 Artikel übernommen").
func (d Dataset) Noun() check.Text {
	switch d {
	case Articles:
		return check.Msg("Artikel", "articles")
	case Contacts:
		return check.Msg("Kontakte", "contacts")
	case Duty:
		return check.Msg("Notdienste", "duty entries")
	case Patients:
		return check.Msg("Patienten", "patients")
	case Handbook:
		return check.Msg("Handbuchseiten", "handbook pages")
	default:
		return check.Msg("Einträge", "records")
	}
}

// Personal reports whether the data set holds personal data that is
// encrypted at rest (whole records or some fields).
func (d Dataset) Personal() bool { return d == Patients || d == Contacts }

// SchemaVersion returns the version of the data set's schema. It changes
// when fields are added or their meaning changes; a feed announcing another
// version is refused.
func (d Dataset) SchemaVersion() int {
	if s, ok := schemas[d]; ok {
		return s.Version
	}
	return 0
}

// Record is one entry of a data set.
type Record interface {
	// Dataset returns the data set the record belongs to.
	Dataset() Dataset
	// Key returns the record's unique key within its data set (the PZN,
	// the contact id, the customer number, the page slug).
	Key() string
}

// Pos is where a record came from: a file and line, or a feed URL and item
// number.
type Pos struct {
	File string
	Line int
}

// FieldError is one problem with one field of a record.
type FieldError struct {
	Field  string
	Reason check.Text
}

// RowError is a bad row of a source: where it is, which field, and why.
// Bad rows are always reported, never silently dropped.
type RowError struct {
	Pos
	// Field is the column; empty when the row as a whole is bad (for
	// example a wrong number of columns).
	Field  string
	Reason check.Text
}

// In formats the row error in a language ("de" or "en"):
// "datei.csv, Zeile 17, Feld avp: negativer Preis".
func (e RowError) In(lang string) string {
	line, field := "Zeile", "Feld"
	if lang == "en" {
		line, field = "line", "field"
	}
	s := e.File
	if e.Line > 0 {
		s += fmt.Sprintf(", %s %d", line, e.Line)
	}
	if e.Field != "" {
		s += fmt.Sprintf(", %s %s", field, e.Field)
	}
	return s + ": " + e.Reason.In(lang)
}

// Error returns the German form followed by the English reason.
func (e RowError) Error() string {
	return e.In("de") + " (" + e.Reason.In("en") + ")"
}
