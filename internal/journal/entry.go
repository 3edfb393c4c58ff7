package journal

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// Fixed values recorded in every entry.
const (
	// TypeSale is the transaction type of a sale ("Beleg", a receipt, in
	// the terms of the DSFinV-K).
	TypeSale = "Beleg"
	// TSEStatusFailed marks that the entry was recorded without a working
	// technical security system (TSE). Receipts must show it. The journal
	// never replaces a certified TSE; it documents the failure period.
	TSEStatusFailed = "TSE-Ausfall"
	// GenesisHash is the prev_hash of entry 1: 64 zeros.
	GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"
)

// Limits of a sale, chosen far above any real counter sale so that only
// mistakes and abuse hit them.
const (
	MaxItems     = 200
	MaxQty       = 9999
	MaxKeyLen    = 128
	MaxStaffLen  = 100
	maxAmountInt = 9 // digits before the decimal point: up to 999,999,999.99 EUR
)

// Amount is a sum of money in euros with exactly two decimals. It is stored
// and sent as a JSON string ("4.20"), never as a binary float. The zero
// value is 0.00.
type Amount struct{ d decimal.Decimal }

// ParseAmount parses a non-negative amount with at most two decimals and a
// decimal point ("4.2", "4.20", "4"). Signs, exponents, commas and a third
// decimal are refused.
func ParseAmount(s string) (Amount, error) {
	if !amountForm(s, false) {
		return Amount{}, fmt.Errorf("amount %q: want digits with at most two decimals after a point, like \"4.20\"", s)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return Amount{}, fmt.Errorf("amount %q: %w", s, err)
	}
	return Amount{d: d}, nil
}

// Cents returns the amount c/100 euros.
func Cents(c int64) Amount { return Amount{d: decimal.New(c, -2)} }

// Decimal returns the amount as a decimal.
func (a Amount) Decimal() decimal.Decimal { return a.d }

// String returns the amount with two decimals and a point: "4.20".
func (a Amount) String() string { return a.d.StringFixed(2) }

// German returns the amount as a German reads it: "1.234,50 €".
func (a Amount) German() string {
	s := a.d.StringFixed(2)
	intPart, frac := s[:len(s)-3], s[len(s)-2:]
	var out []byte
	for i := range len(intPart) {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			out = append(out, '.')
		}
		out = append(out, intPart[i])
	}
	return string(out) + "," + frac + " €"
}

// Add returns a+b.
func (a Amount) Add(b Amount) Amount { return Amount{d: a.d.Add(b.d)} }

// Times returns a*n.
func (a Amount) Times(n int) Amount { return Amount{d: a.d.Mul(decimal.NewFromInt(int64(n)))} }

// Cmp compares a and b: -1, 0 or +1.
func (a Amount) Cmp(b Amount) int { return a.d.Cmp(b.d) }

// Equal reports whether a and b are the same sum.
func (a Amount) Equal(b Amount) bool { return a.d.Equal(b.d) }

// MarshalText writes the amount with two decimals; in JSON it becomes a
// string ("4.20").
func (a Amount) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads the canonical form written by MarshalText: exactly
// two decimals and no leading zeros ("0.50", "12.00"). In JSON only a
// string is accepted, never a number.
func (a *Amount) UnmarshalText(b []byte) error {
	s := string(b)
	if !amountForm(s, true) {
		return fmt.Errorf("amount %q: want exactly two decimals, like \"4.20\"", s)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return fmt.Errorf("amount %q: %w", s, err)
	}
	a.d = d
	return nil
}

// amountForm checks the form of an amount: up to maxAmountInt digits, then
// optionally a point and one or two digits. canonical asks for exactly two
// decimals and no leading zero.
func amountForm(s string, canonical bool) bool {
	intPart, frac, hasPoint := strings.Cut(s, ".")
	if len(intPart) < 1 || len(intPart) > maxAmountInt || !digits(intPart) {
		return false
	}
	if canonical {
		return hasPoint && len(frac) == 2 && digits(frac) && (len(intPart) == 1 || intPart[0] != '0')
	}
	return !hasPoint || (len(frac) >= 1 && len(frac) <= 2 && digits(frac))
}

func digits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Payment is how the customer paid.
type Payment string

// Payment types.
const (
	PaymentCash Payment = "cash"
	PaymentCard Payment = "card"
)

// Valid reports whether p is a known payment type.
func (p Payment) Valid() bool { return p == PaymentCash || p == PaymentCard }

// Item is one line of a sale: Qty packs of the article PZN at Price per
// pack, of which the patient pays Copay per pack as statutory co-payment
// (0.00 when none applies).
type Item struct {
	PZN   string `json:"pzn"`
	Qty   int    `json:"qty"`
	Price Amount `json:"price"`
	Copay Amount `json:"copay"`
}

// Sale is what the counter asks the journal to record.
type Sale struct {
	// IdempotencyKey identifies the sale on the client's side; recording
	// the same key again returns the first entry.
	IdempotencyKey string
	// Start is when the transaction began (first article scanned); zero
	// means "now".
	Start time.Time
	// Staff is the name of the staff member at the till.
	Staff   string
	Payment Payment
	Items   []Item
}

// Entry is one record of the journal. It carries the fields the
// KassenSichV asks of a cash record: start and end time, a unique
// consecutive number, the type, the data (items, totals), the payment type,
// a check value (Hash, chained to the previous entry by PrevHash) and the
// serial numbers of the register and of the security module, with the TSE
// failure marked in TSEStatus.
type Entry struct {
	Number         int64     `json:"number"`
	ID             string    `json:"id"`
	IdempotencyKey string    `json:"idempotency_key"`
	Type           string    `json:"type"`
	Start          time.Time `json:"start"`
	End            time.Time `json:"end"`
	Till           string    `json:"till"`
	RegisterSerial string    `json:"register_serial"`
	TSESerial      string    `json:"tse_serial"`
	TSEStatus      string    `json:"tse_status"`
	Staff          string    `json:"staff"`
	Payment        Payment   `json:"payment"`
	Items          []Item    `json:"items"`
	Total          Amount    `json:"total"`
	CopayTotal     Amount    `json:"copay_total"`
	PrevHash       string    `json:"prev_hash"`
	// Hash is the SHA-256 (hex) of the record's line without its hash
	// member; see the package comment.
	Hash string `json:"hash,omitempty"`
}

// Totals returns the sum of price*qty and of copay*qty over items.
func Totals(items []Item) (total, copay Amount) {
	for _, it := range items {
		total = total.Add(it.Price.Times(it.Qty))
		copay = copay.Add(it.Copay.Times(it.Qty))
	}
	return total, copay
}

// SameSale reports whether the entry records the same articles, amounts
// and payment as s, that is whether s is a repetition of the entry's sale.
func (e Entry) SameSale(s Sale) bool {
	if e.Payment != s.Payment || len(e.Items) != len(s.Items) {
		return false
	}
	for i, it := range e.Items {
		o := s.Items[i]
		if it.PZN != o.PZN || it.Qty != o.Qty || !it.Price.Equal(o.Price) || !it.Copay.Equal(o.Copay) {
			return false
		}
	}
	return true
}

// ValidateSale checks a sale and returns every problem at once, naming the
// fields as the HTTP API spells them.
func ValidateSale(s Sale) []FieldError {
	var fe []FieldError
	add := func(field, de, en string) { fe = append(fe, FieldError{Field: field, DE: de, EN: en}) }
	if err := ValidateKey(s.IdempotencyKey); err != nil {
		add("idempotency_key", "Idempotenzschlüssel fehlt oder ist ungültig (1–128 sichtbare ASCII-Zeichen).",
			"The idempotency key is missing or invalid (1-128 visible ASCII characters).")
	}
	if s.Staff == "" || !utf8.ValidString(s.Staff) || utf8.RuneCountInString(s.Staff) > MaxStaffLen {
		add("staff", "Name der Mitarbeiterin/des Mitarbeiters fehlt oder ist zu lang.",
			"The staff member's name is missing or too long.")
	}
	if !s.Payment.Valid() {
		add("payment", `Zahlart fehlt oder ist unbekannt: erlaubt sind "cash" (bar) und "card" (Karte).`,
			`Payment type missing or unknown: use "cash" or "card".`)
	}
	switch {
	case len(s.Items) == 0:
		add("items", "Der Verkauf enthält keine Artikel.", "The sale has no items.")
	case len(s.Items) > MaxItems:
		add("items", fmt.Sprintf("Zu viele Artikel (höchstens %d).", MaxItems),
			fmt.Sprintf("Too many items (at most %d).", MaxItems))
	}
	for i, it := range s.Items {
		p := fmt.Sprintf("items[%d].", i)
		if !pznFormat(it.PZN) {
			add(p+"pzn", "PZN muss aus 8 Ziffern bestehen.", "The PZN must be 8 digits.")
		}
		if it.Qty < 1 || it.Qty > MaxQty {
			add(p+"qty", fmt.Sprintf("Menge muss zwischen 1 und %d liegen.", MaxQty),
				fmt.Sprintf("The quantity must be between 1 and %d.", MaxQty))
		}
		if it.Copay.Cmp(it.Price) > 0 {
			add(p+"copay", "Die Zuzahlung ist höher als der Preis.", "The co-payment exceeds the price.")
		}
	}
	return fe
}

// ValidateKey checks an idempotency key: 1 to 128 visible ASCII characters.
func ValidateKey(k string) error {
	if k == "" {
		return errors.New("empty idempotency key")
	}
	if len(k) > MaxKeyLen {
		return fmt.Errorf("idempotency key longer than %d characters", MaxKeyLen)
	}
	for i := range len(k) {
		if k[i] < 0x21 || k[i] > 0x7e {
			return fmt.Errorf("idempotency key has a character outside visible ASCII at %d", i)
		}
	}
	return nil
}

func pznFormat(s string) bool { return len(s) == 8 && digits(s) }
