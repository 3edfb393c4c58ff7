package pharma

import (
	"fmt"
	"strings"
)

// PZN is a Pharmazentralnummer in its eight-digit form (PZN-8) with a valid
// check digit. Obtain one from ParsePZN or PZNFromScan; the zero value is not
// a valid PZN.
type PZN string

// String returns the eight digits.
func (p PZN) String() string { return string(p) }

// PZNCheckDigit computes the check digit of a PZN-8 from its first seven
// digits, for generators of test data.
//
// Source: IFA, "PZN-Codierung im Code 39" (Prüfziffernberechnung PZN8):
// p = (1*d1 + 2*d2 + ... + 7*d7) mod 11; a remainder of 10 is never issued.
// A PZN-7 (six digits plus check digit, weights 2..7) gets the same check
// digit after a leading 0, which is why the weights start at 1.
//
// ok is false when first7 is not exactly seven ASCII digits (digit is then -1)
// or when the remainder is 10 (digit is then 10): such a number is no PZN.
func PZNCheckDigit(first7 string) (digit int, ok bool) {
	if len(first7) != 7 || !allDigits(first7) {
		return -1, false
	}
	sum := 0
	for i := 0; i < 7; i++ {
		sum += (i + 1) * int(first7[i]-'0')
	}
	p := sum % 11
	return p, p != 10
}

// ParsePZN reads a PZN as staff type it or as it is printed on a pack:
// "04877800", the old seven-digit form "4877800" (which gets a leading 0),
// optionally preceded by "PZN", "PZN-" or "PZN:" (any case) and surrounded by
// spaces. It returns the PZN-8 or an *Error saying what is wrong: not 7 or 8
// digits, a non-digit character, a wrong check digit, or check digit 10.
//
// Scanner output (Code 39 with its leading "-", DataMatrix) goes through
// PZNFromScan instead.
func ParsePZN(s string) (PZN, error) {
	t := strings.TrimSpace(s)
	if len(t) >= 3 && strings.EqualFold(t[:3], "PZN") {
		t = strings.TrimSpace(t[3:])
		if strings.HasPrefix(t, "-") || strings.HasPrefix(t, ":") {
			t = strings.TrimSpace(t[1:])
		}
	}
	if t == "" {
		return "", newError(ReasonEmpty,
			"keine PZN eingegeben: bitte die 8 Ziffern der PZN eingeben",
			"no PZN given: please enter the 8 digits of the PZN")
	}
	if !allDigits(t) {
		return "", newError(ReasonPZNNotDigits,
			fmt.Sprintf("PZN darf nur Ziffern enthalten, gelesen %q", clip(t)),
			fmt.Sprintf("a PZN has digits only, read %q", clip(t)))
	}
	switch len(t) {
	case 7:
		t = "0" + t // PZN-7 -> PZN-8 (IFA: leading zero, same check digit)
	case 8:
	default:
		return "", newError(ReasonPZNLength,
			fmt.Sprintf("PZN muss 7 oder 8 Ziffern haben, gelesen %d", len(t)),
			fmt.Sprintf("a PZN has 7 or 8 digits, read %d", len(t)))
	}
	return checkPZN8(t)
}

// checkPZN8 verifies the check digit of eight ASCII digits.
func checkPZN8(t string) (PZN, error) {
	want, ok := PZNCheckDigit(t[:7])
	if !ok {
		return "", newError(ReasonPZNCheckDigit10,
			"Prüfziffer 10 wird nie vergeben: diese PZN gibt es nicht, bitte Eingabe prüfen",
			"check digit 10 is never issued: this PZN does not exist, please check the input")
	}
	got := int(t[7] - '0')
	if got != want {
		return "", newError(ReasonPZNCheckDigit,
			fmt.Sprintf("Prüfziffer falsch: erwartet %d, gelesen %d. Bitte PZN prüfen (Zahlendreher?)", want, got),
			fmt.Sprintf("check digit wrong: expected %d, read %d. Please check the PZN (swapped digits?)", want, got))
	}
	return PZN(t), nil
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

// clip shortens long input before it is quoted back in a message.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max]) + "…"
}
