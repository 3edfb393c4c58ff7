// Package gen generates a synthetic hospital as FHIR R4 NDJSON: patients
// with German names, history (visits, problems, allergies, prescriptions,
// procedures, documents) and, for a share of them, a current stay on a
// ward with vital signs, labs, ward orders and given doses. The output
// depends only on the options: the same seed and Now give the same bytes.
//
// Admit puts existing patients (the Synthea sample of 10 patients) into
// the same wards, so that a data set with only historic encounters shows
// ward lists.
package gen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"
)

// Options describe the hospital to generate.
type Options struct {
	// Patients is the number of patients (default 100).
	Patients int
	// Seed makes the output reproducible.
	Seed uint64
	// Now is the hospital's present; stays, vitals and doses lie before it
	// (default 2026-01-15 08:00 UTC, fixed so that output is reproducible).
	Now time.Time
	// Wards is the number of wards, 1 to 8 (default 6).
	Wards int
	// BedsPerWard (default 24).
	BedsPerWard int
	// InpatientShare is the share of patients with a current stay (default
	// 0.3), limited by the beds.
	InpatientShare float64
}

// DefaultNow is the present of generated data when Options.Now is zero.
func DefaultNow() time.Time { return time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC) }

func (o *Options) defaults() {
	if o.Patients <= 0 {
		o.Patients = 100
	}
	if o.Now.IsZero() {
		o.Now = DefaultNow()
	}
	if o.Wards <= 0 {
		o.Wards = 6
	}
	o.Wards = min(o.Wards, len(wardDefs()))
	if o.BedsPerWard <= 0 {
		o.BedsPerWard = 24
	}
	if o.InpatientShare <= 0 {
		o.InpatientShare = 0.3
	}
}

// Emit receives one resource of type typ as JSON.
type Emit func(typ string, res []byte) error

// Stats count what was generated, by resource type.
type Stats map[string]int

// Total returns the number of resources.
func (s Stats) Total() int {
	n := 0
	for _, v := range s {
		n += v
	}
	return n
}

type doctor struct{ id, name string }

type person struct {
	id, mrn, kvnr, family, gender, city, zip string
	given                                    []string
	birth                                    time.Time
}

// g is one generation run.
type g struct {
	o       Options
	rng     *rand.Rand
	emit    Emit
	stats   Stats
	doctors []doctor
	beds    [][]string // free bed ids per ward
	n       int        // resource counter for ids
}

func newG(o Options, emit Emit) *g {
	return &g{o: o, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15)), emit: emit, stats: Stats{}}
}

func (g *g) put(res obj) error {
	typ := res["resourceType"].(string)
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	g.stats[typ]++
	return g.emit(typ, b)
}

// uuid returns a random (seeded) UUID v4.
func (g *g) uuid() string {
	a, b := g.rng.Uint64(), g.rng.Uint64()
	a = a&^0xf000 | 0x4000
	b = b&^(0xc<<60) | 0x8<<60
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

func pick[T any](g *g, xs []T) T { return xs[g.rng.IntN(len(xs))] }

func (g *g) between(from, to time.Time) time.Time {
	d := to.Sub(from)
	if d <= 0 {
		return from
	}
	return from.Add(time.Duration(g.rng.Int64N(int64(d)))).Truncate(time.Minute)
}

// hospital emits the site, the wards and their beds, and the doctors.
func (g *g) hospital() error {
	if err := g.put(locationJSON("site-main", "Klinikum Lifeline", "bu", "Building", "")); err != nil {
		return err
	}
	for w, wd := range wardDefs()[:g.o.Wards] {
		if err := g.put(locationJSON(wd.id, wd.name, "wa", "Ward", "site-main")); err != nil {
			return err
		}
		var beds []string
		for b := 0; b < g.o.BedsPerWard; b++ {
			room, bed := 100*(w+1)+b/2+1, b%2+1
			id := fmt.Sprintf("%s-%d-%d", wd.id, room, bed)
			if err := g.put(locationJSON(id, fmt.Sprintf("Zimmer %d Bett %d", room, bed), "bd", "Bed", wd.id)); err != nil {
				return err
			}
			beds = append(beds, id)
		}
		g.beds = append(g.beds, beds)
	}
	titles := []string{"Dr. med.", "Dr. med.", "Prof. Dr. med.", "Dr."}
	for i := 0; i < 12+g.o.Wards*3; i++ {
		female := g.rng.IntN(2) == 0
		given := pick(g, maleNames())
		if female {
			given = pick(g, femaleNames())
		}
		family, prefix := pick(g, familyNames()), pick(g, titles)
		d := doctor{id: fmt.Sprintf("prac-%03d", i+1), name: prefix + " " + given + " " + family}
		if err := g.put(practitionerJSON(d.id, prefix, given, family, fmt.Sprintf("%09d", 100000000+i*7919))); err != nil {
			return err
		}
		g.doctors = append(g.doctors, d)
	}
	return nil
}

// freeBed takes a free bed; ok is false when the hospital is full.
func (g *g) freeBed() (ward wardDef, bed string, ok bool) {
	start := g.rng.IntN(len(g.beds))
	for i := range g.beds {
		w := (start + i) % len(g.beds)
		if n := len(g.beds[w]); n > 0 {
			j := g.rng.IntN(n)
			bed = g.beds[w][j]
			g.beds[w] = append(g.beds[w][:j], g.beds[w][j+1:]...)
			return wardDefs()[w], bed, true
		}
	}
	return wardDef{}, "", false
}

func (g *g) person() *person {
	p := &person{id: g.uuid(), family: pick(g, familyNames())}
	if g.rng.IntN(2) == 0 {
		p.gender, p.given = "female", []string{pick(g, femaleNames())}
	} else {
		p.gender, p.given = "male", []string{pick(g, maleNames())}
	}
	if g.rng.IntN(4) == 0 {
		second := pick(g, femaleNames())
		if p.gender == "male" {
			second = pick(g, maleNames())
		}
		if second != p.given[0] {
			p.given = append(p.given, second)
		}
	}
	age := 18 + g.rng.IntN(80)
	p.birth = time.Date(g.o.Now.Year()-age, time.Month(1+g.rng.IntN(12)), 1+g.rng.IntN(28), 0, 0, 0, 0, time.UTC)
	p.mrn = fmt.Sprintf("%08d", 10000000+g.rng.IntN(89999999))
	p.kvnr = fmt.Sprintf("%c%09d", 'A'+rune(g.rng.IntN(26)), g.rng.IntN(1000000000))
	cities := [][2]string{{"Berlin", "10115"}, {"Hamburg", "20095"}, {"München", "80331"}, {"Köln", "50667"}, {"Leipzig", "04109"}, {"Kassel", "34117"}}
	c := pick(g, cities)
	p.city, p.zip = c[0], c[1]
	return p
}

// Generate emits a whole hospital: locations, doctors, then every patient
// with their history and, for some, a current stay.
func Generate(o Options, emit Emit) (Stats, error) {
	o.defaults()
	g := newG(o, emit)
	if err := g.hospital(); err != nil {
		return g.stats, err
	}
	for i := 0; i < o.Patients; i++ {
		p := g.person()
		if err := g.put(patientJSON(p)); err != nil {
			return g.stats, err
		}
		chronic, err := g.history(p)
		if err != nil {
			return g.stats, err
		}
		// Exactly floor(Patients × InpatientShare) stays, spread evenly.
		if int(float64(i+1)*o.InpatientShare) > int(float64(i)*o.InpatientShare) {
			if err := g.stay(p.id, chronic, false); err != nil {
				return g.stats, err
			}
		}
	}
	return g.stats, nil
}

// WriteDir generates a hospital into dir as one NDJSON file per resource
// type ("Patient.000.ndjson"), as a Bulk Data export writes them.
func WriteDir(dir string, o Options) (Stats, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	files := map[string]*os.File{}
	writers := map[string]*bufio.Writer{}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	stats, err := Generate(o, func(typ string, res []byte) error {
		w, ok := writers[typ]
		if !ok {
			f, err := os.Create(filepath.Join(dir, typ+".000.ndjson"))
			if err != nil {
				return err
			}
			files[typ], w = f, bufio.NewWriterSize(f, 256<<10)
			writers[typ] = w
		}
		w.Write(res)
		return w.WriteByte('\n')
	})
	if err != nil {
		return stats, err
	}
	for typ, w := range writers {
		if err := w.Flush(); err != nil {
			return stats, err
		}
		if err := files[typ].Sync(); err != nil {
			return stats, err
		}
	}
	return stats, nil
}

// Admittee is an existing patient to put on a ward.
type Admittee struct {
	ID string
}

// AdmitOptions describe the wards of Admit.
type AdmitOptions struct {
	Seed        uint64
	Now         time.Time
	Wards       int
	BedsPerWard int
}

// Admit emits a hospital (site, wards, beds, doctors) and a current stay
// for each patient: the encounter, vital signs and labs of the last days,
// ward orders with the doses given, and for every third patient a drug
// allergy of high criticality.
func Admit(ao AdmitOptions, patients []Admittee, emit Emit) (Stats, error) {
	o := Options{Seed: ao.Seed, Now: ao.Now, Wards: ao.Wards, BedsPerWard: ao.BedsPerWard, Patients: max(1, len(patients))}
	o.defaults()
	g := newG(o, emit)
	if err := g.hospital(); err != nil {
		return g.stats, err
	}
	for i, p := range patients {
		if err := g.stay(p.ID, nil, i%3 == 0); err != nil {
			return g.stats, err
		}
	}
	return g.stats, nil
}
