package mirror

import (
	"encoding/json"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// DutyShift is one entry of the emergency-duty rota (Notdienstplan): which
// pharmacy is on duty when. Times are instants; the CSV gives them as local
// wall-clock times of the site's zone.
type DutyShift struct {
	Start   time.Time
	End     time.Time
	Name    string
	Address string
	Phone   string
	Note    string
}

// Dataset returns Duty.
func (DutyShift) Dataset() Dataset { return Duty }

// Key returns the start instant and the pharmacy's name.
func (d DutyShift) Key() string { return d.Start.UTC().Format(time.RFC3339) + " " + d.Name }

var _ Record = DutyShift{}

// DutyColumns are the columns of the duty rota CSV and JSON.
var DutyColumns = []string{"start", "end", "name", "address", "phone", "note"}

// MaxDutyLength is the longest accepted shift.
const MaxDutyLength = 7 * 24 * time.Hour

// MarshalJSON writes the shift with the CSV column names and RFC 3339 times.
func (d DutyShift) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{
		"start": d.Start.Format(time.RFC3339), "end": d.End.Format(time.RFC3339),
		"name": d.Name, "address": d.Address, "phone": d.Phone, "note": d.Note,
	})
}

// DecodeDuty reads and validates a duty shift; local times are read in loc.
func DecodeDuty(get func(string) string, loc *time.Location) (DutyShift, []FieldError) {
	var d DutyShift
	var errs []FieldError
	bad := func(field string, r *check.Text) { errs = append(errs, FieldError{Field: field, Reason: *r}) }
	var r *check.Text
	if d.Start, r = ParseLocalTime(get("start"), loc); r != nil {
		bad("start", r)
	}
	if d.End, r = ParseLocalTime(get("end"), loc); r != nil {
		bad("end", r)
	}
	if !d.Start.IsZero() && !d.End.IsZero() {
		if !d.End.After(d.Start) {
			bad("end", reason("Ende liegt nicht nach dem Beginn", "end is not after start"))
		} else if d.End.Sub(d.Start) > MaxDutyLength {
			bad("end", reason("Dienst länger als 7 Tage", "shift longer than 7 days"))
		}
	}
	if d.Name, r = cleanText(get("name"), false); r != nil {
		bad("name", r)
	} else if d.Name == "" {
		bad("name", reason("Name der Apotheke fehlt", "pharmacy name missing"))
	}
	if d.Address, r = cleanText(get("address"), false); r != nil {
		bad("address", r)
	}
	if d.Phone, r = cleanPhone(get("phone")); r != nil {
		bad("phone", r)
	}
	if d.Note, r = cleanText(get("note"), true); r != nil {
		bad("note", r)
	}
	return d, errs
}
