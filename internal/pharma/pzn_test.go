package pharma

import (
	"errors"
	"testing"
)

// errCode returns the Code of an *Error, or "" when err is nil or of another
// type.
func errCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestParsePZN(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   PZN
		code   string // Error.Code when an error is expected
		wantDE string // exact German sentence when given
	}{
		// Examples from domain.md.
		{name: "domain example 04877800", in: "04877800", want: "04877800"},
		{name: "domain example 12345678", in: "12345678", want: "12345678"},
		{name: "domain example 00002000 gives check digit 10", in: "00002000", code: ReasonPZNCheckDigit10},
		// PZN-7 gets a leading 0 and keeps its check digit (IFA).
		{name: "PZN-7", in: "4877800", want: "04877800"},
		{name: "prefix PZN", in: "PZN04877800", want: "04877800"},
		{name: "prefix PZN-", in: "PZN-04877800", want: "04877800"},
		{name: "prefix PZN- with PZN-7", in: "PZN-4877800", want: "04877800"},
		{name: "prefix with space", in: "PZN 04877800", want: "04877800"},
		{name: "prefix lower case and colon", in: "pzn: 04877800", want: "04877800"},
		{name: "spaces around", in: "  04877800 \t", want: "04877800"},
		{name: "PPN example PZN", in: "03752864", want: "03752864"},
		{name: "all zeros is arithmetically valid", in: "00000000", want: "00000000"},
		{
			name: "wrong check digit", in: "04877805", code: ReasonPZNCheckDigit,
			wantDE: "Prüfziffer falsch: erwartet 0, gelesen 5. Bitte PZN prüfen (Zahlendreher?)",
		},
		{name: "swapped digits", in: "04787800", code: ReasonPZNCheckDigit},
		{name: "six digits", in: "487780", code: ReasonPZNLength, wantDE: "PZN muss 7 oder 8 Ziffern haben, gelesen 6"},
		{name: "nine digits", in: "048778000", code: ReasonPZNLength},
		{name: "letter", in: "0487780O", code: ReasonPZNNotDigits},
		{name: "space inside", in: "0487 7800", code: ReasonPZNNotDigits},
		{name: "Code 39 dash belongs to PZNFromScan", in: "-04877800", code: ReasonPZNNotDigits},
		{name: "empty", in: "", code: ReasonEmpty},
		{name: "prefix only", in: "PZN-", code: ReasonEmpty},
		{name: "unicode digits", in: "０４８７７８００", code: ReasonPZNNotDigits},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePZN(tt.in)
			if tt.code != "" {
				if err == nil {
					t.Fatalf("ParsePZN(%q) = %q, nil; want error %s", tt.in, got, tt.code)
				}
				if c := errCode(err); c != tt.code {
					t.Fatalf("ParsePZN(%q) error code = %q (%v); want %q", tt.in, c, err, tt.code)
				}
				var e *Error
				errors.As(err, &e)
				if e.DE == "" || e.EN == "" {
					t.Errorf("ParsePZN(%q) error has DE %q, EN %q; want both", tt.in, e.DE, e.EN)
				}
				if tt.wantDE != "" && e.DE != tt.wantDE {
					t.Errorf("ParsePZN(%q) German reason = %q; want %q", tt.in, e.DE, tt.wantDE)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePZN(%q) error %v; want %q", tt.in, err, tt.want)
			}
			if got != tt.want {
				t.Errorf("ParsePZN(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParsePZNErrorText(t *testing.T) {
	_, err := ParsePZN("00002000")
	want := "Prüfziffer 10 wird nie vergeben: diese PZN gibt es nicht, bitte Eingabe prüfen " +
		"(check digit 10 is never issued: this PZN does not exist, please check the input)"
	if err == nil || err.Error() != want {
		t.Errorf("ParsePZN(00002000) error = %v; want %q", err, want)
	}
}

func TestPZNCheckDigit(t *testing.T) {
	tests := []struct {
		first7 string
		digit  int
		ok     bool
	}{
		{"0487780", 0, true},
		{"1234567", 8, true},
		{"0375286", 4, true},
		{"0000200", 10, false}, // remainder 10: never issued
		{"048778", -1, false},
		{"04877800", -1, false},
		{"048778a", -1, false},
		{"", -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.first7, func(t *testing.T) {
			d, ok := PZNCheckDigit(tt.first7)
			if d != tt.digit || ok != tt.ok {
				t.Errorf("PZNCheckDigit(%q) = %d, %v; want %d, %v", tt.first7, d, ok, tt.digit, tt.ok)
			}
		})
	}
}

// TestPZNCheckDigitAgreesWithParse checks generator and parser against each
// other over a spread of numbers.
func TestPZNCheckDigitAgreesWithParse(t *testing.T) {
	for n := 0; n < 10_000_000; n += 99_991 {
		first7 := string([]byte{
			byte('0' + n/1000000%10), byte('0' + n/100000%10), byte('0' + n/10000%10),
			byte('0' + n/1000%10), byte('0' + n/100%10), byte('0' + n/10%10), byte('0' + n%10),
		})
		d, ok := PZNCheckDigit(first7)
		for c := 0; c <= 9; c++ {
			s := first7 + string(rune('0'+c))
			_, err := ParsePZN(s)
			valid := ok && c == d
			if (err == nil) != valid {
				t.Fatalf("ParsePZN(%q) error %v; want valid=%v (check digit %d, ok %v)", s, err, valid, d, ok)
			}
		}
	}
}

func FuzzParsePZN(f *testing.F) {
	for _, s := range []string{"04877800", "4877800", "PZN-04877800", "pzn 12345678", "00002000", "", "PZN", "0487780O", "-04877800", " 12345678 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePZN(s)
		if err != nil {
			if errCode(err) == "" {
				t.Fatalf("ParsePZN(%q) error %v is not an *Error", s, err)
			}
			return
		}
		if len(p) != 8 || !allDigits(string(p)) {
			t.Fatalf("ParsePZN(%q) = %q; want 8 digits", s, p)
		}
		d, ok := PZNCheckDigit(string(p)[:7])
		if !ok || int(p[7]-'0') != d {
			t.Fatalf("ParsePZN(%q) = %q with a wrong check digit", s, p)
		}
		again, err := ParsePZN(string(p))
		if err != nil || again != p {
			t.Fatalf("ParsePZN(%q) = %q, %v; want the same PZN back", p, again, err)
		}
	})
}

// asError is errors.As for *Error.
func asError(err error, e **Error) bool { return errors.As(err, e) }
