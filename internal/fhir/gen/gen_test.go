package gen

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/lifeline-project/lifeline/internal/fhir"
)

func digest(t *testing.T, o Options) ([32]byte, Stats) {
	t.Helper()
	h := sha256.New()
	stats, err := Generate(o, func(typ string, res []byte) error {
		h.Write([]byte(typ))
		h.Write(res)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out, stats
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, sa := digest(t, Options{Patients: 40, Seed: 7})
	b, _ := digest(t, Options{Patients: 40, Seed: 7})
	c, _ := digest(t, Options{Patients: 40, Seed: 8})
	if a != b {
		t.Error("same seed gave different output")
	}
	if a == c {
		t.Error("different seeds gave the same output")
	}
	if sa[fhir.TypePatient] != 40 {
		t.Errorf("patients: got %d; want 40", sa[fhir.TypePatient])
	}
	for _, typ := range fhir.Types() {
		if sa[typ] == 0 {
			t.Errorf("no %s generated", typ)
		}
	}
}

// TestGeneratedResourcesParse checks that every generated line is a valid
// resource for the importer, that stays are current and on a ward, and
// that the share of inpatients is as asked.
func TestGeneratedResourcesParse(t *testing.T) {
	dir := t.TempDir()
	stats, err := WriteDir(dir, Options{Patients: 60, Seed: 3, InpatientShare: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	var stays []fhir.StayRef
	var locations []fhir.Location
	for typ, n := range stats {
		f, err := os.Open(filepath.Join(dir, typ+".000.ndjson"))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		problems, err := fhir.ReadResources(f, typ, func(r *fhir.Resource) error {
			got++
			if r.Type != typ {
				t.Errorf("%s file holds a %s", typ, r.Type)
			}
			if r.Encounter != nil && r.Encounter.CurrentStay() {
				stays = append(stays, fhir.StayRef{Locations: r.Encounter.Locations})
			}
			if r.Location != nil {
				locations = append(locations, *r.Location)
			}
			return nil
		})
		f.Close()
		if err != nil || len(problems) > 0 {
			t.Fatalf("%s: %v %v", typ, err, problems)
		}
		if got != n {
			t.Errorf("%s: read %d; generated %d", typ, got, n)
		}
	}
	if len(stays) != 30 {
		t.Errorf("current stays: got %d; want 30 (half of 60)", len(stays))
	}
	c := fhir.BuildCensus(stays, locations)
	if len(c.Beds(fhir.NoWard)) != 0 {
		t.Errorf("%d stays without a ward", len(c.Beds(fhir.NoWard)))
	}
	for _, w := range c.Wards {
		for _, b := range c.Beds(w.ID) {
			if b.Bed == "" {
				t.Errorf("stay on %s without a bed", w.Name)
			}
		}
	}
}

func TestAdmitPutsEveryPatientOnAWard(t *testing.T) {
	var buf bytes.Buffer
	stats, err := Admit(AdmitOptions{Seed: 1}, []Admittee{{ID: "a"}, {ID: "b"}, {ID: "c"}}, func(typ string, res []byte) error {
		if typ == fhir.TypeEncounter {
			var e struct{ Status string }
			json.Unmarshal(res, &e)
			buf.WriteString(e.Status + " ")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if stats[fhir.TypeEncounter] != 3 || buf.String() != "in-progress in-progress in-progress " {
		t.Errorf("encounters: %d %q; want 3 in progress", stats[fhir.TypeEncounter], buf.String())
	}
	if stats[fhir.TypeAllergyIntolerance] != 1 {
		t.Errorf("allergies: got %d; want 1 (every third patient)", stats[fhir.TypeAllergyIntolerance])
	}
}

func BenchmarkGenerate1000(b *testing.B) {
	for b.Loop() {
		if _, err := Generate(Options{Patients: 1000, Seed: 1}, func(string, []byte) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
