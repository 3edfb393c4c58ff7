package fhir

import (
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Search works on blind index terms: the store keeps only keyed HMACs of
// these strings (see Keyer.Term), never a name or a date of birth in plain.
//
//	n:<token>    a whole name part, normalised ("mueller")
//	p:<prefix>   a prefix of a name part, at least MinPrefix letters ("mue")
//	d:<date>     the date of birth, 2006-01-02
//	i:<value>    an identifier value, upper case without spaces and dashes
//
// Prefix terms let a nurse type "Müll" for "Müller"; they reveal no more
// than the whole-name terms do to someone without the index key.

// MinPrefix is the shortest name prefix that is searchable.
const MinPrefix = 3

// NormalizeName folds a name part for search: lower case, umlauts as
// ae/oe/ue, ß as ss, other accents dropped, only letters and digits kept.
func NormalizeName(s string) string {
	s = strings.ToLower(s)
	r := strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss")
	s = r.Replace(s)
	var b strings.Builder
	for _, c := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, c):
		case unicode.IsLetter(c) || unicode.IsDigit(c):
			b.WriteRune(c)
		}
	}
	return b.String()
}

// NormalizeIdentifier folds an identifier value: upper case, no spaces,
// dashes, dots or slashes.
func NormalizeIdentifier(s string) string {
	var b strings.Builder
	for _, c := range strings.ToUpper(s) {
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// nameTokens splits a name into normalised parts; a part with trailing
// digits (synthetic test names like "Medhurst46") also yields the part
// without them.
func nameTokens(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(c rune) bool { return c == ' ' || c == '-' || c == ',' || c == '\'' }) {
		t := NormalizeName(f)
		if t == "" {
			continue
		}
		out = append(out, t)
		if trimmed := strings.TrimRightFunc(t, unicode.IsDigit); trimmed != t && trimmed != "" {
			out = append(out, trimmed)
		}
	}
	return out
}

// IndexTerms returns the search terms of a patient.
func IndexTerms(p *Patient) []string {
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	parts := append([]string{p.Family}, p.Given...)
	for _, part := range parts {
		for _, tok := range nameTokens(part) {
			add("n:" + tok)
			r := []rune(tok)
			for n := MinPrefix; n < len(r); n++ {
				add("p:" + string(r[:n]))
			}
		}
	}
	if p.BirthDate.Precision >= PrecisionDay {
		add("d:" + p.BirthDate.Time.Format("2006-01-02"))
	}
	for _, id := range p.Identifiers {
		if v := NormalizeIdentifier(id.Value); v != "" {
			add("i:" + v)
		}
	}
	return out
}

// QueryTerms turns a search query into groups of terms: a patient matches
// when, for every group, it has at least one of the group's terms. A date
// ("21.05.1927", "1927-05-21") searches the date of birth; other words
// search names (whole or prefix) and identifiers.
func QueryTerms(q string) [][]string {
	var groups [][]string
	for _, w := range strings.Fields(strings.ReplaceAll(q, ",", " ")) {
		if d, ok := parseQueryDate(w); ok {
			groups = append(groups, []string{"d:" + d})
			continue
		}
		var g []string
		if t := NormalizeName(w); len([]rune(t)) > 0 {
			g = append(g, "n:"+t)
			if len([]rune(t)) >= MinPrefix {
				g = append(g, "p:"+t)
			}
		}
		if v := NormalizeIdentifier(w); v != "" {
			g = append(g, "i:"+v)
		}
		if len(g) > 0 {
			groups = append(groups, g)
		}
	}
	return groups
}

func parseQueryDate(w string) (string, bool) {
	for _, layout := range []string{"02.01.2006", "2.1.2006", "2006-01-02", "02/01/2006"} {
		if t, err := time.Parse(layout, w); err == nil {
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}
