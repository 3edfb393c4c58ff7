package pharma

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// ifaSample is the example of the IFA PPN-Code specification (PPN
// 110375286414 = PRA 11 + PZN 03752864 + check digits 14; batch 12345ABCDE;
// expiry 150600; serial 12345ABCDEF98765), in the ISO/IEC 15434 envelope.
const ifaSample = "[)>\x1e06\x1d9N110375286414\x1d1T12345ABCDE\x1dD150600\x1dS12345ABCDEF98765\x1e\x04"

// gs1Sample is a GS1 DataMatrix with the NTIN of PZN 04877800: FNC1 (sent as
// GS), (01) 04150048778006, (17) 260531, (10) ABC123, GS, (21) SERIAL1.
const gs1Sample = "\x1d01041500487780061726053110ABC123\x1d21SERIAL1"

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestPPNCheckDigits(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1103752864", "14"}, // IFA specification example PPN 110375286414
		{"1104877800", "72"},
		{"1112345678", "42"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := PPNCheckDigits(tt.in); got != tt.want {
				t.Errorf("PPNCheckDigits(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestGTINCheckDigit(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"0415004877800", 6},
		{"0415003752864", 3},
		{"0400638133393", 1}, // EAN-13 4006381333931
		{"041500487780", -1},
		{"041500487780x", -1},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := GTINCheckDigit(tt.in); got != tt.want {
				t.Errorf("GTINCheckDigit(%q) = %d; want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestPZNFromScan(t *testing.T) {
	// A PPN whose own check digits are right but whose PZN check digit is not.
	badPZNInPPN := "9N" + "1103752865" + PPNCheckDigits("1103752865")
	tests := []struct {
		name string
		in   string
		want PZN
		code string
	}{
		{name: "Code 39 PZN-8", in: "-04877800", want: "04877800"},
		{name: "Code 39 PZN-7", in: "-4877800", want: "04877800"},
		{name: "Code 39 with start/stop characters", in: "*-04877800*", want: "04877800"},
		{name: "Code 39 with CR LF", in: "-04877800\r\n", want: "04877800"},
		{name: "Code 39 on US layout typed into German Windows", in: "ß04877800", want: "04877800"},
		{name: "Code 39 wrong check digit", in: "-04877801", code: ReasonPZNCheckDigit},
		{name: "Code 39 too short", in: "-487780", code: ReasonPZNLength},
		{name: "plain PZN", in: "04877800", want: "04877800"},
		{name: "typed PZN too short", in: "123", code: ReasonPZNLength},
		{name: "typed PZN too long", in: "048778001", code: ReasonPZNLength},
		{name: "PZN with prefix", in: "PZN-04877800", want: "04877800"},
		{name: "NTIN as EAN-13", in: "4150048778006", want: "04877800"},
		{name: "NTIN as GTIN-14", in: "04150048778006", want: "04877800"},
		{name: "NTIN with wrong GTIN check digit", in: "4150048778007", code: ReasonGTINCheckDigit},
		{name: "EAN-13 without PZN", in: "4006381333931", code: ReasonGTINNoPZN},
		{name: "IFA DataMatrix", in: ifaSample, want: "03752864"},
		{name: "IFA with <GS> <RS> <EOT>", in: "[)><RS>06<GS>9N110375286414<GS>1T12345ABCDE<GS>D150600<GS>S12345ABCDEF98765<RS><EOT>", want: "03752864"},
		{name: "IFA with caret notation", in: "[)>^^06^]9N110375286414^]1T12345ABCDE^]D150600^]S12345ABCDEF98765^^^D", want: "03752864"},
		{name: "IFA with control pictures", in: "[)>␞06␝9N110375286414␝1T12345ABCDE␝D150600␝S12345ABCDEF98765␞␄", want: "03752864"},
		{name: "IFA with code page 437 glyphs", in: "[)>▲06↔9N110375286414↔1T12345ABCDE↔D150600↔S12345ABCDEF98765▲♦", want: "03752864"},
		{name: "IFA with all separators dropped", in: "[)>069N1103752864141T12345ABCDED150600S12345ABCDEF98765", want: "03752864"},
		{name: "IFA without envelope", in: "9N110375286414\x1d1T12345ABCDE", want: "03752864"},
		{name: "IFA fields in other order", in: "[)>\x1e06\x1d1T12345ABCDE\x1d9N110375286414\x1e\x04", want: "03752864"},
		{name: "IFA with AIM identifier", in: "]d1" + ifaSample, want: "03752864"},
		{name: "IFA PPN check digits wrong", in: "[)>\x1e06\x1d9N110375286415\x1e\x04", code: ReasonPPNCheckDigits},
		{name: "IFA PZN check digit wrong inside valid PPN", in: "[)>\x1e06\x1d" + badPZNInPPN + "\x1e\x04", code: ReasonPZNCheckDigit},
		{name: "IFA foreign PRA code", in: "[)>\x1e06\x1d9N160375286414\x1e\x04", code: ReasonPPNForeign},
		{name: "IFA PPN cut short", in: "[)>\x1e06\x1d9N1103752864", code: ReasonScanNoPZN},
		{name: "IFA without 9N", in: "[)>\x1e06\x1d1T12345ABCDE\x1e\x04", code: ReasonScanNoPZN},
		{name: "IFA batch swallowed the PPN", in: "[)>061T12345ABCDE9N110375286414", code: ReasonScanNoPZN},
		{name: "envelope of another format", in: "[)>\x1e05\x1d9N110375286414", code: ReasonScanUnknown},
		{name: "GS1 DataMatrix", in: gs1Sample, want: "04877800"},
		{name: "GS1 with AIM ]d2 and no FNC1", in: "]d201041500487780061726053110ABC123\x1d21SERIAL1", want: "04877800"},
		{name: "GS1 bracketed", in: "(01)04150048778006(17)260531(10)ABC123(21)SERIAL1", want: "04877800"},
		{name: "GS1 with {GS}", in: "01041500487780061726053110ABC123{GS}21SERIAL1", want: "04877800"},
		{name: "GS1 wrong GTIN check digit", in: "0104150048778007", code: ReasonGTINCheckDigit},
		{name: "GS1 foreign GTIN without (710)", in: "01040063813339311726053110ABC", code: ReasonGTINNoPZN},
		{name: "GS1 foreign GTIN with (710) PZN", in: "01040063813339311726053110ABC\x1d71004877800", want: "04877800"},
		{name: "GS1 NTIN and (710) disagree", in: "0104150048778006\x1d71003752864", code: ReasonScanField},
		{name: "GS1 (710) not a PZN", in: "010400638133393171012345", code: ReasonScanField},
		{name: "GS1 GTIN cut short", in: "010415004877\x1d10ABC", code: ReasonScanNoPZN},
		{name: "GS1 without product code", in: "\x1d10ABC\x1d21XYZ", code: ReasonScanNoPZN},
		{name: "empty", in: "  \r\n", code: ReasonEmpty},
		{name: "text", in: "hello", code: ReasonScanUnknown},
		{name: "E-Rezept token is no pack code", in: `{"urls":["Task/160.000.000.000.123.76/$accept?ac=777bea0e13cc9c42ceec14aec3ddee2263325dc2c6c699db115f58fe423607ea"]}`, code: ReasonScanUnknown},
		{name: "huge input", in: strings.Repeat("1", 5000), code: ReasonScanUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PZNFromScan(tt.in)
			if tt.code != "" {
				if c := errCode(err); c != tt.code {
					t.Fatalf("PZNFromScan(%q) = %q, %v; want error code %q", tt.in, got, err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("PZNFromScan(%q) error %v; want %q", tt.in, err, tt.want)
			}
			if got != tt.want {
				t.Errorf("PZNFromScan(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParsePackDataMatrix(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Pack
		code string
	}{
		{
			name: "IFA specification example, day 00 = end of month",
			in:   ifaSample,
			want: Pack{PZN: "03752864", Batch: "12345ABCDE", Expiry: date(2015, time.June, 30), Serial: "12345ABCDEF98765", Format: FormatIFA},
		},
		{
			name: "IFA with <GS> substitutes",
			in:   "[)><RS>06<GS>9N110375286414<GS>1T12345ABCDE<GS>D150600<GS>S12345ABCDEF98765<RS><EOT>",
			want: Pack{PZN: "03752864", Batch: "12345ABCDE", Expiry: date(2015, time.June, 30), Serial: "12345ABCDEF98765", Format: FormatIFA},
		},
		{
			name: "IFA with exact day and leap day",
			in:   "[)>\x1e06\x1d9N110487780072\x1d1TLOT-1_A\x1dD280229\x1dSabcXYZ123\x1e\x04",
			want: Pack{PZN: "04877800", Batch: "LOT-1_A", Expiry: date(2028, time.February, 29), Serial: "abcXYZ123", Format: FormatIFA},
		},
		{
			name: "IFA PPN only",
			in:   "[)>\x1e06\x1d9N110375286414\x1e\x04",
			want: Pack{PZN: "03752864", Format: FormatIFA},
		},
		{
			name: "IFA expiry directly after PPN without separator",
			in:   "[)>\x1e06\x1d9N110375286414D150600\x1dS12345\x1e\x04",
			want: Pack{PZN: "03752864", Expiry: date(2015, time.June, 30), Serial: "12345", Format: FormatIFA},
		},
		{
			name: "IFA unknown data identifier is skipped",
			in:   "[)>\x1e06\x1d9N110375286414\x1d8P04150037528643\x1d16D20200101\x1dZXY\x1d1TAB\x1e\x04",
			want: Pack{PZN: "03752864", Batch: "AB", Format: FormatIFA},
		},
		{
			name: "GS1 sample",
			in:   gs1Sample,
			want: Pack{PZN: "04877800", Batch: "ABC123", Expiry: date(2026, time.May, 31), Serial: "SERIAL1", Format: FormatGS1},
		},
		{
			name: "GS1 bracketed, day 00",
			in:   "(01)04150048778006(17)260500(10)ABC123(21)SERIAL1",
			want: Pack{PZN: "04877800", Batch: "ABC123", Expiry: date(2026, time.May, 31), Serial: "SERIAL1", Format: FormatGS1},
		},
		{
			name: "GS1 serial before batch, production date skipped",
			in:   "010415004877800611250101172612312100001\x1d10B7",
			want: Pack{PZN: "04877800", Batch: "B7", Expiry: date(2026, time.December, 31), Serial: "00001", Format: FormatGS1},
		},
		{name: "Code 39 is not a DataMatrix", in: "-04877800", code: ReasonScanNotMatrix},
		{name: "plain PZN is not a DataMatrix", in: "04877800", code: ReasonScanNotMatrix},
		{name: "IFA separators dropped", in: "[)>069N1103752864141T12345ABCDED150600S12345ABCDEF98765", code: ReasonScanSeparators},
		{name: "IFA separators dropped, short batch last", in: "[)>069N1103752864141TAB", code: ReasonScanSeparators},
		{name: "GS1 separators dropped", in: "01041500487780061726053110ABC12321SERIAL1", code: ReasonScanSeparators},
		{name: "IFA unknown separator substitute", in: "[)>069N110375286414|1T12345ABCDE|D150600|S12345", code: ReasonScanSeparators},
		{name: "GS1 unknown separator substitute", in: "0104150048778006|17260531|10ABC|21SER", code: ReasonScanSeparators},
		{name: "IFA batch too long", in: "[)>\x1e06\x1d9N110375286414\x1d1T123456789012345678901\x1e\x04", code: ReasonScanField},
		{name: "IFA batch with space", in: "[)>\x1e06\x1d9N110375286414\x1d1TAB CD\x1e\x04", code: ReasonScanField},
		{name: "IFA empty serial", in: "[)>\x1e06\x1d9N110375286414\x1dS\x1e\x04", code: ReasonScanField},
		{name: "IFA month 13", in: "[)>\x1e06\x1d9N110375286414\x1dD151300\x1e\x04", code: ReasonExpiry},
		{name: "IFA 30 February", in: "[)>\x1e06\x1d9N110375286414\x1dD260230\x1e\x04", code: ReasonExpiry},
		{name: "IFA expiry too short", in: "[)>\x1e06\x1d9N110375286414\x1dD1506\x1e\x04", code: ReasonExpiry},
		{name: "GS1 expiry letters", in: "01041500487780061726AB31", code: ReasonExpiry},
		{name: "PPN check digits wrong", in: "[)>\x1e06\x1d9N110375286415\x1e\x04", code: ReasonPPNCheckDigits},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePackDataMatrix(tt.in)
			if tt.code != "" {
				if c := errCode(err); c != tt.code {
					t.Fatalf("ParsePackDataMatrix(%q) = %+v, %v; want error code %q", tt.in, got, err, tt.code)
				}
				if got != (Pack{}) {
					t.Errorf("ParsePackDataMatrix(%q) = %+v with an error; want the zero Pack", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePackDataMatrix(%q) error %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePackDataMatrix(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestScanDetailKeepsPZN checks that a broken batch or expiry stops the pack
// record but not the PZN.
func TestScanDetailKeepsPZN(t *testing.T) {
	in := "[)>\x1e06\x1d9N110375286414\x1dD151300\x1e\x04"
	if _, err := ParsePackDataMatrix(in); err == nil {
		t.Fatalf("ParsePackDataMatrix(%q) error nil; want an expiry error", in)
	}
	got, err := PZNFromScan(in)
	if err != nil || got != "03752864" {
		t.Errorf("PZNFromScan(%q) = %q, %v; want 03752864, nil", in, got, err)
	}
}

func TestExpiryString(t *testing.T) {
	if got := ExpiryString(date(2026, time.May, 31)); got != "31.05.2026" {
		t.Errorf("ExpiryString(2026-05-31) = %q; want 31.05.2026", got)
	}
	if got := ExpiryString(time.Time{}); got != "" {
		t.Errorf("ExpiryString(zero) = %q; want empty", got)
	}
}

func TestPackFormatString(t *testing.T) {
	for f, want := range map[PackFormat]string{FormatPZN: "PZN", FormatIFA: "IFA-PPN", FormatGS1: "GS1-NTIN"} {
		if got := f.String(); got != want {
			t.Errorf("PackFormat(%d).String() = %q; want %q", int(f), got, want)
		}
	}
}

func scanSeeds() []string {
	return []string{
		"-04877800", "-4877800", "ß04877800", "*-04877800*", "04877800", "4150048778006",
		ifaSample, gs1Sample, "(01)04150048778006(17)260500(10)ABC123(21)SERIAL1",
		"[)><RS>06<GS>9N110375286414<GS>1T12345ABCDE<GS>D150600<GS>S12345ABCDEF98765<RS><EOT>",
		"[)>069N1103752864141T12345ABCDED150600S12345ABCDEF98765", "]d2010415004877800617",
		"9N1", "[)>", "(", "(01", "\x1d", "01", "D", "9N11", "]d2",
	}
}

func FuzzPZNFromScan(f *testing.F) {
	for _, s := range scanSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := PZNFromScan(s)
		if err != nil {
			if errCode(err) == "" {
				t.Fatalf("PZNFromScan(%q) error %v is not an *Error", s, err)
			}
			return
		}
		if again, err := ParsePZN(string(p)); err != nil || again != p {
			t.Fatalf("PZNFromScan(%q) = %q, which ParsePZN rejects: %v", s, p, err)
		}
	})
}

func FuzzParsePackDataMatrix(f *testing.F) {
	for _, s := range scanSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pack, err := ParsePackDataMatrix(s)
		if err != nil {
			if errCode(err) == "" {
				t.Fatalf("ParsePackDataMatrix(%q) error %v is not an *Error", s, err)
			}
			return
		}
		if _, err := ParsePZN(string(pack.PZN)); err != nil {
			t.Fatalf("ParsePackDataMatrix(%q) PZN %q invalid: %v", s, pack.PZN, err)
		}
		if len(pack.Batch) > maxFieldLen || len(pack.Serial) > maxFieldLen {
			t.Fatalf("ParsePackDataMatrix(%q) = %+v; batch or serial longer than %d", s, pack, maxFieldLen)
		}
		if p, err := PZNFromScan(s); err != nil || p != pack.PZN {
			t.Fatalf("PZNFromScan(%q) = %q, %v; want %q as ParsePackDataMatrix", s, p, err, pack.PZN)
		}
	})
}
