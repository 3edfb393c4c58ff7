package incident_test

import (
	"testing"

	"github.com/lifeline-project/lifeline/internal/incident"
)

func TestParseEuro(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"120", 12000, false}, {"120,5", 12050, false}, {"1.234,50", 123450, false}, {"120.50", 12050, false},
		{"120,50 €", 12050, false}, {"EUR 3", 300, false}, {"", 0, true}, {"zwölf", 0, true}, {"1,234", 0, true}, {"-5", 0, true},
	}
	for _, tt := range tests {
		got, err := incident.ParseEuro(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseEuro(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzParseEuro(f *testing.F) {
	for _, s := range []string{"120", "1.234,50", "120.50", "0,01", "EUR 3 €", "9999999999,99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := incident.ParseEuro(s)
		if err != nil {
			return
		}
		if c < 0 {
			t.Fatalf("ParseEuro(%q) = %d", s, c)
		}
		back, err := incident.ParseEuro(incident.FormatEuro(c, "de"))
		if err != nil || back != c {
			t.Fatalf("round trip of %q: %d -> %q -> %d, %v", s, c, incident.FormatEuro(c, "de"), back, err)
		}
	})
}
