// Package synth makes synthetic article data for the demo and the
// benchmarks: valid PZNs (correct check digits, unique), plausible names,
// pack sizes and norm sizes, pharmacy retail prices (AVP) after the German
// price regulation's shape, Festbeträge and the co-payment exemption that
// follows from them. ERP is the demo's simulated pharmacy system, serving
// the list as a feed and changing a few prices every minute.
//
// Everything is deterministic for a seed. The data is invented; any
// resemblance of a generated PZN to a real article is chance.
package synth

import (
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"

	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/pharma"
)

type substance struct {
	name      string
	strengths []string
	rx, btm   bool
	forms     []int // indexes into forms
}

type form struct {
	name, code string
	liquid     bool
}

var forms = []form{
	{"Filmtabletten", "FTA", false}, {"Tabletten", "TAB", false}, {"Hartkapseln", "HKP", false},
	{"Brausetabletten", "BTA", false}, {"Retardtabletten", "RET", false}, {"Tropfen", "TRO", true},
	{"Saft", "SAF", true}, {"Salbe", "SAL", true}, {"Creme", "CRE", true}, {"Zäpfchen", "SUP", false},
	{"Injektionslösung", "ILO", true}, {"Nasenspray", "NAS", true}, {"Pflaster", "PFT", false},
}

var substances = []substance{
	{"Ibuprofen", []string{"200 mg", "400 mg", "600 mg", "800 mg"}, false, false, []int{0, 1, 3}},
	{"Paracetamol", []string{"500 mg", "1000 mg"}, false, false, []int{1, 3, 9}},
	{"Acetylsalicylsäure", []string{"100 mg", "500 mg"}, false, false, []int{1, 3}},
	{"Metformin", []string{"500 mg", "850 mg", "1000 mg"}, true, false, []int{0}},
	{"Amlodipin", []string{"5 mg", "10 mg"}, true, false, []int{1}},
	{"Ramipril", []string{"2,5 mg", "5 mg", "10 mg"}, true, false, []int{1}},
	{"Simvastatin", []string{"20 mg", "40 mg"}, true, false, []int{0}},
	{"Atorvastatin", []string{"10 mg", "20 mg", "40 mg"}, true, false, []int{0}},
	{"Pantoprazol", []string{"20 mg", "40 mg"}, true, false, []int{0}},
	{"Omeprazol", []string{"20 mg", "40 mg"}, true, false, []int{2}},
	{"Levothyroxin", []string{"50 µg", "75 µg", "100 µg"}, true, false, []int{1}},
	{"Metoprolol", []string{"47,5 mg", "95 mg"}, true, false, []int{4}},
	{"Bisoprolol", []string{"2,5 mg", "5 mg", "10 mg"}, true, false, []int{0}},
	{"Candesartan", []string{"8 mg", "16 mg", "32 mg"}, true, false, []int{1}},
	{"Valsartan", []string{"80 mg", "160 mg"}, true, false, []int{0}},
	{"Torasemid", []string{"5 mg", "10 mg"}, true, false, []int{1}},
	{"Apixaban", []string{"2,5 mg", "5 mg"}, true, false, []int{0}},
	{"Rivaroxaban", []string{"15 mg", "20 mg"}, true, false, []int{0}},
	{"Insulin glargin", []string{"100 E/ml"}, true, false, []int{10}},
	{"Salbutamol", []string{"100 µg"}, true, false, []int{11}},
	{"Amoxicillin", []string{"500 mg", "1000 mg"}, true, false, []int{0}},
	{"Cefuroxim", []string{"250 mg", "500 mg"}, true, false, []int{0}},
	{"Sertralin", []string{"50 mg", "100 mg"}, true, false, []int{0}},
	{"Citalopram", []string{"20 mg", "40 mg"}, true, false, []int{0}},
	{"Mirtazapin", []string{"15 mg", "30 mg"}, true, false, []int{0}},
	{"Quetiapin", []string{"25 mg", "100 mg"}, true, false, []int{0, 4}},
	{"Pregabalin", []string{"75 mg", "150 mg"}, true, false, []int{2}},
	{"Gabapentin", []string{"300 mg", "600 mg"}, true, false, []int{2, 0}},
	{"Prednisolon", []string{"5 mg", "20 mg"}, true, false, []int{1}},
	{"Diclofenac", []string{"25 mg", "50 mg", "75 mg"}, true, false, []int{0, 4, 8}},
	{"Novaminsulfon", []string{"500 mg"}, true, false, []int{1, 5}},
	{"Morphin", []string{"10 mg", "30 mg"}, true, true, []int{4}},
	{"Oxycodon", []string{"10 mg", "20 mg"}, true, true, []int{4}},
	{"Fentanyl", []string{"25 µg/h", "50 µg/h"}, true, true, []int{12}},
	{"Tilidin Naloxon", []string{"50 mg/4 mg", "100 mg/8 mg"}, true, true, []int{4}},
	{"Methylphenidat", []string{"10 mg", "20 mg"}, true, true, []int{1, 2}},
	{"Cetirizin", []string{"10 mg"}, false, false, []int{0}},
	{"Loratadin", []string{"10 mg"}, false, false, []int{1}},
	{"Xylometazolin", []string{"0,1 %"}, false, false, []int{11}},
	{"Dexpanthenol", []string{"5 %"}, false, false, []int{7, 8}},
	{"Hydrocortison", []string{"0,5 %"}, false, false, []int{8}},
	{"Loperamid", []string{"2 mg"}, false, false, []int{2}},
	{"Macrogol", []string{"13,7 g"}, false, false, []int{6}},
	{"Magnesium", []string{"300 mg", "400 mg"}, false, false, []int{3}},
	{"Vitamin D3", []string{"1000 I.E.", "20000 I.E."}, false, false, []int{1, 5}},
}

var manufacturers = []string{
	"AL", "ratiopharm", "Hexal", "STADA", "1A Pharma", "Heumann", "Aristo", "Zentiva", "Mylan", "AbZ",
	"TAD", "Teva", "Sandoz", "axcount", "Aurobindo", "PUREN", "Basics", "beta", "Denk", "Mepha",
}

var (
	brandHead = []string{"Dolo", "Neuro", "Cardi", "Gastro", "Derma", "Pulmo", "Osteo", "Hepa", "Vita", "Immu",
		"Flexi", "Sana", "Medi", "Calci", "Magne", "Ferro", "Rhino", "Oto", "Opti", "Uro", "Tussi", "Sinu", "Arthro", "Veno"}
	brandTail = []string{"fen", "min", "sept", "vit", "dol", "stat", "pur", "lind", "san", "med", "forte", "cur",
		"plex", "zym", "gel", "tonic", "flor", "mag", "cal", "zin", "ton", "par", "lan", "rol"}
	brandExtra = []string{"", "", "", "akut", "forte", "junior", "duo", "plus", "N", "retard", "extra", "mite"}
)

// Generator yields synthetic articles with unique, valid PZNs.
type Generator struct {
	rng *rand.Rand
	k   uint64 // position in the PZN walk
}

// NewGenerator returns a generator for a seed.
func NewGenerator(seed uint64) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// pznWalk visits every seven-digit number once: a*k+b mod 10^7 with a
// coprime to 10^7.
const (
	walkA   = 7_654_321
	walkB   = 1_234_567
	walkMod = 10_000_000
)

func (g *Generator) nextPZN() pharma.PZN {
	for {
		c := (walkA*g.k + walkB) % walkMod
		g.k++
		if g.k > walkMod {
			panic("synth: PZN space exhausted")
		}
		first7 := fmt.Sprintf("%07d", c)
		d, ok := pharma.PZNCheckDigit(first7)
		if !ok {
			continue // check digit 10 is never issued
		}
		return pharma.PZN(first7 + strconv.Itoa(d))
	}
}

// Next returns the next article.
func (g *Generator) Next() mirror.Article {
	r := g.rng
	a := mirror.Article{PZN: g.nextPZN(), PharmacyOnly: true}
	var f form
	var apu float64 // manufacturer's price in euros
	if r.IntN(2) == 0 {
		s := substances[r.IntN(len(substances))]
		f = forms[s.forms[r.IntN(len(s.forms))]]
		a.Manufacturer = manufacturers[r.IntN(len(manufacturers))]
		a.Name = fmt.Sprintf("%s %s %s %s", s.name, a.Manufacturer, s.strengths[r.IntN(len(s.strengths))], f.name)
		a.Rx, a.BtM = s.rx, s.btm
		apu = 1 + r.Float64()*40
		if s.btm {
			apu *= 2.5
		}
		if !s.rx {
			a.PharmacyOnly = r.IntN(4) != 0
		}
	} else {
		f = forms[r.IntN(len(forms))]
		brand := brandHead[r.IntN(len(brandHead))] + brandTail[r.IntN(len(brandTail))]
		if x := brandExtra[r.IntN(len(brandExtra))]; x != "" {
			brand += " " + x
		}
		a.Manufacturer = brand[:min(len(brand), 5)] + " Pharma GmbH"
		a.Name = fmt.Sprintf("%s %s", brand, f.name)
		a.Rx = r.IntN(3) == 0
		a.PharmacyOnly = a.Rx || r.IntN(2) == 0
		apu = 2 + r.Float64()*25
	}
	a.Form = f.code
	mult := 1.0
	if f.liquid {
		ml := []int{10, 20, 50, 100, 200}[r.IntN(5)]
		a.PackSize = fmt.Sprintf("%d ml", ml)
		if f.code == "SAL" || f.code == "CRE" {
			a.PackSize = fmt.Sprintf("%d g", ml)
		}
		mult = 0.6 + float64(ml)/100
	} else {
		sizes := []struct {
			n    int
			norm mirror.NormSize
		}{{10, mirror.N1}, {20, mirror.N1}, {30, mirror.N1}, {50, mirror.N2}, {60, mirror.N2}, {98, mirror.N3}, {100, mirror.N3}}
		s := sizes[r.IntN(len(sizes))]
		a.PackSize = fmt.Sprintf("%d St", s.n)
		if a.Rx {
			a.NormSize = s.norm
		}
		mult = 0.5 + float64(s.n)/50
	}
	apu *= mult
	if a.Rx {
		// Shape of the Arzneimittelpreisverordnung: 3.15 % and 8.35 EUR
		// fixed mark-up, 0.21 EUR emergency-duty and 0.20 EUR other
		// surcharges, 19 % VAT.
		a.AVP = cents((apu*1.0315 + 8.35 + 0.21 + 0.20) * 1.19)
		if !a.BtM && r.IntN(10) < 6 {
			a.HasFestbetrag = true
			if r.IntN(6) == 0 {
				// At least 30 % below the Festbetrag: on the exemption list.
				a.Festbetrag = cents(float64(a.AVP) / 100 / (0.55 + r.Float64()*0.1))
				a.CopayExempt = true
			} else {
				a.Festbetrag = cents(float64(a.AVP) / 100 * (0.85 + r.Float64()*0.4))
			}
		}
	} else {
		a.AVP = cents(apu * 1.8)
	}
	return a
}

func cents(euros float64) mirror.Cents {
	return mirror.Cents(euros*100 + 0.5)
}

// Articles returns n articles for a seed.
func Articles(n int, seed uint64) []mirror.Article {
	g := NewGenerator(seed)
	out := make([]mirror.Article, n)
	for i := range out {
		out[i] = g.Next()
	}
	return out
}

// WriteCSV writes n articles for a seed in the article CSV format (header
// first, decimal comma as a German export would).
func WriteCSV(w io.Writer, n int, seed uint64) error {
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	if err := cw.Write(mirror.ArticleColumns); err != nil {
		return err
	}
	g := NewGenerator(seed)
	for range n {
		rec := g.Next().CSVRecord()
		for _, i := range []int{9, 10} { // avp, festbetrag
			rec[i] = commaDecimal(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func commaDecimal(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return s[:i] + "," + s[i+1:]
		}
	}
	return s
}
