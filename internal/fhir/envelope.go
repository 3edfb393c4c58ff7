package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Resource is one resource as the import sees it: its JSON (what the store
// seals) and the few facts the store indexes.
type Resource struct {
	Type string
	ID   string
	// JSON is the resource as stored: the input, except that a
	// DocumentReference loses its attachment data (the copy keeps document
	// metadata only).
	JSON []byte
	// PatientID is the id of the patient the resource belongs to; for a
	// Patient its own id; "" for locations and practitioners.
	PatientID string
	// Date is the resource's clinical time (effective, authored, period
	// end), used for retention; zero when it has none.
	Date time.Time
	// Status is the resource's status code, used for retention.
	Status string

	// Patient is set for a Patient (for the search index).
	Patient *Patient
	// Encounter is set for an Encounter.
	Encounter *Encounter
	// Location is set for a Location.
	Location *Location
}

// envelope holds what every resource has.
type envelope struct {
	ResourceType string     `json:"resourceType"`
	ID           string     `json:"id"`
	Status       string     `json:"status"`
	Subject      *reference `json:"subject"`
	Patient      *reference `json:"patient"`

	// Dates used for retention, by type.
	EffectiveDateTime string  `json:"effectiveDateTime"`
	EffectiveInstant  string  `json:"effectiveInstant"`
	EffectivePeriod   *period `json:"effectivePeriod"`
	Issued            string  `json:"issued"`
	AuthoredOn        string  `json:"authoredOn"`
	Period            *period `json:"period"`
}

// ErrNotResource is wrapped by ParseResource's errors for input that is not
// a FHIR resource.
var ErrNotResource = errors.New("not a FHIR resource")

// validID reports whether s is a FHIR id: 1 to 64 of A-Z a-z 0-9 - and .
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// ParseResource reads one resource of an NDJSON line. The error says what
// is wrong in words that name no patient data (they end up in logs).
func ParseResource(line []byte) (*Resource, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return nil, fmt.Errorf("%w: the line is not a JSON object", ErrNotResource)
	}
	var env envelope
	if err := json.Unmarshal(line, &env); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNotResource, jsonReason(err))
	}
	if env.ResourceType == "" {
		return nil, fmt.Errorf("%w: resourceType missing", ErrNotResource)
	}
	if !validID(env.ID) {
		return nil, fmt.Errorf("%w: %s without a valid id", ErrNotResource, env.ResourceType)
	}
	r := &Resource{Type: env.ResourceType, ID: env.ID, JSON: line, Status: env.Status}
	var err error
	switch r.Type {
	case TypePatient:
		r.PatientID = r.ID
		r.Patient, err = ParsePatient(line)
	case TypeEncounter:
		r.Encounter, err = ParseEncounter(line)
		if err == nil && !r.Encounter.End.IsZero() {
			r.Date = r.Encounter.End.Time
		} else if err == nil {
			r.Date = r.Encounter.Start.Time
		}
	case TypeLocation:
		r.Location, err = ParseLocation(line)
	case TypeDocumentReference:
		r.JSON, err = stripAttachments(line)
	case TypeObservation:
		r.Date = firstDate(env.EffectiveDateTime, env.EffectiveInstant, periodStart(env.EffectivePeriod), env.Issued)
	case TypeMedicationAdministration:
		r.Date = firstDate(env.EffectiveDateTime, periodStart(env.EffectivePeriod))
	case TypeMedicationRequest:
		r.Date = firstDate(env.AuthoredOn)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s/%s: %s", ErrNotResource, r.Type, r.ID, jsonReason(err))
	}
	if r.PatientID == "" {
		ref := env.Subject.ref()
		if env.Patient != nil {
			ref = env.Patient.ref()
		}
		if ref.Type == TypePatient {
			r.PatientID = ref.ID
		}
	}
	if r.PatientID == "" && r.Type != TypeLocation && r.Type != TypePractitioner && KnownType(r.Type) {
		return nil, fmt.Errorf("%w: %s/%s names no patient (subject or patient reference missing)", ErrNotResource, r.Type, r.ID)
	}
	return r, nil
}

// jsonReason turns a JSON error into words without input content.
func jsonReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %s has the wrong type (%s where %s was expected)", te.Field, te.Value, te.Type)
	}
	return "invalid JSON"
}

func periodStart(p *period) string {
	if p == nil {
		return ""
	}
	if p.End != "" {
		return p.End
	}
	return p.Start
}

func firstDate(ss ...string) time.Time {
	for _, s := range ss {
		if d := ParseDate(s); !d.IsZero() {
			return d.Time
		}
	}
	return time.Time{}
}

// stripAttachments removes content[].attachment.data (and the large url of
// inline data) from a DocumentReference: the copy keeps metadata only.
func stripAttachments(line []byte) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(line, &top); err != nil {
		return nil, err
	}
	raw, ok := top["content"]
	if !ok {
		return line, nil
	}
	var content []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &content); err != nil {
		return nil, err
	}
	for _, c := range content {
		att, ok := c["attachment"]
		if !ok {
			continue
		}
		var a map[string]json.RawMessage
		if err := json.Unmarshal(att, &a); err != nil {
			return nil, err
		}
		delete(a, "data")
		b, err := json.Marshal(a)
		if err != nil {
			return nil, err
		}
		c["attachment"] = b
	}
	b, err := json.Marshal(content)
	if err != nil {
		return nil, err
	}
	top["content"] = b
	return json.Marshal(top)
}

// Keep reports whether the copy keeps r at now: current information
// always; encounters that ended, stopped orders, observations and
// administrations only within recent. Data older than that is not needed
// on a ward during an outage and is not copied (data minimisation).
func Keep(r *Resource, now time.Time, recent time.Duration) bool {
	if r.Status == "entered-in-error" {
		return false
	}
	old := func() bool { return !r.Date.IsZero() && r.Date.Before(now.Add(-recent)) }
	switch r.Type {
	case TypeEncounter:
		if r.Encounter != nil && r.Encounter.CurrentStay() {
			return true
		}
		return !old()
	case TypeMedicationRequest:
		switch r.Status {
		case "active", "on-hold", "draft", "unknown", "":
			return true
		}
		return !old()
	case TypeObservation, TypeMedicationAdministration:
		return !r.Date.IsZero() && !old()
	}
	return true
}
