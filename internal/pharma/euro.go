package pharma

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// maxEuroDigits bounds the integer part of an amount: up to 99.999.999,99 €,
// which covers the dearest single packs on the German market (gene therapies
// at about 2 million euro) with room to spare.
const maxEuroDigits = 8

// ParseEuro reads a non-negative euro amount as staff type it:
//
//	"73,40"  "73.40"  "73.4"  "73"  "1.234,56"  "1234.56"  "1.234.567"
//
// optionally with "€" or "EUR" before or after it. The rules:
//   - "," is the German decimal comma, "." the decimal point; both allow at
//     most 2 decimals ("7,345" is refused: amounts are in cents).
//   - "." also groups thousands in German writing ("1.234,56", "1.234.567"),
//     always in groups of exactly three digits.
//   - One separator followed by exactly three digits ("1.234", "1,234") is
//     refused as ambiguous: it could be thousands or decimals. Staff write
//     "1234" or "1234,00".
//   - English thousands commas ("1,234.56") are refused: at a German counter
//     they most likely come from a pasted English price list, and a price
//     misread by a factor of 1000 is worse than asking once.
//   - Negative amounts, signs, spaces inside the number and other characters
//     are refused.
//
// Errors are *Error with a German and English sentence saying what to type.
func ParseEuro(s string) (decimal.Decimal, error) {
	t := strings.TrimSpace(s)
	for _, cur := range []string{"€", "EUR", "eur", "Eur"} {
		if rest, ok := strings.CutSuffix(t, cur); ok {
			t = strings.TrimSpace(rest)
			break
		}
		if rest, ok := strings.CutPrefix(t, cur); ok {
			t = strings.TrimSpace(rest)
			break
		}
	}
	if t == "" {
		return decimal.Decimal{}, newError(ReasonEmpty,
			"kein Betrag angegeben: bitte z. B. 73,40 eingeben",
			"no amount given: please enter e.g. 73.40")
	}
	if t[0] == '-' {
		return decimal.Decimal{}, newError(ReasonAmountNegative,
			fmt.Sprintf("Betrag darf nicht negativ sein: %q", clip(s)),
			fmt.Sprintf("the amount must not be negative: %q", clip(s)))
	}
	malformed := newError(ReasonAmount,
		fmt.Sprintf("Betrag unlesbar: %q. Bitte so schreiben: 73,40 oder 1234,56", clip(s)),
		fmt.Sprintf("amount unreadable: %q. Please write it like 73.40 or 1234.56", clip(s)))
	commas, dots := 0, 0
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c == ',':
			commas++
		case c == '.':
			dots++
		case c < '0' || c > '9':
			return decimal.Decimal{}, malformed
		}
	}

	var intPart, frac string
	hasFrac := false
	switch {
	case commas == 0 && dots == 0:
		intPart = t
	case commas+dots == 1:
		sep := strings.IndexAny(t, ",.")
		intPart, frac, hasFrac = t[:sep], t[sep+1:], true
		if len(frac) == 3 && len(intPart) >= 1 && len(intPart) <= 3 && intPart[0] != '0' {
			return decimal.Decimal{}, newError(ReasonAmountAmbiguous,
				fmt.Sprintf("Betrag mehrdeutig: %q kann Tausender oder Nachkommastellen meinen. Bitte %s oder %s,%s schreiben",
					clip(s), intPart+frac, intPart, frac[:2]),
				fmt.Sprintf("amount ambiguous: %q may mean thousands or decimals. Please write %s or %s.%s",
					clip(s), intPart+frac, intPart, frac[:2]))
		}
	case commas == 0 && dots >= 2:
		intPart = t // German thousands only: "1.234.567"
	case commas == 1 && dots >= 1 && strings.LastIndexByte(t, '.') < strings.IndexByte(t, ','):
		sep := strings.IndexByte(t, ',')
		intPart, frac, hasFrac = t[:sep], t[sep+1:], true // German: "1.234,56"
	case commas >= 1 && dots <= 1 && (dots == 0 || strings.IndexByte(t, '.') > strings.LastIndexByte(t, ',')) &&
		englishGrouping(t):
		return decimal.Decimal{}, newError(ReasonAmount,
			fmt.Sprintf("Betrag in englischer Schreibweise: %q. Bitte deutsch schreiben: 1234,56 oder 1.234,56", clip(s)),
			fmt.Sprintf("amount in English notation: %q. Please write it the German way: 1234,56 or 1.234,56", clip(s)))
	default:
		return decimal.Decimal{}, malformed
	}
	if strings.Contains(intPart, ".") {
		groups := strings.Split(intPart, ".")
		if len(groups[0]) < 1 || len(groups[0]) > 3 || groups[0][0] == '0' {
			return decimal.Decimal{}, malformed
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return decimal.Decimal{}, malformed
			}
		}
		intPart = strings.Join(groups, "")
	}
	if intPart == "" || (hasFrac && frac == "") {
		return decimal.Decimal{}, malformed
	}
	if len(frac) > 2 {
		return decimal.Decimal{}, newError(ReasonAmountDecimals,
			fmt.Sprintf("höchstens 2 Nachkommastellen (Cent): %q", clip(s)),
			fmt.Sprintf("at most 2 decimals (cents): %q", clip(s)))
	}
	if len(strings.TrimLeft(intPart, "0")) > maxEuroDigits {
		return decimal.Decimal{}, newError(ReasonAmountTooLarge,
			fmt.Sprintf("Betrag zu groß: %q (höchstens 99.999.999,99 €)", clip(s)),
			fmt.Sprintf("amount too large: %q (at most 99,999,999.99 EUR)", clip(s)))
	}
	for len(frac) < 2 {
		frac += "0"
	}
	d, err := decimal.NewFromString(intPart + "." + frac)
	if err != nil {
		return decimal.Decimal{}, malformed
	}
	return d, nil
}

// englishGrouping reports whether t looks like "1,234" or "1,234,567.89":
// thousands commas with groups of three, then an optional decimal point.
func englishGrouping(t string) bool {
	if dot := strings.IndexByte(t, '.'); dot >= 0 {
		t = t[:dot]
	}
	groups := strings.Split(t, ",")
	if len(groups[0]) < 1 || len(groups[0]) > 3 {
		return false
	}
	for _, g := range groups[1:] {
		if len(g) != 3 {
			return false
		}
	}
	return true
}

// FormatEuro writes an amount the German way, rounded half up to the cent:
// "73,40 €", "1.234,56 €", "-5,00 €".
func FormatEuro(d decimal.Decimal) string {
	sign, intPart, frac := splitCents(d)
	return sign + groupThousands(intPart, ".") + "," + frac + " €"
}

// FormatEuroEN writes an amount the English way, rounded half up to the
// cent: "€73.40", "€1,234.56", "-€5.00".
func FormatEuroEN(d decimal.Decimal) string {
	sign, intPart, frac := splitCents(d)
	return sign + "€" + groupThousands(intPart, ",") + "." + frac
}

// splitCents rounds to the cent and splits into sign, integer digits and the
// two decimals.
func splitCents(d decimal.Decimal) (sign, intPart, frac string) {
	s := d.Round(2).StringFixed(2)
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		sign, s = "-", rest
	}
	dot := strings.IndexByte(s, '.')
	return sign, s[:dot], s[dot+1:]
}

func groupThousands(digits, sep string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	head := len(digits) % 3
	if head > 0 {
		b.WriteString(digits[:head])
	}
	for i := head; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}
