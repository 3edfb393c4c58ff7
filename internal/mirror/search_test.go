package mirror

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Ibuprofen AL 400 mg Filmtabletten", []string{"ibuprofen", "al", "400", "mg", "filmtabletten"}},
		{"Bepanthen® Wund- und Heilsalbe", []string{"bepanthen", "wund", "und", "heilsalbe"}},
		{"Ärztemuster ÖL Übel", []string{"arztemuster", "ol", "ubel"}},
		{"Metoprolol 47,5mg", []string{"metoprolol", "47", "5mg"}},
		{"  ", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Tokens(tt.in)); diff != "" {
			t.Errorf("Tokens(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
	if got, want := NameKey("Ibuprofen-AL  400"), "ibuprofen al 400"; got != want {
		t.Errorf("NameKey = %q; want %q", got, want)
	}
	if got := NameKey(strings.Repeat("ä", 40)); len(got) > NameKeyLen {
		t.Errorf("NameKey longer than %d bytes: %d", NameKeyLen, len(got))
	}
}

func TestPrefixDistance(t *testing.T) {
	tests := []struct {
		word, term string
		max, want  int
	}{
		{"ibuprofen", "ibuprofen", 2, 0},
		{"ibupro", "ibuprofen", 1, 0},
		{"ibuprf", "ibuprofen", 1, 1},     // one letter left out
		{"ibuprofne", "ibuprofen", 2, 1},  // neighbours swapped
		{"ibuprofem", "ibuprofen", 2, 1},  // substituted
		{"ibbuprofen", "ibuprofen", 2, 1}, // inserted
		{"paracetamol", "ibuprofen", 2, 3},
		{"metformn", "metformin", 2, 1},
		{"amlodpin", "amlodipin", 2, 1},
		{"xyz", "abc", 1, 2},
		{"", "abc", 1, 0},
	}
	for _, tt := range tests {
		if got := PrefixDistance(tt.word, tt.term, tt.max); got != tt.want {
			t.Errorf("PrefixDistance(%q, %q, %d) = %d; want %d", tt.word, tt.term, tt.max, got, tt.want)
		}
	}
}

func TestMaxTypos(t *testing.T) {
	for w, want := range map[string]int{"ibu": 0, "ibup": 1, "ibupro": 1, "ibuprof": 2, "äöü": 0, "äöüä": 1} {
		if got := MaxTypos(w); got != want {
			t.Errorf("MaxTypos(%q) = %d; want %d", w, got, want)
		}
	}
}

func TestParseQuery(t *testing.T) {
	q := ParseQuery(" 4877800 ")
	if q.PZN != "04877800" {
		t.Errorf("PZN-7 query: PZN = %q; want 04877800", q.PZN)
	}
	if q := ParseQuery("04877801"); q.PZN != "" {
		t.Errorf("wrong check digit: PZN = %q; want none", q.PZN)
	}
	q = ParseQuery(strings.Repeat("abcdefghij ", 200))
	if len(q.Tokens) > 8 || q.Key != "" {
		t.Errorf("long query: %d tokens, key %q; want at most 8 tokens and no key", len(q.Tokens), q.Key)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		query, name string
		want        Tier
		ok          bool
	}{
		{"ibuprofen al 400 mg filmtabletten", "Ibuprofen AL 400 mg Filmtabletten", TierExact, true},
		{"Ibuprofen-AL", "Ibuprofen AL", TierExact, true},
		{"ibu", "Ibuprofen AL 400 mg", TierPrefix, true},
		{"ibuprofen al 4", "Ibuprofen AL 400 mg", TierPrefix, true},
		{"400 ibu", "Ibuprofen AL 400 mg", TierWords, true},
		{"al", "Ibuprofen AL 400 mg", TierWords, true},
		{"ibuprfen", "Ibuprofen AL 400 mg", TierTypo, true},
		{"ibuprofne 400", "Ibuprofen AL 400 mg", TierTypo, true},
		{"paracetamol", "Ibuprofen AL 400 mg", 0, false},
		{"ibx", "Ibuprofen AL 400 mg", 0, false}, // too short for a typo
	}
	for _, tt := range tests {
		got, _, ok := Classify(ParseQuery(tt.query), tt.name)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("Classify(%q, %q) = %v, %v; want %v, %v", tt.query, tt.name, got, ok, tt.want, tt.ok)
		}
	}
}
