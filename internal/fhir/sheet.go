package fhir

import (
	"context"
	"time"
)

// WardTypes are the resource types a ward list reads per patient.
func WardTypes() []string {
	return []string{TypeEncounter, TypeAllergyIntolerance}
}

// MedicationTypes are the resource types a medication list reads.
func MedicationTypes() []string {
	return []string{TypeEncounter, TypeAllergyIntolerance, TypeMedicationRequest, TypeMedicationAdministration}
}

// SheetRow is one patient of a ward list.
type SheetRow struct {
	Bed Bed
	// Summary is nil when the copy lacks the patient of a stay (the EHR
	// exported the stay but not yet the patient).
	Summary *Summary
}

// Sheet is a ward's list of current patients, read from the copy.
type Sheet struct {
	Ward  Ward
	Rows  []SheetRow
	State SyncState
}

// LoadSheet reads the patients of a ward with the resource types given
// (WardTypes or MedicationTypes), in bed order.
func LoadSheet(ctx context.Context, r Reader, c *Census, wardID string, now time.Time, types []string) (*Sheet, error) {
	w, ok := c.Ward(wardID)
	if !ok {
		return nil, Errorf(ENOTFOUND, "Diese Station gibt es in der Kopie nicht.", "The copy has no such ward.")
	}
	st, err := r.State(ctx)
	if err != nil {
		return nil, err
	}
	s := &Sheet{Ward: w, State: st}
	for _, b := range c.Beds(wardID) {
		row := SheetRow{Bed: b}
		rec, err := r.Record(ctx, b.Patient, types...)
		switch {
		case err == nil:
			row.Summary = Summarize(rec, now)
		case ErrorCode(err) != ENOTFOUND:
			return nil, err
		}
		s.Rows = append(s.Rows, row)
	}
	return s, nil
}

// CensusOf reads stays and locations and builds the census.
func CensusOf(ctx context.Context, r Reader) (*Census, error) {
	stays, err := r.Stays(ctx)
	if err != nil {
		return nil, err
	}
	locs, err := r.Locations(ctx)
	if err != nil {
		return nil, err
	}
	return BuildCensus(stays, locs), nil
}
