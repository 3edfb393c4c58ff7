package fhir

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lifeline-project/lifeline/internal/check"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		in   string
		want Ref
	}{
		{"Patient/123", Ref{Type: "Patient", ID: "123"}},
		{"https://ehr.local/fhir/Patient/123/_history/4", Ref{Type: "Patient", ID: "123"}},
		{"Location?identifier=https://github.com/synthetichealth/synthea|3b23", Ref{Type: "Location", System: "https://github.com/synthetichealth/synthea", Value: "3b23"}},
		{"Practitioner?identifier=9999", Ref{Type: "Practitioner", Value: "9999"}},
		{"", Ref{}},
		{"nonsense", Ref{}},
		{"Location?name=x", Ref{}},
	}
	for _, tt := range tests {
		if got := ParseRef(tt.in, ""); got != tt.want {
			t.Errorf("ParseRef(%q): got %+v; want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	tests := []struct {
		in, de, en string
	}{
		{"1927-05-21", "21.05.1927", "1927-05-21"},
		{"1927-05", "05/1927", "1927-05"},
		{"1927", "1927", "1927"},
		{"2026-02-03T09:30:00Z", "03.02.2026 10:30", "2026-02-03 10:30"},
		{"2026-02-03T09:30:00.123+01:00", "03.02.2026 09:30", "2026-02-03 09:30"},
		{"2026-02-03T09:30+01:00", "03.02.2026 09:30", "2026-02-03 09:30"},
		{"yesterday", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		d := ParseDate(tt.in)
		if got := d.Format("de", berlin); got != tt.de {
			t.Errorf("ParseDate(%q) in German: got %q; want %q", tt.in, got, tt.de)
		}
		if got := d.Format("en", berlin); got != tt.en {
			t.Errorf("ParseDate(%q) in English: got %q; want %q", tt.in, got, tt.en)
		}
	}
}

func TestParseResourceErrors(t *testing.T) {
	tests := []struct {
		name, line, want string
	}{
		{"not an object", `[1,2]`, "not a JSON object"},
		{"broken JSON", `{"resourceType":"Patient","id":`, "invalid JSON"},
		{"no type", `{"id":"1"}`, "resourceType missing"},
		{"bad id", `{"resourceType":"Patient","id":"a b"}`, "without a valid id"},
		{"no patient", `{"resourceType":"Condition","id":"c1"}`, "names no patient"},
		{"wrong type", `{"resourceType":"Patient","id":"p","name":"Müller"}`, "wrong type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseResource([]byte(tt.line))
			if !errors.Is(err, ErrNotResource) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v; want ErrNotResource saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "Müller") {
				t.Errorf("error %q repeats input content", err)
			}
		})
	}
}

func TestDocumentContentIsStripped(t *testing.T) {
	line := `{"resourceType":"DocumentReference","id":"d1","subject":{"reference":"Patient/p1"},"content":[{"attachment":{"contentType":"text/plain","data":"U2VjcmV0IG5vdGU="}}],"date":"2025-01-01T10:00:00Z"}`
	r, err := ParseResource([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(r.JSON, []byte("U2VjcmV0")) || !bytes.Contains(r.JSON, []byte("text/plain")) {
		t.Errorf("stored JSON %s; want the metadata without the data", r.JSON)
	}
	if r.PatientID != "p1" {
		t.Errorf("patient: %q", r.PatientID)
	}
}

func TestKeep(t *testing.T) {
	now := time.Date(2026, 2, 3, 10, 0, 0, 0, time.UTC)
	recent := 30 * 24 * time.Hour
	res := func(line string) *Resource {
		r, err := ParseResource([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		name string
		line string
		want bool
	}{
		{"current stay", `{"resourceType":"Encounter","id":"e","status":"in-progress","class":{"code":"IMP"},"subject":{"reference":"Patient/p"},"period":{"start":"2020-01-01"}}`, true},
		{"old visit", `{"resourceType":"Encounter","id":"e","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/p"},"period":{"start":"2020-01-01","end":"2020-01-01"}}`, false},
		{"recent discharge", `{"resourceType":"Encounter","id":"e","status":"finished","class":{"code":"IMP"},"subject":{"reference":"Patient/p"},"period":{"start":"2026-01-20","end":"2026-02-01"}}`, true},
		{"active order from 1990", `{"resourceType":"MedicationRequest","id":"m","status":"active","authoredOn":"1990-01-01","subject":{"reference":"Patient/p"}}`, true},
		{"stopped order from 1990", `{"resourceType":"MedicationRequest","id":"m","status":"stopped","authoredOn":"1990-01-01","subject":{"reference":"Patient/p"}}`, false},
		{"vital today", `{"resourceType":"Observation","id":"o","status":"final","effectiveDateTime":"2026-02-03T08:00:00Z","subject":{"reference":"Patient/p"}}`, true},
		{"vital last year", `{"resourceType":"Observation","id":"o","status":"final","effectiveDateTime":"2025-02-03T08:00:00Z","subject":{"reference":"Patient/p"}}`, false},
		{"observation without time", `{"resourceType":"Observation","id":"o","status":"final","subject":{"reference":"Patient/p"}}`, false},
		{"old condition", `{"resourceType":"Condition","id":"c","onsetDateTime":"1970-01-01","subject":{"reference":"Patient/p"}}`, true},
		{"entered in error", `{"resourceType":"Condition","id":"c","status":"entered-in-error","subject":{"reference":"Patient/p"}}`, false},
	}
	for _, tt := range tests {
		if got := Keep(res(tt.line), now, recent); got != tt.want {
			t.Errorf("%s: Keep = %v; want %v", tt.name, got, tt.want)
		}
	}
}

func TestSearchTerms(t *testing.T) {
	p := &Patient{Family: "Müller-Lüdenscheidt", Given: []string{"Zoë", "Ayşe"}, BirthDate: ParseDate("1950-03-04"),
		Identifiers: []Identifier{{Value: "A 123-456"}}}
	terms := IndexTerms(p)
	has := map[string]bool{}
	for _, x := range terms {
		has[x] = true
	}
	for _, w := range []string{"n:mueller", "n:luedenscheidt", "p:mue", "p:muel", "n:zoe", "n:ayse", "d:1950-03-04", "i:A123456"} {
		if !has[w] {
			t.Errorf("index terms lack %q: %v", w, terms)
		}
	}
	q := QueryTerms("Müll 04.03.1950")
	want := [][]string{{"n:muell", "p:muell", "i:MÜLL"}, {"d:1950-03-04"}}
	if diff := cmp.Diff(want, q); diff != "" {
		t.Errorf("QueryTerms (-want +got):\n%s", diff)
	}
	// Every query term group of a patient's own name finds the patient.
	for _, g := range QueryTerms("mueller zoe a123456") {
		found := false
		for _, term := range g {
			found = found || has[term]
		}
		if !found {
			t.Errorf("group %v does not match the patient", g)
		}
	}
}

func TestDosageFormat(t *testing.T) {
	one := 1.0
	tests := []struct {
		d      Dosage
		de, en string
	}{
		{Dosage{Text: "1-0-1"}, "1-0-1", "1-0-1"},
		{Dosage{Dose: &Quantity{Value: one}, Frequency: 2, Period: 1, PeriodUnit: "d"}, "1 Stück, 2 × täglich", "1 unit(s), 2 × per day"},
		{Dosage{Dose: &Quantity{Value: 2.5, Unit: "mg"}, Frequency: 1, Period: 8, PeriodUnit: "h", AsNeeded: true}, "2,5 mg, 1 × alle 8 Stunden, bei Bedarf", "2.5 mg, 1 × every 8 hours, as needed"},
	}
	for _, tt := range tests {
		if got := tt.d.Format("de"); got != tt.de {
			t.Errorf("German: got %q; want %q", got, tt.de)
		}
		if got := tt.d.Format("en"); got != tt.en {
			t.Errorf("English: got %q; want %q", got, tt.en)
		}
	}
}

func TestObservationValues(t *testing.T) {
	bp := `{"resourceType":"Observation","id":"o","status":"final","category":[{"coding":[{"code":"vital-signs"}]}],"code":{"text":"Blutdruck"},"subject":{"reference":"Patient/p"},
		"component":[{"code":{"text":"sys"},"valueQuantity":{"value":128,"unit":"mmHg"}},{"code":{"text":"dia"},"valueQuantity":{"value":79,"unit":"mmHg"}}]}`
	o, err := ParseObservation([]byte(bp))
	if err != nil {
		t.Fatal(err)
	}
	if got := o.FormatValue("de"); got != "128/79 mmHg" {
		t.Errorf("blood pressure: %q", got)
	}
	k := `{"resourceType":"Observation","id":"k","status":"final","code":{"text":"Kalium"},"subject":{"reference":"Patient/p"},
		"valueQuantity":{"value":5.8,"unit":"mmol/L"},"interpretation":[{"coding":[{"code":"H"}]}],"referenceRange":[{"low":{"value":3.5},"high":{"value":5.1,"unit":"mmol/L"}}]}`
	o, _ = ParseObservation([]byte(k))
	if o.FormatValue("de") != "5,8 mmol/L" || o.FormatValue("en") != "5.8 mmol/L" || !o.Abnormal() || o.Range != "3,5–5,1 mmol/L" {
		t.Errorf("potassium: %q %q abnormal %v range %q", o.FormatValue("de"), o.FormatValue("en"), o.Abnormal(), o.Range)
	}
}

func TestFormatAgeAndStand(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Berlin")
	now := time.Date(2026, 3, 29, 10, 0, 0, 0, loc) // the day clocks go forward
	tests := []struct {
		d      time.Duration
		de, en string
	}{
		{40 * time.Second, "40 Sekunden", "40 seconds"},
		{3 * time.Minute, "3 Minuten", "3 minutes"},
		{time.Minute, "1 Minute", "1 minute"},
		{2 * time.Hour, "2 Stunden", "2 hours"},
		{72 * time.Hour, "3 Tage", "3 days"},
		{-time.Second, "0 Sekunden", "0 seconds"},
	}
	for _, tt := range tests {
		if got := check.AgeWords(tt.d); got.DE != tt.de || got.EN != tt.en {
			t.Errorf("check.AgeWords(%s) = %+v; want %q/%q", tt.d, got, tt.de, tt.en)
		}
	}
	if got := check.StandWords(now.Add(-3*time.Minute), now, loc); got.DE != "heute 09:57" {
		t.Errorf("today: %+v", got)
	}
	if got := check.StandWords(now.Add(-12*time.Hour), now, loc); got.DE != "gestern 21:00" {
		t.Errorf("yesterday across the DST switch: %+v", got)
	}
	if got := check.StandWords(time.Time{}, now, loc); got.DE != "nie" {
		t.Errorf("never: %+v", got)
	}
}
