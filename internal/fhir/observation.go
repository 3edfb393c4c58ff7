package fhir

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Observation categories the viewer separates.
const (
	CategoryVitalSigns = "vital-signs"
	CategoryLaboratory = "laboratory"
)

// ObservationValue is one measured value, with its name for components
// ("systolisch 120 mmHg").
type ObservationValue struct {
	Name     string
	Quantity *Quantity
	Text     string
}

// Format writes the value: "7,4 mmol/L" or the coded or text value.
func (v ObservationValue) Format(lang string) string {
	if v.Quantity != nil {
		return v.Quantity.Format(lang)
	}
	return v.Text
}

// Observation is a vital sign, a lab result or another finding.
type Observation struct {
	ID         string
	Patient    Ref
	Status     string // registered, preliminary, final, amended, corrected, cancelled, entered-in-error
	Categories []string
	Code       Coded
	Value      *ObservationValue
	Components []ObservationValue
	Effective  Date
	// Interpretation is the flag code: H, L, HH, LL, A, N, ...
	Interpretation string
	// Range is the reference range as text: "3,5–5,1 mmol/L".
	Range string
}

// HasCategory reports whether the observation is in category c.
func (o *Observation) HasCategory(c string) bool {
	for _, x := range o.Categories {
		if x == c {
			return true
		}
	}
	return false
}

// Valid reports whether the observation may be shown (not cancelled or
// entered in error).
func (o *Observation) Valid() bool {
	return o.Status != "cancelled" && o.Status != "entered-in-error"
}

// FormatValue writes the value or the components: "120/80 mmHg" for a
// blood pressure, else "systolic 120 mmHg, diastolic 80 mmHg".
func (o *Observation) FormatValue(lang string) string {
	if o.Value != nil {
		return o.Value.Format(lang)
	}
	if len(o.Components) == 2 && o.Components[0].Quantity != nil && o.Components[1].Quantity != nil &&
		o.Components[0].Quantity.Unit == o.Components[1].Quantity.Unit {
		a, b := *o.Components[0].Quantity, *o.Components[1].Quantity
		return formatNumber(a.Value, lang) + "/" + formatNumber(b.Value, lang) + " " + displayUnit(a.Unit)
	}
	var parts []string
	for _, c := range o.Components {
		parts = append(parts, strings.TrimSpace(c.Name+" "+c.Format(lang)))
	}
	return strings.Join(parts, ", ")
}

// Abnormal reports whether the interpretation flags the value as outside
// the normal range.
func (o *Observation) Abnormal() bool {
	switch o.Interpretation {
	case "", "N":
		return false
	}
	return true
}

type valueJSON struct {
	ValueQuantity        *quantity        `json:"valueQuantity"`
	ValueCodeableConcept *codeableConcept `json:"valueCodeableConcept"`
	ValueString          *string          `json:"valueString"`
	ValueBoolean         *bool            `json:"valueBoolean"`
	ValueInteger         *float64         `json:"valueInteger"`
}

func (v *valueJSON) value() *ObservationValue {
	switch {
	case v.ValueQuantity != nil && v.ValueQuantity.Value != nil:
		return &ObservationValue{Quantity: v.ValueQuantity.value()}
	case v.ValueCodeableConcept != nil:
		return &ObservationValue{Text: v.ValueCodeableConcept.coded().Text}
	case v.ValueString != nil:
		return &ObservationValue{Text: *v.ValueString}
	case v.ValueBoolean != nil:
		return &ObservationValue{Text: fmt.Sprint(*v.ValueBoolean)}
	case v.ValueInteger != nil:
		return &ObservationValue{Quantity: &Quantity{Value: *v.ValueInteger}}
	}
	return nil
}

type observationJSON struct {
	clinicalJSON
	valueJSON
	Category          []codeableConcept `json:"category"`
	EffectiveDateTime string            `json:"effectiveDateTime"`
	EffectiveInstant  string            `json:"effectiveInstant"`
	EffectivePeriod   *period           `json:"effectivePeriod"`
	Issued            string            `json:"issued"`
	Interpretation    []codeableConcept `json:"interpretation"`
	ReferenceRange    []struct {
		Low  *quantity `json:"low"`
		High *quantity `json:"high"`
		Text string    `json:"text"`
	} `json:"referenceRange"`
	Component []struct {
		valueJSON
		Code *codeableConcept `json:"code"`
	} `json:"component"`
}

// ParseObservation reads an Observation resource. Range uses the German
// decimal comma; the viewer shows ranges only beside values.
func ParseObservation(raw []byte) (*Observation, error) {
	var j observationJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("Observation: %w", err)
	}
	o := &Observation{ID: j.ID, Patient: j.patient(), Status: j.Status, Categories: codes(j.Category),
		Code: j.Code.coded(), Value: j.valueJSON.value(), Effective: observationDate(&j)}
	for _, c := range j.Component {
		v := c.valueJSON.value()
		if v == nil {
			continue
		}
		v.Name = c.Code.coded().Text
		o.Components = append(o.Components, *v)
	}
	if len(j.Interpretation) > 0 {
		o.Interpretation = j.Interpretation[0].code()
	}
	if len(j.ReferenceRange) > 0 {
		rr := j.ReferenceRange[0]
		switch {
		case rr.Text != "":
			o.Range = rr.Text
		case rr.Low != nil && rr.High != nil && rr.Low.Value != nil && rr.High.Value != nil:
			o.Range = formatNumber(*rr.Low.Value, "de") + "–" + rr.High.format("de")
		case rr.High != nil:
			o.Range = "≤ " + rr.High.format("de")
		case rr.Low != nil:
			o.Range = "≥ " + rr.Low.format("de")
		}
	}
	return o, nil
}

func observationDate(j *observationJSON) Date {
	for _, s := range []string{j.EffectiveDateTime, j.EffectiveInstant} {
		if d := ParseDate(s); !d.IsZero() {
			return d
		}
	}
	if j.EffectivePeriod != nil {
		if d := ParseDate(j.EffectivePeriod.Start); !d.IsZero() {
			return d
		}
	}
	return ParseDate(j.Issued)
}
