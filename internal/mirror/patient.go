package mirror

import (
	"encoding/json"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// Patient is a priority patient: someone whose therapy must not break
// while the IT is down (insulin, anticoagulants, substitution, oncology).
// Everything but the customer number and the due date is encrypted at rest.
type Patient struct {
	// CustomerNo is the ERP's customer number, the record key.
	CustomerNo string
	Name       string
	Phone      string
	// Drugs lists the drugs or drug classes, as free text.
	Drugs string
	// NextDue is the date the next supply is due; zero when unknown. It
	// is a calendar date at midnight UTC.
	NextDue time.Time
	Note    string
}

// Dataset returns Patients.
func (Patient) Dataset() Dataset { return Patients }

// Key returns the customer number.
func (p Patient) Key() string { return p.CustomerNo }

var _ Record = Patient{}

// PatientColumns are the columns of the priority patients CSV and JSON.
var PatientColumns = []string{"customer_no", "name", "phone", "drugs", "next_due", "note"}

// MarshalJSON writes the patient with the CSV column names; next_due as
// "2006-01-02" or empty.
func (p Patient) MarshalJSON() ([]byte, error) {
	due := ""
	if !p.NextDue.IsZero() {
		due = p.NextDue.Format("2006-01-02")
	}
	return json.Marshal(map[string]string{
		"customer_no": p.CustomerNo, "name": p.Name, "phone": p.Phone,
		"drugs": p.Drugs, "next_due": due, "note": p.Note,
	})
}

// DecodePatient reads and validates a priority patient.
func DecodePatient(get func(string) string) (Patient, []FieldError) {
	var p Patient
	var errs []FieldError
	bad := func(field string, r *check.Text) { errs = append(errs, FieldError{Field: field, Reason: *r}) }
	var r *check.Text
	if p.CustomerNo, r = cleanKey(get("customer_no")); r != nil {
		bad("customer_no", r)
	}
	if p.Name, r = cleanText(get("name"), false); r != nil {
		bad("name", r)
	} else if p.Name == "" {
		bad("name", reason("Name fehlt", "name missing"))
	}
	if p.Phone, r = cleanPhone(get("phone")); r != nil {
		bad("phone", r)
	}
	if p.Drugs, r = cleanText(get("drugs"), false); r != nil {
		bad("drugs", r)
	} else if p.Drugs == "" {
		bad("drugs", reason("Arzneimittel oder Wirkstoffgruppe fehlt", "drugs or drug classes missing"))
	}
	if s := get("next_due"); s != "" {
		if p.NextDue, r = ParseDate(s); r != nil {
			bad("next_due", r)
		}
	}
	if p.Note, r = cleanText(get("note"), true); r != nil {
		bad("note", r)
	}
	return p, errs
}
