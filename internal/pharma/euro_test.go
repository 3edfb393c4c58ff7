package pharma

import (
	"testing"

	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestParseEuro(t *testing.T) {
	tests := []struct {
		in   string
		want string // decimal, when no error
		code string
	}{
		{in: "73,40", want: "73.40"},
		{in: "73.40", want: "73.40"},
		{in: "73.4", want: "73.40"},
		{in: "73,4", want: "73.40"},
		{in: "73", want: "73"},
		{in: "0", want: "0"},
		{in: "0,05", want: "0.05"},
		{in: "1.234,56", want: "1234.56"},
		{in: "1.234,5", want: "1234.50"},
		{in: "1234.56", want: "1234.56"},
		{in: "1234,56", want: "1234.56"},
		{in: "1.234.567", want: "1234567"},
		{in: "1.234.567,89", want: "1234567.89"},
		{in: "0.125", code: ReasonAmountDecimals},
		{in: "1234.567", code: ReasonAmountDecimals},
		{in: "7,345", code: ReasonAmountAmbiguous},
		{in: "73,40 €", want: "73.40"},
		{in: "€73.40", want: "73.40"},
		{in: "73,40 EUR", want: "73.40"},
		{in: "  73,40  ", want: "73.40"},
		{in: "99.999.999,99", want: "99999999.99"},
		{in: "1.234", code: ReasonAmountAmbiguous},
		{in: "1,234", code: ReasonAmountAmbiguous},
		{in: "1,234.56", code: ReasonAmount},
		{in: "1,234,567", code: ReasonAmount},
		{in: "7,3456", code: ReasonAmountDecimals},
		{in: "1.234,567", code: ReasonAmountDecimals},
		{in: "", code: ReasonEmpty},
		{in: "€", code: ReasonEmpty},
		{in: "-5,00", code: ReasonAmountNegative},
		{in: "+5", code: ReasonAmount},
		{in: "5,", code: ReasonAmount},
		{in: ",50", code: ReasonAmount},
		{in: "1.2.3", code: ReasonAmount},
		{in: "12.34,56", code: ReasonAmount},
		{in: "1.234.56", code: ReasonAmount},
		{in: "0.123.456", code: ReasonAmount},
		{in: "1,2,3", code: ReasonAmount},
		{in: "1,23.45", code: ReasonAmount},
		{in: "7 3", code: ReasonAmount},
		{in: "abc", code: ReasonAmount},
		{in: "1e3", code: ReasonAmount},
		{in: "100.000.000", code: ReasonAmountTooLarge},
		{in: "123456789", code: ReasonAmountTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseEuro(tt.in)
			if tt.code != "" {
				if c := errCode(err); c != tt.code {
					t.Fatalf("ParseEuro(%q) = %s, %v; want error code %q", tt.in, got, err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseEuro(%q) error %v; want %s", tt.in, err, tt.want)
			}
			if !got.Equal(dec(tt.want)) {
				t.Errorf("ParseEuro(%q) = %s; want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseEuroAmbiguousMessage(t *testing.T) {
	_, err := ParseEuro("1.234")
	var e *Error
	if !asError(err, &e) {
		t.Fatalf("ParseEuro(1.234) error = %v; want *Error", err)
	}
	want := `Betrag mehrdeutig: "1.234" kann Tausender oder Nachkommastellen meinen. Bitte 1234 oder 1,23 schreiben`
	if e.DE != want {
		t.Errorf("ParseEuro(1.234) German = %q; want %q", e.DE, want)
	}
}

func TestFormatEuro(t *testing.T) {
	tests := []struct{ in, want, wantEN string }{
		{"73.4", "73,40 €", "€73.40"},
		{"0", "0,00 €", "€0.00"},
		{"5", "5,00 €", "€5.00"},
		{"5.005", "5,01 €", "€5.01"},
		{"999.99", "999,99 €", "€999.99"},
		{"1234.56", "1.234,56 €", "€1,234.56"},
		{"1234567.891", "1.234.567,89 €", "€1,234,567.89"},
		{"100000", "100.000,00 €", "€100,000.00"},
		{"-5", "-5,00 €", "-€5.00"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := FormatEuro(dec(tt.in)); got != tt.want {
				t.Errorf("FormatEuro(%s) = %q; want %q", tt.in, got, tt.want)
			}
			if got := FormatEuroEN(dec(tt.in)); got != tt.wantEN {
				t.Errorf("FormatEuroEN(%s) = %q; want %q", tt.in, got, tt.wantEN)
			}
		})
	}
}

func FuzzParseEuro(f *testing.F) {
	for _, s := range []string{"73,40", "73.4", "1.234,56", "1234.56", "1,234.56", "1.234", "-5", "", "€", "0,05 €", "99.999.999,99", "1.2.3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseEuro(s)
		if err != nil {
			if errCode(err) == "" {
				t.Fatalf("ParseEuro(%q) error %v is not an *Error", s, err)
			}
			return
		}
		if d.IsNegative() {
			t.Fatalf("ParseEuro(%q) = %s; want non-negative", s, d)
		}
		if !d.Equal(d.Round(2)) {
			t.Fatalf("ParseEuro(%q) = %s; want whole cents", s, d)
		}
		// What FormatEuro writes, ParseEuro reads back (without thousands
		// grouping ambiguity: FormatEuro always writes two decimals).
		back, err := ParseEuro(FormatEuro(d))
		if err != nil || !back.Equal(d) {
			t.Fatalf("ParseEuro(FormatEuro(%s)) = %s, %v; want %s", d, back, err, d)
		}
	})
}
