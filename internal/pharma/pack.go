package pharma

import (
	"fmt"
	"strings"
	"time"
)

// PackFormat names the code a pack identifier was read from.
type PackFormat int

// Pack code formats.
const (
	// FormatPZN is a typed PZN or a Code 39 barcode.
	FormatPZN PackFormat = iota
	// FormatIFA is the IFA PPN DataMatrix (securPharm, ASC data identifiers).
	FormatIFA
	// FormatGS1 is a GS1 DataMatrix or EAN carrying the NTIN.
	FormatGS1
)

// String returns a short name of the format.
func (f PackFormat) String() string {
	switch f {
	case FormatIFA:
		return "IFA-PPN"
	case FormatGS1:
		return "GS1-NTIN"
	default:
		return "PZN"
	}
}

// Pack is what the DataMatrix code of one medicine pack says: the PZN, the
// batch (Charge), the expiry date and the serial number of this very pack
// (EU Falsified Medicines Directive 2011/62/EU, securPharm). Expiry is a date
// at midnight UTC, or the zero time when the code has none.
type Pack struct {
	PZN    PZN
	Batch  string
	Expiry time.Time
	Serial string
	Format PackFormat
}

// PZNFromScan reads the PZN from whatever a barcode scanner typed: a Code 39
// PZN ("-04877800", PZN-7 "-4877800"), a typed PZN, an NTIN as EAN-13, or a
// pack DataMatrix (IFA PPN or GS1 NTIN), also when the scanner sent the group
// separator as a substitute or dropped it. Problems with batch, expiry or
// serial number do not stop it: only the PZN must be sound.
func PZNFromScan(s string) (PZN, error) {
	r, err := scanCode(s)
	if err != nil {
		return "", err
	}
	return r.pack.PZN, nil
}

// ParsePackDataMatrix reads the DataMatrix code of a pack: the IFA PPN format
// "[)>" RS "06" GS "9N" PPN GS "1T" batch GS "D" expiry GS "S" serial RS EOT,
// or the GS1 format with application identifiers (01) NTIN, (17) expiry,
// (10) batch, (21) serial and (710) PZN. It fails on anything else, and when
// batch, expiry or serial number cannot be read with certainty, for example
// because the scanner dropped the separators.
func ParsePackDataMatrix(s string) (Pack, error) {
	r, err := scanCode(s)
	if err != nil {
		return Pack{}, err
	}
	if !r.matrix {
		return Pack{}, newError(ReasonScanNotMatrix,
			"kein DataMatrix-Code einer Packung: bitte den quadratischen Code scannen",
			"not the DataMatrix code of a pack: please scan the square code")
	}
	if r.detail != nil {
		return Pack{}, r.detail
	}
	return r.pack, nil
}

// PPNCheckDigits computes the two check digits of a Pharmacy Product Number
// from its first characters (PRA code + product number, e.g. "11" + PZN-8).
//
// Source: IFA, "PPN Pharmacy Product Number, Technical Specification",
// section "Calculation of PPN Check Digits": the ASCII value of each
// character is multiplied by its weight, starting with 2 for the first
// character and rising by 1; the sum modulo 97 is written as two digits.
// Example from the specification: PPN 110375286414 (PZN 03752864, check 14).
func PPNCheckDigits(s string) string {
	sum := 0
	for i := 0; i < len(s); i++ {
		sum += int(s[i]) * (i + 2)
	}
	return fmt.Sprintf("%02d", sum%97)
}

// GTINCheckDigit computes the GS1 check digit of the first 13 digits of a
// GTIN-14 (GS1 General Specifications 7.9.1: weights 3 and 1 alternating
// from the rightmost digit, check = (10 - sum mod 10) mod 10). It returns -1
// when the input is not 13 digits.
func GTINCheckDigit(first13 string) int {
	if len(first13) != 13 || !allDigits(first13) {
		return -1
	}
	sum := 0
	for i := 0; i < 13; i++ {
		w := 1
		if (13-i)%2 == 1 { // rightmost data digit weighs 3
			w = 3
		}
		sum += w * int(first13[i]-'0')
	}
	return (10 - sum%10) % 10
}

// ntinPrefix is the start of a GTIN-14 that carries a PZN: "0" (GTIN-14
// filler) + "4150", the GS1 Germany prefix reserved for the PZN. Source:
// GS1 Germany / securPharm "NTIN-Leitfaden" (NTIN = 4150 + PZN-8 + check).
const ntinPrefix = "04150"

// pznFromGTIN takes the PZN from a GTIN-14 of 14 ASCII digits (when it is an
// NTIN) or else from the national number nhrn of AI (710). Either may be "".
func pznFromGTIN(gtin, nhrn string) (PZN, error) {
	if gtin != "" {
		if want := GTINCheckDigit(gtin[:13]); want != int(gtin[13]-'0') {
			return "", newError(ReasonGTINCheckDigit,
				fmt.Sprintf("GTIN-Prüfziffer falsch: erwartet %d, gelesen %c. Bitte erneut scannen", want, gtin[13]),
				fmt.Sprintf("GTIN check digit wrong: expected %d, read %c. Please scan again", want, gtin[13]))
		}
	}
	var fromNTIN PZN
	if strings.HasPrefix(gtin, ntinPrefix) {
		p, err := checkPZN8(gtin[5:13])
		if err != nil {
			return "", err
		}
		fromNTIN = p
	}
	if nhrn != "" {
		if len(nhrn) != 8 || !allDigits(nhrn) {
			return "", newError(ReasonScanField,
				fmt.Sprintf("Feld (710) ist keine PZN: %q", clip(nhrn)),
				fmt.Sprintf("field (710) is no PZN: %q", clip(nhrn)))
		}
		p, err := checkPZN8(nhrn)
		if err != nil {
			return "", err
		}
		if fromNTIN != "" && p != fromNTIN {
			return "", newError(ReasonScanField,
				fmt.Sprintf("Code widersprüchlich: NTIN nennt PZN %s, Feld (710) PZN %s", fromNTIN, p),
				fmt.Sprintf("code contradicts itself: NTIN says PZN %s, field (710) says PZN %s", fromNTIN, p))
		}
		return p, nil
	}
	if fromNTIN == "" {
		return "", newError(ReasonGTINNoPZN,
			"GTIN enthält keine PZN (keine NTIN 4150…): Packung nicht für den deutschen Markt? PZN von Hand eingeben",
			"the GTIN carries no PZN (no NTIN 4150…): a pack not for the German market? Enter the PZN by hand")
	}
	return fromNTIN, nil
}

// parseExpiry reads YYMMDD. The century is 2000 (IFA: the expiry date lies
// in the future, a 21st-century date). Day 00 means the month only and gives
// the last day of that month (GS1 General Specifications 3.4.x, AI (17)).
func parseExpiry(v string) (time.Time, *Error) {
	bad := func() *Error {
		return newError(ReasonExpiry,
			fmt.Sprintf("Verfalldatum unlesbar: %q (erwartet JJMMTT)", clip(v)),
			fmt.Sprintf("expiry date unreadable: %q (expected YYMMDD)", clip(v)))
	}
	if len(v) != 6 || !allDigits(v) {
		return time.Time{}, bad()
	}
	y := 2000 + int(v[0]-'0')*10 + int(v[1]-'0')
	m := int(v[2]-'0')*10 + int(v[3]-'0')
	d := int(v[4]-'0')*10 + int(v[5]-'0')
	if m < 1 || m > 12 {
		return time.Time{}, bad()
	}
	last := time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if d == 0 {
		d = last
	}
	if d > last {
		return time.Time{}, bad()
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), nil
}

// maxFieldLen is the longest batch or serial number: 20 characters
// (IFA PPN-Code specification; GS1 AIs (10) and (21)).
const maxFieldLen = 20

// checkVarField validates a batch or serial number. Allowed are the
// characters of GS1 character set 82, which includes the IFA set (digits,
// capital letters, "-", "_"). A character outside it is most often a
// separator the scanner replaced by something unknown.
func checkVarField(nameDE, nameEN, v string, separators bool) *Error {
	code := ReasonScanField
	hint := func() (string, string) {
		if separators {
			return "", ""
		}
		return " Trennzeichen (GS) fehlen vermutlich: Scanner-Einstellung prüfen.",
			" The separators (GS) are probably missing: check the scanner settings."
	}
	if !separators {
		code = ReasonScanSeparators
	}
	if v == "" {
		return newError(ReasonScanField, nameDE+" ist leer.", nameEN+" is empty.")
	}
	if len(v) > maxFieldLen {
		hde, hen := hint()
		return newError(code,
			fmt.Sprintf("%s länger als %d Zeichen: %q.%s", nameDE, maxFieldLen, clip(v), hde),
			fmt.Sprintf("%s longer than %d characters: %q.%s", nameEN, maxFieldLen, clip(v), hen))
	}
	for i := 0; i < len(v); i++ {
		if !inCharset82(v[i]) {
			return newError(code,
				fmt.Sprintf("%s enthält ein unerlaubtes Zeichen: %q. Trennzeichen (GS) falsch übertragen? Scanner-Einstellung prüfen.", nameDE, clip(v)),
				fmt.Sprintf("%s holds a character that is not allowed: %q. Separator (GS) sent wrongly? Check the scanner settings.", nameEN, clip(v)))
		}
	}
	return nil
}

// inCharset82 reports whether c belongs to GS1 character set 82 (GS1 General
// Specifications, figure 7.11-1): ! " % & ' ( ) * + , - . / 0-9 : ; < = > ?
// A-Z _ a-z.
func inCharset82(c byte) bool {
	switch {
	case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		return true
	}
	return strings.IndexByte(`!"%&'()*+,-./:;<=>?_`, c) >= 0
}
