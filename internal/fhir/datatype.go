package fhir

import (
	"strconv"
	"strings"
	"time"
)

// The FHIR data types as far as the downtime copy reads them.

type coding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display"`
}

type codeableConcept struct {
	Coding []coding `json:"coding"`
	Text   string   `json:"text"`
}

type identifierJSON struct {
	System string           `json:"system"`
	Value  string           `json:"value"`
	Type   *codeableConcept `json:"type"`
}

type reference struct {
	Reference  string          `json:"reference"`
	Display    string          `json:"display"`
	Identifier *identifierJSON `json:"identifier"`
}

func (r *reference) ref() Ref {
	if r == nil {
		return Ref{}
	}
	out := ParseRef(r.Reference, r.Display)
	if out.IsZero() && r.Identifier != nil && r.Identifier.Value != "" {
		out.System, out.Value = r.Identifier.System, r.Identifier.Value
	}
	return out
}

type period struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type quantity struct {
	Value      *float64 `json:"value"`
	Comparator string   `json:"comparator"`
	Unit       string   `json:"unit"`
	Code       string   `json:"code"`
}

type humanName struct {
	Use    string   `json:"use"`
	Text   string   `json:"text"`
	Family string   `json:"family"`
	Given  []string `json:"given"`
	Prefix []string `json:"prefix"`
	Period *period  `json:"period"`
}

type annotation struct {
	Text string `json:"text"`
}

// Coded is a coded value reduced to what a reader needs: the best text and
// the first code.
type Coded struct {
	Text   string
	System string
	Code   string
}

// Has reports whether any coding of c has the system and code (system ""
// matches any system).
func (c Coded) Has(system, code string) bool {
	return c.Code == code && (system == "" || c.System == system)
}

func (cc *codeableConcept) coded() Coded {
	if cc == nil {
		return Coded{}
	}
	out := Coded{Text: strings.TrimSpace(cc.Text)}
	for _, c := range cc.Coding {
		if out.Code == "" && c.Code != "" {
			out.System, out.Code = c.System, c.Code
		}
		if out.Text == "" && c.Display != "" {
			out.Text = strings.TrimSpace(c.Display)
		}
	}
	if out.Text == "" {
		out.Text = out.Code
	}
	return out
}

// code returns the first code of the concept, "" when none.
func (cc *codeableConcept) code() string {
	if cc == nil {
		return ""
	}
	for _, c := range cc.Coding {
		if c.Code != "" {
			return c.Code
		}
	}
	return ""
}

// hasCode reports whether one of the codings has code.
func (cc *codeableConcept) hasCode(code string) bool {
	if cc == nil {
		return false
	}
	for _, c := range cc.Coding {
		if c.Code == code {
			return true
		}
	}
	return false
}

func codes(ccs []codeableConcept) []string {
	var out []string
	for i := range ccs {
		if c := ccs[i].code(); c != "" {
			out = append(out, c)
		}
	}
	return out
}

func identifiers(ids []identifierJSON) []Identifier {
	out := make([]Identifier, 0, len(ids))
	for _, id := range ids {
		if id.Value == "" {
			continue
		}
		i := Identifier{System: id.System, Value: id.Value}
		if id.Type != nil {
			i.Type = id.Type.code()
			if i.Type == "" {
				i.Type = id.Type.Text
			}
		}
		out = append(out, i)
	}
	return out
}

// Precision of a Date.
const (
	PrecisionYear = iota + 1
	PrecisionMonth
	PrecisionDay
	PrecisionTime
)

// Date is a FHIR date or dateTime: the instant and how much of it is known.
// A date without time is midnight UTC of that day.
type Date struct {
	Time      time.Time
	Precision int
}

// IsZero reports whether the date is absent.
func (d Date) IsZero() bool { return d.Precision == 0 }

// ParseDate reads a FHIR date, dateTime or instant: "2024", "2024-05",
// "2024-05-21", "2024-05-21T10:30:00+02:00" (seconds and fraction
// optional). Anything else gives the zero Date.
func ParseDate(s string) Date {
	s = strings.TrimSpace(s)
	switch len(s) {
	case 0:
		return Date{}
	case 4:
		if t, err := time.Parse("2006", s); err == nil {
			return Date{t, PrecisionYear}
		}
	case 7:
		if t, err := time.Parse("2006-01", s); err == nil {
			return Date{t, PrecisionMonth}
		}
	case 10:
		if t, err := time.Parse("2006-01-02", s); err == nil {
			return Date{t, PrecisionDay}
		}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return Date{t, PrecisionTime}
		}
	}
	return Date{}
}

// Format writes the date for a reader: German "21.05.1927" or
// "21.05.2025 10:30", English "1927-05-21" or "2025-05-21 10:30"; times
// are shown in loc.
func (d Date) Format(lang string, loc *time.Location) string {
	if d.IsZero() {
		return ""
	}
	t := d.Time
	if d.Precision == PrecisionTime {
		t = t.In(loc)
	}
	de := lang != "en"
	switch d.Precision {
	case PrecisionYear:
		return t.Format("2006")
	case PrecisionMonth:
		if de {
			return t.Format("01/2006")
		}
		return t.Format("2006-01")
	case PrecisionDay:
		if de {
			return t.Format("02.01.2006")
		}
		return t.Format("2006-01-02")
	default:
		if de {
			return t.Format("02.01.2006 15:04")
		}
		return t.Format("2006-01-02 15:04")
	}
}

// formatNumber writes a decimal without trailing zeros, with a decimal
// comma in German.
func formatNumber(v float64, lang string) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i > 3 {
		s = strconv.FormatFloat(v, 'f', 2, 64)
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

func (q *quantity) format(lang string) string {
	if q == nil || q.Value == nil {
		return ""
	}
	s := q.Comparator + formatNumber(*q.Value, lang)
	unit := q.Unit
	if unit == "" {
		unit = q.Code
	}
	if unit != "" && unit != "1" && unit != "{count}" {
		s += " " + displayUnit(unit)
	}
	return s
}

// displayUnit writes UCUM codes the way a ward reads them.
func displayUnit(u string) string {
	switch u {
	case "Cel":
		return "°C"
	case "[degF]":
		return "°F"
	case "mm[Hg]":
		return "mmHg"
	case "10*3/uL":
		return "10³/µl"
	case "10*6/uL":
		return "10⁶/µl"
	case "10*9/L":
		return "10⁹/l"
	}
	return strings.NewReplacer("uL", "µl", "ug", "µg", "dL", "dl", "mL", "ml").Replace(u)
}
