// Package pharma holds the pure rules of pharmacy emergency mode: the PZN and
// its check digit, barcode and pack DataMatrix scans (Code 39, IFA/securPharm
// PPN, GS1 NTIN), the statutory co-payment (Zuzahlung, Section 61 SGB V), euro
// amounts, and the E-Rezept token that a patient shows at the counter.
//
// Everything here is a pure function of its input: no I/O, no clock, no
// package-level state. Money is decimal (github.com/shopspring/decimal), never
// float. Each rule names its source in a comment next to the code that
// encodes it.
package pharma

// Error is a problem with outside input (a typed or scanned number, an amount,
// a scanned E-Rezept token), worded for pharmacy staff in German and English.
// Code is a stable machine-readable reason (one of the Reason constants) for
// callers and tests; DE and EN are the sentences a person reads.
type Error struct {
	Code string
	DE   string
	EN   string
}

// Error returns the German reason followed by the English one in brackets.
func (e *Error) Error() string { return e.DE + " (" + e.EN + ")" }

// Reason codes carried in Error.Code.
const (
	ReasonEmpty            = "empty"
	ReasonPZNLength        = "pzn_length"
	ReasonPZNNotDigits     = "pzn_not_digits"
	ReasonPZNCheckDigit    = "pzn_check_digit"
	ReasonPZNCheckDigit10  = "pzn_check_digit_10"
	ReasonScanUnknown      = "scan_unknown"
	ReasonScanNoPZN        = "scan_no_pzn"
	ReasonScanNotMatrix    = "scan_not_datamatrix"
	ReasonScanField        = "scan_field"
	ReasonScanSeparators   = "scan_separators"
	ReasonPPNCheckDigits   = "ppn_check_digits"
	ReasonPPNForeign       = "ppn_foreign"
	ReasonGTINCheckDigit   = "gtin_check_digit"
	ReasonGTINNoPZN        = "gtin_no_pzn"
	ReasonExpiry           = "expiry"
	ReasonAmount           = "amount"
	ReasonAmountAmbiguous  = "amount_ambiguous"
	ReasonAmountDecimals   = "amount_decimals"
	ReasonAmountNegative   = "amount_negative"
	ReasonAmountTooLarge   = "amount_too_large"
	ReasonCopayInput       = "copay_input"
	ReasonTokenJSON        = "token_json"
	ReasonTokenEmpty       = "token_empty"
	ReasonTokenTooMany     = "token_too_many"
	ReasonTokenURL         = "token_url"
	ReasonTokenDuplicate   = "token_duplicate"
	ReasonTokenAccessCode  = "token_access_code"
	ReasonTokenTooLong     = "token_too_long"
	ReasonRezeptIDFormat   = "rezept_id_format"
	ReasonRezeptIDCheck    = "rezept_id_check"
	ReasonFlowTypeUnknown  = "flow_type_unknown"
	ReasonFlowTypeNoQRCode = "flow_type_no_2d_code"
)

func newError(code, de, en string) *Error { return &Error{Code: code, DE: de, EN: en} }
