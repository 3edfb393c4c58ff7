package mirror

import (
	"testing"
	"time"
)

func TestParseCents(t *testing.T) {
	tests := []struct {
		in      string
		want    Cents
		wantErr string // German reason prefix; "" for success
	}{
		{"12,34", 1234, ""},
		{"12.34", 1234, ""},
		{"12", 1200, ""},
		{"12,5", 1250, ""},
		{"0,99", 99, ""},
		{",99", 99, ""},
		{" 7,00 € ", 700, ""},
		{"7.00 EUR", 700, ""},
		{"1.234,56", 123456, ""},
		{"1,234.56", 123456, ""},
		{"12.345.678,90", 1234567890 / 1, "Preis zu hoch"},
		{"+3,10", 310, ""},
		{"0", 0, ""},
		{"", 0, "Preis fehlt"},
		{"-1,00", 0, "negativer Preis"},
		{"−1,00", 0, "negativer Preis"},
		{"1,234", 0, "höchstens zwei Nachkommastellen"},
		{"1.234", 0, "höchstens zwei Nachkommastellen"},
		{"12,3,4", 0, "kein gültiger Preis"},
		{"1.23.4,5", 0, "kein gültiger Preis"},
		{"abc", 0, "kein gültiger Preis"},
		{"12,", 0, "kein gültiger Preis"},
		{"1e3", 0, "kein gültiger Preis"},
		{"99999999999", 0, "Preis zu hoch"},
		{"10000000,00", 1_000_000_000, ""},
		{"10000000,01", 0, "Preis zu hoch"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, r := ParseCents(tt.in)
			if tt.wantErr == "" {
				if r != nil {
					t.Fatalf("ParseCents(%q) error %q; want %d", tt.in, r.DE, tt.want)
				}
				if got != tt.want {
					t.Errorf("ParseCents(%q) = %d; want %d", tt.in, got, tt.want)
				}
				return
			}
			if r == nil {
				t.Fatalf("ParseCents(%q) = %d; want error %q", tt.in, got, tt.wantErr)
			}
			if len(r.DE) < len(tt.wantErr) || r.DE[:len(tt.wantErr)] != tt.wantErr {
				t.Errorf("ParseCents(%q) error %q; want it to start with %q", tt.in, r.DE, tt.wantErr)
			}
			if r.EN == "" {
				t.Errorf("ParseCents(%q) error has no English text", tt.in)
			}
		})
	}
}

func TestCentsFormat(t *testing.T) {
	tests := []struct {
		c          Cents
		str, germ  string
		decimalStr string
	}{
		{0, "0.00", "0,00 €", "0"},
		{5, "0.05", "0,05 €", "0.05"},
		{1230, "12.30", "12,30 €", "12.3"},
		{123456, "1234.56", "1.234,56 €", "1234.56"},
		{-250, "-2.50", "-2,50 €", "-2.5"},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.str {
			t.Errorf("Cents(%d).String() = %q; want %q", tt.c, got, tt.str)
		}
		if got := tt.c.German(); got != tt.germ {
			t.Errorf("Cents(%d).German() = %q; want %q", tt.c, got, tt.germ)
		}
		if got := tt.c.Decimal().String(); got != tt.decimalStr {
			t.Errorf("Cents(%d).Decimal() = %s; want %s", tt.c, got, tt.decimalStr)
		}
	}
}

func TestParseBool(t *testing.T) {
	tests := []struct {
		in      string
		want    bool
		wantErr bool
	}{
		{"1", true, false}, {"0", false, false}, {"ja", true, false}, {"Nein", false, false},
		{"JA", true, false}, {" j ", true, false}, {"true", true, false}, {"false", false, false},
		{"", false, true}, {"vielleicht", false, true}, {"2", false, true},
	}
	for _, tt := range tests {
		got, r := ParseBool(tt.in)
		if (r != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseBool(%q) = %v, err %v; want %v, err %v", tt.in, got, r != nil, tt.want, tt.wantErr)
		}
	}
}

func TestParseDateAndLocalTime(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{"2025-04-03", "03.04.2025", "3.4.2025"} {
		got, r := ParseDate(in)
		if r != nil || !got.Equal(time.Date(2025, 4, 3, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("ParseDate(%q) = %v, %v; want 2025-04-03", in, got, r)
		}
	}
	if _, r := ParseDate("2025-02-30"); r == nil {
		t.Errorf("ParseDate(2025-02-30) error = nil; want one")
	}
	got, r := ParseLocalTime("30.03.2025  08:30", berlin)
	if r != nil {
		t.Fatal(r.DE)
	}
	if want := time.Date(2025, 3, 30, 6, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("ParseLocalTime = %v; want %v (CEST, UTC+2)", got.UTC(), want)
	}
	if _, r := ParseLocalTime("morgen früh", berlin); r == nil {
		t.Errorf("ParseLocalTime(morgen früh) error = nil; want one")
	}
}

func TestCounts(t *testing.T) {
	tests := []struct {
		n      int
		de, en string
	}{{0, "0", "0"}, {999, "999", "999"}, {1234, "1.234", "1,234"}, {1000000, "1.000.000", "1,000,000"}, {-1234, "-1.234", "-1,234"}}
	for _, tt := range tests {
		if got := GermanCount(tt.n); got != tt.de {
			t.Errorf("GermanCount(%d) = %q; want %q", tt.n, got, tt.de)
		}
		if got := EnglishCount(tt.n); got != tt.en {
			t.Errorf("EnglishCount(%d) = %q; want %q", tt.n, got, tt.en)
		}
	}
}

func FuzzParseCents(f *testing.F) {
	for _, s := range []string{"12,34", "1.234,56", "-1", "", "1,2,3", "9999999999,99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, r := ParseCents(s)
		if r != nil {
			return
		}
		if c < 0 || c > MaxCents {
			t.Fatalf("ParseCents(%q) = %d; outside 0..MaxCents", s, c)
		}
		// What was accepted reads back the same.
		back, r := ParseCents(c.String())
		if r != nil || back != c {
			t.Fatalf("ParseCents(%q) = %d; its String %q reads back as %d, %v", s, c, c.String(), back, r)
		}
	})
}
