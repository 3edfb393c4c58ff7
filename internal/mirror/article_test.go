package mirror

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func fields(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func goodArticleFields() map[string]string {
	return map[string]string{
		"pzn": "04877800", "name": "Ibuprofen AL 400 mg Filmtabletten", "manufacturer": "Aliud",
		"form": "FTA", "pack_size": "20 St", "norm_size": "N1", "rx": "0", "pharmacy_only": "ja",
		"btm": "nein", "avp": "4,99", "festbetrag": "", "copay_exempt": "0",
	}
}

func TestDecodeArticle(t *testing.T) {
	a, errs := DecodeArticle(fields(goodArticleFields()))
	if len(errs) > 0 {
		t.Fatalf("good article: errors %v", errs)
	}
	want := Article{PZN: "04877800", Name: "Ibuprofen AL 400 mg Filmtabletten", Manufacturer: "Aliud", Form: "FTA",
		PackSize: "20 St", NormSize: N1, PharmacyOnly: true, AVP: 499}
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("DecodeArticle (-want +got):\n%s", diff)
	}

	tests := []struct {
		name      string
		set       map[string]string
		wantField string
		wantWords string
	}{
		{"check digit", map[string]string{"pzn": "04877801"}, "pzn", "Prüfziffer"},
		{"pzn letters", map[string]string{"pzn": "0487780X"}, "pzn", "Ziffern"},
		{"pzn length", map[string]string{"pzn": "123"}, "pzn", "7 oder 8"},
		{"pzn missing", map[string]string{"pzn": ""}, "pzn", "keine PZN"},
		{"name missing", map[string]string{"name": "  "}, "name", "Name fehlt"},
		{"negative price", map[string]string{"avp": "-4,99"}, "avp", "negativer Preis"},
		{"price missing", map[string]string{"avp": ""}, "avp", "Preis fehlt"},
		{"price text", map[string]string{"avp": "vier"}, "avp", "kein gültiger Preis"},
		{"negative festbetrag", map[string]string{"festbetrag": "-1"}, "festbetrag", "negativer Preis"},
		{"norm size", map[string]string{"norm_size": "N4"}, "norm_size", "Normgröße"},
		{"bool", map[string]string{"rx": "vielleicht"}, "rx", "kein Ja/Nein-Wert"},
		{"bool missing", map[string]string{"btm": ""}, "btm", "Wert fehlt"},
		{"control char", map[string]string{"manufacturer": "A\x01B"}, "manufacturer", "Steuerzeichen"},
		{"bad utf8", map[string]string{"name": "Ibu\xffprofen"}, "name", "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := goodArticleFields()
			for k, v := range tt.set {
				m[k] = v
			}
			_, errs := DecodeArticle(fields(m))
			if len(errs) != 1 {
				t.Fatalf("got %d errors %v; want 1 in field %s", len(errs), errs, tt.wantField)
			}
			if errs[0].Field != tt.wantField || !strings.Contains(errs[0].Reason.DE, tt.wantWords) {
				t.Errorf("got field %s reason %q; want field %s reason containing %q", errs[0].Field, errs[0].Reason.DE, tt.wantField, tt.wantWords)
			}
			if errs[0].Reason.EN == "" {
				t.Errorf("reason has no English text")
			}
		})
	}
	t.Run("pzn7", func(t *testing.T) {
		m := goodArticleFields()
		m["pzn"] = "4877800"
		a, errs := DecodeArticle(fields(m))
		if len(errs) > 0 || a.PZN != "04877800" {
			t.Errorf("PZN-7: got %q, %v; want 04877800", a.PZN, errs)
		}
	})
	t.Run("every problem at once", func(t *testing.T) {
		m := goodArticleFields()
		m["pzn"], m["name"], m["avp"] = "00002000", "", "-1"
		_, errs := DecodeArticle(fields(m))
		var got []string
		for _, e := range errs {
			got = append(got, e.Field)
		}
		if diff := cmp.Diff([]string{"pzn", "name", "avp"}, got); diff != "" {
			t.Errorf("fields (-want +got):\n%s", diff)
		}
	})
}

func TestArticleJSON(t *testing.T) {
	a := Article{PZN: "04877800", Name: "Ibu", AVP: 1230, Festbetrag: 1000, HasFestbetrag: true, Rx: true, NormSize: N2}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	if len(keys) != len(ArticleColumns) {
		t.Errorf("JSON keys %v; want exactly %v", keys, ArticleColumns)
	}
	for _, c := range ArticleColumns {
		if _, ok := m[c]; !ok {
			t.Errorf("JSON lacks field %q: %s", c, b)
		}
	}
	if m["avp"] != "12.30" || m["festbetrag"] != "10.00" {
		t.Errorf("prices avp=%v festbetrag=%v; want strings 12.30 and 10.00", m["avp"], m["festbetrag"])
	}
	if m["rx"] != true || m["norm_size"] != "N2" {
		t.Errorf("rx=%v norm_size=%v; want true, N2", m["rx"], m["norm_size"])
	}
	a.HasFestbetrag, a.Festbetrag = false, 0
	b, _ = json.Marshal(a)
	if !strings.Contains(string(b), `"festbetrag":null`) {
		t.Errorf("no Festbetrag: JSON %s; want festbetrag null", b)
	}
	var back Article
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back != a {
		t.Errorf("round trip: got %+v; want %+v", back, a)
	}
	if err := json.Unmarshal([]byte(`{"pzn":"04877801","name":"x","avp":"1","rx":false,"pharmacy_only":false,"btm":false,"copay_exempt":false}`), &back); err == nil {
		t.Errorf("UnmarshalJSON of a wrong check digit: error = nil; want one")
	}
}

func TestDecodeOthers(t *testing.T) {
	tests := []struct {
		name      string
		decode    func(func(string) string) []FieldError
		set       map[string]string
		wantField string
	}{
		{"contact ok", decContact, map[string]string{"id": "gh1", "kind": "Großhandel", "name": "Noweda", "phone": "+49 201 802-0"}, ""},
		{"contact kind", decContact, map[string]string{"id": "x", "kind": "bäcker", "name": "N", "phone": "123"}, "kind"},
		{"contact phone", decContact, map[string]string{"id": "x", "kind": "it", "name": "N", "phone": "call me"}, "phone"},
		{"contact no number", decContact, map[string]string{"id": "x", "kind": "it", "name": "N"}, "phone"},
		{"contact no id", decContact, map[string]string{"kind": "it", "name": "N", "phone": "123"}, "id"},
		{"patient ok", decPatient, map[string]string{"customer_no": "4711", "name": "Erika M.", "drugs": "Insulin", "next_due": "03.04.2025"}, ""},
		{"patient no drugs", decPatient, map[string]string{"customer_no": "4711", "name": "Erika M."}, "drugs"},
		{"patient date", decPatient, map[string]string{"customer_no": "4711", "name": "E", "drugs": "X", "next_due": "bald"}, "next_due"},
		{"duty ok", decDuty, map[string]string{"start": "2025-03-28 08:30", "end": "2025-03-29 08:30", "name": "Adler-Apotheke"}, ""},
		{"duty reversed", decDuty, map[string]string{"start": "2025-03-29 08:30", "end": "2025-03-28 08:30", "name": "A"}, "end"},
		{"duty too long", decDuty, map[string]string{"start": "2025-03-01 08:30", "end": "2025-03-29 08:30", "name": "A"}, "end"},
		{"page ok", decPage, map[string]string{"slug": "strom", "title": "Strom", "markdown": "# Strom\n"}, ""},
		{"page slug", decPage, map[string]string{"slug": "Strom Ausfall", "title": "Strom", "markdown": "x"}, "slug"},
		{"page empty", decPage, map[string]string{"slug": "strom", "title": "Strom"}, "markdown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := tt.decode(fields(tt.set))
			if tt.wantField == "" {
				if len(errs) > 0 {
					t.Errorf("errors %v; want none", errs)
				}
				return
			}
			if len(errs) == 0 || errs[0].Field != tt.wantField {
				t.Errorf("errors %v; want one in field %s", errs, tt.wantField)
			}
		})
	}
}

func decContact(g func(string) string) []FieldError { _, e := DecodeContact(g); return e }
func decPatient(g func(string) string) []FieldError { _, e := DecodePatient(g); return e }
func decPage(g func(string) string) []FieldError    { _, e := DecodePage(g); return e }
func decDuty(g func(string) string) []FieldError {
	_, e := DecodeDuty(g, mustLoc("Europe/Berlin"))
	return e
}

func TestSlugify(t *testing.T) {
	tests := map[string]string{"Strom & USV": "strom-usv", "TI-Ausfall": "ti-ausfall", "Größe  ändern!": "groesse-aendern", "": ""}
	for in, want := range tests {
		if got := Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestRowErrorText(t *testing.T) {
	e := RowError{Pos: Pos{File: "datei.csv", Line: 17}, Field: "avp", Reason: reasonOf("negativer Preis", "negative price")}
	if got, want := e.In("de"), "datei.csv, Zeile 17, Feld avp: negativer Preis"; got != want {
		t.Errorf("In(de) = %q; want %q", got, want)
	}
	if got, want := e.In("en"), "datei.csv, line 17, field avp: negative price"; got != want {
		t.Errorf("In(en) = %q; want %q", got, want)
	}
}
