package gen

import (
	"time"
)

const day = 24 * time.Hour

// history emits a patient's past: visits, problems, allergies,
// prescriptions, vital signs and labs of visits, procedures and documents.
// It returns the chronic problems (the stay's orders build on them).
func (g *g) history(p *person) ([]problem, error) {
	now := g.o.Now
	past := now.Add(-5 * 365 * day)
	var visits []string
	var visitTimes []time.Time
	for i, n := 0, 2+g.rng.IntN(7); i < n; i++ {
		start := g.between(past, now.Add(-2*day))
		if i == 0 && g.rng.IntN(3) == 0 {
			start = g.between(now.Add(-25*day), now.Add(-2*day)) // a recent visit
		}
		id := g.uuid()
		err := g.put(encounterJSON(encounterArgs{id: id, patient: p.id, status: "finished", class: "AMB",
			typeText: "Ambulante Vorstellung", start: start, end: start.Add(30 * time.Minute), doctor: ptr(pick(g, g.doctors)),
			locations: []obj{encounterLocation("site-main", "Klinikum Lifeline", "bu")}}))
		if err != nil {
			return nil, err
		}
		visits, visitTimes = append(visits, id), append(visitTimes, start)
	}
	var chronic []problem
	all := problems()
	used := map[int]bool{}
	for i, n := 0, 1+g.rng.IntN(5); i < n; i++ {
		k := g.rng.IntN(len(all))
		if used[k] {
			continue
		}
		used[k] = true
		pr := all[k]
		onset := g.between(p.birth.Add(18*365*day), now.Add(-30*day))
		var resolved time.Time
		if !pr.chronic {
			resolved = onset.Add(time.Duration(7+g.rng.IntN(30)) * day)
		} else {
			chronic = append(chronic, pr)
		}
		if err := g.put(conditionJSON(g.uuid(), p.id, pr, onset, resolved)); err != nil {
			return nil, err
		}
		if pr.drug >= 0 {
			status := "active"
			if !pr.chronic {
				status = "completed"
			}
			d := drugs()[pr.drug]
			if err := g.put(medicationRequestJSON(g.uuid(), p.id, status, d, onset, ptr(pick(g, g.doctors)), "")); err != nil {
				return nil, err
			}
		}
	}
	for i, n := 0, g.rng.IntN(4); i < n; i++ { // stopped prescriptions of the past
		if err := g.put(medicationRequestJSON(g.uuid(), p.id, "stopped", pick(g, drugs()), g.between(past, now.Add(-60*day)), ptr(pick(g, g.doctors)), "")); err != nil {
			return nil, err
		}
	}
	switch r := g.rng.IntN(10); {
	case r < 3:
		al := allergens()
		first := g.rng.IntN(len(al))
		if err := g.put(allergyJSON(g.uuid(), p.id, al[first], g.between(past, now))); err != nil {
			return nil, err
		}
		if r == 0 {
			if err := g.put(allergyJSON(g.uuid(), p.id, al[(first+3)%len(al)], g.between(past, now))); err != nil {
				return nil, err
			}
		}
	case r < 5:
		if err := g.put(noKnownAllergyJSON(g.uuid(), p.id, g.between(past, now))); err != nil {
			return nil, err
		}
	}
	for i, at := range visitTimes {
		if err := g.vitalSet(p.id, at.Add(10*time.Minute)); err != nil {
			return nil, err
		}
		if i%2 == 0 {
			if err := g.labSet(p.id, at.Add(20*time.Minute)); err != nil {
				return nil, err
			}
		}
	}
	for i, n := 0, g.rng.IntN(5); i < n; i++ {
		if err := g.put(procedureJSON(g.uuid(), p.id, pick(g, procedureDefs()), g.between(past, now.Add(-day)))); err != nil {
			return nil, err
		}
	}
	for i, n := 0, 1+g.rng.IntN(4); i < n; i++ {
		if err := g.put(documentJSON(g.uuid(), p.id, g.between(past, now.Add(-day)), ptr(pick(g, g.doctors)), g.rng.IntN(4))); err != nil {
			return nil, err
		}
	}
	return chronic, nil
}

func ptr[T any](v T) *T { return &v }

// vitalSet emits heart rate, blood pressure, temperature, SpO2 and
// respiratory rate taken at at.
func (g *g) vitalSet(patient string, at time.Time) error {
	for _, v := range vitals() {
		val := v.mean + g.rng.NormFloat64()*v.sd
		if err := g.put(vitalJSON(g.uuid(), patient, v, val, at)); err != nil {
			return err
		}
	}
	sys := 130 + g.rng.NormFloat64()*18
	return g.put(bloodPressureJSON(g.uuid(), patient, sys, sys*0.62+g.rng.NormFloat64()*6, at))
}

// labSet emits one blood sample's results; about one in six is outside
// the reference range.
func (g *g) labSet(patient string, at time.Time) error {
	for _, l := range labs() {
		mid, half := (l.low+l.high)/2, (l.high-l.low)/2
		val := mid + g.rng.NormFloat64()*half*0.6
		if val < 0 {
			val = l.low / 2
		}
		if err := g.put(labJSON(g.uuid(), patient, l, val, at)); err != nil {
			return err
		}
	}
	return nil
}

// stay emits a current stay: admitted 1 to 9 days ago to a free bed,
// vitals every 8 hours, labs every morning, ward orders (one drug per
// chronic problem plus ward routine) with the doses of the last 2 days.
func (g *g) stay(patient string, chronic []problem, allergy bool) error {
	now := g.o.Now
	ward, bed, ok := g.freeBed()
	if !ok {
		return nil // the hospital is full
	}
	admitted := now.Add(-time.Duration(1+g.rng.IntN(9))*day - time.Duration(g.rng.IntN(12))*time.Hour).Truncate(time.Minute)
	encID := g.uuid()
	reasons := []string{"Dekompensierte Herzinsuffizienz", "Pneumonie", "Sturz mit Hüftfraktur", "Hypertensive Entgleisung",
		"Exazerbierte COPD", "Elektiver Eingriff", "Synkope unklarer Genese", "Harnwegsinfekt mit Fieber"}
	doc := pick(g, g.doctors)
	err := g.put(encounterJSON(encounterArgs{id: encID, patient: patient, status: "in-progress", class: "IMP",
		typeText: "Stationäre Aufnahme", start: admitted, doctor: &doc, reason: pick(g, reasons),
		locations: []obj{encounterLocation(ward.id, ward.name, "wa"), encounterLocation(bed, bed, "bd")}}))
	if err != nil {
		return err
	}
	if allergy {
		if err := g.put(allergyJSON(g.uuid(), patient, allergens()[0], admitted)); err != nil {
			return err
		}
	}
	for t := admitted.Add(time.Hour); t.Before(now); t = t.Add(8 * time.Hour) {
		if now.Sub(t) > 4*day {
			continue
		}
		if err := g.vitalSet(patient, t); err != nil {
			return err
		}
	}
	for t := admitted.Add(30 * time.Minute); t.Before(now); t = t.Add(day) {
		if err := g.labSet(patient, t); err != nil {
			return err
		}
	}
	orders := map[int]bool{}
	for _, pr := range chronic {
		if pr.drug >= 0 {
			orders[pr.drug] = true
		}
	}
	ward2 := inpatientDrugs()
	for i, n := 0, 2+g.rng.IntN(3); i < n; i++ {
		orders[ward2[g.rng.IntN(len(ward2))]] = true
	}
	for di := range drugs() {
		if !orders[di] {
			continue
		}
		d := drugs()[di]
		reqID := g.uuid()
		if err := g.put(medicationRequestJSON(reqID, patient, "active", d, admitted.Add(time.Hour), &doc, encID)); err != nil {
			return err
		}
		if d.perDay == 0 {
			continue
		}
		step := 24 * time.Hour / time.Duration(d.perDay)
		first := now.Add(-2 * day)
		if admitted.After(first) {
			first = admitted
		}
		y, m, dd := first.Date()
		for t := time.Date(y, m, dd, 8, 0, 0, 0, time.UTC); t.Before(now); t = t.Add(step) {
			if t.Before(first) {
				continue
			}
			if err := g.put(administrationJSON(g.uuid(), patient, reqID, d, t.Add(time.Duration(g.rng.IntN(20))*time.Minute))); err != nil {
				return err
			}
		}
	}
	return nil
}
