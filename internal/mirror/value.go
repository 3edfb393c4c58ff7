package mirror

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/lifeline-project/lifeline/internal/check"
)

// Cents is an amount of euro cents. Prices are whole cents; they are never
// floats.
type Cents int64

// MaxCents is the largest accepted price: 10,000,000.00 EUR.
const MaxCents Cents = 1_000_000_000

// String returns the amount with a decimal point and two decimals: "12.34".
func (c Cents) String() string {
	neg := c < 0
	if neg {
		c = -c
	}
	s := strconv.FormatInt(int64(c/100), 10) + "." + twoDigits(int64(c%100))
	if neg {
		return "-" + s
	}
	return s
}

// German returns the amount as German staff read it: "1.234,56 €".
func (c Cents) German() string {
	neg := c < 0
	if neg {
		c = -c
	}
	s := groupThousands(int64(c/100), '.') + "," + twoDigits(int64(c%100)) + " €"
	if neg {
		return "-" + s
	}
	return s
}

// Decimal returns the amount in euros as a decimal, for the co-payment rules.
func (c Cents) Decimal() decimal.Decimal { return decimal.New(int64(c), -2) }

func twoDigits(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// groupThousands formats n with a separator every three digits.
func groupThousands(n int64, sep byte) string {
	s := strconv.FormatInt(n, 10)
	if len(s) <= 3 {
		return s
	}
	var b []byte
	pre := len(s) % 3
	if pre > 0 {
		b = append(b, s[:pre]...)
	}
	for i := pre; i < len(s); i += 3 {
		if len(b) > 0 {
			b = append(b, sep)
		}
		b = append(b, s[i:i+3]...)
	}
	return string(b)
}

// GermanCount formats a count with German thousands dots: 1234 -> "1.234".
func GermanCount(n int) string {
	if n < 0 {
		return "-" + groupThousands(int64(-n), '.')
	}
	return groupThousands(int64(n), '.')
}

// EnglishCount formats a count with English thousands commas: "1,234".
func EnglishCount(n int) string {
	if n < 0 {
		return "-" + groupThousands(int64(-n), ',')
	}
	return groupThousands(int64(n), ',')
}

// ParseCents reads a price: a decimal comma or point, at most two decimals,
// an optional trailing "€" or "EUR"; "1.234,56" and "1,234.56" are read with
// the first sign as thousands separator. Negative amounts, empty input and
// more than MaxCents are refused with a reason for people.
func ParseCents(s string) (Cents, *check.Text) {
	s = strings.TrimSpace(s)
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(s, "€"), "EUR"))
	if s == "" {
		return 0, reason("Preis fehlt", "price missing")
	}
	if s[0] == '-' || strings.HasPrefix(s, "−") {
		return 0, reason("negativer Preis", "negative price")
	}
	if s[0] == '+' {
		s = s[1:]
	}
	dot, comma := strings.LastIndexByte(s, '.'), strings.LastIndexByte(s, ',')
	intPart, frac, sep := s, "", false
	switch {
	case dot >= 0 && comma >= 0:
		dec, grp := comma, byte('.')
		if dot > comma {
			dec, grp = dot, ','
		}
		intPart, frac, sep = s[:dec], s[dec+1:], true
		if !validGrouping(intPart, grp) {
			return 0, reasonf("kein gültiger Preis: %q (Tausendertrennzeichen falsch)", "not a valid price: %q (thousands separator misplaced)", clip(s))
		}
		intPart = strings.ReplaceAll(intPart, string(grp), "")
	case dot >= 0 || comma >= 0:
		i := max(dot, comma)
		intPart, frac, sep = s[:i], s[i+1:], true
	}
	if intPart == "" && sep {
		intPart = "0"
	}
	if !allDigits(intPart) || (sep && !allDigits(frac)) {
		return 0, reasonf("kein gültiger Preis: %q", "not a valid price: %q", clip(s))
	}
	if len(frac) > 2 {
		return 0, reasonf("höchstens zwei Nachkommastellen: %q", "at most two decimals: %q", clip(s))
	}
	if len(intPart) > 10 {
		return 0, reasonf("Preis zu hoch: %q", "price too high: %q", clip(s))
	}
	euros, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return 0, reasonf("kein gültiger Preis: %q", "not a valid price: %q", clip(s))
	}
	for len(frac) < 2 {
		frac += "0"
	}
	cents, _ := strconv.ParseInt(frac, 10, 64)
	v := Cents(euros*100 + cents)
	if v > MaxCents {
		return 0, reasonf("Preis zu hoch: %q", "price too high: %q", clip(s))
	}
	return v, nil
}

// validGrouping reports whether s is digits grouped by sep in threes:
// "1.234.567".
func validGrouping(s string, sep byte) bool {
	parts := strings.Split(s, string(sep))
	for i, p := range parts {
		if !allDigits(p) || (i > 0 && len(p) != 3) || (i == 0 && (len(p) == 0 || len(p) > 3)) {
			return false
		}
	}
	return true
}

// ParseBool reads a yes/no field: 0/1, ja/nein (and j/n, true/false, yes/no,
// any case).
func ParseBool(s string) (bool, *check.Text) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "ja", "j", "true", "yes", "y", "x":
		return true, nil
	case "0", "nein", "n", "false", "no":
		return false, nil
	case "":
		return false, reason("Wert fehlt; erlaubt sind 0/1 oder ja/nein", "value missing; allowed are 0/1 or ja/nein")
	default:
		return false, reasonf("%q ist kein Ja/Nein-Wert; erlaubt sind 0/1 oder ja/nein", "%q is not a yes/no value; allowed are 0/1 or ja/nein", clip(s))
	}
}

// ParseDate reads a calendar date "2025-04-03" or "03.04.2025" and returns
// it as midnight UTC.
func ParseDate(s string) (time.Time, *check.Text) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "02.01.2006", "2.1.2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, reasonf("kein gültiges Datum: %q (so schreiben: 2025-04-03 oder 03.04.2025)", "not a valid date: %q (write 2025-04-03 or 03.04.2025)", clip(s))
}

// ParseLocalTime reads "2025-04-03 08:30" or "03.04.2025 08:30" as a wall
// clock time in loc.
func ParseLocalTime(s string, loc *time.Location) (time.Time, *check.Text) {
	s = strings.Join(strings.Fields(s), " ")
	for _, layout := range []string{"2006-01-02 15:04", "02.01.2006 15:04", "2.1.2006 15:04", "2006-01-02T15:04", time.RFC3339} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, reasonf("keine gültige Zeit: %q (so schreiben: 2025-04-03 08:30)", "not a valid time: %q (write 2025-04-03 08:30)", clip(s))
}

// cleanText trims a text field and checks it is valid UTF-8 without control
// characters other than tab and newline.
func cleanText(s string, multiline bool) (string, *check.Text) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", reason("kein gültiges UTF-8; die Datei bitte als UTF-8 speichern", "not valid UTF-8; please save the file as UTF-8")
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && !(multiline && (r == '\n' || r == '\r')) || r == 0x7f {
			return "", reason("enthält Steuerzeichen", "contains control characters")
		}
	}
	return s, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func clip(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}

func reason(de, en string) *check.Text {
	t := check.Msg(de, en)
	return &t
}

func reasonf(de, en string, arg string) *check.Text {
	return reason(fmt.Sprintf(de, arg), fmt.Sprintf(en, arg))
}
