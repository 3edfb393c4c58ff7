package pharma

import (
	"fmt"
	"strings"
	"time"
)

// packFields collects the elements of one DataMatrix before they are checked.
type packFields struct {
	batch, serial, expiry string
	hasBatch, hasSerial   bool
	hasExpiry             bool
	// open is set when a variable-length element ran to the end of the data
	// with no separator in the whole code: then it may have swallowed the
	// elements behind it.
	open bool
	// junk is text that starts with neither a data identifier nor an
	// application identifier: most often a separator the scanner replaced
	// by an unknown character.
	junk string
}

// noteUnknown records a field with an unknown identifier when it does not
// even start like one (a digit or capital letter).
func (f *packFields) noteUnknown(field string) {
	c := field[0]
	if f.junk == "" && !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
		f.junk = field
	}
}

// finish checks batch, expiry and serial number and fills the pack. A
// problem there becomes the scan's detail; the PZN stays usable.
func (f packFields) finish(r *scanResult, separators bool) {
	if f.open && !separators {
		r.detail = newError(ReasonScanSeparators,
			"Trennzeichen (GS) fehlen im Scan: Charge und Seriennummer sind nicht sicher lesbar. Scanner-Einstellung prüfen; die PZN ist verwendbar",
			"the separators (GS) are missing from the scan: batch and serial number cannot be read with certainty. Check the scanner settings; the PZN can be used")
		return
	}
	if f.junk != "" {
		r.detail = newError(ReasonScanSeparators,
			fmt.Sprintf("unerwartete Zeichen im Code: %q. Trennzeichen (GS) falsch übertragen? Scanner-Einstellung prüfen; die PZN ist verwendbar", clip(f.junk)),
			fmt.Sprintf("unexpected characters in the code: %q. Separator (GS) sent wrongly? Check the scanner settings; the PZN can be used", clip(f.junk)))
		return
	}
	if f.hasBatch {
		if e := checkVarField("Charge", "Batch", f.batch, separators); e != nil {
			r.detail = e
			return
		}
		r.pack.Batch = f.batch
	}
	if f.hasSerial {
		if e := checkVarField("Seriennummer", "Serial number", f.serial, separators); e != nil {
			r.detail = e
			return
		}
		r.pack.Serial = f.serial
	}
	if f.hasExpiry {
		t, e := parseExpiry(f.expiry)
		if e != nil {
			r.detail = e
			return
		}
		r.pack.Expiry = t
	}
}

// scanIFA reads the IFA PPN DataMatrix.
//
// Source: IFA "Spezifikation PPN-Code für Handelspackungen" and securPharm
// "Regeln zur Codierung verifizierungspflichtiger Arzneimittel im deutschen
// Markt" (ASC format): envelope "[)>" RS "06" GS … RS EOT (ISO/IEC 15434,
// format 06), data identifiers 9N = PPN ("11" + PZN-8 + 2 check digits),
// 1T = batch (up to 20), D = expiry YYMMDD, S = serial number (up to 20),
// 8P = GTIN, 16D = date of manufacture YYYYMMDD. The envelope may be absent
// when a scanner strips it.
func scanIFA(s string) (scanResult, error) {
	body := s
	if rest, ok := strings.CutPrefix(body, "[)>"); ok {
		rest = strings.TrimPrefix(rest, charRS)
		rest, ok = strings.CutPrefix(rest, "06")
		if !ok {
			return scanResult{}, newError(ReasonScanUnknown,
				"DataMatrix mit unbekanntem Format (erwartet [)>06): kein Packungscode",
				"DataMatrix in an unknown format (expected [)>06): not a pack code")
		}
		body = strings.TrimPrefix(rest, charGS)
	}
	body = strings.TrimSuffix(body, charEOT)
	body = strings.TrimSuffix(body, charRS)
	separators := strings.Contains(body, charGS)

	r := scanResult{matrix: true, pack: Pack{Format: FormatIFA}}
	var f packFields
	var ppn string
	for _, field := range strings.Split(body, charGS) {
		for field != "" {
			switch {
			case strings.HasPrefix(field, "9N"):
				v := field[2:]
				if !strings.HasPrefix(v, "11") {
					pra := v
					if len(pra) > 2 {
						pra = pra[:2]
					}
					return scanResult{}, newError(ReasonPPNForeign,
						fmt.Sprintf("Packung ohne deutsche PZN (PPN mit PRA-Code %q statt 11): PZN von Hand eingeben", pra),
						fmt.Sprintf("pack without a German PZN (PPN with PRA code %q instead of 11): enter the PZN by hand", pra))
				}
				if len(v) < 12 || !allDigits(v[:12]) {
					return scanResult{}, newError(ReasonScanNoPZN,
						fmt.Sprintf("PPN unvollständig: %q. Bitte erneut scannen", clip(v)),
						fmt.Sprintf("PPN incomplete: %q. Please scan again", clip(v)))
				}
				if ppn != "" && ppn != v[:12] {
					return scanResult{}, newError(ReasonScanField,
						"Code enthält zwei verschiedene PPN: bitte erneut scannen",
						"the code holds two different PPNs: please scan again")
				}
				ppn, field = v[:12], v[12:]
			case strings.HasPrefix(field, "1T"):
				f.batch, f.hasBatch, f.open = field[2:], true, f.open || !separators
				field = ""
			case strings.HasPrefix(field, "16D"):
				field = skipFixed(field, 3, 8)
			case strings.HasPrefix(field, "8P"):
				field = skipFixed(field, 2, 14)
			case strings.HasPrefix(field, "D"):
				if len(field) < 7 {
					f.expiry, field = field[1:], ""
				} else {
					f.expiry, field = field[1:7], field[7:]
				}
				f.hasExpiry = true
			case strings.HasPrefix(field, "S"):
				f.serial, f.hasSerial, f.open = field[1:], true, f.open || !separators
				field = ""
			default:
				f.noteUnknown(field)
				field = "" // unknown data identifier: its length is unknown, skip to the next GS
			}
		}
	}
	if ppn == "" {
		return scanResult{}, newError(ReasonScanNoPZN,
			"keine PZN im Code gefunden (Feld 9N fehlt): Trennzeichen des Scanners prüfen oder PZN von Hand eingeben",
			"no PZN found in the code (field 9N missing): check the scanner's separators or enter the PZN by hand")
	}
	if want := PPNCheckDigits(ppn[:10]); want != ppn[10:] {
		return scanResult{}, newError(ReasonPPNCheckDigits,
			fmt.Sprintf("PPN-Prüfziffern falsch: erwartet %s, gelesen %s. Bitte erneut scannen", want, ppn[10:]),
			fmt.Sprintf("PPN check digits wrong: expected %s, read %s. Please scan again", want, ppn[10:]))
	}
	p, err := checkPZN8(ppn[2:10])
	if err != nil {
		return scanResult{}, err
	}
	r.pack.PZN = p
	f.finish(&r, separators)
	return r, nil
}

// scanGS1 reads a GS1 DataMatrix: FNC1 (sent as GS or dropped), then element
// strings of application identifiers. Fixed-length AIs need no separator
// after them (GS1 General Specifications 5.10, predefined length): 01 (14),
// 11, 12, 13, 15, 16, 17 (6 each). Variable-length AIs end at GS or at the
// end: 10 batch, 21 serial, 710 German national number (PZN). The
// human-readable form with AIs in brackets, "(01)04150…(17)…", is read too.
func scanGS1(s string) (scanResult, error) {
	body := strings.TrimLeft(s, charGS)
	if strings.HasPrefix(body, "(") {
		body = bracketedToGS(body)
	}
	separators := strings.Contains(body, charGS)

	r := scanResult{matrix: true, pack: Pack{Format: FormatGS1}}
	var f packFields
	var gtin, nhrn string
	for _, field := range strings.Split(body, charGS) {
		for field != "" {
			switch {
			case strings.HasPrefix(field, "01"):
				if len(field) < 16 || !allDigits(field[2:16]) {
					return scanResult{}, newError(ReasonScanNoPZN,
						fmt.Sprintf("GTIN unvollständig: %q. Bitte erneut scannen", clip(field)),
						fmt.Sprintf("GTIN incomplete: %q. Please scan again", clip(field)))
				}
				gtin, field = field[2:16], field[16:]
			case strings.HasPrefix(field, "17"):
				if len(field) < 8 {
					f.expiry, field = field[2:], ""
				} else {
					f.expiry, field = field[2:8], field[8:]
				}
				f.hasExpiry = true
			case hasAnyPrefix(field, "11", "12", "13", "15", "16"):
				field = skipFixed(field, 2, 6)
			case strings.HasPrefix(field, "10"):
				f.batch, f.hasBatch, f.open = field[2:], true, f.open || !separators
				field = ""
			case strings.HasPrefix(field, "21"):
				f.serial, f.hasSerial, f.open = field[2:], true, f.open || !separators
				field = ""
			case strings.HasPrefix(field, "710"):
				nhrn, field = field[3:], ""
				f.open = f.open || !separators
			default:
				f.noteUnknown(field)
				field = "" // other AI: length unknown here, skip to the next GS
			}
		}
	}
	if gtin == "" && nhrn == "" {
		return scanResult{}, newError(ReasonScanNoPZN,
			"keine PZN im Code gefunden (weder (01) noch (710)): PZN von Hand eingeben",
			"no PZN found in the code (neither (01) nor (710)): enter the PZN by hand")
	}
	p, err := pznFromGTIN(gtin, nhrn)
	if err != nil {
		return scanResult{}, err
	}
	r.pack.PZN = p
	f.finish(&r, separators)
	return r, nil
}

// bracketedToGS turns "(01)0415…(17)260531(10)AB" into element strings
// separated by GS. A ")" or "(" inside a value is not supported.
func bracketedToGS(s string) string {
	var parts []string
	for s != "" {
		if s[0] != '(' {
			break
		}
		end := strings.IndexByte(s, ')')
		if end < 0 {
			break
		}
		ai := s[1:end]
		s = s[end+1:]
		next := strings.IndexByte(s, '(')
		if next < 0 {
			next = len(s)
		}
		parts = append(parts, ai+s[:next])
		s = s[next:]
	}
	return strings.Join(parts, charGS)
}

// skipFixed drops an identifier of length idLen and its value of length n.
func skipFixed(field string, idLen, n int) string {
	if len(field) < idLen+n {
		return ""
	}
	return field[idLen+n:]
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// ExpiryString formats a pack expiry date for people: "31.05.2026", or ""
// when there is none.
func ExpiryString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("02.01.2006")
}
