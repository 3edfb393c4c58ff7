package fhir

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Identifier is a business identifier (record number, insurance number).
type Identifier struct {
	System string
	Value  string
	// Type is the identifier's type code ("MR" for the medical record
	// number) or text.
	Type string
}

// Patient is what the copy shows of a patient.
type Patient struct {
	ID          string
	Family      string
	Given       []string
	Prefix      []string
	BirthDate   Date
	Gender      string
	Identifiers []Identifier
	Deceased    bool
}

// Name returns "Family, Given Given" for lists.
func (p *Patient) Name() string {
	g := strings.Join(p.Given, " ")
	switch {
	case p.Family != "" && g != "":
		return p.Family + ", " + g
	case p.Family != "":
		return p.Family
	case g != "":
		return g
	}
	return "?"
}

// RecordNumber returns the medical record number (identifier type MR), or
// the first identifier's value.
func (p *Patient) RecordNumber() string {
	for _, id := range p.Identifiers {
		if id.Type == "MR" {
			return id.Value
		}
	}
	if len(p.Identifiers) > 0 {
		return p.Identifiers[0].Value
	}
	return ""
}

type patientJSON struct {
	ID               string           `json:"id"`
	Name             []humanName      `json:"name"`
	BirthDate        string           `json:"birthDate"`
	Gender           string           `json:"gender"`
	Identifier       []identifierJSON `json:"identifier"`
	DeceasedBoolean  *bool            `json:"deceasedBoolean"`
	DeceasedDateTime string           `json:"deceasedDateTime"`
}

// bestName picks the official (else usual, else first) current name.
func bestName(names []humanName) *humanName {
	for _, use := range []string{"official", "usual", ""} {
		for i := range names {
			n := &names[i]
			if (use == "" || n.Use == use) && (n.Period == nil || n.Period.End == "") {
				return n
			}
		}
	}
	if len(names) > 0 {
		return &names[0]
	}
	return nil
}

// ParsePatient reads a Patient resource.
func ParsePatient(raw []byte) (*Patient, error) {
	var j patientJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("Patient: %w", err)
	}
	p := &Patient{ID: j.ID, BirthDate: ParseDate(j.BirthDate), Gender: j.Gender, Identifiers: identifiers(j.Identifier)}
	if n := bestName(j.Name); n != nil {
		p.Family, p.Given, p.Prefix = strings.TrimSpace(n.Family), n.Given, n.Prefix
		if p.Family == "" && len(p.Given) == 0 && n.Text != "" {
			p.Family = n.Text
		}
	}
	p.Deceased = (j.DeceasedBoolean != nil && *j.DeceasedBoolean) || j.DeceasedDateTime != ""
	return p, nil
}

// Practitioner is a doctor or nurse named in orders and stays.
type Practitioner struct {
	ID          string
	Name        string
	Identifiers []Identifier
}

// ParsePractitioner reads a Practitioner resource.
func ParsePractitioner(raw []byte) (*Practitioner, error) {
	var j patientJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("Practitioner: %w", err)
	}
	p := &Practitioner{ID: j.ID, Identifiers: identifiers(j.Identifier)}
	if n := bestName(j.Name); n != nil {
		parts := append(append(append([]string{}, n.Prefix...), n.Given...), n.Family)
		p.Name = strings.TrimSpace(strings.Join(parts, " "))
		if p.Name == "" {
			p.Name = n.Text
		}
	}
	return p, nil
}

// Location is a hospital, ward, room or bed.
type Location struct {
	ID   string
	Name string
	// PhysicalType is the location-physical-type code: "wa" ward,
	// "ro" room, "bd" bed, "bu" building, ...
	PhysicalType string
	Status       string
	PartOf       Ref
	Identifiers  []Identifier
}

// Physical types of locations (terminology.hl7.org location-physical-type).
const (
	PhysWard = "wa"
	PhysRoom = "ro"
	PhysBed  = "bd"
)

type locationJSON struct {
	ID           string           `json:"id"`
	Name         string           `json:"name"`
	Alias        []string         `json:"alias"`
	Description  string           `json:"description"`
	Status       string           `json:"status"`
	PhysicalType *codeableConcept `json:"physicalType"`
	PartOf       *reference       `json:"partOf"`
	Identifier   []identifierJSON `json:"identifier"`
}

// ParseLocation reads a Location resource.
func ParseLocation(raw []byte) (*Location, error) {
	var j locationJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("Location: %w", err)
	}
	l := &Location{ID: j.ID, Name: j.Name, Status: j.Status, PhysicalType: j.PhysicalType.code(),
		PartOf: j.PartOf.ref(), Identifiers: identifiers(j.Identifier)}
	if l.Name == "" {
		l.Name = j.Description
	}
	if l.Name == "" && len(j.Alias) > 0 {
		l.Name = j.Alias[0]
	}
	return l, nil
}

// EncounterLocation is one location of a stay.
type EncounterLocation struct {
	Ref          Ref
	Status       string
	PhysicalType string
	// Ended is true when the entry's period has an end (the patient moved
	// on).
	Ended bool
}

// Encounter is a stay or visit.
type Encounter struct {
	ID           string
	Patient      Ref
	Status       string
	Class        string
	Type         string
	Start, End   Date
	Locations    []EncounterLocation
	Participants []string
	Reason       string
}

type encounterJSON struct {
	ID      string            `json:"id"`
	Status  string            `json:"status"`
	Class   *coding           `json:"class"`
	Type    []codeableConcept `json:"type"`
	Subject *reference        `json:"subject"`
	Period  *period           `json:"period"`
	Reason  []codeableConcept `json:"reasonCode"`
	Partic  []struct {
		Individual *reference `json:"individual"`
	} `json:"participant"`
	Location []struct {
		Location     *reference       `json:"location"`
		Status       string           `json:"status"`
		PhysicalType *codeableConcept `json:"physicalType"`
		Period       *period          `json:"period"`
	} `json:"location"`
}

// ParseEncounter reads an Encounter resource.
func ParseEncounter(raw []byte) (*Encounter, error) {
	var j encounterJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("Encounter: %w", err)
	}
	e := &Encounter{ID: j.ID, Status: j.Status, Patient: j.Subject.ref()}
	if j.Class != nil {
		e.Class = j.Class.Code
	}
	if len(j.Type) > 0 {
		e.Type = j.Type[0].coded().Text
	}
	if j.Period != nil {
		e.Start, e.End = ParseDate(j.Period.Start), ParseDate(j.Period.End)
	}
	if len(j.Reason) > 0 {
		e.Reason = j.Reason[0].coded().Text
	}
	for _, p := range j.Partic {
		if p.Individual != nil {
			if d := p.Individual.Display; d != "" {
				e.Participants = append(e.Participants, d)
			} else if r := p.Individual.ref(); !r.IsZero() {
				e.Participants = append(e.Participants, r.String())
			}
		}
	}
	for _, l := range j.Location {
		el := EncounterLocation{Ref: l.Location.ref(), Status: l.Status, PhysicalType: l.PhysicalType.code()}
		el.Ended = l.Period != nil && l.Period.End != ""
		e.Locations = append(e.Locations, el)
	}
	return e, nil
}

// stayClasses are the encounter classes (v3 ActCode) of patients who lie
// in a bed of the hospital: inpatient, acute, non-acute, observation,
// short stay, emergency, pre-admission.
var stayClasses = map[string]bool{"IMP": true, "ACUTE": true, "NONAC": true, "OBSENC": true, "SS": true, "EMER": true, "PRENC": true}

// CurrentStay reports whether the encounter is a stay going on now: status
// in-progress, arrived, triaged or onleave, a bed-type class (or none) and
// no end.
func (e *Encounter) CurrentStay() bool {
	switch e.Status {
	case "in-progress", "arrived", "triaged", "onleave":
	default:
		return false
	}
	if e.Class != "" && !stayClasses[e.Class] {
		return false
	}
	return e.End.IsZero()
}
