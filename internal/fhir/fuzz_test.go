package fhir

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func FuzzParseResource(f *testing.F) {
	for _, s := range []string{
		`{"resourceType":"Patient","id":"p1","name":[{"family":"Müller","given":["Anna"]}],"birthDate":"1950-01-02"}`,
		`{"resourceType":"Encounter","id":"e","status":"in-progress","class":{"code":"IMP"},"subject":{"reference":"Patient/p"},"location":[{"location":{"reference":"Location?identifier=a|b"}}]}`,
		`{"resourceType":"Observation","id":"o","subject":{"reference":"Patient/p"},"valueQuantity":{"value":1e309}}`,
		`{"resourceType":"DocumentReference","id":"d","subject":{"reference":"Patient/p"},"content":[{"attachment":{"data":"AA=="}}]}`,
		`{"resourceType":"MedicationRequest","id":"m","subject":{"reference":"Patient/p"},"dosageInstruction":[{"timing":{"repeat":{"frequency":2,"period":1,"periodUnit":"d"}}}]}`,
		`{"resourceType":"Location","id":"l","partOf":{"reference":"Location/x"}}`,
		`{`, `null`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := ParseResource(line)
		if err != nil {
			return
		}
		if r.Type == "" || !validID(r.ID) {
			t.Fatalf("accepted resource without type or valid id: %+v", r)
		}
		if !json.Valid(r.JSON) {
			t.Fatalf("stored JSON is not valid: %s", r.JSON)
		}
		if r.Patient != nil {
			IndexTerms(r.Patient)
			r.Patient.Name()
		}
		if r.Encounter != nil {
			r.Encounter.CurrentStay()
		}
		// The typed views must not panic on anything ParseResource accepts.
		ParseAllergy(r.JSON)
		ParseCondition(r.JSON)
		ParseMedicationRequest(r.JSON)
		ParseMedicationAdministration(r.JSON)
		if o, err := ParseObservation(r.JSON); err == nil {
			o.FormatValue("de")
		}
		ParseProcedure(r.JSON)
		ParseDocument(r.JSON)
		ParsePractitioner(r.JSON)
	})
}

func FuzzReadResources(f *testing.F) {
	f.Add([]byte("{\"resourceType\":\"Patient\",\"id\":\"a\"}\n\nnot json\n{\"resourceType\":\"Patient\",\"id\":\"b\"}"))
	f.Add([]byte("\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := 0
		for _, l := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(l)) > 0 {
				lines++
			}
		}
		good := 0
		problems, err := ReadResources(bytes.NewReader(data), "f.ndjson", func(*Resource) error { good++; return nil })
		if err != nil {
			t.Fatal(err)
		}
		if good+len(problems) != lines {
			t.Fatalf("%d good + %d problems != %d non-empty lines", good, len(problems), lines)
		}
		for _, p := range problems {
			if p.Line < 1 || p.File != "f.ndjson" {
				t.Fatalf("problem %+v", p)
			}
		}
	})
}

func FuzzReadDeleted(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"Patient/1"}}]}`))
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"request":{"method":"PUT","url":"Patient/1"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ReadDeleted(bytes.NewReader(data), "d.ndjson", func(d Deletion) error {
			if d.Type == "" || !validID(d.ID) {
				t.Fatalf("deletion without type or id: %+v", d)
			}
			return nil
		})
	})
}

func FuzzQueryTerms(f *testing.F) {
	for _, s := range []string{"Müller 01.02.1950", "A-123", "ß", "   ", "Ø"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		for _, g := range QueryTerms(q) {
			if len(g) == 0 {
				t.Fatal("empty group")
			}
			for _, term := range g {
				if len(term) < 3 || term[1] != ':' || strings.TrimSpace(term[2:]) == "" {
					t.Fatalf("bad term %q", term)
				}
			}
		}
	})
}

func TestReadLinesLongLine(t *testing.T) {
	long := strings.Repeat("x", 1000)
	data := "{\"a\":1}\n" + long + "\n{\"b\":2}\n"
	var got []string
	err := readLines(strings.NewReader(data), 100, func(n int, line []byte, err error) error {
		if err != nil {
			got = append(got, "too long")
		} else {
			got = append(got, strings.TrimSpace(string(line)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "|") != `{"a":1}|too long|{"b":2}` {
		t.Errorf("lines: %q", got)
	}
}
