package fhir

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"strings"
	"testing"
)

func loc(id, name, phys, partOf string) Location {
	l := Location{ID: id, Name: name, PhysicalType: phys, Identifiers: []Identifier{{System: "urn:x", Value: "id-" + id}}}
	if partOf != "" {
		l.PartOf = Ref{Type: "Location", ID: partOf}
	}
	return l
}

func stay(p byte, locs ...EncounterLocation) StayRef {
	var s StayRef
	s.Patient[0], s.Encounter[0] = p, p
	s.Locations = locs
	return s
}

func at(ref, phys string) EncounterLocation {
	return EncounterLocation{Ref: ParseRef(ref, ""), PhysicalType: phys}
}

func TestBuildCensus(t *testing.T) {
	locs := []Location{
		loc("site", "Klinikum", "bu", ""),
		loc("w1", "Station 1 Innere", PhysWard, "site"),
		loc("w2", "Station 2 Chirurgie", PhysWard, "site"),
		loc("r101", "Zimmer 101", PhysRoom, "w1"),
		loc("b101-2", "Bett 101-2", PhysBed, "r101"),
		loc("b101-10", "Bett 101-10", PhysBed, "r101"),
		loc("b201", "Bett 201", PhysBed, "w2"),
	}
	stays := []StayRef{
		stay(1, at("Location/b101-10", "")),                       // bed -> room -> ward
		stay(2, at("Location/w1", ""), at("Location/b101-2", "")), // ward and bed named
		stay(3, at("Location?identifier=urn:x|id-b201", "")),      // conditional reference
		stay(4, EncounterLocation{Ref: Ref{Type: "Location", ID: "old-w"}, PhysicalType: PhysWard, Ended: true}, at("Location/site", "")),
		stay(5),
		stay(6, EncounterLocation{Ref: Ref{Type: "Location", ID: "unknown-ward", Display: "Station X"}, PhysicalType: PhysWard}),
	}
	c := BuildCensus(stays, locs)
	var names []string
	for _, w := range c.Wards {
		names = append(names, w.Name+"="+string(rune('0'+w.Patients)))
	}
	want := "Klinikum=1,Station 1 Innere=2,Station 2 Chirurgie=1,Station X=1,Ohne Station=1"
	if got := strings.Join(names, ","); got != want {
		t.Errorf("wards: got %s; want %s", got, want)
	}
	beds := c.Beds("w1")
	if len(beds) != 2 || beds[0].Place() != "Zimmer 101 / Bett 101-2" || beds[1].Place() != "Zimmer 101 / Bett 101-10" {
		t.Errorf("beds of ward 1 (natural order): %+v", beds)
	}
	var p3 Key
	p3[0] = 3
	if ws := c.WardsOf(p3); len(ws) != 1 || ws[0] != "w2" {
		t.Errorf("wards of patient 3: %v", ws)
	}
	if w, ok := c.MatchWard("  station 2   chirurgie "); !ok || w.ID != "w2" {
		t.Errorf("match by name: %+v %v", w, ok)
	}
	if w, ok := c.MatchWard("w1"); !ok || w.Name != "Station 1 Innere" {
		t.Errorf("match by id: %+v %v", w, ok)
	}
	if _, ok := c.MatchWard("Station 9"); ok {
		t.Error("matched a ward that does not exist")
	}
}

func TestNaturalLess(t *testing.T) {
	in := []string{"Bett 10", "Bett 2", "bett 1", "Bett 02a", "A"}
	for i := range in {
		for j := range in {
			if i != j && naturalLess(in[i], in[j]) && naturalLess(in[j], in[i]) {
				t.Errorf("%q and %q both less", in[i], in[j])
			}
		}
	}
	if !naturalLess("Bett 2", "Bett 10") || naturalLess("Bett 10", "Bett 9") {
		t.Error("numbers not compared by value")
	}
}

func TestJWTRoundTrip(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	tok, err := SignJWT(key, "kid-1", AssertionClaims{Iss: "c", Sub: "c", Aud: "https://x/token", Exp: 99, Jti: "j"})
	if err != nil {
		t.Fatal(err)
	}
	var c AssertionClaims
	kid, err := VerifyJWT(tok, key.Public(), &c)
	if err != nil || kid != "kid-1" || c.Aud != "https://x/token" {
		t.Fatalf("verify: %v %s %+v", err, kid, c)
	}
	parts := strings.Split(tok, ".")
	tampered := parts[0] + "." + b64.EncodeToString([]byte(`{"iss":"evil"}`)) + "." + parts[2]
	if _, err := VerifyJWT(tampered, key.Public(), &c); err == nil {
		t.Error("tampered claims verified")
	}
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if _, err := SignJWT(p256, "", AssertionClaims{}); err == nil {
		t.Error("signed ES384 with a P-256 key")
	}
}
