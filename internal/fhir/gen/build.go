package gen

import (
	"fmt"
	"math"
	"time"
)

// obj is a JSON object under construction.
type obj = map[string]any

const (
	sysSNOMED = "http://snomed.info/sct"
	sysLOINC  = "http://loinc.org"
	sysATC    = "http://www.whocc.no/atc"
	sysMRN    = "urn:oid:1.2.276.0.76.4.8" // a hospital's record numbers
	sysKVNR   = "http://fhir.de/sid/gkv/kvid-10"
	sysNPI    = "urn:oid:1.2.276.0.76.4.9" // practitioner numbers (LANR-like)
)

func cc(system, code, display string) obj {
	return obj{"coding": []obj{{"system": system, "code": code, "display": display}}, "text": display}
}

func ref(typ, id string) obj { return obj{"reference": typ + "/" + id} }

func dateTime(t time.Time) string { return t.Format(time.RFC3339) }

func date(t time.Time) string { return t.Format("2006-01-02") }

func round(v float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(v*p) / p
}

func patientJSON(p *person) obj {
	return obj{
		"resourceType": "Patient", "id": p.id,
		"meta": obj{"profile": []string{"https://fhir.kbv.de/StructureDefinition/KBV_PR_Base_Patient"}},
		"identifier": []obj{
			{"type": cc("http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "Medical record number"), "system": sysMRN, "value": p.mrn},
			{"type": cc("http://fhir.de/CodeSystem/identifier-type-de-basis", "GKV", "Gesetzliche Krankenversicherung"), "system": sysKVNR, "value": p.kvnr},
		},
		"name":      []obj{{"use": "official", "family": p.family, "given": p.given}},
		"gender":    p.gender,
		"birthDate": date(p.birth),
		"address":   []obj{{"city": p.city, "postalCode": p.zip, "country": "DE"}},
	}
}

func locationJSON(id, name, physCode, physDisplay, partOf string) obj {
	l := obj{
		"resourceType": "Location", "id": id, "status": "active", "name": name, "mode": "instance",
		"identifier":   []obj{{"system": "urn:oid:1.2.276.0.76.4.10", "value": id}},
		"physicalType": cc("http://terminology.hl7.org/CodeSystem/location-physical-type", physCode, physDisplay),
	}
	if partOf != "" {
		l["partOf"] = ref("Location", partOf)
	}
	return l
}

func practitionerJSON(id, prefix, given, family, lanr string) obj {
	return obj{
		"resourceType": "Practitioner", "id": id, "active": true,
		"identifier": []obj{{"system": sysNPI, "value": lanr}},
		"name":       []obj{{"use": "official", "prefix": []string{prefix}, "given": []string{given}, "family": family}},
	}
}

type encounterArgs struct {
	id, patient, status, class, typeText string
	start, end                           time.Time
	locations                            []obj
	doctor                               *doctor
	reason                               string
}

func encounterJSON(a encounterArgs) obj {
	period := obj{"start": dateTime(a.start)}
	if !a.end.IsZero() {
		period["end"] = dateTime(a.end)
	}
	e := obj{
		"resourceType": "Encounter", "id": a.id, "status": a.status,
		"class":   obj{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": a.class},
		"type":    []obj{{"text": a.typeText}},
		"subject": ref("Patient", a.patient),
		"period":  period,
	}
	if a.doctor != nil {
		e["participant"] = []obj{{"individual": obj{"reference": "Practitioner/" + a.doctor.id, "display": a.doctor.name}}}
	}
	if a.reason != "" {
		e["reasonCode"] = []obj{{"text": a.reason}}
	}
	if len(a.locations) > 0 {
		e["location"] = a.locations
	}
	return e
}

func encounterLocation(id, display, physCode string) obj {
	return obj{"location": obj{"reference": "Location/" + id, "display": display}, "status": "active",
		"physicalType": cc("http://terminology.hl7.org/CodeSystem/location-physical-type", physCode, physCode)}
}

func conditionJSON(id, patient string, p problem, onset time.Time, resolved time.Time) obj {
	status := "active"
	c := obj{
		"resourceType": "Condition", "id": id,
		"verificationStatus": cc("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed", "Confirmed"),
		"category":           []obj{cc("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item", "Problem List Item")},
		"code":               cc(sysSNOMED, p.code, p.display),
		"subject":            ref("Patient", patient),
		"onsetDateTime":      dateTime(onset),
		"recordedDate":       dateTime(onset),
	}
	if !resolved.IsZero() {
		status = "resolved"
		c["abatementDateTime"] = dateTime(resolved)
	}
	c["clinicalStatus"] = cc("http://terminology.hl7.org/CodeSystem/condition-clinical", status, status)
	return c
}

func allergyJSON(id, patient string, a allergen, recorded time.Time) obj {
	return obj{
		"resourceType": "AllergyIntolerance", "id": id,
		"clinicalStatus":     cc("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active", "Active"),
		"verificationStatus": cc("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed", "Confirmed"),
		"type":               "allergy",
		"category":           []string{a.category},
		"criticality":        a.criticality,
		"code":               cc(sysSNOMED, a.code, a.display),
		"patient":            ref("Patient", patient),
		"recordedDate":       dateTime(recorded),
		"reaction":           []obj{{"manifestation": []obj{{"text": a.reaction}}, "severity": a.severity}},
	}
}

func noKnownAllergyJSON(id, patient string, recorded time.Time) obj {
	return obj{
		"resourceType": "AllergyIntolerance", "id": id,
		"clinicalStatus":     cc("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active", "Active"),
		"verificationStatus": cc("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed", "Confirmed"),
		"code":               cc(sysSNOMED, "716186003", "Keine bekannten Allergien"),
		"patient":            ref("Patient", patient),
		"recordedDate":       dateTime(recorded),
	}
}

func medicationRequestJSON(id, patient, status string, d drug, authored time.Time, doc *doctor, encounter string) obj {
	m := obj{
		"resourceType": "MedicationRequest", "id": id, "status": status, "intent": "order",
		"medicationCodeableConcept": cc(sysATC, d.atc, d.name),
		"subject":                   ref("Patient", patient),
		"authoredOn":                dateTime(authored),
		"dosageInstruction":         []obj{{"text": d.dosage}},
	}
	if doc != nil {
		m["requester"] = obj{"reference": "Practitioner/" + doc.id, "display": doc.name}
	}
	if encounter != "" {
		m["encounter"] = ref("Encounter", encounter)
	}
	return m
}

func administrationJSON(id, patient, request string, d drug, at time.Time) obj {
	return obj{
		"resourceType": "MedicationAdministration", "id": id, "status": "completed",
		"medicationCodeableConcept": cc(sysATC, d.atc, d.name),
		"subject":                   ref("Patient", patient),
		"effectiveDateTime":         dateTime(at),
		"request":                   ref("MedicationRequest", request),
		"dosage":                    obj{"text": "1 Einheit"},
	}
}

func vitalJSON(id, patient string, v vital, value float64, at time.Time) obj {
	return obj{
		"resourceType": "Observation", "id": id, "status": "final",
		"category":          []obj{cc("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs", "Vital Signs")},
		"code":              cc(sysLOINC, v.loinc, v.display),
		"subject":           ref("Patient", patient),
		"effectiveDateTime": dateTime(at),
		"valueQuantity":     obj{"value": round(value, v.decimals), "unit": v.unit, "system": "http://unitsofmeasure.org", "code": v.unit},
	}
}

func bloodPressureJSON(id, patient string, sys, dia float64, at time.Time) obj {
	comp := func(code, display string, v float64) obj {
		return obj{"code": cc(sysLOINC, code, display), "valueQuantity": obj{"value": math.Round(v), "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}
	}
	return obj{
		"resourceType": "Observation", "id": id, "status": "final",
		"category":          []obj{cc("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs", "Vital Signs")},
		"code":              cc(sysLOINC, "85354-9", "Blutdruck"),
		"subject":           ref("Patient", patient),
		"effectiveDateTime": dateTime(at),
		"component":         []obj{comp("8480-6", "systolisch", sys), comp("8462-4", "diastolisch", dia)},
	}
}

func labJSON(id, patient string, l lab, value float64, at time.Time) obj {
	value = round(value, l.decimals)
	flag := "N"
	switch {
	case value > l.high:
		flag = "H"
	case value < l.low:
		flag = "L"
	}
	return obj{
		"resourceType": "Observation", "id": id, "status": "final",
		"category":          []obj{cc("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory", "Laboratory")},
		"code":              cc(sysLOINC, l.loinc, l.display),
		"subject":           ref("Patient", patient),
		"effectiveDateTime": dateTime(at),
		"valueQuantity":     obj{"value": value, "unit": l.unit, "system": "http://unitsofmeasure.org", "code": l.unit},
		"interpretation":    []obj{cc("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", flag, flag)},
		"referenceRange": []obj{{
			"low":  obj{"value": l.low, "unit": l.unit},
			"high": obj{"value": l.high, "unit": l.unit},
		}},
	}
}

func procedureJSON(id, patient string, p procedureDef, at time.Time) obj {
	return obj{
		"resourceType": "Procedure", "id": id, "status": "completed",
		"code":              cc(sysSNOMED, p.code, p.display),
		"subject":           ref("Patient", patient),
		"performedDateTime": dateTime(at),
	}
}

func documentJSON(id, patient string, at time.Time, doc *doctor, kind int) obj {
	types := []struct{ code, display string }{
		{"18842-5", "Entlassbrief"}, {"11506-3", "Verlaufsbericht"}, {"18748-4", "Befund Bildgebung"}, {"11488-4", "Konsilbericht"},
	}
	t := types[kind%len(types)]
	d := obj{
		"resourceType": "DocumentReference", "id": id, "status": "current",
		"type":    cc(sysLOINC, t.code, t.display),
		"subject": ref("Patient", patient),
		"date":    at.Format(time.RFC3339),
		"content": []obj{{"attachment": obj{"contentType": "application/pdf", "url": fmt.Sprintf("Binary/%s", id), "title": t.display}}},
	}
	if doc != nil {
		d["author"] = []obj{{"reference": "Practitioner/" + doc.id, "display": doc.name}}
	}
	return d
}
