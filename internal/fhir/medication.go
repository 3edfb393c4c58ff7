package fhir

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Quantity is a measured or ordered amount.
type Quantity struct {
	Value      float64
	Comparator string
	Unit       string
}

// Format writes the amount with a decimal comma in German: "7,4 mmol/L".
func (q Quantity) Format(lang string) string {
	v := q.Value
	return (&quantity{Value: &v, Comparator: q.Comparator, Unit: q.Unit}).format(lang)
}

func (q *quantity) value() *Quantity {
	if q == nil || q.Value == nil {
		return nil
	}
	u := q.Unit
	if u == "" {
		u = q.Code
	}
	return &Quantity{Value: *q.Value, Comparator: q.Comparator, Unit: u}
}

// Dosage is how a drug is given.
type Dosage struct {
	// Text is the prescriber's free text; when set it is shown as is.
	Text       string
	Dose       *Quantity
	Frequency  int
	Period     float64
	PeriodUnit string // s, min, h, d, wk, mo, a
	When       []string
	AsNeeded   bool
	Route      string
}

// Format writes the dosage in plain words: "1 Stück, 2 × täglich, bei
// Bedarf" ("1 unit, 2 times a day, as needed").
func (d Dosage) Format(lang string) string {
	if d.Text != "" {
		return d.Text
	}
	en := lang == "en"
	var parts []string
	if d.Dose != nil {
		s := d.Dose.Format(lang)
		if d.Dose.Unit == "" || d.Dose.Unit == "1" {
			if en {
				s += " unit(s)"
			} else {
				s += " Stück"
			}
		}
		parts = append(parts, s)
	}
	if d.Frequency > 0 && d.Period > 0 {
		parts = append(parts, frequency(d.Frequency, d.Period, d.PeriodUnit, en))
	}
	if d.AsNeeded {
		parts = append(parts, map[bool]string{false: "bei Bedarf", true: "as needed"}[en])
	}
	if d.Route != "" {
		parts = append(parts, d.Route)
	}
	return strings.Join(parts, ", ")
}

func frequency(n int, period float64, unit string, en bool) string {
	type words struct{ de, en string }
	per := map[string]words{"s": {"Sekunde", "second"}, "min": {"Minute", "minute"}, "h": {"Stunde", "hour"},
		"d": {"Tag", "day"}, "wk": {"Woche", "week"}, "mo": {"Monat", "month"}, "a": {"Jahr", "year"}}
	w, ok := per[unit]
	if !ok {
		w = words{unit, unit}
	}
	if period == 1 {
		if en {
			return fmt.Sprintf("%d × per %s", n, w.en)
		}
		if unit == "d" {
			return fmt.Sprintf("%d × täglich", n)
		}
		return fmt.Sprintf("%d × pro %s", n, w.de)
	}
	p := formatNumber(period, map[bool]string{true: "en", false: "de"}[en])
	if en {
		return fmt.Sprintf("%d × every %s %ss", n, p, w.en)
	}
	plural := map[string]string{"Sekunde": "Sekunden", "Minute": "Minuten", "Stunde": "Stunden", "Tag": "Tage", "Woche": "Wochen", "Monat": "Monate", "Jahr": "Jahre"}[w.de]
	if plural == "" {
		plural = w.de
	}
	return fmt.Sprintf("%d × alle %s %s", n, p, plural)
}

type dosageJSON struct {
	Text   string `json:"text"`
	Timing *struct {
		Repeat *struct {
			Frequency  int      `json:"frequency"`
			Period     float64  `json:"period"`
			PeriodUnit string   `json:"periodUnit"`
			When       []string `json:"when"`
		} `json:"repeat"`
		Code *codeableConcept `json:"code"`
	} `json:"timing"`
	AsNeededBoolean bool             `json:"asNeededBoolean"`
	AsNeededCC      *codeableConcept `json:"asNeededCodeableConcept"`
	Route           *codeableConcept `json:"route"`
	DoseAndRate     []struct {
		DoseQuantity *quantity `json:"doseQuantity"`
	} `json:"doseAndRate"`
}

func (j *dosageJSON) dosage() Dosage {
	d := Dosage{Text: strings.TrimSpace(j.Text), AsNeeded: j.AsNeededBoolean || j.AsNeededCC != nil}
	if j.Timing != nil {
		if r := j.Timing.Repeat; r != nil {
			d.Frequency, d.Period, d.PeriodUnit, d.When = r.Frequency, r.Period, r.PeriodUnit, r.When
		}
		if d.Text == "" && j.Timing.Code != nil {
			d.Text = j.Timing.Code.coded().Text
		}
	}
	if j.Route != nil {
		d.Route = j.Route.coded().Text
	}
	for _, dr := range j.DoseAndRate {
		if q := dr.DoseQuantity.value(); q != nil {
			d.Dose = q
			break
		}
	}
	return d
}

// MedicationRequest is a prescription or a medication order.
type MedicationRequest struct {
	ID         string
	Patient    Ref
	Status     string // active, on-hold, cancelled, completed, entered-in-error, stopped, draft, unknown
	Intent     string
	Medication string
	Dosages    []Dosage
	AuthoredOn Date
	Requester  string
	Reason     string
	Note       string
}

// Active reports whether the order is in force (active or on hold).
func (m *MedicationRequest) Active() bool { return m.Status == "active" || m.Status == "on-hold" }

// Dosage returns the dosage in plain words, several joined by "; ".
func (m *MedicationRequest) Dosage(lang string) string {
	var parts []string
	for _, d := range m.Dosages {
		if s := d.Format(lang); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "; ")
}

type medicationJSON struct {
	clinicalJSON
	Intent           string           `json:"intent"`
	MedicationCC     *codeableConcept `json:"medicationCodeableConcept"`
	MedicationRef    *reference       `json:"medicationReference"`
	AuthoredOn       string           `json:"authoredOn"`
	Requester        *reference       `json:"requester"`
	DosageInstrucion []dosageJSON     `json:"dosageInstruction"`
	// MedicationAdministration
	EffectiveDateTime string     `json:"effectiveDateTime"`
	EffectivePeriod   *period    `json:"effectivePeriod"`
	Request           *reference `json:"request"`
	Dosage            *struct {
		Text  string           `json:"text"`
		Route *codeableConcept `json:"route"`
		Dose  *quantity        `json:"dose"`
	} `json:"dosage"`
}

func (j *medicationJSON) medication() string {
	if j.MedicationCC != nil {
		return j.MedicationCC.coded().Text
	}
	if j.MedicationRef != nil {
		if j.MedicationRef.Display != "" {
			return j.MedicationRef.Display
		}
		return j.MedicationRef.ref().String()
	}
	return ""
}

func (j *medicationJSON) reason() string {
	if len(j.ReasonCode) > 0 {
		return j.ReasonCode[0].coded().Text
	}
	for _, r := range j.ReasonReference {
		if r.Display != "" {
			return r.Display
		}
	}
	return ""
}

// ParseMedicationRequest reads a MedicationRequest resource.
func ParseMedicationRequest(raw []byte) (*MedicationRequest, error) {
	var j medicationJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("MedicationRequest: %w", err)
	}
	m := &MedicationRequest{ID: j.ID, Patient: j.patient(), Status: j.Status, Intent: j.Intent,
		Medication: j.medication(), AuthoredOn: ParseDate(j.AuthoredOn), Reason: j.reason(), Note: notes(j.Note)}
	if j.Requester != nil {
		m.Requester = j.Requester.Display
	}
	for i := range j.DosageInstrucion {
		m.Dosages = append(m.Dosages, j.DosageInstrucion[i].dosage())
	}
	return m, nil
}

// MedicationAdministration is a dose given (or not given) to a patient.
type MedicationAdministration struct {
	ID         string
	Patient    Ref
	Status     string // in-progress, not-done, on-hold, completed, entered-in-error, stopped, unknown
	Medication string
	Effective  Date
	DoseText   string
	DoseAmount *Quantity
	Route      string
	Request    Ref
}

// Dose returns the dose given in plain words.
func (m *MedicationAdministration) Dose(lang string) string {
	if m.DoseText != "" {
		return m.DoseText
	}
	if m.DoseAmount != nil {
		return m.DoseAmount.Format(lang)
	}
	return ""
}

// ParseMedicationAdministration reads a MedicationAdministration resource.
func ParseMedicationAdministration(raw []byte) (*MedicationAdministration, error) {
	var j medicationJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("MedicationAdministration: %w", err)
	}
	m := &MedicationAdministration{ID: j.ID, Patient: j.patient(), Status: j.Status, Medication: j.medication(),
		Effective: ParseDate(j.EffectiveDateTime), Request: j.Request.ref()}
	if m.Effective.IsZero() && j.EffectivePeriod != nil {
		m.Effective = ParseDate(j.EffectivePeriod.Start)
	}
	if d := j.Dosage; d != nil {
		m.DoseText, m.DoseAmount = d.Text, d.Dose.value()
		if d.Route != nil {
			m.Route = d.Route.coded().Text
		}
	}
	return m, nil
}
