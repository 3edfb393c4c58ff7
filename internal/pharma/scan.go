package pharma

import (
	"strings"
)

// ASCII control characters of ISO/IEC 15434 (the syntax of the IFA PPN
// DataMatrix) and of GS1 DataMatrix, where GS (group separator) also stands
// for FNC1.
const (
	charGS  = "\x1d"
	charRS  = "\x1e"
	charEOT = "\x04"
)

// scanSubstitutes lists what keyboard-wedge barcode scanners and the programs
// behind them send instead of the invisible control characters, as pairs of
// (substitute, control character). A scanner types like a keyboard, and a
// keyboard has no key for ASCII 29:
//   - caret notation of the Ctrl chords: Ctrl+] is GS, Ctrl+^ is RS, Ctrl+D is EOT;
//   - names in brackets, as printed in specifications and used by scanner
//     configuration tools: <GS>, {GS}, [GS], <FNC1>;
//   - Unicode control pictures: ␝ ␞ ␄;
//   - code page 437 glyphs, which Windows shows when a scanner emulates
//     Alt+numpad codes 29, 30 and 4: ↔ ▲ ♦.
//
// None of these characters may occur in the data itself: the GS1 character
// set 82 (GS1 General Specifications, figure 7.11-1) and the IFA PPN fields
// (digits, letters, "-", "_") do not contain "^", "<GS>"-style brackets with
// these names, or any of the glyphs.
func scanSubstitutes() []string {
	return []string{
		"^]", charGS, "<GS>", charGS, "<gs>", charGS, "{GS}", charGS, "{gs}", charGS,
		"[GS]", charGS, "[gs]", charGS, "<FNC1>", charGS, "{FNC1}", charGS, "[FNC1]", charGS,
		"\u241d", charGS, "\u2194", charGS,
		"^^", charRS, "<RS>", charRS, "<rs>", charRS, "{RS}", charRS, "{rs}", charRS,
		"[RS]", charRS, "[rs]", charRS, "\u241e", charRS, "\u25b2", charRS,
		"^D", charEOT, "<EOT>", charEOT, "<eot>", charEOT, "{EOT}", charEOT, "{eot}", charEOT,
		"[EOT]", charEOT, "[eot]", charEOT, "\u2404", charEOT, "\u2666", charEOT,
	}
}

// normalizeScan trims what a scanner adds around the data (spaces, CR, LF,
// a byte order mark), replaces substitutes of the control characters by the
// characters themselves, and removes a leading AIM symbology identifier
// ("]d2" = GS1 DataMatrix, "]d1" = DataMatrix, "]A0" = Code 39; ISO/IEC
// 15424), which it returns separately.
func normalizeScan(s string) (data, aim string) {
	s = strings.TrimLeft(s, "\ufeff")
	s = strings.Trim(s, " \t\r\n")
	s = strings.NewReplacer(scanSubstitutes()...).Replace(s)
	if len(s) >= 3 && s[0] == ']' && isAlpha(s[1]) && s[2] >= '0' && s[2] <= '9' {
		aim, s = s[:3], s[3:]
	}
	return s, aim
}

// scanResult is what one scan yielded. detail is a problem with batch,
// expiry, serial number or separators that leaves the PZN intact: the PZN
// may be used, the pack record may not.
type scanResult struct {
	pack   Pack
	matrix bool
	detail *Error
}

// scanCode recognises the content of one scan and reads it. It returns an
// error when no valid PZN can be taken from it.
func scanCode(raw string) (scanResult, error) {
	s, aim := normalizeScan(raw)
	if s == "" {
		return scanResult{}, newError(ReasonEmpty,
			"nichts gescannt: bitte den Code erneut scannen",
			"nothing scanned: please scan the code again")
	}
	if len(s) > maxScanLen {
		return scanResult{}, newError(ReasonScanUnknown,
			"Code zu lang für einen Packungscode: bitte erneut scannen",
			"code too long for a pack code: please scan again")
	}
	if strings.HasPrefix(s, "[)>") {
		return scanIFA(s)
	}
	if r, ok, err := scanLinear(s); ok {
		return r, err
	}
	if aim == "]d2" || strings.HasPrefix(s, charGS) || strings.HasPrefix(s, "01") || strings.HasPrefix(s, "(") {
		return scanGS1(s)
	}
	for _, f := range strings.Split(s, charGS) {
		if strings.HasPrefix(f, "9N") {
			return scanIFA(s)
		}
	}
	return scanResult{}, newError(ReasonScanUnknown,
		"Code nicht erkannt: weder PZN noch Packungs-DataMatrix. Tastaturlayout des Scanners prüfen (Deutsch?)",
		"code not recognised: neither a PZN nor a pack DataMatrix. Check the scanner's keyboard layout (German?)")
}

// maxScanLen bounds a scan: a pack DataMatrix holds four short elements; the
// largest ECC 200 symbol holds 3116 digits.
const maxScanLen = 3116

// scanLinear reads the one-dimensional forms: a Code 39 PZN ("-" followed by
// the PZN-8 or PZN-7; IFA "PZN-Codierung im Code 39"), a typed PZN (up to 12
// digits count as a PZN attempt, so that a missing or extra digit is reported
// as such), and the NTIN as EAN-13 or GTIN-14 ("4150" + PZN-8 + check
// digit). ok is false when s has none of these forms.
func scanLinear(s string) (r scanResult, ok bool, err error) {
	t := s
	// Code 39 start/stop character "*", sent by scanners set to transmit it.
	if len(t) >= 2 && t[0] == '*' && t[len(t)-1] == '*' {
		t = t[1 : len(t)-1]
	}
	// A scanner set to a US keyboard on a German Windows types "ß" for "-".
	for _, prefix := range []string{"-", "ß"} {
		if rest, found := strings.CutPrefix(t, prefix); found && allDigits(rest) {
			p, err := ParsePZN(rest)
			return scanResult{pack: Pack{PZN: p, Format: FormatPZN}}, true, err
		}
	}
	if len(t) >= 3 && strings.EqualFold(t[:3], "PZN") {
		p, err := ParsePZN(t)
		return scanResult{pack: Pack{PZN: p, Format: FormatPZN}}, true, err
	}
	if !allDigits(t) {
		return scanResult{}, false, nil
	}
	switch {
	case len(t) <= 12: // a typed PZN, maybe with digits missing or too many
		p, err := ParsePZN(t)
		return scanResult{pack: Pack{PZN: p, Format: FormatPZN}}, true, err
	case len(t) == 13 || len(t) == 14:
		gtin := t
		if len(gtin) == 13 {
			gtin = "0" + gtin
		}
		p, err := pznFromGTIN(gtin, "")
		return scanResult{pack: Pack{PZN: p, Format: FormatGS1}}, true, err
	}
	return scanResult{}, false, nil
}

func isAlpha(c byte) bool { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') }
