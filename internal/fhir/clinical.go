package fhir

import (
	"encoding/json"
	"fmt"
	"strings"
)

// clinicalJSON holds the fields shared by the clinical resources.
type clinicalJSON struct {
	ID                 string            `json:"id"`
	Status             string            `json:"status"`
	Subject            *reference        `json:"subject"`
	Patient            *reference        `json:"patient"`
	Code               *codeableConcept  `json:"code"`
	ClinicalStatus     *codeableConcept  `json:"clinicalStatus"`
	VerificationStatus *codeableConcept  `json:"verificationStatus"`
	Note               []annotation      `json:"note"`
	RecordedDate       string            `json:"recordedDate"`
	Encounter          *reference        `json:"encounter"`
	ReasonCode         []codeableConcept `json:"reasonCode"`
	ReasonReference    []reference       `json:"reasonReference"`
}

func (c *clinicalJSON) patient() Ref {
	if c.Patient != nil {
		return c.Patient.ref()
	}
	return c.Subject.ref()
}

func notes(ns []annotation) string {
	var parts []string
	for _, n := range ns {
		if t := strings.TrimSpace(n.Text); t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, " ")
}

// Allergy is an allergy or intolerance.
type Allergy struct {
	ID           string
	Patient      Ref
	Code         Coded
	Clinical     string // active, inactive, resolved
	Verification string // unconfirmed, confirmed, refuted, entered-in-error
	Criticality  string // low, high, unable-to-assess
	Type         string // allergy, intolerance
	Categories   []string
	Reactions    []string
	Severity     string // mild, moderate, severe (worst of the reactions)
	Recorded     Date
	Note         string
}

// noKnownAllergy lists SNOMED CT codes that state the absence of allergies.
var noKnownAllergy = map[string]bool{
	"716186003": true, // No known allergy
	"409137002": true, // No known drug allergy
	"428607008": true, // No known environmental allergy
	"429625007": true, // No known food allergy
}

// NoKnown reports whether the entry states that no allergy is known
// ("NKA"), rather than naming one.
func (a *Allergy) NoKnown() bool { return noKnownAllergy[a.Code.Code] }

// Relevant reports whether the allergy is to be shown: not refuted, not
// entered in error, not inactive or resolved.
func (a *Allergy) Relevant() bool {
	switch a.Verification {
	case "refuted", "entered-in-error":
		return false
	}
	switch a.Clinical {
	case "inactive", "resolved":
		return false
	}
	return true
}

type allergyJSON struct {
	clinicalJSON
	Type        string   `json:"type"`
	Category    []string `json:"category"`
	Criticality string   `json:"criticality"`
	Reaction    []struct {
		Substance     *codeableConcept  `json:"substance"`
		Manifestation []codeableConcept `json:"manifestation"`
		Severity      string            `json:"severity"`
		Description   string            `json:"description"`
	} `json:"reaction"`
}

var severityRank = map[string]int{"mild": 1, "moderate": 2, "severe": 3}

// ParseAllergy reads an AllergyIntolerance resource.
func ParseAllergy(raw []byte) (*Allergy, error) {
	var j allergyJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("AllergyIntolerance: %w", err)
	}
	a := &Allergy{ID: j.ID, Patient: j.patient(), Code: j.Code.coded(), Clinical: j.ClinicalStatus.code(),
		Verification: j.VerificationStatus.code(), Criticality: j.Criticality, Type: j.Type,
		Categories: j.Category, Recorded: ParseDate(j.RecordedDate), Note: notes(j.Note)}
	for _, r := range j.Reaction {
		for i := range r.Manifestation {
			if t := r.Manifestation[i].coded().Text; t != "" {
				a.Reactions = append(a.Reactions, t)
			}
		}
		if r.Description != "" && len(r.Manifestation) == 0 {
			a.Reactions = append(a.Reactions, r.Description)
		}
		if severityRank[r.Severity] > severityRank[a.Severity] {
			a.Severity = r.Severity
		}
	}
	return a, nil
}

// Condition is a problem or diagnosis.
type Condition struct {
	ID           string
	Patient      Ref
	Code         Coded
	Clinical     string // active, recurrence, relapse, inactive, remission, resolved
	Verification string
	Onset        Date
	Abatement    Date
	Recorded     Date
}

// Active reports whether the problem is current and not refuted.
func (c *Condition) Active() bool {
	switch c.Verification {
	case "refuted", "entered-in-error":
		return false
	}
	switch c.Clinical {
	case "active", "recurrence", "relapse", "":
		return c.Abatement.IsZero()
	}
	return false
}

type conditionJSON struct {
	clinicalJSON
	OnsetDateTime     string  `json:"onsetDateTime"`
	OnsetPeriod       *period `json:"onsetPeriod"`
	AbatementDateTime string  `json:"abatementDateTime"`
	AbatementPeriod   *period `json:"abatementPeriod"`
}

// ParseCondition reads a Condition resource.
func ParseCondition(raw []byte) (*Condition, error) {
	var j conditionJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("Condition: %w", err)
	}
	c := &Condition{ID: j.ID, Patient: j.patient(), Code: j.Code.coded(), Clinical: j.ClinicalStatus.code(),
		Verification: j.VerificationStatus.code(), Onset: ParseDate(j.OnsetDateTime),
		Abatement: ParseDate(j.AbatementDateTime), Recorded: ParseDate(j.RecordedDate)}
	if c.Onset.IsZero() && j.OnsetPeriod != nil {
		c.Onset = ParseDate(j.OnsetPeriod.Start)
	}
	if c.Abatement.IsZero() && j.AbatementPeriod != nil {
		c.Abatement = ParseDate(j.AbatementPeriod.End)
	}
	return c, nil
}

// Procedure is an operation or intervention.
type Procedure struct {
	ID        string
	Patient   Ref
	Status    string
	Code      Coded
	Performed Date
}

type procedureJSON struct {
	clinicalJSON
	PerformedDateTime string  `json:"performedDateTime"`
	PerformedPeriod   *period `json:"performedPeriod"`
}

// ParseProcedure reads a Procedure resource.
func ParseProcedure(raw []byte) (*Procedure, error) {
	var j procedureJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("Procedure: %w", err)
	}
	p := &Procedure{ID: j.ID, Patient: j.patient(), Status: j.Status, Code: j.Code.coded(), Performed: ParseDate(j.PerformedDateTime)}
	if p.Performed.IsZero() && j.PerformedPeriod != nil {
		p.Performed = ParseDate(j.PerformedPeriod.Start)
	}
	return p, nil
}

// Document is the metadata of a clinical document (the content itself is
// not kept).
type Document struct {
	ID          string
	Patient     Ref
	Status      string
	Type        string
	Category    string
	Date        Date
	Author      string
	Description string
}

type documentJSON struct {
	clinicalJSON
	Type        *codeableConcept  `json:"type"`
	Category    []codeableConcept `json:"category"`
	Date        string            `json:"date"`
	Author      []reference       `json:"author"`
	Description string            `json:"description"`
}

// ParseDocument reads a DocumentReference resource.
func ParseDocument(raw []byte) (*Document, error) {
	var j documentJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("DocumentReference: %w", err)
	}
	d := &Document{ID: j.ID, Patient: j.patient(), Status: j.Status, Type: j.Type.coded().Text,
		Date: ParseDate(j.Date), Description: j.Description}
	if len(j.Category) > 0 {
		d.Category = j.Category[0].coded().Text
	}
	for _, a := range j.Author {
		if a.Display != "" {
			d.Author = a.Display
			break
		}
	}
	return d, nil
}
