package nut

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitLine(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    []string
		wantErr bool
	}{
		{name: "plain words", line: "LIST VAR ups", want: []string{"LIST", "VAR", "ups"}},
		{name: "line end removed", line: "VER\r\n", want: []string{"VER"}},
		{name: "quoted value", line: `VAR ups ups.status "OB LB"`, want: []string{"VAR", "ups", "ups.status", "OB LB"}},
		{name: "empty quoted value", line: `VAR ups x ""`, want: []string{"VAR", "ups", "x", ""}},
		{name: "escaped quote", line: `VAR ups ups.mfr "Eaton \"X\""`, want: []string{"VAR", "ups", "ups.mfr", `Eaton "X"`}},
		{name: "escaped backslash", line: `VAR ups p "C:\\nut"`, want: []string{"VAR", "ups", "p", `C:\nut`}},
		{name: "double escaped as upsd sends device.mfr", line: `VAR u device.mfr "Eaton \\\"X\\\""`, want: []string{"VAR", "u", "device.mfr", `Eaton \"X\"`}},
		{name: "many spaces and tabs", line: "  GET\t VAR  ups   x ", want: []string{"GET", "VAR", "ups", "x"}},
		{name: "quote glued to word", line: `a"b c"d`, want: []string{"ab cd"}},
		{name: "empty line", line: "", want: nil},
		{name: "unterminated quote", line: `VAR ups x "abc`, wantErr: true},
		{name: "lone backslash at end", line: `VAR ups x \`, wantErr: true},
		{name: "newline inside", line: "VAR\nups", wantErr: true},
		{name: "NUL inside", line: "VAR\x00ups", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SplitLine(tt.line)
			if (err != nil) != tt.wantErr {
				t.Fatalf("SplitLine(%q) error = %v; want error %v", tt.line, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" && !tt.wantErr {
				t.Errorf("SplitLine(%q) got %q; want %q", tt.line, got, tt.want)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"OL", `"OL"`},
		{"", `""`},
		{`a"b`, `"a\"b"`},
		{`a\b`, `"a\\b"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Quote(tt.in); got != tt.want {
				t.Errorf("Quote(%q) got %s; want %s", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzSplitLine checks that the parser never panics and that every value
// without line breaks survives Quote and SplitLine unchanged.
func FuzzSplitLine(f *testing.F) {
	for _, s := range []string{
		`VAR ups ups.status "OL"`, `BEGIN LIST VAR ups`, `VAR u x "a \"b\" \\c"`,
		`ERR DATA-STALE`, `"unterminated`, `\`, "", `""`, "a\tb", "\x00", `"\\\""`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := SplitLine(s)
		if err == nil {
			for _, w := range words {
				if strings.ContainsAny(w, "\r\n\x00") {
					t.Fatalf("SplitLine(%q) gave word %q with a control character", s, w)
				}
			}
		}
		if strings.ContainsAny(s, "\r\n\x00") {
			return
		}
		got, err := SplitLine("VAR ups x " + Quote(s))
		if err != nil {
			t.Fatalf("SplitLine of quoted %q: %v", s, err)
		}
		if len(got) != 4 || got[3] != s {
			t.Fatalf("round trip of %q got %q; want value %q", s, got, s)
		}
	})
}
