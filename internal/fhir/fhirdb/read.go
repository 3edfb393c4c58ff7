package fhirdb

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/lifeline-project/lifeline/internal/fhir"
)

// Locations returns every location of the copy.
func (db *DB) Locations(ctx context.Context) ([]fhir.Location, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT body FROM locations`)
	if err != nil {
		return nil, unavailable("locations", err)
	}
	defer rows.Close()
	var out []fhir.Location
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, unavailable("locations", err)
		}
		var l fhir.Location
		if err := json.Unmarshal([]byte(body), &l); err != nil {
			return nil, fmt.Errorf("hospital copy: location damaged: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Stays returns the current stays.
func (db *DB) Stays(ctx context.Context) ([]fhir.StayRef, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT rid, patient, locations FROM stays`)
	if err != nil {
		return nil, unavailable("stays", err)
	}
	defer rows.Close()
	var out []fhir.StayRef
	for rows.Next() {
		var rid, patient []byte
		var locs string
		if err := rows.Scan(&rid, &patient, &locs); err != nil {
			return nil, unavailable("stays", err)
		}
		var s fhir.StayRef
		copy(s.Encounter[:], rid)
		copy(s.Patient[:], patient)
		if err := json.Unmarshal([]byte(locs), &s.Locations); err != nil {
			return nil, fmt.Errorf("hospital copy: stay damaged: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func errNoPatient() error {
	return fhir.Errorf(fhir.ENOTFOUND, "Diesen Patienten gibt es in der Kopie nicht (mehr).", "The copy holds no such patient (any more).")
}

// Record returns a patient's resources of the given types (all when none
// are given), opened and parsed.
func (db *DB) Record(ctx context.Context, patient fhir.Key, types ...string) (*fhir.Record, error) {
	kr, _ := db.keys()
	q := `SELECT rid, type, sealed FROM resources WHERE patient = ?`
	args := []any{patient[:]}
	if len(types) > 0 {
		types = append([]string{fhir.TypePatient}, types...)
		q += ` AND type IN (?` + strings.Repeat(`, ?`, len(types)-1) + `)`
		for _, t := range types {
			args = append(args, t)
		}
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, unavailable("record", err)
	}
	defer rows.Close()
	rec := &fhir.Record{Key: patient}
	for rows.Next() {
		var ridb, sealed []byte
		var typ string
		if err := rows.Scan(&ridb, &typ, &sealed); err != nil {
			return nil, unavailable("record", err)
		}
		var rid fhir.Key
		copy(rid[:], ridb)
		raw, err := kr.Open(sealed, resourceAD(rid))
		if err != nil {
			return nil, &fhir.Error{Code: fhir.EKEY, Message: msgWrongKey(db.path), Err: err}
		}
		if err := addToRecord(rec, typ, raw); err != nil {
			db.log.Warn("hospital copy: stored resource does not parse; skipped", "type", typ, "err", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("record", err)
	}
	if rec.Patient == nil {
		return nil, errNoPatient()
	}
	return rec, nil
}

func addToRecord(rec *fhir.Record, typ string, raw []byte) error {
	switch typ {
	case fhir.TypePatient:
		p, err := fhir.ParsePatient(raw)
		if err != nil {
			return err
		}
		rec.Patient = p
	case fhir.TypeEncounter:
		e, err := fhir.ParseEncounter(raw)
		if err != nil {
			return err
		}
		rec.Encounters = append(rec.Encounters, e)
	case fhir.TypeAllergyIntolerance:
		a, err := fhir.ParseAllergy(raw)
		if err != nil {
			return err
		}
		rec.Allergies = append(rec.Allergies, a)
	case fhir.TypeCondition:
		c, err := fhir.ParseCondition(raw)
		if err != nil {
			return err
		}
		rec.Conditions = append(rec.Conditions, c)
	case fhir.TypeMedicationRequest:
		m, err := fhir.ParseMedicationRequest(raw)
		if err != nil {
			return err
		}
		rec.MedicationRequests = append(rec.MedicationRequests, m)
	case fhir.TypeMedicationAdministration:
		m, err := fhir.ParseMedicationAdministration(raw)
		if err != nil {
			return err
		}
		rec.Administrations = append(rec.Administrations, m)
	case fhir.TypeObservation:
		o, err := fhir.ParseObservation(raw)
		if err != nil {
			return err
		}
		rec.Observations = append(rec.Observations, o)
	case fhir.TypeProcedure:
		p, err := fhir.ParseProcedure(raw)
		if err != nil {
			return err
		}
		rec.Procedures = append(rec.Procedures, p)
	case fhir.TypeDocumentReference:
		d, err := fhir.ParseDocument(raw)
		if err != nil {
			return err
		}
		rec.Documents = append(rec.Documents, d)
	}
	return nil
}

// FindPatients returns the patients that match every group of search
// terms (one term of each group), at most limit.
func (db *DB) FindPatients(ctx context.Context, groups [][]string, limit int) ([]fhir.Key, error) {
	if len(groups) == 0 {
		return nil, nil
	}
	_, keyer := db.keys()
	var result map[fhir.Key]bool
	for _, g := range groups {
		if len(g) == 0 {
			continue
		}
		args := make([]any, len(g))
		for i, term := range g {
			args[i] = keyer.Term(term)
		}
		rows, err := db.r.QueryContext(ctx, `SELECT DISTINCT rid FROM terms WHERE term IN (?`+strings.Repeat(`, ?`, len(g)-1)+`)`, args...)
		if err != nil {
			return nil, unavailable("search", err)
		}
		found := map[fhir.Key]bool{}
		for rows.Next() {
			var b []byte
			if err := rows.Scan(&b); err != nil {
				rows.Close()
				return nil, unavailable("search", err)
			}
			var k fhir.Key
			copy(k[:], b)
			if result == nil || result[k] {
				found[k] = true
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, unavailable("search", err)
		}
		result = found
		if len(result) == 0 {
			return nil, nil
		}
	}
	out := make([]fhir.Key, 0, len(result))
	for k := range result {
		out = append(out, k)
	}
	// Stable order (the caller sorts by name after decrypting).
	sortKeys(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func sortKeys(ks []fhir.Key) {
	sort.Slice(ks, func(i, j int) bool { return bytes.Compare(ks[i][:], ks[j][:]) < 0 })
}
