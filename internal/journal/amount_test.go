package journal

import (
	"encoding/json"
	"testing"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "4.20", want: "4.20"},
		{in: "4.2", want: "4.20"},
		{in: "4", want: "4.00"},
		{in: "0", want: "0.00"},
		{in: "007.50", want: "7.50"},
		{in: "999999999.99", want: "999999999.99"},
		{in: "4.205", wantErr: true},
		{in: "-1.00", wantErr: true},
		{in: "+1.00", wantErr: true},
		{in: "4,20", wantErr: true},
		{in: "1e3", wantErr: true},
		{in: "", wantErr: true},
		{in: ".5", wantErr: true},
		{in: "1000000000.00", wantErr: true},
		{in: " 4.20", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAmount(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseAmount(%q) error = %v; want error %v", tt.in, err, tt.wantErr)
			}
			if err == nil && got.String() != tt.want {
				t.Errorf("ParseAmount(%q) = %s; want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestAmountGerman(t *testing.T) {
	tests := []struct {
		cents int64
		want  string
	}{
		{0, "0,00 €"}, {420, "4,20 €"}, {123450, "1.234,50 €"}, {100000000, "1.000.000,00 €"},
	}
	for _, tt := range tests {
		if got := Cents(tt.cents).German(); got != tt.want {
			t.Errorf("Cents(%d).German() = %q; want %q", tt.cents, got, tt.want)
		}
	}
}

func TestAmountJSON(t *testing.T) {
	b, err := json.Marshal(Cents(730))
	if err != nil || string(b) != `"7.30"` {
		t.Fatalf("Marshal = %s, %v; want \"7.30\"", b, err)
	}
	for _, in := range []string{`"7.30"`, `"0.00"`, `"12.00"`} {
		var a Amount
		if err := json.Unmarshal([]byte(in), &a); err != nil {
			t.Errorf("Unmarshal(%s) error = %v; want nil", in, err)
		}
	}
	for _, in := range []string{`7.30`, `"7.3"`, `"07.30"`, `"-7.30"`, `"7.300"`, `"1e3"`, `""`} {
		var a Amount
		if err := json.Unmarshal([]byte(in), &a); err == nil {
			t.Errorf("Unmarshal(%s) = %s; want an error (only the canonical form is valid)", in, a)
		}
	}
}

func TestTotals(t *testing.T) {
	total, copay := Totals(sale("k", 1).Items) // 2 x 4.20 + 73.40; copay 2 x 4.20 + 7.34
	if total.String() != "81.80" || copay.String() != "15.74" {
		t.Errorf("Totals = %s, %s; want 81.80, 15.74", total, copay)
	}
}
