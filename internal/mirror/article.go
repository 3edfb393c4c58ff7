package mirror

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/pharma"
)

// NormSize is the German pack size class (Packungsgrößenverordnung): N1,
// N2, N3, or empty when the article has none.
type NormSize string

// The norm sizes.
const (
	NormNone NormSize = ""
	N1       NormSize = "N1"
	N2       NormSize = "N2"
	N3       NormSize = "N3"
)

// Article is one entry of the article list: what the counter needs to sell
// and price a drug while the ERP is down.
type Article struct {
	PZN          pharma.PZN
	Name         string
	Manufacturer string
	// Form is the dosage form (Darreichungsform), as the source writes it:
	// "FTA", "Filmtabletten".
	Form string
	// PackSize is the pack content as text: "100 St", "200 ml".
	PackSize string
	NormSize NormSize
	// Rx: prescription only (verschreibungspflichtig).
	Rx bool
	// PharmacyOnly: sold in pharmacies only (apothekenpflichtig).
	PharmacyOnly bool
	// BtM: a narcotic under the Betäubungsmittelgesetz.
	BtM bool
	// AVP is the pharmacy retail price (Apothekenverkaufspreis).
	AVP Cents
	// Festbetrag is the reference price; valid only when HasFestbetrag.
	Festbetrag    Cents
	HasFestbetrag bool
	// CopayExempt: on the GKV co-payment exemption list (zuzahlungsbefreit).
	CopayExempt bool
}

// Dataset returns Articles.
func (Article) Dataset() Dataset { return Articles }

// Key returns the PZN.
func (a Article) Key() string { return string(a.PZN) }

var _ Record = Article{}

// ArticleColumns are the columns of the article CSV and the JSON field
// names, in order.
var ArticleColumns = []string{"pzn", "name", "manufacturer", "form", "pack_size", "norm_size", "rx", "pharmacy_only", "btm", "avp", "festbetrag", "copay_exempt"}

// articleJSON is the wire form: field names as the CSV header, prices as
// strings with two decimals, festbetrag null when there is none.
type articleJSON struct {
	PZN          string  `json:"pzn"`
	Name         string  `json:"name"`
	Manufacturer string  `json:"manufacturer"`
	Form         string  `json:"form"`
	PackSize     string  `json:"pack_size"`
	NormSize     string  `json:"norm_size"`
	Rx           bool    `json:"rx"`
	PharmacyOnly bool    `json:"pharmacy_only"`
	BtM          bool    `json:"btm"`
	AVP          string  `json:"avp"`
	Festbetrag   *string `json:"festbetrag"`
	CopayExempt  bool    `json:"copay_exempt"`
}

// MarshalJSON writes the article with the CSV header's field names and
// prices as strings with two decimals ("12.30").
func (a Article) MarshalJSON() ([]byte, error) {
	w := articleJSON{
		PZN: string(a.PZN), Name: a.Name, Manufacturer: a.Manufacturer, Form: a.Form,
		PackSize: a.PackSize, NormSize: string(a.NormSize), Rx: a.Rx, PharmacyOnly: a.PharmacyOnly,
		BtM: a.BtM, AVP: a.AVP.String(), CopayExempt: a.CopayExempt,
	}
	if a.HasFestbetrag {
		s := a.Festbetrag.String()
		w.Festbetrag = &s
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the wire form and validates it like a CSV row.
func (a *Article) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	got, errs := DecodeArticle(JSONFields(m))
	if len(errs) > 0 {
		msgs := make([]error, len(errs))
		for i, e := range errs {
			msgs[i] = errors.New(e.Field + ": " + e.Reason.DE)
		}
		return errors.Join(msgs...)
	}
	*a = got
	return nil
}

// DecodeArticle reads and validates an article from its fields by column
// name. It returns every problem found, one per field.
func DecodeArticle(get func(string) string) (Article, []FieldError) {
	var a Article
	var errs []FieldError
	bad := func(field string, r *check.Text) { errs = append(errs, FieldError{Field: field, Reason: *r}) }

	if p, err := pharma.ParsePZN(get("pzn")); err != nil {
		var pe *pharma.Error
		if errors.As(err, &pe) {
			bad("pzn", reason(pe.DE, pe.EN))
		} else {
			bad("pzn", reason(err.Error(), err.Error()))
		}
	} else {
		a.PZN = p
	}
	var r *check.Text
	if a.Name, r = cleanText(get("name"), false); r != nil {
		bad("name", r)
	} else if a.Name == "" {
		bad("name", reason("Name fehlt", "name missing"))
	}
	if a.Manufacturer, r = cleanText(get("manufacturer"), false); r != nil {
		bad("manufacturer", r)
	}
	if a.Form, r = cleanText(get("form"), false); r != nil {
		bad("form", r)
	}
	if a.PackSize, r = cleanText(get("pack_size"), false); r != nil {
		bad("pack_size", r)
	}
	switch n := strings.ToUpper(strings.TrimSpace(get("norm_size"))); n {
	case "", "N1", "N2", "N3":
		a.NormSize = NormSize(n)
	default:
		bad("norm_size", reasonf("Normgröße %q unbekannt; erlaubt sind N1, N2, N3 oder leer", "norm size %q unknown; allowed are N1, N2, N3 or empty", clip(n)))
	}
	flag := func(field string, dst *bool) {
		v, r := ParseBool(get(field))
		if r != nil {
			bad(field, r)
		}
		*dst = v
	}
	flag("rx", &a.Rx)
	flag("pharmacy_only", &a.PharmacyOnly)
	flag("btm", &a.BtM)
	if a.AVP, r = ParseCents(get("avp")); r != nil {
		bad("avp", r)
	}
	if s := strings.TrimSpace(get("festbetrag")); s != "" {
		if a.Festbetrag, r = ParseCents(s); r != nil {
			bad("festbetrag", r)
		} else {
			a.HasFestbetrag = true
		}
	}
	flag("copay_exempt", &a.CopayExempt)
	return a, errs
}

// Validate checks an article built in code (for example by a generator).
func (a Article) Validate() []FieldError {
	_, errs := DecodeArticle(articleFields(a))
	return errs
}

// articleFields exposes an article's fields by column name.
func articleFields(a Article) func(string) string {
	b := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	return func(name string) string {
		switch name {
		case "pzn":
			return string(a.PZN)
		case "name":
			return a.Name
		case "manufacturer":
			return a.Manufacturer
		case "form":
			return a.Form
		case "pack_size":
			return a.PackSize
		case "norm_size":
			return string(a.NormSize)
		case "rx":
			return b(a.Rx)
		case "pharmacy_only":
			return b(a.PharmacyOnly)
		case "btm":
			return b(a.BtM)
		case "avp":
			if a.AVP < 0 {
				return "-" + (-a.AVP).String()
			}
			return a.AVP.String()
		case "festbetrag":
			if !a.HasFestbetrag {
				return ""
			}
			if a.Festbetrag < 0 {
				return "-" + (-a.Festbetrag).String()
			}
			return a.Festbetrag.String()
		case "copay_exempt":
			return b(a.CopayExempt)
		}
		return ""
	}
}

// CSVRecord returns the article's fields in ArticleColumns order, as the
// CSV format writes them (decimal point, 0/1).
func (a Article) CSVRecord() []string {
	get := articleFields(a)
	out := make([]string, len(ArticleColumns))
	for i, c := range ArticleColumns {
		out[i] = get(c)
	}
	return out
}

// JSONFields exposes a decoded JSON object's fields as text for the
// Decode functions: strings unquoted, true/false as 1/0, null as empty,
// numbers as written.
func JSONFields(m map[string]json.RawMessage) func(string) string {
	return func(name string) string {
		raw, ok := m[name]
		if !ok {
			return ""
		}
		s := strings.TrimSpace(string(raw))
		switch {
		case s == "null":
			return ""
		case s == "true":
			return "1"
		case s == "false":
			return "0"
		case strings.HasPrefix(s, `"`):
			var v string
			if err := json.Unmarshal(raw, &v); err != nil {
				return "\x00" // invalid: rejected as a control character
			}
			return v
		default:
			return s
		}
	}
}
