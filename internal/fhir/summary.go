package fhir

import (
	"sort"
	"strings"
	"time"
)

// Allergy states of a summary: a ward must tell "none known" from "not
// recorded".
const (
	AllergiesRecorded    = "recorded"
	AllergiesNoneKnown   = "none-known"
	AllergiesNotRecorded = "not-recorded"
)

// Summary windows.
const (
	// AdministrationWindow is how far back given doses are listed.
	AdministrationWindow = 48 * time.Hour
	// ObservationHistory is how many earlier values of a vital sign or lab
	// are shown beside the latest.
	ObservationHistory = 3
)

// ObservationSeries is the latest value of one vital sign or lab with a
// few earlier ones.
type ObservationSeries struct {
	Latest  *Observation
	Earlier []*Observation
}

// Summary is what a ward reads of a patient, in the order it is shown:
// allergies first.
type Summary struct {
	Patient *Patient
	Stay    *Encounter
	// AllergyState is AllergiesRecorded, AllergiesNoneKnown or
	// AllergiesNotRecorded.
	AllergyState    string
	Allergies       []*Allergy
	Medications     []*MedicationRequest
	Administrations []*MedicationAdministration
	Problems        []*Condition
	PastProblems    []*Condition
	Vitals          []ObservationSeries
	Labs            []ObservationSeries
	Procedures      []*Procedure
	Documents       []*Document
}

// HighRiskAllergy reports whether an allergy is marked high criticality
// or had a severe reaction.
func HighRiskAllergy(a *Allergy) bool { return a.Criticality == "high" || a.Severity == "severe" }

// Summarize arranges a record for reading at now.
func Summarize(rec *Record, now time.Time) *Summary {
	s := &Summary{Patient: rec.Patient, AllergyState: AllergiesNotRecorded}
	for _, e := range rec.Encounters {
		if e.CurrentStay() && (s.Stay == nil || e.Start.Time.After(s.Stay.Start.Time)) {
			s.Stay = e
		}
	}
	noneKnown := false
	for _, a := range rec.Allergies {
		if !a.Relevant() {
			continue
		}
		if a.NoKnown() {
			noneKnown = true
			continue
		}
		s.Allergies = append(s.Allergies, a)
	}
	switch {
	case len(s.Allergies) > 0:
		s.AllergyState = AllergiesRecorded
	case noneKnown:
		s.AllergyState = AllergiesNoneKnown
	}
	sort.SliceStable(s.Allergies, func(i, j int) bool {
		a, b := s.Allergies[i], s.Allergies[j]
		if HighRiskAllergy(a) != HighRiskAllergy(b) {
			return HighRiskAllergy(a)
		}
		if am, bm := hasMedCategory(a), hasMedCategory(b); am != bm {
			return am
		}
		return strings.ToLower(a.Code.Text) < strings.ToLower(b.Code.Text)
	})
	for _, m := range rec.MedicationRequests {
		if m.Active() {
			s.Medications = append(s.Medications, m)
		}
	}
	sort.SliceStable(s.Medications, func(i, j int) bool {
		return strings.ToLower(s.Medications[i].Medication) < strings.ToLower(s.Medications[j].Medication)
	})
	for _, a := range rec.Administrations {
		if a.Status != "entered-in-error" && !a.Effective.IsZero() && a.Effective.Time.After(now.Add(-AdministrationWindow)) {
			s.Administrations = append(s.Administrations, a)
		}
	}
	sort.SliceStable(s.Administrations, func(i, j int) bool {
		return s.Administrations[i].Effective.Time.After(s.Administrations[j].Effective.Time)
	})
	for _, c := range rec.Conditions {
		switch {
		case c.Active():
			s.Problems = append(s.Problems, c)
		case c.Verification != "entered-in-error" && c.Verification != "refuted":
			s.PastProblems = append(s.PastProblems, c)
		}
	}
	byOnset := func(cs []*Condition) {
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].Onset.Time.After(cs[j].Onset.Time) })
	}
	byOnset(s.Problems)
	byOnset(s.PastProblems)
	s.Vitals, s.Labs = series(rec.Observations, CategoryVitalSigns), series(rec.Observations, CategoryLaboratory)
	for _, p := range rec.Procedures {
		if p.Status != "entered-in-error" && p.Status != "not-done" {
			s.Procedures = append(s.Procedures, p)
		}
	}
	sort.SliceStable(s.Procedures, func(i, j int) bool { return s.Procedures[i].Performed.Time.After(s.Procedures[j].Performed.Time) })
	for _, d := range rec.Documents {
		if d.Status != "entered-in-error" {
			s.Documents = append(s.Documents, d)
		}
	}
	sort.SliceStable(s.Documents, func(i, j int) bool { return s.Documents[i].Date.Time.After(s.Documents[j].Date.Time) })
	return s
}

func hasMedCategory(a *Allergy) bool {
	for _, c := range a.Categories {
		if c == "medication" {
			return true
		}
	}
	return false
}

// series groups valid observations of a category by code, newest first,
// ordered by name.
func series(obs []*Observation, category string) []ObservationSeries {
	by := map[string][]*Observation{}
	var keys []string
	for _, o := range obs {
		if !o.Valid() || !o.HasCategory(category) {
			continue
		}
		k := o.Code.System + "|" + o.Code.Code
		if o.Code.Code == "" {
			k = "text|" + strings.ToLower(o.Code.Text)
		}
		if _, ok := by[k]; !ok {
			keys = append(keys, k)
		}
		by[k] = append(by[k], o)
	}
	out := make([]ObservationSeries, 0, len(keys))
	for _, k := range keys {
		os := by[k]
		sort.SliceStable(os, func(i, j int) bool { return os[i].Effective.Time.After(os[j].Effective.Time) })
		s := ObservationSeries{Latest: os[0]}
		if len(os) > 1 {
			s.Earlier = os[1:min(len(os), 1+ObservationHistory)]
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool {
		return strings.ToLower(out[i].Latest.Code.Text) < strings.ToLower(out[j].Latest.Code.Text)
	})
	return out
}

// Age returns the age in whole years at now, -1 when the birth date is
// unknown.
func Age(birth Date, now time.Time) int {
	if birth.Precision < PrecisionYear {
		return -1
	}
	b := birth.Time
	y := now.Year() - b.Year()
	if birth.Precision >= PrecisionDay && (now.Month() < b.Month() || now.Month() == b.Month() && now.Day() < b.Day()) {
		y--
	}
	return y
}
