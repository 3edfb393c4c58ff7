// Package mirrortest holds test fixtures shared by the mirror packages: the
// search ranking cases that both the pure ranking and the SQLite store must
// satisfy.
package mirrortest

import (
	"fmt"

	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/pharma"
)

// PZN returns a valid PZN made from n (the first seven digits are n, zero
// padded, skipping numbers whose check digit would be 10).
func PZN(n int) pharma.PZN {
	for {
		first7 := fmt.Sprintf("%07d", n)
		if d, ok := pharma.PZNCheckDigit(first7); ok {
			return pharma.PZN(fmt.Sprintf("%s%d", first7, d))
		}
		n += 1_000_000
	}
}

// RankingArticles is a small article list for ranking tests.
func RankingArticles() []mirror.Article {
	names := []string{
		"Ibuprofen AL 600 mg Filmtabletten",
		"Ibuprofen AL 400 mg Filmtabletten",
		"Ibuprofen-ratiopharm 400 mg Filmtabletten",
		"Ibuprofen 400 mg Tabletten Heumann",
		"Dolo Ibu akut 200 mg",
		"Paracetamol ratiopharm 500 mg Tabletten",
		"Paracetamol AL 500 mg Zäpfchen",
		"Aspirin",
		"Aspirin Complex Granulat",
		"Aspirin plus C Brausetabletten",
		"ASS 100 Hexal Tabletten",
		"Metformin AL 1000 mg Filmtabletten",
		"Metformin Hexal 500 mg Filmtabletten",
		"Bepanthen Wund- und Heilsalbe",
		"Wundsalbe Dexpanthenol",
		"Grippostad C Kapseln",
	}
	out := make([]mirror.Article, len(names))
	for i, n := range names {
		out[i] = mirror.Article{PZN: PZN(1000 + i*7), Name: n, PharmacyOnly: true, AVP: mirror.Cents(100 * (i + 1))}
	}
	out[1].PZN = "04877800" // a well-known valid PZN, for the PZN case
	return out
}

// RankingCase is a query and the names expected first, in order.
type RankingCase struct {
	Query string
	Want  []string
}

// RankingCases are the ranking contract.
func RankingCases() []RankingCase {
	return []RankingCase{
		{"ibu", []string{
			// name prefix, by name
			"Ibuprofen 400 mg Tabletten Heumann",
			"Ibuprofen AL 400 mg Filmtabletten",
			"Ibuprofen AL 600 mg Filmtabletten",
			"Ibuprofen-ratiopharm 400 mg Filmtabletten",
			// a later word starts with the query
			"Dolo Ibu akut 200 mg",
		}},
		{"ibuprofen 400", []string{
			"Ibuprofen 400 mg Tabletten Heumann", // prefix
			"Ibuprofen AL 400 mg Filmtabletten",  // words at positions 0 and 2
			"Ibuprofen-ratiopharm 400 mg Filmtabletten",
		}},
		{"400 ibu", []string{
			"Ibuprofen 400 mg Tabletten Heumann", // words at 1 and 0
			"Ibuprofen AL 400 mg Filmtabletten",  // words at 2 and 0
			"Ibuprofen-ratiopharm 400 mg Filmtabletten",
		}},
		{"aspirin", []string{
			"Aspirin", // exact first
			"Aspirin Complex Granulat",
			"Aspirin plus C Brausetabletten",
		}},
		{"paracetmol", []string{ // one letter missing
			"Paracetamol AL 500 mg Zäpfchen",
			"Paracetamol ratiopharm 500 mg Tabletten",
		}},
		{"ibuprofne 600", []string{ // swapped letters
			"Ibuprofen AL 600 mg Filmtabletten",
		}},
		{"metfromin 1000", []string{
			"Metformin AL 1000 mg Filmtabletten",
		}},
		{"04877800", []string{ // the PZN itself
			"Ibuprofen AL 400 mg Filmtabletten",
		}},
		{"wund", []string{
			"Wundsalbe Dexpanthenol",        // prefix
			"Bepanthen Wund- und Heilsalbe", // word
		}},
		{"Zäpfchen", []string{"Paracetamol AL 500 mg Zäpfchen"}},
		{"zapfchen", []string{"Paracetamol AL 500 mg Zäpfchen"}},
		{"grippostadt", []string{"Grippostad C Kapseln"}},
		{"xyz", nil},
	}
}
